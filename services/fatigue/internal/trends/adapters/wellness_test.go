package adapters

import (
	"context"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

// TestWellnessWeeksInZone: with a zone, Wellness buckets the reports by their local week, so a
// report at 23:30 on a Sunday in Sydney ends the week of 2026-01-05 and one at 00:30 on the
// Monday starts the week of 01-12, although both fall on Sunday 01-11 in UTC (where both count
// in the week of 01-05).
func TestWellnessWeeksInZone(t *testing.T) {
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sunday := time.Date(2026, 1, 11, 23, 30, 0, 0, sydney).UTC()
		monday := time.Date(2026, 1, 12, 0, 30, 0, 0, sydney).UTC()
		if err := st.InsertBatch(ctx, "training_wellness", []string{"event_id", "team_id", "athlete_id", "occurred_at", "day",
			"recorded_at", "fatigue"}, [][]any{
			{"w1", "t1", "a", sunday, sunday, sunday, 2},
			{"w2", "t1", "a", monday, monday, monday, 4},
		}); err != nil {
			t.Fatal(err)
		}
		from, to := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 18, 0, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			zone *time.Location
			want map[string]float64 // week -> fatigue sum
		}{
			{nil, map[string]float64{"2026-01-05": 6}},
			{sydney, map[string]float64{"2026-01-05": 2, "2026-01-12": 4}},
		} {
			wbs, err := Repo{Store: st}.Wellness(ctx, Filter{Team: "t1", From: from, To: to, Bucket: domain.Week, Zone: c.zone})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, wb := range wbs {
				got[wb.Bucket.Format(time.DateOnly)] = wb.Sums[0]
			}
			if len(got) != len(c.want) {
				t.Errorf("zone %v: weeks %v, want %v", c.zone, got, c.want)
			}
			for week, sum := range c.want {
				if got[week] != sum {
					t.Errorf("zone %v: fatigue in the week of %s = %v, want %v", c.zone, week, got[week], sum)
				}
			}
		}
	})
}
