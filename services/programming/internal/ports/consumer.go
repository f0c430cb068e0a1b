package ports

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/services/programming/internal/app"
)

// Durable is the programming service's consumer name on ANALYSIS.
const Durable = "programming"

// RecommendationSubjects are the ANALYSIS subjects the service reacts to.
var RecommendationSubjects = []string{bus.Subject(bus.StreamAnalysis, "*", "*", "deload_recommended")}

// NewRecommendationConsumer consumes DeloadRecommended from ANALYSIS. A message that cannot
// decode or names no athlete can never succeed and goes to the DLQ at once; anything else that
// fails (the KV or the stream unavailable) is retried with the bus's back-off.
func NewRecommendationConsumer(ctx context.Context, b *bus.Bus, svc *app.Service, log *zap.Logger) (*bus.Consumer, error) {
	handler := func(ctx context.Context, m jetstream.Msg) error {
		ev, err := events.Decode(m.Data())
		if err != nil {
			return bus.Poison(err)
		}
		if ev.GetDeloadRecommended() == nil {
			return nil // another payload on a matching subject: not ours
		}
		if !bus.ValidToken(ev.GetTeamId()) || !bus.ValidToken(ev.GetAthleteId()) || ev.GetAthleteId() == bus.TeamToken {
			return bus.Poison(fmt.Errorf("deload recommendation %s: team %q / athlete %q are not valid ids", ev.GetId(), ev.GetTeamId(), ev.GetAthleteId()))
		}
		if ev.GetDeloadRecommended().GetRecommendationId() == "" {
			return bus.Poison(fmt.Errorf("deload recommendation %s has no recommendation_id", ev.GetId()))
		}
		return svc.HandleRecommendation(ctx, ev)
	}
	return b.NewConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamAnalysis, Durable: Durable, FilterSubjects: RecommendationSubjects, Batch: 50,
	}, handler, log)
}
