package ports

import (
	"context"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
)

// Durable consumer names.
const (
	DurableAssessed = "trends-assessed"
	DurableProfiles = "trends-profiles"
)

// NewAssessedConsumer checks a team whenever assessments of its athletes arrive (event-driven
// detection); a batch checks each team once, and acks only after the check succeeded.
func NewAssessedConsumer(ctx context.Context, b *bus.Bus, det *app.Detector, log *zap.Logger) (*bus.Consumer, error) {
	return b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamAnalysis, Durable: DurableAssessed, FilterSubjects: events.Filters(&eventsv1.Event_AthleteAssessed{}),
		MaxDeliver: -1, Batch: 1000, MaxWait: 2 * time.Second,
	}, func(ctx context.Context, msgs []jetstream.Msg) error {
		teams := map[string]bool{}
		for _, m := range msgs {
			ev, err := events.Decode(m.Data())
			if err != nil || !bus.ValidToken(ev.GetTeamId()) {
				continue // nothing to check; the assessment itself is recorded elsewhere
			}
			teams[ev.GetTeamId()] = true
		}
		for _, t := range sortedKeys(teams) {
			if err := det.CheckTeam(ctx, t); err != nil {
				return err
			}
		}
		return nil
	}, log)
}

// NewProfilesConsumer records position groups from AthleteProfileUpdated.
func NewProfilesConsumer(ctx context.Context, b *bus.Bus, repo adapters.Repo, log *zap.Logger) (*bus.Consumer, error) {
	return b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamProgramming, Durable: DurableProfiles, FilterSubjects: events.Filters(&eventsv1.Event_AthleteProfileUpdated{}),
		MaxDeliver: -1, Batch: 1000,
	}, func(ctx context.Context, msgs []jetstream.Msg) error {
		var ps []adapters.Profile
		for _, m := range msgs {
			ev, err := events.Decode(m.Data())
			if err != nil || ev.GetAthleteProfileUpdated() == nil {
				continue
			}
			p := ev.GetAthleteProfileUpdated()
			ps = append(ps, adapters.Profile{Team: ev.GetTeamId(), Athlete: ev.GetAthleteId(), Group: p.GetPositionGroup(),
				Active: p.GetActive(), Revision: p.GetRevision()})
		}
		return repo.SaveProfiles(ctx, ps)
	}, log)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PeriodicDetection returns the periodic detection job: every team with assessments in the
// last two weeks is checked (so an episode also ends when assessments stop flowing).
func PeriodicDetection(det *app.Detector) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		teams, err := det.Trends.Repo.ActiveTeams(ctx, det.Now().AddDate(0, 0, -14))
		if err != nil {
			return err
		}
		for _, t := range teams {
			if err := det.CheckTeam(ctx, t); err != nil {
				return err
			}
		}
		return nil
	}
}
