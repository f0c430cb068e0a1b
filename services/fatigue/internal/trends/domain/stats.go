// Package domain holds the pure logic of team-wide trends: buckets, statistics across athletes,
// the session-load ACWR, RPE at familiar loads, e1RM change vs the range start, and the
// team-trend rules with their episodes. It imports neither gRPC nor NATS nor ClickHouse.
//
// Cross-athlete statistics are computed here rather than with ClickHouse's quantile(), which
// samples and interpolates differently across versions: the SQL reduces raw rows to one value
// per athlete and bucket, and the same Go code then gives identical answers on both backends.
package domain

import (
	"math"
	"slices"
)

// Quantile returns the q-quantile (0..1) of xs with linear interpolation between closest ranks
// (R type 7, what spreadsheets call PERCENTILE.INC); ok is false for an empty slice.
func Quantile(xs []float64, q float64) (float64, bool) {
	if len(xs) == 0 || math.IsNaN(q) {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantileSorted(s, q), true
}

// quantileSorted is Quantile of an already sorted, non-empty slice (no copy).
func quantileSorted(s []float64, q float64) float64 {
	q = min(max(q, 0), 1)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return s[lo] + (s[hi]-s[lo])*frac
}

// Median is Quantile(xs, 0.5).
func Median(xs []float64) (float64, bool) { return Quantile(xs, 0.5) }

// Mean returns the arithmetic mean; ok is false for an empty slice.
func Mean(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs)), true
}
