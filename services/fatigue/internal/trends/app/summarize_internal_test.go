package app

import (
	"testing"
	"time"

	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
)

// A day's token is the insert count up to it as read; a day the read did not count (rows
// inserted after it) gets the count before it, so it reads as stale.
func TestTokenAt(t *testing.T) {
	d := func(n int) time.Time { return time.Date(2026, 1, n, 0, 0, 0, 0, time.UTC) }
	c := adapters.InsertCounts{Before: 5, Days: []time.Time{d(2), d(4)}, Counts: []uint64{2, 4}}
	cum := c.Cumulative()
	for day, want := range map[int]uint64{1: 5, 2: 7, 3: 7, 4: 11, 5: 11} {
		if got := tokenAt(c, cum, d(day)); got != want {
			t.Errorf("tokenAt(Jan %d) = %d, want %d", day, got, want)
		}
	}
}
