package app

import (
	"strings"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// A log without RPE: squat and bench three sets of five, loads held. Missed reps count only at
// a load the athlete made before, in sets of at most E1RMMaxReps; two such days in ten fire the
// missed_reps rule, at lower confidence, and the explanation lists the sets.
func TestMissedRepsWithoutRPE(t *testing.T) {
	th := domain.DefaultThresholds()
	day0 := domain.Day(20454) // a Monday
	w := commonv1.SetType_SET_TYPE_WORKING
	squat, bench := commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS
	type day struct {
		d         int
		squatLoad float64
		squatReps []int
		benchReps []int
		wantRule  string
	}
	full := []int{5, 5, 5}
	run := func(t *testing.T, days []day) {
		st := &domain.State{}
		for d := 0; d < 35; d += 2 { // four weeks of steady work first
			for _, l := range []struct {
				lift commonv1.LiftCategory
				load float64
			}{{squat, 100}, {bench, 80}} {
				for range 3 {
					st.ObserveSet(day0+domain.Day(d), domain.Set{Lift: l.lift, Type: w, LoadKg: l.load, Reps: 5}, 0, th)
				}
			}
			if res := st.Step(th); res.RuleFired != "" {
				t.Fatalf("steady day %d fired %q", d, res.RuleFired)
			}
		}
		for _, dd := range days {
			for _, r := range dd.squatReps {
				st.ObserveSet(day0+domain.Day(dd.d), domain.Set{Lift: squat, Type: w, LoadKg: dd.squatLoad, Reps: r}, 0, th)
			}
			for _, r := range dd.benchReps {
				st.ObserveSet(day0+domain.Day(dd.d), domain.Set{Lift: bench, Type: w, LoadKg: 80, Reps: r}, 0, th)
			}
			res := st.Step(th)
			if res.RuleFired != dd.wantRule {
				t.Fatalf("day %d: rule %q, want %q (%s)", dd.d, res.RuleFired, dd.wantRule, Summary(res))
			}
			if dd.wantRule == domain.RuleMissedReps {
				s := Summary(res)
				for _, want := range []string{"Squat 100.0 kg x 5, a set short", "Lower confidence: without RPE"} {
					if !strings.Contains(s, want) {
						t.Errorf("summary lacks %q: %s", want, s)
					}
				}
			}
		}
	}
	t.Run("short at a load made before, on two days", func(t *testing.T) {
		run(t, []day{
			{d: 36, squatLoad: 100, squatReps: []int{5, 5, 4}, benchReps: full},
			{d: 39, squatLoad: 100, squatReps: []int{5, 4, 4}, benchReps: full, wantRule: domain.RuleMissedReps},
		})
	})
	t.Run("short at a new heavier load is progression", func(t *testing.T) {
		run(t, []day{
			{d: 36, squatLoad: 105, squatReps: []int{5, 5, 4}, benchReps: full},
			{d: 39, squatLoad: 110, squatReps: []int{5, 4, 4}, benchReps: full},
		})
	})
	t.Run("one short day is not enough", func(t *testing.T) {
		run(t, []day{
			{d: 36, squatLoad: 100, squatReps: []int{5, 5, 4}, benchReps: full},
			{d: 39, squatLoad: 100, squatReps: full, benchReps: full},
			{d: 48, squatLoad: 100, squatReps: []int{5, 5, 4}, benchReps: full},
		})
	})
}
