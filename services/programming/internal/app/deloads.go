package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	sclog "github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// ReactiveDeloadID is the id of the deload a recommendation places: deterministic, so the same
// recommendation processed twice finds its deload instead of placing a second one.
func ReactiveDeloadID(team, athlete, recommendationID string) string {
	return events.DeterministicID("reactive_deload", team, athlete, recommendationID)
}

// PlannedDeloadID is the id of an athlete's planned deload of one week: re-planning the same
// week finds (and may revive) the same deload.
func PlannedDeloadID(team, athlete string, monday time.Time) string {
	return events.DeterministicID("planned_deload", team, athlete, monday.Format(time.DateOnly))
}

// withEffectiveStatus moves a scheduled deload to in progress or completed by date.
func (s *Service) withEffectiveStatus(d *programmingv1.Deload) *programmingv1.Deload {
	eff := domain.EffectiveStatus(statusOf(d.GetStatus()), DateOf(d.GetWeekStart()), int(d.GetParameters().GetDurationDays()), s.today())
	d.Status = wireStatus(eff)
	return d
}

// athleteDeloads lists an athlete's deloads, soonest first, with effective statuses.
func (s *Service) athleteDeloads(ctx context.Context, team, athlete string) ([]*programmingv1.Deload, error) {
	all, err := s.Deloads(ctx, team, athlete)
	if err != nil {
		return nil, err
	}
	return all, nil
}

// Deloads lists a team's deloads (one athlete's when athlete is set) by week, soonest first.
func (s *Service) Deloads(ctx context.Context, team, athlete string) ([]*programmingv1.Deload, error) {
	all, err := s.tables.Deloads.List(ctx, team)
	if err != nil {
		return nil, err
	}
	var out []*programmingv1.Deload
	for _, v := range all {
		if athlete != "" && v.Value.GetAthleteId() != athlete {
			continue
		}
		v.Value.Revision = v.Revision
		out = append(out, s.withEffectiveStatus(v.Value))
	}
	slices.SortStableFunc(out, func(a, b *programmingv1.Deload) int {
		if c := DateOf(a.GetWeekStart()).Compare(DateOf(b.GetWeekStart())); c != 0 {
			return c
		}
		return a.GetCreatedAt().AsTime().Compare(b.GetCreatedAt().AsTime())
	})
	return out, nil
}

// Deload returns one deload with its decisions.
func (s *Service) Deload(ctx context.Context, team, id string) (*programmingv1.Deload, error) {
	d, rev, err := s.tables.Deloads.Get(ctx, Key(team, id))
	if err != nil {
		return nil, err
	}
	d.Revision = rev
	return s.withEffectiveStatus(d), nil
}

func existingOf(ds []*programmingv1.Deload) []domain.Existing {
	out := make([]domain.Existing, len(ds))
	for i, d := range ds {
		out[i] = domain.Existing{
			ID: d.GetDeloadId(), Kind: kindOf(d.GetKind()), Status: statusOf(d.GetStatus()), WeekStart: DateOf(d.GetWeekStart()),
			DurationDays: int(d.GetParameters().GetDurationDays()), RecommendationID: d.GetRecommendationId(),
			Decided: len(d.GetDecisions()) > 0,
		}
	}
	return out
}

// scheduledEvent is the DeloadScheduled event of a deload; its id is derived from the deload
// and its revision so a retry republishes the same event.
func scheduledEvent(d *programmingv1.Deload, c cause) *eventsv1.Event {
	return &eventsv1.Event{
		Id:     events.DeterministicID("deload_scheduled", d.GetDeloadId(), strconv.FormatUint(d.GetRevision(), 10)),
		TeamId: d.GetTeamId(), AthleteId: d.GetAthleteId(), Source: Source, CausationId: c.eventID, OccurredAt: c.occurredAt(),
		Payload: &eventsv1.Event_DeloadScheduled{DeloadScheduled: &eventsv1.DeloadScheduled{
			DeloadId: d.GetDeloadId(), Kind: d.GetKind(), Status: d.GetStatus(), WeekStart: d.GetWeekStart(), Reason: d.GetReason(),
			RecommendationId: d.GetRecommendationId(), RequiresApproval: d.GetRequiresApproval(), Parameters: d.GetParameters(),
			Evidence: d.GetEvidence(),
		}},
	}
}

// HandleRecommendation turns a DeloadRecommended into a pending or scheduled deload (team
// policy), once per recommendation: reprocessing finds the deload placed the first time and
// republishes its events under the same ids.
func (s *Service) HandleRecommendation(ctx context.Context, ev *eventsv1.Event) error {
	rec := ev.GetDeloadRecommended()
	team, athlete := ev.GetTeamId(), ev.GetAthleteId()
	policy, err := s.domainPolicy(ctx, team)
	if err != nil {
		return err
	}
	existing, err := s.athleteDeloads(ctx, team, athlete)
	if err != nil {
		return err
	}
	asOf := DateOf(rec.GetAsOf())
	if asOf.IsZero() {
		asOf = domain.Midnight(ev.GetOccurredAt().AsTime())
	}
	out := domain.Reactive(domain.Recommendation{ID: rec.GetRecommendationId(), AsOf: asOf}, policy, existingOf(existing))
	log := s.log.With(zap.String(sclog.Team, team), zap.String(sclog.Athlete, athlete), zap.String("recommendation_id", rec.GetRecommendationId()))
	switch out.Action {
	case domain.ReactiveCooldown:
		log.Info("deload recommendation not acted on", zap.String("reason", out.Reason))
		return nil
	case domain.ReactiveDuplicate:
		i := slices.IndexFunc(existing, func(d *programmingv1.Deload) bool { return d.GetDeloadId() == out.ExistingID })
		log.Info("deload recommendation already handled", zap.String("deload_id", out.ExistingID))
		return s.announce(ctx, existing[i], placedBy(existing[i], ev))
	}

	now := s.now()
	d := &programmingv1.Deload{
		DeloadId: ReactiveDeloadID(team, athlete, rec.GetRecommendationId()), TeamId: team, AthleteId: athlete,
		Kind: commonv1.DeloadKind_DELOAD_KIND_REACTIVE, Status: wireStatus(out.Status), WeekStart: WireDate(out.WeekStart),
		Reason: out.Reason + reasonSuffix(rec), RecommendationId: rec.GetRecommendationId(),
		RequiresApproval: !policy.AutoApproveReactive, Parameters: wireParams(policy.Deload), Evidence: rec.GetEvidence(),
		CreatedAt: timestamppb.New(now), UpdatedAt: timestamppb.New(now),
	}
	zero := uint64(0)
	rev, err := s.tables.Deloads.Put(ctx, Key(team, d.GetDeloadId()), d, &zero)
	if errors.Is(err, fault.ErrFailedPrecondition) {
		// A concurrent delivery placed it first: announce what is stored.
		stored, gerr := s.Deload(ctx, team, d.GetDeloadId())
		if gerr != nil {
			return gerr
		}
		return s.announce(ctx, stored, placedBy(stored, ev))
	}
	if err != nil {
		return err
	}
	d.Revision = rev
	log.Info("reactive deload placed", zap.String("deload_id", d.GetDeloadId()), zap.String("status", out.Status.String()),
		zap.String("week_start", out.WeekStart.Format(time.DateOnly)))
	return s.announce(ctx, d, placedBy(d, ev))
}

// placedBy is the cause of announcing a reactive deload: its recommendation, at the time the
// recommendation occurred (the training day it answers) while the deload is as the
// recommendation placed it. Placing is a function of the recommendation alone, so on a live
// stream the two are moments apart, and on a replayed or imported history (recommendations
// about days long past) the wall clock would date the deload after its own week: the fatigue
// service, which takes a deload into account from the day it was scheduled, would then never
// see it hold off that week. Once a coach decided on it, its revision is theirs, dated when
// they decided.
func placedBy(d *programmingv1.Deload, rec *eventsv1.Event) cause {
	c := causedBy(rec)
	if len(d.GetDecisions()) > 0 {
		c.at = time.Time{}
	}
	return c
}

func reasonSuffix(rec *eventsv1.DeloadRecommended) string {
	if rec.GetSummary() == "" {
		return ""
	}
	return ": " + rec.GetSummary()
}

// announce publishes what follows from a deload's current state: DeloadScheduled, and when it
// is scheduled the re-planned planned deloads and the deload week's prescription. Every event
// id is deterministic, so announcing twice is harmless.
func (s *Service) announce(ctx context.Context, d *programmingv1.Deload, c cause) error {
	if d.GetStatus() == commonv1.DeloadStatus_DELOAD_STATUS_DISMISSED || d.GetStatus() == commonv1.DeloadStatus_DELOAD_STATUS_SKIPPED {
		return nil
	}
	// The deload's own event keeps the same time however often it is announced: the cause's
	// when it has one (see placedBy), else when the deload was last changed.
	placed := c
	if placed.at.IsZero() && d.GetUpdatedAt() != nil {
		placed.at = d.GetUpdatedAt().AsTime()
	}
	if err := s.pub.Publish(ctx, scheduledEvent(d, placed)); err != nil {
		return fmt.Errorf("publish deload scheduled: %w", err)
	}
	if d.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED {
		return nil
	}
	if _, err := s.replan(ctx, d.GetTeamId(), d.GetAthleteId(), s.byClock()); err != nil {
		return err
	}
	return s.issuePrescription(ctx, d.GetTeamId(), d.GetAthleteId(), DateOf(d.GetWeekStart()), "deload scheduled", cause{eventID: c.eventID})
}

// ScheduleDeload places a deload by hand: scheduled without approval.
func (s *Service) ScheduleDeload(ctx context.Context, team, athlete string, week time.Time, kind commonv1.DeloadKind, reason string, params *eventsv1.DeloadParameters) (*programmingv1.Deload, error) {
	policy, err := s.domainPolicy(ctx, team)
	if err != nil {
		return nil, err
	}
	merged := policy.Deload.Merge(paramsOf(params))
	if err := invalid("parameters", merged.Validate()); err != nil {
		return nil, err
	}
	if kind == commonv1.DeloadKind_DELOAD_KIND_UNSPECIFIED {
		kind = commonv1.DeloadKind_DELOAD_KIND_MANUAL
	}
	monday := domain.Monday(week)
	if monday.Before(domain.Monday(s.today())) {
		return nil, fault.InvalidField("week_start", "must not be in a past week")
	}
	now := s.now()
	d := &programmingv1.Deload{
		DeloadId: events.NewID(), TeamId: team, AthleteId: athlete, Kind: kind, Status: commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED,
		WeekStart: WireDate(monday), Reason: reason, Parameters: wireParams(merged),
		CreatedAt: timestamppb.New(now), UpdatedAt: timestamppb.New(now),
	}
	zero := uint64(0)
	rev, err := s.tables.Deloads.Put(ctx, Key(team, d.GetDeloadId()), d, &zero)
	if err != nil {
		return nil, err
	}
	d.Revision = rev
	return d, s.announce(ctx, d, cause{})
}

// Decision is a coach's decision as the port received it.
type Decision struct {
	Team, DeloadID string
	Request        domain.DecisionRequest
	DecidedBy      *commonv1.Actor
	Expected       *uint64
}

// Decide applies a coach's decision: the new state and the decision record are stored
// revision-checked, DeloadDecided is published, and the planned deloads and prescriptions that
// follow are re-issued.
func (s *Service) Decide(ctx context.Context, dec Decision) (*programmingv1.Deload, error) {
	d, err := s.Deload(ctx, dec.Team, dec.DeloadID)
	if err != nil {
		return nil, err
	}
	rev := d.GetRevision()
	if dec.Expected != nil && *dec.Expected != rev {
		return nil, fault.FailedPrecondition("deload %s is at revision %d, not %d: reload and retry", dec.DeloadID, rev, *dec.Expected)
	}
	policy, err := s.domainPolicy(ctx, dec.Team)
	if err != nil {
		return nil, err
	}
	cur := domain.DeloadState{Status: statusOf(d.GetStatus()), WeekStart: DateOf(d.GetWeekStart()), Params: policy.Deload.Merge(paramsOf(d.GetParameters()))}
	next, violations, err := domain.Decide(cur, dec.Request, s.today())
	if err != nil {
		return nil, fault.FailedPrecondition("deload %s: %v", dec.DeloadID, err)
	}
	if len(violations) > 0 {
		return nil, invalid("", violations)
	}
	oldWeek := cur.WeekStart
	now := s.now()
	decided := &eventsv1.DeloadDecided{
		DeloadId: d.GetDeloadId(), Decision: commonv1.DeloadDecision(dec.Request.Decision), DecidedBy: dec.DecidedBy,
		Reason: dec.Request.Reason, WeekStart: WireDate(next.WeekStart), Status: wireStatus(next.Status), Kind: d.GetKind(),
	}
	if dec.Request.Decision == domain.DecisionPostpone {
		decided.PostponedTo = WireDate(dec.Request.PostponeTo)
	}
	if dec.Request.Decision == domain.DecisionEdit {
		decided.Parameters = wireParams(next.Params)
	}
	evID := events.DeterministicID("deload_decided", d.GetDeloadId(), strconv.FormatUint(rev, 10))
	d.Status, d.WeekStart, d.Parameters = wireStatus(next.Status), WireDate(next.WeekStart), wireParams(next.Params)
	d.UpdatedAt = timestamppb.New(now)
	d.Decisions = append(d.Decisions, &programmingv1.DeloadDecisionRecord{EventId: evID, DecidedAt: timestamppb.New(now), Decided: decided})
	d.Revision = 0
	newRev, err := s.tables.Deloads.Put(ctx, Key(dec.Team, d.GetDeloadId()), d, &rev)
	if err != nil {
		return nil, err
	}
	d.Revision = newRev
	s.log.Info("deload decided", zap.String(sclog.Team, dec.Team), zap.String("deload_id", d.GetDeloadId()),
		zap.String("decision", decided.GetDecision().String()), zap.String("decided_by", dec.DecidedBy.GetSubject()))

	ev := &eventsv1.Event{
		Id: evID, TeamId: d.GetTeamId(), AthleteId: d.GetAthleteId(), Source: Source, OccurredAt: timestamppb.New(now),
		Payload: &eventsv1.Event_DeloadDecided{DeloadDecided: proto.Clone(decided).(*eventsv1.DeloadDecided)},
	}
	if err := s.pub.Publish(ctx, ev); err != nil {
		return nil, fmt.Errorf("publish deload decision (the decision is stored): %w", err)
	}
	if _, err := s.replan(ctx, d.GetTeamId(), d.GetAthleteId(), s.byClock()); err != nil {
		return nil, err
	}
	// The weeks whose sessions changed: the old one (no longer reduced, or reduced
	// differently) and the new one.
	for _, week := range uniqueWeeks(oldWeek, next.WeekStart) {
		if err := s.issuePrescription(ctx, d.GetTeamId(), d.GetAthleteId(), week, "deload "+decisionWord(dec.Request.Decision), cause{eventID: evID}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func uniqueWeeks(a, b time.Time) []time.Time {
	if a.Equal(b) {
		return []time.Time{a}
	}
	return []time.Time{a, b}
}

func decisionWord(d domain.Decision) string {
	switch d {
	case domain.DecisionApprove:
		return "approved"
	case domain.DecisionPostpone:
		return "postponed"
	case domain.DecisionDismiss:
		return "dismissed"
	case domain.DecisionEdit:
		return "edited"
	}
	return "decided"
}
