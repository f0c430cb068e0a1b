package domain

import (
	"strings"
	"testing"
)

// A lifter progressing 1.5% a week on squat and bench, three sessions a week at RPE 8, who then
// stops progressing (plateau) or loses 5% over two weeks (decline). Both fall short of the
// trend that expected the progress to go on; only the decline takes the lifts below the level
// they had, and only it fires lifting_decline. The plateau says why it does not. (Without the
// condition on the last level, the plateau fired 23 days in.)
func TestShortfallTellsADeclineFromAPlateau(t *testing.T) {
	const changeFrom = 56
	load := func(d int, declines bool) float64 {
		week := float64(min(d, changeFrom)) / 7
		kg := 100 * (1 + 0.015*week)
		if declines && d > changeFrom {
			kg *= 1 - 0.05*min(1, float64(d-changeFrom)/14)
		}
		return kg
	}
	for _, tc := range []struct {
		name     string
		declines bool
	}{{"plateau", false}, {"decline", true}} {
		t.Run(tc.name, func(t *testing.T) {
			th := DefaultThresholds()
			st := &State{}
			fired := Day(0)
			sawPlateauWhy := false
			for d := 0; d < changeFrom+28; d++ {
				if d%7 != 0 && d%7 != 2 && d%7 != 4 {
					continue
				}
				for _, lift := range []Lift{LiftSquat, LiftBenchPress} {
					for set := 0; set < 3; set++ {
						st.ObserveSet(day0+Day(d), Set{Lift: lift, Type: SetWorking, LoadKg: load(d, tc.declines), Reps: 5, RPE: 8, HasRPE: true}, 0, th)
					}
				}
				r := st.Assess(day0+Day(d), th)
				if r.RuleFired == RuleLiftingDecline && fired == 0 {
					fired = day0 + Day(d)
				}
				for _, c := range r.Checks {
					if c.Rule == RuleLiftingDecline && strings.Contains(c.Detail.String(), "short of the trend alone is a plateau") {
						sawPlateauWhy = true
					}
				}
			}
			switch {
			case tc.declines && (fired == 0 || fired > day0+changeFrom+14):
				t.Errorf("a 5%% decline over two weeks fired lifting_decline on %v, want within 14 days of day %d", fired, changeFrom)
			case !tc.declines && fired != 0:
				t.Errorf("a plateau fired lifting_decline on %v", fired)
			case !tc.declines && !sawPlateauWhy:
				t.Error("the plateau's shortfall never said it was short of the trend alone")
			}
		})
	}
}
