package domain

// LiftCategories are the lift categories the trends report, in their series' order and in the
// order of the per-lift arrays of trend_athlete_days (migration 0602); the main lifts (squat,
// bench press, deadlift, overhead press) lead. Changing the list needs a
// migration that truncates trend_athlete_days, which the summarizer then rebuilds.
var LiftCategories = [...]string{"squat", "bench_press", "deadlift", "overhead_press", "row", "pull_up", "other"}

// LiftIndex is the position of a stored lift category in LiftCategories; a name it does not
// know counts as "other", as in the series.
func LiftIndex(name string) int {
	for i, c := range LiftCategories {
		if c == name {
			return i
		}
	}
	return len(LiftCategories) - 1
}
