package domain

import (
	"fmt"
	"math"
	"strings"
)

// confidence starts at 1 and drops 0.08 per family without enough data, 0.1 when every e1RM is
// an Epley estimate and 0.1 before 28 days of history; load-spike context adds 0.1.
func confidence(insufficient int, epleyOnly bool, history uint32, th Thresholds, spikeContext bool) (float64, string) {
	c := 1.0
	var notes []string
	if insufficient > 0 {
		c -= 0.08 * float64(insufficient)
		notes = append(notes, fmt.Sprintf("%d of 6 families without enough data", insufficient))
	}
	if epleyOnly {
		c -= 0.1
		notes = append(notes, "e1RM from Epley (no RPE/RIR)")
	}
	if history < uint32(th.Load.ACWRMinHistoryDays) {
		c -= 0.1
		notes = append(notes, fmt.Sprintf("only %d days of history", history))
	}
	if spikeContext {
		c += 0.1
		notes = append(notes, "load spike adds context")
	}
	c = math.Round(math.Max(0.05, math.Min(1, c))*100) / 100
	if len(notes) == 0 {
		return c, "all families had enough data"
	}
	return c, strings.Join(notes, "; ")
}
