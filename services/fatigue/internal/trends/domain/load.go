package domain

import (
	"math"
	"time"
)

// ACWR parameters (docs/sports-science.md: EWMA form, Williams 2017; hidden for the first 28 days).
const (
	AcuteDays      = 7
	ChronicDays    = 28
	MinHistoryDays = 28
	// ACWRLookbackDays is how much load history before a range start the ACWR is warmed up on.
	ACWRLookbackDays = 56
)

// ACWRAt returns an athlete's session-load ACWR on day: EWMA acute (lambda 2/8) over EWMA
// chronic (lambda 2/29), both started at zero on the first day of daily and bias-corrected
// (divided by 1-(1-lambda)^days, the same form as the fatigue assessor), rest days 0.
// daily maps days (UTC midnight) to load; firstDay is the athlete's first day of history.
// ok is false with less than MinHistoryDays of history or a zero chronic load.
func ACWRAt(daily map[time.Time]float64, windowStart, firstDay, day time.Time) (float64, bool) {
	vals, oks := ACWRsAt(daily, windowStart, firstDay, []time.Time{day})
	return vals[0], oks[0]
}

// ACWRsAt is ACWRAt for every one of days (ascending), in one pass over the loads instead of
// one per day.
func ACWRsAt(daily map[time.Time]float64, windowStart, firstDay time.Time, days []time.Time) ([]float64, []bool) {
	vals := make([]float64, len(days))
	oks := make([]bool, len(days))
	if firstDay.IsZero() || len(days) == 0 {
		return vals, oks
	}
	start := Date(windowStart)
	if fd := Date(firstDay); fd.After(start) {
		start = fd
	}
	la := 2 / float64(AcuteDays+1)
	lc := 2 / float64(ChronicDays+1)
	var acute, chronic float64
	n := 0
	d := start
	for i, day := range days {
		day = Date(day)
		for ; !d.After(day); d = d.AddDate(0, 0, 1) {
			load := daily[d]
			acute = la*load + (1-la)*acute
			chronic = lc*load + (1-lc)*chronic
			n++
		}
		if int(day.Sub(Date(firstDay)).Hours()/24)+1 < MinHistoryDays || n == 0 || day.Before(start) {
			continue
		}
		a := acute / (1 - math.Pow(1-la, float64(n)))
		c := chronic / (1 - math.Pow(1-lc, float64(n)))
		if c <= 0 {
			continue
		}
		vals[i], oks[i] = a/c, true
	}
	return vals, oks
}
