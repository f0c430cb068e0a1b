package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	sclog "github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// PlateauOutcome is what came of one plateau.
type PlateauOutcome string

// Plateau outcomes.
const (
	// PlateauBroughtForward: the next planned deload moved to an earlier week.
	PlateauBroughtForward PlateauOutcome = "brought_forward"
	// PlateauKept: the calendar stayed as it was (Detail says why).
	PlateauKept PlateauOutcome = "kept"
	// PlateauNoProgram: the athlete has no program, so no planned deload to move.
	PlateauNoProgram PlateauOutcome = "no_program"
)

// PlateauRecord is what the service did about one PlateauDetected. It is the ledger that makes a
// redelivered or replayed plateau change nothing, and the source of the weeks plateaus brought
// planned deloads forward to, which every later re-plan keeps. It is the service's own
// bookkeeping, never on the wire, so it is stored as JSON rather than in the contract.
type PlateauRecord struct {
	TeamID    string `json:"team_id"`
	AthleteID string `json:"athlete_id"`
	PlateauID string `json:"plateau_id"`
	// EventID is the envelope id of the PlateauDetected handled (a replay may carry another).
	EventID    string    `json:"event_id"`
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	// AsOf is the day the plateau was assessed.
	AsOf    time.Time      `json:"as_of"`
	Summary string         `json:"summary,omitempty"`
	Outcome PlateauOutcome `json:"outcome"`
	// Detail is the moved deload's reason, or why nothing moved.
	Detail string `json:"detail"`
	// DeloadID is the planned deload moved, or the deload that made moving one unnecessary.
	DeloadID string `json:"deload_id,omitempty"`
	// From and To are the weeks the deload moved between (brought forward only).
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Applied is false from recording a move until the deloads are re-planned and the events
	// published: a redelivery in between finishes the move instead of deciding again.
	Applied   bool      `json:"applied"`
	HandledAt time.Time `json:"handled_at"`
}

// PlateauKey is the ledger key of a plateau. The id is hashed because it comes from another
// service and need not be a valid key token.
func PlateauKey(team, athlete, plateauID string) string {
	return Key(team, athlete, events.DeterministicID("plateau", plateauID))
}

// HandlePlateau brings the athlete's next planned deload forward for a PlateauDetected
// (domain.BringForward), once per plateau id: the decision is recorded before anything moves,
// so a redelivery or a replay finds the record and changes nothing, and one that finds a move
// recorded but not finished (a crash in between) finishes it. A plateau never pages anyone by
// itself: what it publishes is what any re-planned deload publishes (DeloadScheduled,
// DeloadSkipped, PrescriptionIssued), with the plateau event as causation and its occurred_at.
func (s *Service) HandlePlateau(ctx context.Context, ev *eventsv1.Event) error {
	p := ev.GetPlateauDetected()
	team, athlete := ev.GetTeamId(), ev.GetAthleteId()
	key := PlateauKey(team, athlete, p.GetPlateauId())
	log := s.log.With(zap.String(sclog.Team, team), zap.String(sclog.Athlete, athlete), zap.String("plateau_id", p.GetPlateauId()))
	c := causedBy(ev)

	rec, rev, err := s.tables.Plateaus.Get(ctx, key)
	switch {
	case err == nil:
		return s.handledPlateau(ctx, log, key, rec, rev, c)
	case !errors.Is(err, fault.ErrNotFound):
		return err
	}
	if rec, err = s.decidePlateau(ctx, ev, c); err != nil {
		return err
	}
	zero := uint64(0)
	rev, err = s.tables.Plateaus.Put(ctx, key, rec, &zero)
	if errors.Is(err, fault.ErrFailedPrecondition) {
		// Another delivery recorded it first: its record stands.
		if rec, rev, err = s.tables.Plateaus.Get(ctx, key); err != nil {
			return err
		}
		return s.handledPlateau(ctx, log, key, rec, rev, c)
	}
	if err != nil {
		return fmt.Errorf("record plateau %s: %w", p.GetPlateauId(), err)
	}
	fields := []zap.Field{zap.String("outcome", string(rec.Outcome)), zap.String("reason", rec.Detail), zap.String("deload_id", rec.DeloadID)}
	if rec.Outcome != PlateauBroughtForward {
		log.Info("plateau handled, no deload moved", fields...)
		return nil
	}
	log.Info("plateau brings the planned deload forward", append(fields,
		zap.String("from", rec.From.Format(time.DateOnly)), zap.String("to", rec.To.Format(time.DateOnly)))...)
	return s.applyPlateau(ctx, key, rec, rev, c)
}

// handledPlateau is a plateau met again: nothing to do once its move is applied.
func (s *Service) handledPlateau(ctx context.Context, log *zap.Logger, key string, rec *PlateauRecord, rev uint64, c cause) error {
	if rec.Applied {
		log.Info("plateau already handled", zap.String("outcome", string(rec.Outcome)), zap.String("first_event_id", rec.EventID))
		return nil
	}
	log.Info("plateau move recorded but unfinished: finishing it", zap.String("deload_id", rec.DeloadID))
	// The first delivery's cause, so the events are the ones it would have published.
	return s.applyPlateau(ctx, key, rec, rev, cause{eventID: rec.EventID, at: rec.OccurredAt})
}

// decidePlateau asks the rule what the plateau does to the athlete's calendar today.
func (s *Service) decidePlateau(ctx context.Context, ev *eventsv1.Event, c cause) (*PlateauRecord, error) {
	p := ev.GetPlateauDetected()
	team, athlete := ev.GetTeamId(), ev.GetAthleteId()
	asOf := DateOf(p.GetAsOf())
	if asOf.IsZero() {
		asOf = domain.Midnight(c.at)
	}
	rec := &PlateauRecord{
		TeamID: team, AthleteID: athlete, PlateauID: p.GetPlateauId(), EventID: ev.GetId(), OccurredAt: c.at,
		AsOf: asOf, Summary: p.GetSummary(), HandledAt: s.now().UTC(),
	}
	plan, err := s.loadPlan(ctx, team, athlete)
	if errors.Is(err, fault.ErrNotFound) {
		rec.Outcome, rec.Applied = PlateauNoProgram, true
		rec.Detail = "the athlete has no program assigned: no planned deload to bring forward"
		return rec, nil
	}
	if err != nil {
		return nil, err
	}
	policy, err := s.domainPolicy(ctx, team)
	if err != nil {
		return nil, err
	}
	out := domain.BringForward(domain.PlateauInput{
		Plateau: domain.Plateau{ID: p.GetPlateauId(), AsOf: asOf, Summary: p.GetSummary()},
		Today:   s.today(), Deloads: existingOf(plan.deloads), ProgramDeloadWeeks: plan.programDeloadWeeks(), Policy: policy.Planned,
	})
	rec.Detail, rec.DeloadID = out.Reason, out.DeloadID
	if out.Action != domain.PlateauBringForward {
		rec.Outcome, rec.Applied = PlateauKept, true
		return rec, nil
	}
	rec.Outcome, rec.From, rec.To = PlateauBroughtForward, out.From, out.To
	return rec, nil
}

// applyPlateau carries out a recorded move. The record is an input of the re-plan, which places
// the deload in its new week, skips it in the old one and re-plans the ones after it; both
// weeks' prescriptions change. Every step is idempotent, so a redelivery may repeat them.
func (s *Service) applyPlateau(ctx context.Context, key string, rec *PlateauRecord, rev uint64, c cause) error {
	if _, err := s.replan(ctx, rec.TeamID, rec.AthleteID, c); err != nil {
		return fmt.Errorf("re-plan deloads for plateau %s: %w", rec.PlateauID, err)
	}
	for _, week := range uniqueWeeks(rec.From, rec.To) {
		if err := s.issuePrescription(ctx, rec.TeamID, rec.AthleteID, week, "deload brought forward", c); err != nil {
			return err
		}
	}
	rec.Applied = true
	if _, err := s.tables.Plateaus.Put(ctx, key, rec, &rev); err != nil && !errors.Is(err, fault.ErrFailedPrecondition) {
		// A failed check means another delivery finished it; anything else is retried.
		return fmt.Errorf("mark plateau %s applied: %w", rec.PlateauID, err)
	}
	return nil
}

// broughtForward lists the planned deloads the athlete's plateaus moved, for the planner.
func (s *Service) broughtForward(ctx context.Context, team, athlete string) ([]domain.BroughtForward, error) {
	all, err := s.tables.Plateaus.List(ctx, Key(team, athlete))
	if err != nil {
		return nil, err
	}
	var out []domain.BroughtForward
	for _, v := range all {
		if r := v.Value; r.Outcome == PlateauBroughtForward {
			out = append(out, domain.BroughtForward{To: r.To, From: r.From, Since: r.AsOf, Reason: r.Detail})
		}
	}
	return out, nil
}
