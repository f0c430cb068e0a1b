package domain

import (
	"math"
	"sort"
	"time"
)

// Familiar-load defaults (DOMAIN.md "harder at familiar loads").
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
	Day      time.Time
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
	type key struct {
		athlete, exercise string
		reps              uint32
	}
	groups := map[key][]RatedExposure{}
	for _, e := range exposures {
		k := key{e.Athlete, e.Exercise, e.Reps}
		groups[k] = append(groups[k], e)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.athlete != b.athlete {
			return a.athlete < b.athlete
		}
		if a.exercise != b.exercise {
			return a.exercise < b.exercise
		}
		return a.reps < b.reps
	})
	var out []RPEDeviation
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g, func(i, j int) bool {
			if !g[i].Day.Equal(g[j].Day) {
				return g[i].Day.Before(g[j].Day)
			}
			return g[i].LoadKg < g[j].LoadKg
		})
		var base []float64
		for i, e := range g {
			windowStart := e.Day.AddDate(0, 0, -windowDays)
			base = base[:0]
			// g is in day order: walk back from e and stop at the window's start, so a long
			// history costs the window's exposures per exposure, not all earlier ones.
			for j := i - 1; j >= 0; j-- {
				p := g[j]
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
			if m, ok := Median(base); ok {
				out = append(out, RPEDeviation{Athlete: e.Athlete, Day: e.Day, Delta: e.MeanRPE - m, Sets: e.Sets})
			}
		}
	}
	return out
}
