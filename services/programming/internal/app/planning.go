package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// repeatHorizonWeeks is how far ahead planned deloads are placed for a repeating program.
const repeatHorizonWeeks = 52

// AssignProgram assigns a program from the Monday of start's week (zero: next Monday), places
// the planned deloads and issues week 1's prescription.
func (s *Service) AssignProgram(ctx context.Context, team, athlete, programID string, start time.Time, expected *uint64, by string) (*programmingv1.ProgramAssignment, []*programmingv1.Deload, error) {
	if _, err := s.Program(ctx, team, programID); err != nil {
		return nil, nil, err
	}
	monday := domain.Monday(start)
	if start.IsZero() {
		monday = domain.NextMonday(s.today())
	}
	a := &programmingv1.ProgramAssignment{
		TeamId: team, AthleteId: athlete, ProgramId: programID, StartDate: WireDate(monday),
		AssignedBy: actor(by), AssignedAt: timestamppb.New(s.now()),
	}
	rev, err := s.tables.Assignments.Put(ctx, Key(team, athlete), a, expected)
	if err != nil {
		return nil, nil, err
	}
	a.Revision = rev
	planned, err := s.replan(ctx, team, athlete, s.byClock())
	if err != nil {
		return nil, nil, err
	}
	if err := s.issuePrescription(ctx, team, athlete, monday, "program assigned", cause{}); err != nil {
		return nil, nil, err
	}
	return a, planned, nil
}

func holds(s commonv1.DeloadStatus) bool {
	switch s {
	case commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED, commonv1.DeloadStatus_DELOAD_STATUS_IN_PROGRESS, commonv1.DeloadStatus_DELOAD_STATUS_COMPLETED:
		return true
	}
	return false
}

// replan brings the athlete's planned deloads in line with the rules: interval from experience
// and the program's intensity and volume, the clock reset by reactive and manual deloads and by
// the program's own deload weeks, planned deloads brought forward by plateaus kept in their new
// weeks, planned deloads within the skip window after a reactive one skipped. What it publishes
// follows from c. It returns the planned deloads that stand.
func (s *Service) replan(ctx context.Context, team, athlete string, c cause) ([]*programmingv1.Deload, error) {
	plan, err := s.loadPlan(ctx, team, athlete)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	policy, err := s.domainPolicy(ctx, team)
	if err != nil {
		return nil, err
	}
	moves, err := s.broughtForward(ctx, team, athlete)
	if err != nil {
		return nil, err
	}
	start := DateOf(plan.assignment.GetStartDate())
	resets := plan.programDeloadWeeks()
	var anchors []domain.Anchor
	var existing []domain.PlannedState
	byID := map[string]*programmingv1.Deload{}
	for _, d := range plan.deloads {
		week := DateOf(d.GetWeekStart())
		if d.GetKind() != commonv1.DeloadKind_DELOAD_KIND_PLANNED {
			if holds(d.GetStatus()) {
				anchors = append(anchors, domain.Anchor{ID: d.GetDeloadId(), WeekStart: week})
				resets = append(resets, week)
			}
			continue
		}
		byID[d.GetDeloadId()] = d
		st := d.GetStatus()
		started := st == commonv1.DeloadStatus_DELOAD_STATUS_IN_PROGRESS || st == commonv1.DeloadStatus_DELOAD_STATUS_COMPLETED ||
			(len(d.GetDecisions()) > 0 && st != commonv1.DeloadStatus_DELOAD_STATUS_SKIPPED)
		if started && st != commonv1.DeloadStatus_DELOAD_STATUS_DISMISSED {
			resets = append(resets, week)
		}
		existing = append(existing, domain.PlannedState{
			ID: d.GetDeloadId(), WeekStart: week, Started: started,
			Active: st == commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED || st == commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL,
		})
	}
	var want []domain.PlannedWeek
	if !policy.Planned.Disabled {
		interval := domain.PlannedInterval(domain.Experience(plan.profile.GetExperienceLevel()), domain.LoadOf(weeksOf(plan.program.GetWeeks())), policy.Planned)
		want = domain.PlanDeloads(domain.PlanInput{Start: start, Weeks: plan.horizon(), Interval: interval, Resets: resets, BroughtForward: moves})
	}
	// Planned deloads never go into the past.
	thisWeek := domain.Monday(s.today())
	kept := want[:0]
	for _, w := range want {
		if !w.WeekStart.Before(thisWeek) {
			kept = append(kept, w)
		}
	}
	recon := domain.ReconcilePlanned(existing, kept, anchors, policy.Planned.SkipWithinDaysAfterReactive)

	for _, sk := range recon.Skip {
		if err := s.skip(ctx, byID[sk.ID], sk.Reason, c); err != nil {
			return nil, err
		}
	}
	for _, p := range recon.Place {
		if err := s.placePlanned(ctx, team, athlete, p, policy.Deload, c); err != nil {
			return nil, err
		}
	}
	after, err := s.athleteDeloads(ctx, team, athlete)
	if err != nil {
		return nil, err
	}
	var out []*programmingv1.Deload
	for _, d := range after {
		if d.GetKind() == commonv1.DeloadKind_DELOAD_KIND_PLANNED && d.GetStatus() == commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED {
			out = append(out, d)
		}
	}
	return out, nil
}

// skip stores a deload as skipped with reason and publishes DeloadSkipped: a planned deload
// the rules moved aside, or one never approved before its week ended.
func (s *Service) skip(ctx context.Context, d *programmingv1.Deload, reason string, c cause) error {
	rev := d.GetRevision()
	d.Status = commonv1.DeloadStatus_DELOAD_STATUS_SKIPPED
	d.Reason = reason
	d.UpdatedAt = timestamppb.New(s.now())
	d.Revision = 0
	newRev, err := s.tables.Deloads.Put(ctx, Key(d.GetTeamId(), d.GetDeloadId()), d, &rev)
	if err != nil {
		return fmt.Errorf("skip deload %s: %w", d.GetDeloadId(), err)
	}
	ev := &eventsv1.Event{
		Id:     events.DeterministicID("deload_skipped", d.GetDeloadId(), strconv.FormatUint(newRev, 10)),
		TeamId: d.GetTeamId(), AthleteId: d.GetAthleteId(), Source: Source, CausationId: c.eventID, OccurredAt: c.occurredAt(),
		Payload: &eventsv1.Event_DeloadSkipped{DeloadSkipped: &eventsv1.DeloadSkipped{
			DeloadId: d.GetDeloadId(), Kind: d.GetKind(), WeekStart: d.GetWeekStart(), Reason: reason,
		}},
	}
	if err := s.pub.Publish(ctx, ev); err != nil {
		return fmt.Errorf("publish deload skipped: %w", err)
	}
	return nil
}

func (s *Service) placePlanned(ctx context.Context, team, athlete string, w domain.PlannedWeek, params domain.DeloadParams, c cause) error {
	id := PlannedDeloadID(team, athlete, w.WeekStart)
	now := timestamppb.New(s.now())
	d, rev, err := s.tables.Deloads.Get(ctx, Key(team, id))
	switch {
	case errors.Is(err, fault.ErrNotFound):
		d = &programmingv1.Deload{
			DeloadId: id, TeamId: team, AthleteId: athlete, Kind: commonv1.DeloadKind_DELOAD_KIND_PLANNED,
			WeekStart: WireDate(w.WeekStart), Parameters: wireParams(params), CreatedAt: now,
		}
	case err != nil:
		return err
	}
	d.Status = commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED
	d.Reason = w.Reason
	d.UpdatedAt = now
	d.Revision = 0
	newRev, err := s.tables.Deloads.Put(ctx, Key(team, id), d, &rev) // rev 0: create
	if err != nil {
		return fmt.Errorf("place planned deload in the week of %s: %w", w.WeekStart.Format(time.DateOnly), err)
	}
	d.Revision = newRev
	if err := s.pub.Publish(ctx, scheduledEvent(d, c)); err != nil {
		return fmt.Errorf("publish planned deload: %w", err)
	}
	return nil
}
