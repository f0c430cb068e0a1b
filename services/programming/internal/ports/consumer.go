package ports

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	"github.com/supercomp/supercomp/services/programming/internal/app"
)

// Durable is the programming service's consumer name on ANALYSIS.
const Durable = "programming"

// AnalysisSubjects are the ANALYSIS subjects the service reacts to. One consumer takes both
// kinds so that an instance handles an athlete's recommendations and plateaus in stream order:
// whether a plateau moves a planned deload depends on whether a recommendation placed a reactive
// one first, and a replay must come to the same answer.
var AnalysisSubjects = events.Filters(&eventsv1.Event_DeloadRecommended{}, &eventsv1.Event_PlateauDetected{})

// NewAnalysisConsumer consumes DeloadRecommended and PlateauDetected from ANALYSIS. A message
// that cannot decode, names no athlete or lacks the id it is deduplicated on can never succeed
// and goes to the DLQ at once; anything else that fails (the KV or the stream unavailable) is
// retried with the bus's back-off.
func NewAnalysisConsumer(ctx context.Context, b *bus.Bus, svc *app.Service, log *zap.Logger) (*bus.Consumer, error) {
	handler := func(ctx context.Context, m jetstream.Msg) error {
		ev, err := events.Decode(m.Data())
		if err != nil {
			return bus.Poison(err)
		}
		rec, plateau := ev.GetDeloadRecommended(), ev.GetPlateauDetected()
		if rec == nil && plateau == nil {
			return nil // another payload on a matching subject: not ours
		}
		if !ids.Valid(ev.GetTeamId()) || !ids.ValidAthlete(ev.GetAthleteId()) {
			return bus.Poison(fmt.Errorf("event %s: team %q / athlete %q are not valid ids", ev.GetId(), ev.GetTeamId(), ev.GetAthleteId()))
		}
		if plateau != nil {
			if plateau.GetPlateauId() == "" {
				return bus.Poison(fmt.Errorf("plateau %s has no plateau_id", ev.GetId()))
			}
			return svc.HandlePlateau(ctx, ev)
		}
		if rec.GetRecommendationId() == "" {
			return bus.Poison(fmt.Errorf("deload recommendation %s has no recommendation_id", ev.GetId()))
		}
		return svc.HandleRecommendation(ctx, ev)
	}
	return b.NewConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamAnalysis, Durable: Durable, FilterSubjects: AnalysisSubjects, Batch: 50,
	}, handler, log)
}
