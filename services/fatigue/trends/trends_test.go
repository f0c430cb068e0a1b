package trends_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
	"github.com/supercomp/supercomp/services/fatigue/trends"
)

func TestMain(m *testing.M) { os.Exit(trendstest.Main(m)) }

// The service runs the summarizer (even without NATS): its first pass, at start, stores the
// days of the rows already recorded.
func TestServiceSummarizes(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 1, 5, 17, 0, 0, 0, time.UTC)
		if err := st.InsertBatch(ctx, "training_sessions", []string{"event_id", "team_id", "athlete_id", "occurred_at", "day",
			"recorded_at", "duration_minutes", "session_rpe", "session_load_au"}, [][]any{
			{"x1", "t1", "a", at, at, at, 60.0, 7.0, 420.0},
			{"x2", "t1", "a", at.AddDate(0, 0, 2), at.AddDate(0, 0, 2), at, 30.0, 5.0, 150.0},
		}); err != nil {
			t.Fatal(err)
		}
		tr, err := trends.New(service.Deps{Store: st, Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		comps := tr.Components()
		if len(comps) != 1 {
			t.Fatalf("components without NATS: %d, want the summarizer alone", len(comps))
		}
		done := make(chan error, 1)
		go func() { done <- comps[0].Start(ctx) }()
		defer func() {
			if err := comps[0].Stop(ctx); err != nil {
				t.Error(err)
			}
			if err := <-done; err != nil {
				t.Error(err)
			}
		}()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var days uint64
			var load float64
			if err := store.QueryRow(ctx, st, "SELECT count(), sum(session_load_au) FROM trend_athlete_days WHERE team_id = 't1'").
				Scan(&days, &load); err != nil {
				t.Fatal(err)
			}
			if days == 2 && load == 570 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 20 s the summarizer stored %d days with %v au, want 2 days with 570", days, load)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}
