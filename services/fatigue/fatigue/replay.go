package fatigue

import (
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// FirstRecommendation replays one athlete's events, in order, through the fatigue rules with
// the default thresholds, as the fatigue service applies them, and returns the index of the
// first event after which a deload is recommended, or -1. Latency tests use it to hold that
// event back and send it alone: the one record that makes the rule fire.
func FirstRecommendation(evs []*eventsv1.Event) int {
	st, th := &domain.State{}, domain.DefaultThresholds()
	for i, ev := range evs {
		if o, ok := app.Step(st, ev, th); ok && o.Recommended != nil {
			return i
		}
	}
	return -1
}
