package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/app"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

func approve(id string, by string, expected *uint64) app.Decision {
	return app.Decision{Team: team, DeloadID: id, DecidedBy: &commonv1.Actor{Subject: by},
		Request: domain.DecisionRequest{Decision: domain.DecisionApprove, DecidedBy: by}, Expected: expected}
}

func TestApprovalFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.profile(t, commonv1.ExperienceLevel_EXPERIENCE_LEVEL_INTERMEDIATE, 150)
	e.assign(t, e.linearProgram(t))

	// Default policy: a coach must approve. The week is not reduced while pending.
	if err := e.svc.HandleRecommendation(ctx, recommendation("rec-1", domain.Date(2026, time.January, 7))); err != nil {
		t.Fatal(err)
	}
	id := app.ReactiveDeloadID(team, athlete, "rec-1")
	d, err := e.svc.Deload(ctx, team, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL || !d.GetRequiresApproval() {
		t.Fatalf("deload %v, want pending approval", d)
	}
	week2 := domain.Date(2026, time.January, 12)
	pres, err := e.svc.Prescription(ctx, team, athlete, week2, true)
	if err != nil {
		t.Fatal(err)
	}
	if pres.GetDeload() || pres.GetSessions()[0].GetExercises()[0].GetLoadKg() != 110 {
		t.Fatalf("pending deload reduced the week: %v", pres)
	}

	// Who decides is required.
	var inv *fault.Invalid
	if _, err := e.svc.Decide(ctx, approve(id, "", nil)); !errors.As(err, &inv) || inv.Violations[0].Field != "decided_by.subject" {
		t.Fatalf("decide without decided_by: %v", err)
	}
	// A stale revision changes nothing.
	stale := d.GetRevision() - 1
	if _, err := e.svc.Decide(ctx, approve(id, "coach-kim", &stale)); !errors.Is(err, fault.ErrFailedPrecondition) {
		t.Fatalf("stale revision: %v, want FailedPrecondition", err)
	}

	approved, err := e.svc.Decide(ctx, approve(id, "coach-kim", nil))
	if err != nil {
		t.Fatal(err)
	}
	if approved.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED || len(approved.GetDecisions()) != 1 ||
		approved.GetDecisions()[0].GetDecided().GetDecidedBy().GetSubject() != "coach-kim" ||
		approved.GetDecisions()[0].GetDecidedAt().AsTime() != start.Add(10*time.Hour) {
		t.Fatalf("approved = %v", approved)
	}
	pres, err = e.svc.Prescription(ctx, team, athlete, domain.Date(2026, time.January, 14), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(pres.GetSessions()) != 1 || !pres.GetDeload() {
		t.Fatalf("Wednesday of the deload week: %v", pres)
	}
	if ex := pres.GetSessions()[0].GetExercises()[0]; ex.GetLoadKg() != 65 || ex.GetSets() != 2 || ex.GetReps() != 3 || ex.GetRpeCap() != 7 {
		t.Errorf("deload session %v, want 2x3 at 65 kg RPE <= 7", ex)
	}
	// Approving again is not allowed; the decision is on PROGRAMMING with who decided.
	if _, err := e.svc.Decide(ctx, approve(id, "coach-kim", nil)); !errors.Is(err, fault.ErrFailedPrecondition) {
		t.Fatalf("second approval: %v, want FailedPrecondition", err)
	}
	var decided int
	for _, ev := range programmingEvents(t, e.bus) {
		if dd := ev.GetDeloadDecided(); dd != nil {
			decided++
			if dd.GetDecidedBy().GetSubject() != "coach-kim" || dd.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED || dd.GetDeloadId() != id {
				t.Errorf("DeloadDecided = %v", dd)
			}
		}
	}
	if decided != 1 {
		t.Errorf("%d DeloadDecided events, want 1", decided)
	}

	// Postpone to week 3 moves the reduction; dismiss ends it and the week is normal again.
	post := app.Decision{Team: team, DeloadID: id, DecidedBy: &commonv1.Actor{Subject: "coach-lee"},
		Request: domain.DecisionRequest{Decision: domain.DecisionPostpone, PostponeTo: domain.Date(2026, time.January, 21), DecidedBy: "coach-lee"}}
	if d, err = e.svc.Decide(ctx, post); err != nil || app.DateOf(d.GetWeekStart()) != domain.Date(2026, time.January, 19) {
		t.Fatalf("postpone: %v %v", d, err)
	}
	if pres, _ = e.svc.Prescription(ctx, team, athlete, week2, true); pres.GetDeload() {
		t.Error("week 2 still reduced after the postponement")
	}
	dismiss := app.Decision{Team: team, DeloadID: id, DecidedBy: &commonv1.Actor{Subject: "coach-lee"},
		Request: domain.DecisionRequest{Decision: domain.DecisionDismiss, Reason: "feels fine after the bye week", DecidedBy: "coach-lee"}}
	if d, err = e.svc.Decide(ctx, dismiss); err != nil || d.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_DISMISSED || len(d.GetDecisions()) != 3 {
		t.Fatalf("dismiss: %v %v", d, err)
	}
	if pres, _ = e.svc.Prescription(ctx, team, athlete, domain.Date(2026, time.January, 19), true); pres.GetDeload() {
		t.Error("week 3 reduced after the dismissal")
	}
}

func TestDuplicateAndCooldownRecommendations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.assign(t, e.linearProgram(t))
	for range 3 { // the same recommendation, redelivered
		if err := e.svc.HandleRecommendation(ctx, recommendation("rec-1", domain.Date(2026, time.January, 7))); err != nil {
			t.Fatal(err)
		}
	}
	// A new episode two days later falls in the cooldown of the pending deload.
	if err := e.svc.HandleRecommendation(ctx, recommendation("rec-2", domain.Date(2026, time.January, 9))); err != nil {
		t.Fatal(err)
	}
	all, err := e.svc.Deloads(ctx, team, athlete)
	if err != nil {
		t.Fatal(err)
	}
	if got := weeksOf(all, commonv1.DeloadKind_DELOAD_KIND_REACTIVE, commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL); !equal(got, []string{"2026-01-12"}) {
		t.Errorf("reactive deloads %v, want one pending in the week of 2026-01-12", got)
	}
	var scheduledEvents int
	for _, ev := range programmingEvents(t, e.bus) {
		if s := ev.GetDeloadScheduled(); s != nil && s.GetKind() == commonv1.DeloadKind_DELOAD_KIND_REACTIVE {
			scheduledEvents++
		}
	}
	if scheduledEvents != 1 {
		t.Errorf("%d DeloadScheduled events for the reactive deload, want 1 (same ids deduplicate)", scheduledEvents)
	}
}

// Planned deloads by experience and block intensity, over a 16-week program starting
// 2026-01-05 (week n starts 7(n-1) days later).
func TestPlannedDeloadsByExperience(t *testing.T) {
	tests := []struct {
		name  string
		level commonv1.ExperienceLevel
		rpe   float64
		want  []string
	}{
		{"novice every 8", commonv1.ExperienceLevel_EXPERIENCE_LEVEL_NOVICE, 8, []string{"2026-02-23", "2026-04-20"}},
		{"intermediate every 6", commonv1.ExperienceLevel_EXPERIENCE_LEVEL_INTERMEDIATE, 8, []string{"2026-02-09", "2026-03-23"}},
		{"advanced every 5", commonv1.ExperienceLevel_EXPERIENCE_LEVEL_ADVANCED, 8, []string{"2026-02-02", "2026-03-09", "2026-04-13"}},
		{"novice at RPE 9 every 7", commonv1.ExperienceLevel_EXPERIENCE_LEVEL_NOVICE, 9, []string{"2026-02-16", "2026-04-06"}},
		{"advanced at RPE 9 every 4", commonv1.ExperienceLevel_EXPERIENCE_LEVEL_ADVANCED, 9, []string{"2026-01-26", "2026-02-23", "2026-03-23", "2026-04-20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.profile(t, tt.level, 150)
			planned := e.assign(t, e.flatProgram(t, 16, tt.rpe))
			if got := weeksOf(planned, commonv1.DeloadKind_DELOAD_KIND_PLANNED, commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED); !equal(got, tt.want) {
				t.Errorf("planned %v, want %v", got, tt.want)
			}
			if len(planned) > 0 && planned[0].GetReason() == "" {
				t.Error("no reason recorded")
			}
			// The planned week's prescription is reduced.
			pres, err := e.svc.Prescription(context.Background(), team, athlete, app.DateOf(planned[0].GetWeekStart()), true)
			if err != nil {
				t.Fatal(err)
			}
			// 75% of 150 = 112.5 kg; 60% of it = 67.5 kg.
			if ex := pres.GetSessions()[0].GetExercises()[0]; !pres.GetDeload() || ex.GetLoadKg() != 67.5 || ex.GetSets() != 2 {
				t.Errorf("planned deload week: %v", ex)
			}
		})
	}
}

func TestProfileRevisionConflict(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	zero := uint64(0)
	first, err := e.svc.PutProfile(ctx, team, athlete, &programmingv1.AthleteProfile{DisplayName: "Sam", PositionGroup: "forwards"}, &zero, "coach-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PutProfile(ctx, team, athlete, &programmingv1.AthleteProfile{DisplayName: "Other"}, &zero, "coach-b"); !errors.Is(err, fault.ErrFailedPrecondition) {
		t.Fatalf("create over an existing profile: %v, want FailedPrecondition", err)
	}
	// Two coaches edit from the same revision at once: exactly one wins.
	rev := first.GetRevision()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, group := range []string{"backs", "throwers"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.PutProfile(ctx, team, athlete, &programmingv1.AthleteProfile{DisplayName: "Sam", PositionGroup: group}, &rev, "coach")
		}()
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if errors.Is(err, fault.ErrFailedPrecondition) {
			failed++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if failed != 1 {
		t.Fatalf("errors %v, want exactly one FailedPrecondition", errs)
	}
	got, err := e.svc.Profile(ctx, team, athlete)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetRevision() != rev+1 || (got.GetPositionGroup() != "backs" && got.GetPositionGroup() != "throwers") {
		t.Errorf("stored %v", got)
	}
}

func TestPolicyUpdate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, rev, err := e.svc.Policy(ctx, team)
	if err != nil || rev != 0 || p.GetDeload().GetLoadPercent() != 60 || p.GetPlanned().GetIntermediateWeeks() != 6 || p.GetAutoApproveReactive() {
		t.Fatalf("defaults %v rev %d err %v", p, rev, err)
	}
	update := &programmingv1.ProgrammingPolicy{Deload: &eventsv1.DeloadParameters{LoadPercent: 65}, Planned: &programmingv1.PlannedDeloadPolicy{NoviceWeeks: 7}}
	p, rev, err = e.svc.UpdatePolicy(ctx, team, update, []string{"deload.load_percent", "planned.novice_weeks"}, nil)
	if err != nil || rev == 0 || p.GetDeload().GetLoadPercent() != 65 || p.GetDeload().GetSetsFactor() != 0.5 || p.GetPlanned().GetNoviceWeeks() != 7 ||
		p.GetPlanned().GetAdvancedWeeks() != 5 {
		t.Fatalf("updated %v rev %d err %v", p, rev, err)
	}
	var inv *fault.Invalid
	bad := &programmingv1.ProgrammingPolicy{Deload: &eventsv1.DeloadParameters{LoadPercent: 80}}
	if _, _, err := e.svc.UpdatePolicy(ctx, team, bad, []string{"deload.load_percent", "nope"}, nil); !errors.As(err, &inv) || inv.Violations[0].Field != "update_mask.paths[1]" {
		t.Fatalf("unknown path: %v", err)
	}
	if _, _, err := e.svc.UpdatePolicy(ctx, team, bad, []string{"deload.load_percent"}, nil); !errors.As(err, &inv) || inv.Violations[0].Field != "policy.deload.load_percent" {
		t.Fatalf("load 80%%: %v", err)
	}
	stale := rev - 1
	if _, _, err := e.svc.UpdatePolicy(ctx, team, update, []string{"auto_approve_reactive"}, &stale); !errors.Is(err, fault.ErrFailedPrecondition) {
		t.Fatalf("stale policy revision: %v", err)
	}
	if p, _, _ := e.svc.Policy(ctx, team); p.GetDeload().GetLoadPercent() != 65 {
		t.Errorf("rejected updates changed the policy: %v", p)
	}
}
