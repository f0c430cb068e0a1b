package trends_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
	"github.com/supercomp/supercomp/services/fatigue/trends"
)

// TestServiceFollowsTheTeamZone: the service's detector learns a team's zone from the team's
// record as it changes. One athlete squats 100 kg x 5 once a Sydney week with the RPE rising
// (6, 6.5, 7, then 8 at 23:30 on Sunday and 9 at 00:30 on Monday of this week). In UTC weeks the
// last two sets share last week, so this week has no familiar-load exposure and nothing is
// detected; once an admin sets the team's zone to Australia/Sydney, the next check opens the
// RPE-drift episode of this Sydney week.
func TestServiceFollowsTheTeamZone(t *testing.T) {
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		b, _ := bustest.New(t)
		teams, err := auth.OpenStore(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if err := teams.CreateTeam(ctx, &auth.TeamRecord{ID: "syd", Name: "Sydney"}); err != nil {
			t.Fatal(err)
		}

		// The detector's clock is the real one: the sets are placed around this Sydney week.
		y, m, d := time.Now().In(sydney).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, sydney)
		monday := today.AddDate(0, 0, -(int(today.Weekday())+6)%7)
		sets := []struct {
			at  time.Time
			rpe float64
		}{
			{monday.AddDate(0, 0, -26).Add(10 * time.Hour), 6},
			{monday.AddDate(0, 0, -19).Add(10 * time.Hour), 6.5},
			{monday.AddDate(0, 0, -12).Add(10 * time.Hour), 7},
			{monday.AddDate(0, 0, -1).Add(23*time.Hour + 30*time.Minute), 8},
			{monday.Add(30 * time.Minute), 9},
		}
		var rows [][]any
		for i, s := range sets {
			at := s.at.UTC()
			rows = append(rows, []any{fmt.Sprintf("s%d", i), "syd", "r", at, at, at, "Back Squat", "squat", "working", 100.0,
				uint32(5), s.rpe, 10 - s.rpe, 500.0, true, 10-s.rpe <= 3, nil})
		}
		if err := st.InsertBatch(ctx, "training_sets", []string{"event_id", "team_id", "athlete_id", "occurred_at", "day", "recorded_at",
			"exercise", "lift_category", "set_type", "load_kg", "reps", "rpe", "effective_rir", "volume_load_kg", "is_working",
			"is_hard_set", "e1rm_kg"}, rows); err != nil {
			t.Fatal(err)
		}

		tr, err := trends.New(service.Deps{Store: st, Bus: b, Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		episodes := func() []*trendsv1.TrendEpisode {
			t.Helper()
			if err := tr.CheckTeam(ctx, "syd"); err != nil {
				t.Fatal(err)
			}
			resp, err := tr.ListTrendEpisodes(ctx, &trendsv1.ListTrendEpisodesRequest{TeamId: "syd"})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetEpisodes()
		}
		if eps := episodes(); len(eps) != 0 {
			t.Fatalf("in UTC weeks: episodes %v, want none", eps)
		}

		if _, err := teams.SetTeamTimeZone(ctx, "syd", "Australia/Sydney"); err != nil {
			t.Fatal(err)
		}
		// The zone reaches the service through its watch of the team records: check until it has.
		deadline := time.Now().Add(15 * time.Second)
		var eps []*trendsv1.TrendEpisode
		for eps = episodes(); len(eps) == 0; eps = episodes() {
			if time.Now().After(deadline) {
				t.Fatal("no episode 15 s after the team moved to Sydney")
			}
			time.Sleep(20 * time.Millisecond)
		}
		want := &commonv1.Date{Year: int32(monday.Year()), Month: int32(monday.Month()), Day: int32(monday.Day())}
		if det := eps[0].GetDetected(); len(eps) != 1 || det.GetRule() != commonv1.TeamTrendRule_TEAM_TREND_RULE_RPE_DRIFT ||
			!proto.Equal(det.GetWeekStart(), want) {
			t.Errorf("episodes %v; want one RPE-drift episode in the week of %s", eps, monday.Format(time.DateOnly))
		}
	})
}
