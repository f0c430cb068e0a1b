package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/ports"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

// seedRisingRPE stores, for one athlete of team, one rated squat set of 100 kg x 5 per local
// week, at local times of zone, with the RPE rising every week:
//
//	Wed 2025-12-17 10:00  RPE 6    (the first exposure: only a baseline)
//	Wed 2025-12-24 10:00  RPE 6.5  +0.50 vs the median of {6}
//	Wed 2025-12-31 10:00  RPE 7    +0.75 vs {6, 6.5}
//	Sun 2026-01-11 23:30  RPE 8    +1.50 vs {6, 6.5, 7}
//	Mon 2026-01-12 00:30  RPE 9    +2.25 vs {6, 6.5, 7, 8}
//
// In the team's weeks (Mondays 12-22 to 01-12) the median RPE drift rises three weeks in a row:
// the RPE-drift rule holds in the week of 01-12. The last two sets are an hour apart around the
// local midnight that starts that week; judged in UTC weeks they land in one week (Sydney: both
// on Sunday 01-11 UTC, Los Angeles: both on Monday 01-12 UTC), leaving a week without
// familiar-load exposures, so the rule cannot hold.
func seedRisingRPE(t *testing.T, st store.Store, team string, zone *time.Location) {
	t.Helper()
	sets := []struct {
		at  time.Time
		rpe float64
	}{
		{time.Date(2025, 12, 17, 10, 0, 0, 0, zone), 6},
		{time.Date(2025, 12, 24, 10, 0, 0, 0, zone), 6.5},
		{time.Date(2025, 12, 31, 10, 0, 0, 0, zone), 7},
		{time.Date(2026, 1, 11, 23, 30, 0, 0, zone), 8},
		{time.Date(2026, 1, 12, 0, 30, 0, 0, zone), 9},
	}
	var rows [][]any
	for i, s := range sets {
		at := s.at.UTC()
		// The day column holds the UTC day, as ingestion stores it.
		rows = append(rows, []any{fmt.Sprintf("%s-s%d", team, i), team, "r", at, at, at, "Back Squat", "squat", "working", 100.0,
			uint32(5), s.rpe, 10 - s.rpe, 500.0, true, 10-s.rpe <= 3, nil})
	}
	must(t, st.InsertBatch(context.Background(), "training_sets", setCols, rows))
}

// TestDetectorWeeksInTeamZone: the episode detector judges each team's weeks in the team's time
// zone, read from the team's record in the auth bucket (auth.TeamZones over real NATS). A Sydney
// team and a Los Angeles team with the same local training get the RPE-drift episode of the
// local week of 2026-01-12, the Sunday 23:30 set counted in the week it ends and the Monday
// 00:30 set in the next; a team without a zone, holding the Sydney instants, is judged in UTC
// weeks and gets none.
func TestDetectorWeeksInTeamZone(t *testing.T) {
	sydney, err := time.LoadLocation("Australia/Sydney")
	must(t, err)
	la, err := time.LoadLocation("America/Los_Angeles")
	must(t, err)
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		b, _ := bustest.New(t)
		teams, err := auth.OpenStore(ctx, b)
		must(t, err)
		must(t, teams.CreateTeam(ctx, &auth.TeamRecord{ID: "syd", Name: "Sydney", TimeZone: "Australia/Sydney"}))
		must(t, teams.CreateTeam(ctx, &auth.TeamRecord{ID: "lax", Name: "Los Angeles", TimeZone: "America/Los_Angeles"}))
		zones, err := auth.WatchTeamZones(ctx, b)
		must(t, err)
		t.Cleanup(func() { _ = zones.Stop() })

		seedRisingRPE(t, st, "syd", sydney)
		seedRisingRPE(t, st, "lax", la)
		seedRisingRPE(t, st, "utc", sydney) // no team record: UTC

		// Wednesday 2026-01-14 00:00 UTC: Wednesday 11:00 in Sydney, Tuesday 16:00 in Los
		// Angeles; the week of 01-12 everywhere.
		now := time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC)
		repo := adapters.Repo{Store: st}
		det := &app.Detector{Trends: app.Trends{Repo: repo}, Rules: domain.DefaultRules(), ID: events.DeterministicID,
			Now: func() time.Time { return now }, Zones: zones,
			Publish: func(ctx context.Context, ev *eventsv1.Event) error {
				_, err := events.Publish(ctx, b, ev)
				return err
			}}
		for _, team := range []string{"syd", "lax", "utc"} {
			must(t, det.CheckTeam(ctx, team))
		}

		detected := map[string][]*eventsv1.TeamTrendDetected{}
		for _, ev := range analysis(t, b) {
			if d := ev.GetTeamTrendDetected(); d != nil {
				detected[ev.GetTeamId()] = append(detected[ev.GetTeamId()], d)
			}
		}
		wantWeeks := []string{"2025-12-22", "2025-12-29", "2026-01-05", "2026-01-12"}
		for _, team := range []string{"syd", "lax"} {
			ds := detected[team]
			if len(ds) != 1 {
				t.Fatalf("%s: %d episodes detected, want the RPE-drift one: %v", team, len(ds), ds)
			}
			d := ds[0]
			if d.GetRule() != commonv1.TeamTrendRule_TEAM_TREND_RULE_RPE_DRIFT || wireDay(d.GetWeekStart()) != "2026-01-12" ||
				!slices.Equal(d.GetAthleteIds(), []string{"r"}) {
				t.Errorf("%s: detected %v, want RPE drift in the week of 2026-01-12 for athlete r", team, d)
			}
			ev := d.GetEvidence()[0]
			var weeks []string
			for _, w := range ev.GetDates() {
				weeks = append(weeks, wireDay(w))
			}
			if !slices.Equal(weeks, wantWeeks) || ev.GetValue() != 2.25 || ev.GetBaseline() != 0.5 {
				t.Errorf("%s: evidence weeks %v, drift %v from %v; want %v, 2.25 from 0.5", team, weeks, ev.GetValue(), ev.GetBaseline(), wantWeeks)
			}
			wantID := events.DeterministicID("team_trend", team, "", d.GetRule().String(), "2026-01-12")
			if d.GetEpisodeId() != wantID {
				t.Errorf("%s: episode id %s, want the one of the local week", team, d.GetEpisodeId())
			}
		}
		if ds := detected["utc"]; len(ds) != 0 {
			t.Errorf("team in UTC weeks: %d episodes, want none (its last two sets share the UTC week of 01-05): %v", len(ds), ds)
		}

		// ListTrendEpisodes lists the episode under its local week.
		srv := &ports.Server{Trends: app.Trends{Repo: repo}, Now: func() time.Time { return now }}
		list, err := srv.ListTrendEpisodes(ctx, &trendsv1.ListTrendEpisodesRequest{TeamId: "syd", OpenOnly: true})
		must(t, err)
		if eps := list.GetEpisodes(); len(eps) != 1 || wireDay(eps[0].GetDetected().GetWeekStart()) != "2026-01-12" {
			t.Errorf("open episodes of syd = %v", list)
		}
	})
}

func wireDay(d *commonv1.Date) string {
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}
