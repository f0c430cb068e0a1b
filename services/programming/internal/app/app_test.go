package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/eventbus"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/kvstore"
	"github.com/supercomp/supercomp/services/programming/internal/app"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
	"github.com/supercomp/supercomp/services/programming/internal/ports"
)

const team, athlete = "t1", "a42"

// Monday 2026-01-05 is week 1 of every program in these tests; "today" is that Monday.
var start = domain.Date(2026, time.January, 5)

type env struct {
	bus    *bus.Bus
	svc    *app.Service
	tables app.Tables
}

func newEnv(t *testing.T) *env { return newEnvAt(t, start.Add(10*time.Hour)) }

// newEnvAt is newEnv with the clock pinned at now.
func newEnvAt(t *testing.T, now time.Time) *env {
	t.Helper()
	b, _ := bustest.New(t)
	ctx := context.Background()
	tables, err := kvstore.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	svc := app.New(tables, eventbus.Publisher{Bus: b}, bustest.Logger(t), app.WithClock(func() time.Time { return now }))
	return &env{bus: b, svc: svc, tables: tables}
}

func (e *env) profile(t *testing.T, level commonv1.ExperienceLevel, squatTM float64) {
	t.Helper()
	_, err := e.svc.PutProfile(context.Background(), team, athlete, &programmingv1.AthleteProfile{
		DisplayName: "Sam", PositionGroup: "forwards", ExperienceLevel: level,
		LiftMaxes: []*programmingv1.LiftMax{{LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, TrainingMaxKg: &squatTM}},
	}, nil, "coach")
	if err != nil {
		t.Fatal(err)
	}
}

// linearProgram: Back Squat 5x5 from 70% of training max, +2.5% and +0.5 RPE a week, 8 weeks.
func (e *env) linearProgram(t *testing.T) *programmingv1.Program {
	t.Helper()
	weeks, err := app.ProgramFromTemplate(domain.TemplateLinear, &programmingv1.TemplateOptions{Lifts: []*programmingv1.TemplateLift{
		{Exercise: "Back Squat", LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, Sets: 5, Reps: 5, StartPercent_1Rm: 70},
	}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.CreateProgram(context.Background(), team, &programmingv1.Program{Name: "Linear", Weeks: weeks}, "coach")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// flatProgram: n weeks of 3 sessions of Back Squat 5x5 at 75%, all at the same RPE.
func (e *env) flatProgram(t *testing.T, n int, rpe float64) *programmingv1.Program {
	t.Helper()
	var weeks []*programmingv1.ProgramWeek
	for w := range n {
		week := &programmingv1.ProgramWeek{Week: uint32(w + 1)}
		for s := range 3 {
			pct := 75.0
			week.Sessions = append(week.Sessions, &programmingv1.ProgramSession{Name: fmt.Sprint("S", s+1), Exercises: []*eventsv1.PrescribedExercise{{
				Exercise: "Back Squat", LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, Sets: 5, Reps: 5, Percent_1Rm: &pct, TargetRpe: &rpe,
			}}})
		}
		weeks = append(weeks, week)
	}
	p, err := e.svc.CreateProgram(context.Background(), team, &programmingv1.Program{Name: "Flat", Weeks: weeks}, "coach")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) assign(t *testing.T, p *programmingv1.Program) []*programmingv1.Deload {
	t.Helper()
	_, planned, err := e.svc.AssignProgram(context.Background(), team, athlete, p.GetProgramId(), start, nil, "coach")
	if err != nil {
		t.Fatal(err)
	}
	return planned
}

func recommendation(id string, asOf time.Time) *eventsv1.Event {
	return &eventsv1.Event{
		Id: events.NewID(), TeamId: team, AthleteId: athlete, Source: "fatigue",
		Payload: &eventsv1.Event_DeloadRecommended{DeloadRecommended: &eventsv1.DeloadRecommended{
			RecommendationId: id, AsOf: app.WireDate(asOf), RuleFired: "two_families", Summary: "strength declining with poor sleep",
			Evidence: []*eventsv1.Evidence{{Family: commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE, Metric: "e1rm_change_pct", Abnormal: true}},
		}},
	}
}

// programmingEvents reads every event on the PROGRAMMING stream.
func programmingEvents(t *testing.T, b *bus.Bus) []*eventsv1.Event {
	t.Helper()
	ctx := context.Background()
	stream, err := b.JetStream().Stream(ctx, bus.StreamProgramming)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*eventsv1.Event
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ev, err := events.Decode(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func weeksOf(ds []*programmingv1.Deload, kind commonv1.DeloadKind, status commonv1.DeloadStatus) []string {
	var out []string
	for _, d := range ds {
		if d.GetKind() == kind && d.GetStatus() == status {
			out = append(out, app.DateOf(d.GetWeekStart()).Format(time.DateOnly))
		}
	}
	return out
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// The integration test of the issue: a DeloadRecommended on ANALYSIS, consumed by the durable
// "programming" consumer, yields DeloadScheduled and the deload week's prescription on
// PROGRAMMING; the same recommendation again schedules nothing new.
func TestRecommendationInDeloadAndPrescriptionOut(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.profile(t, commonv1.ExperienceLevel_EXPERIENCE_LEVEL_INTERMEDIATE, 150)
	e.assign(t, e.linearProgram(t))
	if _, _, err := e.svc.UpdatePolicy(ctx, team, &programmingv1.ProgrammingPolicy{AutoApproveReactive: true}, []string{"auto_approve_reactive"}, nil); err != nil {
		t.Fatal(err)
	}

	consumer, err := ports.NewAnalysisConsumer(ctx, e.bus, e.svc, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- consumer.Start(ctx) }()
	t.Cleanup(func() {
		_ = consumer.Stop(context.Background())
		<-done
	})

	// Assessed on Wednesday of week 1: the deload goes to week 2 (Monday 2026-01-12).
	rec := recommendation("rec-1", domain.Date(2026, time.January, 7))
	if _, err := events.Publish(ctx, e.bus, rec); err != nil {
		t.Fatal(err)
	}
	var scheduled *eventsv1.DeloadScheduled
	var pres *eventsv1.Prescription
	deadline := time.Now().Add(10 * time.Second)
	for (scheduled == nil || pres == nil) && time.Now().Before(deadline) {
		for _, ev := range programmingEvents(t, e.bus) {
			if s := ev.GetDeloadScheduled(); s != nil && s.GetKind() == commonv1.DeloadKind_DELOAD_KIND_REACTIVE {
				scheduled = s
				if ev.GetCausationId() != rec.GetId() {
					t.Errorf("causation %q, want the recommendation event %s", ev.GetCausationId(), rec.GetId())
				}
			}
			if p := ev.GetPrescriptionIssued().GetPrescription(); p != nil && p.GetDeload() {
				pres = p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if scheduled == nil || pres == nil {
		t.Fatalf("no DeloadScheduled (%v) or deload prescription (%v) on PROGRAMMING", scheduled, pres)
	}
	if scheduled.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED || app.DateOf(scheduled.GetWeekStart()) != domain.Date(2026, time.January, 12) ||
		scheduled.GetRecommendationId() != "rec-1" || len(scheduled.GetEvidence()) != 1 || scheduled.GetRequiresApproval() {
		t.Errorf("scheduled = %v", scheduled)
	}
	// Week 2 normally: 5x5 at 72.5% of 150 = 108.75 -> 110 kg, RPE 7.5. Deload: 110 x 0.6 = 66
	// -> 65 kg, floor(2.5) = 2 sets, round(3.35) = 3 reps, RPE 7, same 3 sessions.
	if pres.GetProgramWeek() != 2 || len(pres.GetSessions()) != 3 || pres.GetDeloadId() != scheduled.GetDeloadId() {
		t.Fatalf("prescription week %d, %d sessions, deload %q", pres.GetProgramWeek(), len(pres.GetSessions()), pres.GetDeloadId())
	}
	for _, s := range pres.GetSessions() {
		ex := s.GetExercises()[0]
		if ex.GetLoadKg() != 65 || ex.GetSets() != 2 || ex.GetReps() != 3 || ex.GetTargetRpe() != 7 || ex.GetRpeCap() != 7 || ex.GetAllowFailure() ||
			ex.GetNormalLoadKg() != 110 || ex.GetNormalSets() != 5 || ex.GetNormalReps() != 5 || !ex.GetDeload() {
			t.Errorf("session %s: %v", app.DateOf(s.GetDate()).Format(time.DateOnly), ex)
		}
	}
	if d := app.DateOf(pres.GetSessions()[0].GetDate()); d != domain.Date(2026, time.January, 12) {
		t.Errorf("first session on %s, want Monday 2026-01-12", d.Format(time.DateOnly))
	}

	// The same recommendation again (a replay with a new envelope id): still one reactive deload.
	if _, err := events.Publish(ctx, e.bus, recommendation("rec-1", domain.Date(2026, time.January, 7))); err != nil {
		t.Fatal(err)
	}
	waitConsumed(t, consumer)
	all, err := e.svc.Deloads(ctx, team, athlete)
	if err != nil {
		t.Fatal(err)
	}
	if got := weeksOf(all, commonv1.DeloadKind_DELOAD_KIND_REACTIVE, commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED); !equal(got, []string{"2026-01-12"}) {
		t.Errorf("reactive deloads %v, want one in the week of 2026-01-12", got)
	}
	// The reactive deload reset the planned clock: week 6 (Feb 9) was re-planned to week 8
	// (Jan 12 + 6 weeks = Feb 23).
	if got := weeksOf(all, commonv1.DeloadKind_DELOAD_KIND_PLANNED, commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED); !equal(got, []string{"2026-02-23"}) {
		t.Errorf("planned deloads %v, want [2026-02-23]", got)
	}
	if got := weeksOf(all, commonv1.DeloadKind_DELOAD_KIND_PLANNED, commonv1.DeloadStatus_DELOAD_STATUS_SKIPPED); !equal(got, []string{"2026-02-09"}) {
		t.Errorf("skipped planned deloads %v, want [2026-02-09]", got)
	}
}

func waitConsumed(t *testing.T, c *bus.Consumer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("consumer did not drain")
}
