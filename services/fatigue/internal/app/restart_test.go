package app

import (
	"math/rand/v2"
	"testing"

	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// TestSnapshotRestartsChangeNothing is a fatigue instance killed at any point: the athlete's
// state comes back from its last saved snapshot (MarshalBinary / UnmarshalBinary, what the KV
// bucket holds) and processing goes on. Every concluded assessment must be the same as in a run
// that never stopped, whatever the restart points.
func TestSnapshotRestartsChangeNothing(t *testing.T) {
	th := domain.DefaultThresholds()
	for _, cfg := range []simulate.Config{
		{Team: "r", Athletes: 10, Overreachers: 3, Weeks: 12, Seed: 11},
		{Team: "r", Athletes: 10, Overreachers: 4, Weeks: 12, Seed: 3, Shape: simulate.ShapeSetsRPE, SessionsPerWeek: 3},
	} {
		team := simulate.Generate(cfg)
		type verdict struct {
			athlete string
			day     domain.Day
			status  string
			score   float64
			rule    string
		}
		runOnce := func(restartEvery int, rng *rand.Rand) []verdict {
			states := map[string]*domain.State{}
			var out []verdict
			for i, ev := range team.Events {
				st := states[ev.GetAthleteId()]
				if st == nil {
					st = &domain.State{}
					states[ev.GetAthleteId()] = st
				}
				o, ok := Step(st, ev, th)
				if ok {
					a := o.Result.Assessed
					out = append(out, verdict{ev.GetAthleteId(), domain.DayFromDate(a.GetAsOf()), a.GetStatus().String(), a.GetScore(), o.Result.RuleFired})
				}
				if restartEvery > 0 && rng.IntN(restartEvery) == 0 {
					data, err := st.MarshalBinary()
					if err != nil {
						t.Fatalf("event %d: marshal: %v", i, err)
					}
					back := &domain.State{}
					if err := back.UnmarshalBinary(data); err != nil {
						t.Fatalf("event %d: unmarshal: %v", i, err)
					}
					states[ev.GetAthleteId()] = back
				}
			}
			return out
		}
		want := runOnce(0, nil)
		for seed := uint64(1); seed <= 3; seed++ {
			got := runOnce(7, rand.New(rand.NewPCG(seed, 99)))
			if len(got) != len(want) {
				t.Fatalf("seed %d: %d assessments, want %d", seed, len(got), len(want))
			}
			diffs := 0
			for i := range want {
				if got[i] != want[i] {
					if diffs < 5 {
						t.Errorf("%s seed %d: assessment %d after restarts %+v, uninterrupted %+v", cfg.Shape, seed, i, got[i], want[i])
					}
					diffs++
				}
			}
			if diffs > 0 {
				t.Errorf("%s seed %d: %d of %d assessments differ", cfg.Shape, seed, diffs, len(want))
			}
		}
	}
}
