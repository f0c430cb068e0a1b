package fault_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/supercomp/supercomp/pkg/fault"
)

func TestKinds(t *testing.T) {
	kinds := []error{
		fault.ErrNotFound, fault.ErrAlreadyExists, fault.ErrFailedPrecondition,
		fault.ErrPermissionDenied, fault.ErrUnauthenticated, fault.ErrUnavailable,
	}
	tests := []struct {
		name    string
		err     error
		kind    error
		message string
	}{
		{"not found", fault.NotFound("athlete %q", "a42"), fault.ErrNotFound, `athlete "a42": not found`},
		{"already exists", fault.AlreadyExists("team %s", "t1"), fault.ErrAlreadyExists, "team t1: already exists"},
		{"failed precondition", fault.FailedPrecondition("stale revision %d", 7), fault.ErrFailedPrecondition, "stale revision 7: failed precondition"},
		{"permission denied", fault.PermissionDenied("team %s", "t2"), fault.ErrPermissionDenied, "team t2: permission denied"},
		{"unauthenticated", fault.Unauthenticated("api key expired"), fault.ErrUnauthenticated, "api key expired: unauthenticated"},
		{"unavailable", fault.Unavailable("clickhouse"), fault.ErrUnavailable, "clickhouse: unavailable"},
		{"wrapped again", fmt.Errorf("load profile: %w", fault.NotFound("athlete %q", "a1")), fault.ErrNotFound, `load profile: athlete "a1": not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.message {
				t.Errorf("Error() = %q, want %q", got, tt.message)
			}
			for _, k := range kinds {
				if got, want := errors.Is(tt.err, k), k == tt.kind; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", k, got, want)
				}
			}
		})
	}
}

func TestKindKeepsCause(t *testing.T) {
	err := fault.Unavailable("clickhouse insert: %w", io.ErrUnexpectedEOF)
	if !errors.Is(err, fault.ErrUnavailable) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v: want both ErrUnavailable and the cause in its tree", err)
	}
	if got, want := err.Error(), "clickhouse insert: unexpected EOF: unavailable"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name       string
		violations func(v *fault.Invalid)
		wantNil    bool
		message    string
	}{
		{
			name:       "none",
			violations: func(*fault.Invalid) {},
			wantNil:    true,
		},
		{
			name:       "one",
			violations: func(v *fault.Invalid) { v.Add("team_id", "is required") },
			message:    "invalid argument: team_id: is required",
		},
		{
			name: "several, formatted",
			violations: func(v *fault.Invalid) {
				v.Add("team_id", "is required")
				v.Add(fault.Field("records", 3, "load_kg"), "must not be negative, got %v", -2.5)
			},
			message: "invalid argument: team_id: is required; records[3].load_kg: must not be negative, got -2.5",
		},
		{
			name:       "request-level problem without a field",
			violations: func(v *fault.Invalid) { v.Add("", "empty batch") },
			message:    "invalid argument: empty batch",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v fault.Invalid
			tt.violations(&v)
			err := v.Err()
			if tt.wantNil {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Err() = nil, want an error")
			}
			if got := err.Error(); got != tt.message {
				t.Errorf("Error() = %q, want %q", got, tt.message)
			}
			var inv *fault.Invalid
			if !errors.As(fmt.Errorf("ingest: %w", err), &inv) {
				t.Fatal("errors.As(*fault.Invalid) failed through wrapping")
			}
			if len(inv.Violations) != len(v.Violations) {
				t.Errorf("got %d violations, want %d", len(inv.Violations), len(v.Violations))
			}
		})
	}
}

func TestInvalidErrIsSnapshot(t *testing.T) {
	var v fault.Invalid
	v.Add("a", "bad")
	err := v.Err()
	v.Add("b", "bad")
	var inv *fault.Invalid
	if !errors.As(err, &inv) || len(inv.Violations) != 1 {
		t.Fatalf("error changed after a later Add: %v", err)
	}
}

func TestInvalidField(t *testing.T) {
	err := fault.InvalidField("athlete_id", "must match %s", "[A-Za-z0-9_-]{1,64}")
	var inv *fault.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("InvalidField returned %T, want *fault.Invalid", err)
	}
	want := []fault.FieldViolation{{Field: "athlete_id", Description: "must match [A-Za-z0-9_-]{1,64}"}}
	if len(inv.Violations) != 1 || inv.Violations[0] != want[0] {
		t.Errorf("violations = %+v, want %+v", inv.Violations, want)
	}
}

func TestField(t *testing.T) {
	tests := []struct {
		path []any
		want string
	}{
		{[]any{"team_id"}, "team_id"},
		{[]any{"records", 3, "load_kg"}, "records[3].load_kg"},
		{[]any{"sessions", 0, "sets", 2}, "sessions[0].sets[2]"},
		{[]any{"sessions", 0, "sets", 2, "rpe"}, "sessions[0].sets[2].rpe"},
		{[]any{"matrix", 1, 2}, "matrix[1][2]"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := fault.Field(tt.path...); got != tt.want {
			t.Errorf("Field(%v) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
