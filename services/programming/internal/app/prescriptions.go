package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// defaultTrainingDays place sessions for athletes without stated training days.
var defaultTrainingDays = []commonv1.Weekday{
	commonv1.Weekday_WEEKDAY_MONDAY, commonv1.Weekday_WEEKDAY_WEDNESDAY, commonv1.Weekday_WEEKDAY_FRIDAY,
	commonv1.Weekday_WEEKDAY_TUESDAY, commonv1.Weekday_WEEKDAY_THURSDAY, commonv1.Weekday_WEEKDAY_SATURDAY, commonv1.Weekday_WEEKDAY_SUNDAY,
}

// athletePlan is what an athlete's prescriptions are computed from.
type athletePlan struct {
	profile    *programmingv1.AthleteProfile // nil when the athlete has none
	assignment *programmingv1.ProgramAssignment
	program    *programmingv1.Program
	deloads    []*programmingv1.Deload // the athlete's deloads
}

// loadPlan reads an athlete's assignment, program, profile and deloads. It returns NotFound
// when the athlete has no program.
func (s *Service) loadPlan(ctx context.Context, team, athlete string) (*athletePlan, error) {
	a, arev, err := s.tables.Assignments.Get(ctx, Key(team, athlete))
	if err != nil {
		if errors.Is(err, fault.ErrNotFound) {
			return nil, fault.NotFound("athlete %s/%s has no program assigned", team, athlete)
		}
		return nil, err
	}
	a.Revision = arev
	prog, err := s.Program(ctx, team, a.GetProgramId())
	if err != nil {
		return nil, fmt.Errorf("program of athlete %s: %w", athlete, err)
	}
	plan := &athletePlan{assignment: a, program: prog}
	if p, err := s.Profile(ctx, team, athlete); err == nil {
		plan.profile = p
	} else if !errors.Is(err, fault.ErrNotFound) {
		return nil, err
	}
	if plan.deloads, err = s.athleteDeloads(ctx, team, athlete); err != nil {
		return nil, err
	}
	return plan, nil
}

// programWeek is the program's week n, following repeats; nil past the end.
func (p *athletePlan) programWeek(n int) *programmingv1.ProgramWeek {
	weeks := p.program.GetWeeks()
	if n < 1 || len(weeks) == 0 {
		return nil
	}
	if n > len(weeks) {
		if !p.program.GetRepeats() {
			return nil
		}
		n = (n-1)%len(weeks) + 1
	}
	return weeks[n-1]
}

// horizon is how many program weeks ahead planned deloads are placed.
func (p *athletePlan) horizon() int {
	n := len(p.program.GetWeeks())
	if p.program.GetRepeats() {
		n = max(n, repeatHorizonWeeks)
	}
	return n
}

// programDeloadWeeks are the Mondays of the weeks the program itself reduces, over the horizon.
func (p *athletePlan) programDeloadWeeks() []time.Time {
	start := DateOf(p.assignment.GetStartDate())
	var out []time.Time
	for n := 1; n <= p.horizon(); n++ {
		if p.programWeek(n).GetDeload() {
			out = append(out, domain.WeekStart(start, n))
		}
	}
	return out
}

// deloadOn is the athlete's deload that reduces the week starting monday: scheduled, running
// or done (a pending one reduces nothing until a coach approves it).
func (p *athletePlan) deloadOn(monday time.Time) *programmingv1.Deload {
	for _, d := range p.deloads {
		switch d.GetStatus() {
		case commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED, commonv1.DeloadStatus_DELOAD_STATUS_IN_PROGRESS, commonv1.DeloadStatus_DELOAD_STATUS_COMPLETED:
			if DateOf(d.GetWeekStart()).Equal(monday) {
				return d
			}
		}
	}
	return nil
}

// trainingMax is the athlete's training max (else tested 1RM) for an exercise, matched by
// exercise name first and lift category second.
func (p *athletePlan) trainingMax(e *eventsv1.PrescribedExercise) (float64, bool) {
	var byLift float64
	for _, m := range p.profile.GetLiftMaxes() {
		v := m.GetTrainingMaxKg()
		if v == 0 {
			v = m.GetOneRepMaxKg()
		}
		if v == 0 {
			continue
		}
		if m.GetExercise() != "" && strings.EqualFold(m.GetExercise(), e.GetExercise()) {
			return v, true
		}
		if m.GetExercise() == "" && m.GetLiftCategory() != commonv1.LiftCategory_LIFT_CATEGORY_UNSPECIFIED && m.GetLiftCategory() == e.GetLiftCategory() && byLift == 0 {
			byLift = v
		}
	}
	return byLift, byLift > 0
}

// weekPrescription computes program week n for the athlete: sessions on dates from the
// athlete's training days, loads resolved from training maxes, and the deload applied when a
// deload holds that week.
func (p *athletePlan) weekPrescription(n int, policy domain.Policy) *eventsv1.Prescription {
	start := DateOf(p.assignment.GetStartDate())
	monday := domain.WeekStart(start, n)
	pres := &eventsv1.Prescription{
		Range:       &commonv1.DateRange{Start: WireDate(monday), End: WireDate(monday.AddDate(0, 0, 6))},
		ProgramId:   p.program.GetProgramId(),
		ProgramWeek: uint32(n),
	}
	week := p.programWeek(n)
	deload := p.deloadOn(monday)
	if week != nil && week.GetDeload() {
		pres.Deload = true
	}
	var params domain.DeloadParams
	if deload != nil && !pres.Deload {
		pres.Deload, pres.DeloadId = true, deload.GetDeloadId()
		params = policy.Deload.Merge(paramsOf(deload.GetParameters()))
	}
	days := p.profile.GetAvailability().GetTrainingDays()
	if len(days) == 0 {
		days = defaultTrainingDays
	}
	for i, sess := range week.GetSessions() {
		day := sess.GetDay()
		if day == commonv1.Weekday_WEEKDAY_UNSPECIFIED {
			day = days[i%len(days)]
		}
		ps := &eventsv1.PrescribedSession{Date: WireDate(monday.AddDate(0, 0, int(day)-1)), Name: sess.GetName()}
		for _, e := range sess.GetExercises() {
			ex := exerciseOf(e)
			if ex.LoadKg == nil && ex.Percent1RM != nil {
				if tm, ok := p.trainingMax(e); ok {
					ex.LoadKg = ptr(domain.ResolveLoad(*ex.Percent1RM, tm))
				}
			}
			out := wireExercise(ex)
			out.Deload = week.GetDeload()
			if deload != nil && !week.GetDeload() {
				d := domain.Deload(ex.Dose, params)
				ex.Dose = d.Dose
				out = wireExercise(ex)
				out.Deload = true
				out.NormalLoadKg = optional(d.NormalLoadKg)
				out.NormalSets, out.NormalReps = uint32(d.NormalSets), uint32(d.NormalReps)
			}
			ps.Exercises = append(ps.Exercises, out)
		}
		pres.Sessions = append(pres.Sessions, ps)
	}
	slices.SortStableFunc(pres.Sessions, func(a, b *eventsv1.PrescribedSession) int { return DateOf(a.GetDate()).Compare(DateOf(b.GetDate())) })
	// The id names everything the prescription was computed from, so it changes exactly when a
	// re-issue would change the sessions.
	pres.PrescriptionId = events.DeterministicID("prescription", p.assignment.GetTeamId(), p.assignment.GetAthleteId(),
		monday.Format(time.DateOnly), p.program.GetProgramId(), fmt.Sprint(p.program.GetRevision()), fmt.Sprint(p.assignment.GetRevision()),
		pres.GetDeloadId(), fmt.Sprint(deload.GetRevision()), fmt.Sprint(p.profile.GetRevision()))
	return pres
}

func ptr[T any](v T) *T { return &v }

// AthleteProgramView is an athlete's program and one week of it.
type AthleteProgramView struct {
	Assignment   *programmingv1.ProgramAssignment
	ProgramName  string
	Week         int
	TotalWeeks   int
	Prescription *eventsv1.Prescription
	Upcoming     []*programmingv1.Deload
}

// AthleteProgram shows program week n (0: the current week) with deloads applied.
func (s *Service) AthleteProgram(ctx context.Context, team, athlete string, n int) (*AthleteProgramView, error) {
	plan, err := s.loadPlan(ctx, team, athlete)
	if err != nil {
		return nil, err
	}
	policy, err := s.domainPolicy(ctx, team)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		n = max(domain.ProgramWeek(DateOf(plan.assignment.GetStartDate()), s.today()), 1)
	}
	view := &AthleteProgramView{
		Assignment: plan.assignment, ProgramName: plan.program.GetName(), Week: n, TotalWeeks: len(plan.program.GetWeeks()),
		Prescription: plan.weekPrescription(n, policy),
	}
	for _, d := range plan.deloads {
		switch d.GetStatus() {
		case commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL, commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED, commonv1.DeloadStatus_DELOAD_STATUS_IN_PROGRESS:
			view.Upcoming = append(view.Upcoming, d)
		}
	}
	return view, nil
}

// Prescription is what the athlete does on day (or in day's whole week).
func (s *Service) Prescription(ctx context.Context, team, athlete string, day time.Time, wholeWeek bool) (*eventsv1.Prescription, error) {
	plan, err := s.loadPlan(ctx, team, athlete)
	if err != nil {
		return nil, err
	}
	policy, err := s.domainPolicy(ctx, team)
	if err != nil {
		return nil, err
	}
	if day.IsZero() {
		day = s.today()
	}
	n := domain.ProgramWeek(DateOf(plan.assignment.GetStartDate()), day)
	if n == 0 {
		monday := domain.Monday(day)
		return &eventsv1.Prescription{Range: &commonv1.DateRange{Start: WireDate(monday), End: WireDate(monday.AddDate(0, 0, 6))},
			ProgramId: plan.program.GetProgramId()}, nil
	}
	pres := plan.weekPrescription(n, policy)
	if !wholeWeek {
		pres.Range = &commonv1.DateRange{Start: WireDate(day), End: WireDate(day)}
		pres.Sessions = slices.DeleteFunc(pres.Sessions, func(ps *eventsv1.PrescribedSession) bool { return !DateOf(ps.GetDate()).Equal(day) })
	}
	return pres, nil
}

// issuePrescription publishes PrescriptionIssued for the athlete's week starting monday. The
// event id is the prescription id, so re-issuing an unchanged week is deduplicated.
func (s *Service) issuePrescription(ctx context.Context, team, athlete string, monday time.Time, reason string, c cause) error {
	plan, err := s.loadPlan(ctx, team, athlete)
	if errors.Is(err, fault.ErrNotFound) {
		return nil // no program: nothing to prescribe
	}
	if err != nil {
		return err
	}
	policy, err := s.domainPolicy(ctx, team)
	if err != nil {
		return err
	}
	n := domain.ProgramWeek(DateOf(plan.assignment.GetStartDate()), monday)
	if n == 0 {
		return nil
	}
	pres := plan.weekPrescription(n, policy)
	ev := &eventsv1.Event{
		Id: pres.GetPrescriptionId(), TeamId: team, AthleteId: athlete, Source: Source, CausationId: c.eventID, OccurredAt: c.occurredAt(),
		Payload: &eventsv1.Event_PrescriptionIssued{PrescriptionIssued: &eventsv1.PrescriptionIssued{Prescription: pres, Reason: reason}},
	}
	if err := s.pub.Publish(ctx, ev); err != nil {
		return fmt.Errorf("publish prescription: %w", err)
	}
	return nil
}
