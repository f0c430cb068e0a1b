package ids_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/supercomp/supercomp/pkg/fault"
	"github.com/supercomp/supercomp/pkg/ids"
)

func TestValid(t *testing.T) {
	for _, tt := range []struct {
		id             string
		valid, athlete bool
	}{
		{"t1", true, true},
		{"Team_A-2", true, true},
		{strings.Repeat("a", 64), true, true},
		{strings.Repeat("a", 65), false, false},
		{"", false, false},
		{"a.b", false, false},
		{"t*", false, false},
		{"t>", false, false},
		{"a b", false, false},
		{"é", false, false},
		{ids.TeamToken, true, false},
	} {
		if got := ids.Valid(tt.id); got != tt.valid {
			t.Errorf("Valid(%q) = %v, want %v", tt.id, got, tt.valid)
		}
		if got := ids.ValidAthlete(tt.id); got != tt.athlete {
			t.Errorf("ValidAthlete(%q) = %v, want %v", tt.id, got, tt.athlete)
		}
	}
}

func TestChecksNameTheFieldAndTheRule(t *testing.T) {
	var v fault.Invalid
	if !ids.CheckTeam(&v, "team_id", "t1") || !ids.CheckAthlete(&v, "athlete_id", "a1") {
		t.Fatal("valid ids refused")
	}
	if ids.CheckTeam(&v, "team_id", "t.1") || ids.CheckAthlete(&v, "athlete_ids[2]", "_team") {
		t.Fatal("invalid ids accepted")
	}
	var inv *fault.Invalid
	if !errors.As(v.Err(), &inv) || len(inv.Violations) != 2 {
		t.Fatalf("violations = %v, want two", v.Err())
	}
	want := []fault.FieldViolation{
		{Field: "team_id", Description: `must match [A-Za-z0-9_-]{1,64}, got "t.1"`},
		{Field: "athlete_ids[2]", Description: `must match [A-Za-z0-9_-]{1,64} (and not "_team"), got "_team"`},
	}
	for i, w := range want {
		if inv.Violations[i] != w {
			t.Errorf("violation %d = %+v, want %+v", i, inv.Violations[i], w)
		}
	}
}
