package domain

import (
	"sort"
	"time"
)

// BestE1RM is an athlete's best e1RM of one lift in one bucket.
type BestE1RM struct {
	Athlete string
	Lift    string
	Bucket  time.Time
	Kg      float64
	Sets    uint64
}

// E1RMChange is an athlete's change of best e1RM in a bucket vs the range start, in percent.
type E1RMChange struct {
	Athlete string
	Lift    string
	Bucket  time.Time
	Pct     float64
	Sets    uint64
}

// E1RMChanges compares each athlete's best e1RM per lift and bucket with their best in the
// first bucket of the range where they have one (the range start for that athlete and lift).
func E1RMChanges(bests []BestE1RM) []E1RMChange {
	type key struct{ athlete, lift string }
	base := map[key]BestE1RM{}
	for _, b := range bests {
		if b.Kg <= 0 {
			continue
		}
		k := key{b.Athlete, b.Lift}
		if cur, ok := base[k]; !ok || b.Bucket.Before(cur.Bucket) {
			base[k] = b
		}
	}
	out := make([]E1RMChange, 0, len(bests))
	for _, b := range bests {
		first, ok := base[key{b.Athlete, b.Lift}]
		if !ok || b.Kg <= 0 {
			continue
		}
		out = append(out, E1RMChange{Athlete: b.Athlete, Lift: b.Lift, Bucket: b.Bucket, Pct: 100 * (b.Kg/first.Kg - 1), Sets: b.Sets})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Bucket.Equal(out[j].Bucket) {
			return out[i].Bucket.Before(out[j].Bucket)
		}
		return out[i].Athlete < out[j].Athlete
	})
	return out
}
