package auth

import (
	"context"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

// TestTeamZonesFollowTheBucket: the zones stored before the watch starts are there when
// WatchTeamZones returns, and later changes (a zone set, a team created) arrive without asking
// again.
func TestTeamZonesFollowTheBucket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, _ := bustest.New(t)
	s, err := OpenStore(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, team := range []*TeamRecord{{ID: "syd", Name: "Sydney", TimeZone: "Australia/Sydney"}, {ID: "plain", Name: "No zone"}} {
		if err := s.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
	}
	zones, err := WatchTeamZones(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for team, want := range map[string]string{"syd": "Australia/Sydney", "plain": "UTC", "unknown": "UTC"} {
		if got := zones.Zone(team).String(); got != want {
			t.Errorf("zone of %s = %s, want %s", team, got, want)
		}
	}

	if _, err := s.SetTeamTimeZone(ctx, "plain", "America/Los_Angeles"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTeam(ctx, &TeamRecord{ID: "akl", Name: "Auckland", TimeZone: "Pacific/Auckland"}); err != nil {
		t.Fatal(err)
	}
	// The watch applies changes in bucket order, so once the later one shows, both have.
	for zones.Zone("akl").String() != "Pacific/Auckland" {
		select {
		case <-ctx.Done():
			t.Fatalf("the new team's zone never arrived: %v", zones.Zone("akl"))
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got := zones.Zone("plain").String(); got != "America/Los_Angeles" {
		t.Errorf("zone of plain after SetTeamTimeZone = %s", got)
	}

	if err := zones.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := zones.Stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
	if got := zones.Zone("syd").String(); got != "Australia/Sydney" {
		t.Errorf("after stop, zone of syd = %s; the last known zones stay", got)
	}
}
