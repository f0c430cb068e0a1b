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
	sclog "github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// CloseEndedWeeks closes the deload weeks that are over. Each scheduled or in-progress deload
// whose last day has passed gets one DeloadCompleted event (fatigue restarts its cooldown and
// planned-deload clock from it) and is stored as completed; each one still pending approval
// lapses: it is stored as skipped, saying it was not approved in time, with a DeloadSkipped
// event, so a coach's list does not keep recommendations for weeks long gone. It is an
// idempotent sweep over every team, run periodically: events carry ids derived from the deload,
// and a concurrent sweep or coach decision (revision check) leaves the deload for the next pass.
func (s *Service) CloseEndedWeeks(ctx context.Context) (completed, lapsed int, err error) {
	all, err := s.tables.Deloads.List(ctx, "")
	if err != nil {
		return 0, 0, err
	}
	today := s.today()
	var errs []error
	for _, v := range all {
		d := v.Value
		d.Revision = v.Revision
		stored := statusOf(d.GetStatus())
		start, days := DateOf(d.GetWeekStart()), int(d.GetParameters().GetDurationDays())
		if start.IsZero() {
			continue
		}
		lastDay := domain.Monday(start).AddDate(0, 0, max(days, 1)-1)
		if !today.After(lastDay) {
			continue
		}
		switch stored {
		case domain.StatusScheduled, domain.StatusInProgress:
			err = s.complete(ctx, v.Key, d, v.Revision, lastDay)
			if err == nil {
				completed++
			}
		case domain.StatusPendingApproval:
			reason := fmt.Sprintf("lapsed: not approved before the week of %s ended (%s)", start.Format(time.DateOnly), d.GetReason())
			err = s.skip(ctx, d, reason, s.byClock())
			if err == nil {
				lapsed++
			}
		default:
			continue
		}
		if err != nil && !errors.Is(err, fault.ErrFailedPrecondition) { // changed meanwhile: next pass
			errs = append(errs, fmt.Errorf("deload %s: %w", d.GetDeloadId(), err))
		}
	}
	return completed, lapsed, errors.Join(errs...)
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
	s.log.Info("deload completed", zap.String(sclog.Team, d.GetTeamId()), zap.String(sclog.Athlete, d.GetAthleteId()),
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
