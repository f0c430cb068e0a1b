package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// CompleteEnded closes the deload weeks that are over: each scheduled or in-progress deload
// whose last day has passed gets one DeloadCompleted event (fatigue restarts its cooldown and
// planned-deload clock from it) and is stored as completed. It is an idempotent sweep over
// every team, run periodically: the event is published before the record is updated, under an
// id derived from the deload, so a crash in between republishes the same event, and a
// concurrent sweep or coach edit (revision check) leaves the deload for the next pass. It
// returns how many deloads it completed.
func (s *Service) CompleteEnded(ctx context.Context) (int, error) {
	all, err := s.tables.Deloads.List(ctx, "")
	if err != nil {
		return 0, err
	}
	today := s.today()
	completed := 0
	var errs []error
	for _, v := range all {
		d := v.Value
		stored := statusOf(d.GetStatus())
		if stored != domain.StatusScheduled && stored != domain.StatusInProgress {
			continue
		}
		start, days := DateOf(d.GetWeekStart()), int(d.GetParameters().GetDurationDays())
		if start.IsZero() || domain.EffectiveStatus(stored, start, days, today) != domain.StatusCompleted {
			continue
		}
		if err := s.complete(ctx, v.Key, d, v.Revision, domain.Monday(start).AddDate(0, 0, max(days, 1)-1)); err != nil {
			if errors.Is(err, fault.ErrFailedPrecondition) {
				continue // changed meanwhile: the next pass looks again
			}
			errs = append(errs, fmt.Errorf("deload %s: %w", d.GetDeloadId(), err))
			continue
		}
		completed++
	}
	return completed, errors.Join(errs...)
}

func (s *Service) complete(ctx context.Context, key string, d *programmingv1.Deload, rev uint64, endedOn time.Time) error {
	now := timestamppb.New(s.now())
	// The deload's last day is when it completed, whenever the sweep notices.
	ev := completedEvent(d, WireDate(endedOn), timestamppb.New(endedOn.AddDate(0, 0, 1).Add(-time.Second)))
	if err := s.pub.Publish(ctx, ev); err != nil {
		return fmt.Errorf("publish deload completed: %w", err)
	}
	d.Status = commonv1.DeloadStatus_DELOAD_STATUS_COMPLETED
	d.UpdatedAt = now
	d.Revision = 0
	if _, err := s.tables.Deloads.Put(ctx, key, d, &rev); err != nil {
		return err
	}
	s.log.Info("deload completed", zap.String("team_id", d.GetTeamId()), zap.String("athlete_id", d.GetAthleteId()),
		zap.String("deload_id", d.GetDeloadId()), zap.Time("ended_on", endedOn))
	return nil
}

// completedEvent is the DeloadCompleted event of a deload; one per deload, so its id is
// derived from the deload alone.
func completedEvent(d *programmingv1.Deload, endedOn *commonv1.Date, at *timestamppb.Timestamp) *eventsv1.Event {
	return &eventsv1.Event{
		Id:     events.DeterministicID("deload_completed", d.GetTeamId(), d.GetDeloadId()),
		TeamId: d.GetTeamId(), AthleteId: d.GetAthleteId(), Source: Source, OccurredAt: at,
		Payload: &eventsv1.Event_DeloadCompleted{DeloadCompleted: &eventsv1.DeloadCompleted{
			DeloadId: d.GetDeloadId(), Kind: d.GetKind(), WeekStart: d.GetWeekStart(), EndedOn: endedOn,
		}},
	}
}
