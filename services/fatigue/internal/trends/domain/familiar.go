package domain

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Familiar-load defaults (docs/sports-science.md "harder at familiar loads").
const (
	FamiliarLoadTolerance = 0.025 // same load means within +-2.5%
	FamiliarWindowDays    = 28    // the baseline is the median of the previous 4 weeks
)

// RatedExposure is an athlete's rated working sets of one exercise at one load and rep count on
// one day (ClickHouse groups them): MeanRPE over Sets sets.
type RatedExposure struct {
	Athlete  string
	Exercise string
	Reps     uint32
	LoadKg   float64
	Day      time.Time // a UTC midnight, as every trend day is
	MeanRPE  float64
	Sets     uint64
}

// RPEDeviation is one exposure's RPE minus the athlete's baseline at that exercise, reps and
// load (+-tolerance): the median mean-RPE of the earlier exposures within the window days.
type RPEDeviation struct {
	Athlete string
	Day     time.Time
	Delta   float64
	Sets    uint64
}

// FamiliarLoadDeviations compares every exposure with the same athlete's earlier exposures to
// the same exercise and reps at a load within tolerance over the previous windowDays days (the
// same day excluded). Exposures without such a baseline are not familiar and yield nothing.
func FamiliarLoadDeviations(exposures []RatedExposure, windowDays int, tolerance float64) []RPEDeviation {
	// One sort by athlete, exercise, reps, day and load makes every (athlete, exercise, reps)
	// group a contiguous, day-ordered run. (The trends hand their runs, already grouped by the
	// query, to FamiliarRunDeviations directly.)
	g := slices.Clone(exposures)
	slices.SortFunc(g, func(a, b RatedExposure) int {
		if c := strings.Compare(a.Athlete, b.Athlete); c != 0 {
			return c
		}
		if c := strings.Compare(a.Exercise, b.Exercise); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Reps, b.Reps); c != 0 {
			return c
		}
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return cmp.Compare(a.LoadKg, b.LoadKg)
	})
	out := make([]RPEDeviation, 0, len(g))
	for start := 0; start < len(g); {
		end := start + 1
		for end < len(g) && g[end].Athlete == g[start].Athlete && g[end].Exercise == g[start].Exercise && g[end].Reps == g[start].Reps {
			end++
		}
		out = FamiliarRunDeviations(g[start:end], windowDays, tolerance, out)
		start = end
	}
	return out
}

// FamiliarRunDeviations is FamiliarLoadDeviations for one run of exposures of one athlete,
// exercise and rep count, already ordered by day and then load; it appends to out.
func FamiliarRunDeviations(run []RatedExposure, windowDays int, tolerance float64, out []RPEDeviation) []RPEDeviation {
	var scratch [64]float64
	base := scratch[:0]
	window := time.Duration(windowDays) * 24 * time.Hour // UTC days have no DST: no calendar arithmetic per exposure
	for i, e := range run {
		windowStart := e.Day.Add(-window)
		base = base[:0]
		// run is in day order: walk back from e and stop at the window's start, so a long
		// history costs the window's exposures per exposure, not all earlier ones.
		for j := i - 1; j >= 0; j-- {
			p := &run[j]
			if p.Day.Before(windowStart) {
				break
			}
			if !p.Day.Before(e.Day) {
				continue
			}
			if math.Abs(p.LoadKg-e.LoadKg) <= tolerance*e.LoadKg {
				base = append(base, p.MeanRPE)
			}
		}
		if len(base) > 0 {
			slices.Sort(base) // base is rebuilt for every exposure, so it may be sorted in place
			out = append(out, RPEDeviation{Athlete: e.Athlete, Day: e.Day, Delta: e.MeanRPE - quantileSorted(base, 0.5), Sets: e.Sets})
		}
	}
	return out
}
