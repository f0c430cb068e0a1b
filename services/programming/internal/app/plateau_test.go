package app_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/eventbus"
	"github.com/supercomp/supercomp/services/programming/internal/app"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
	"github.com/supercomp/supercomp/services/programming/internal/ports"
)

// The plateau tests run on Wednesday of program week 1. An advanced athlete on a flat 16-week
// program has planned deloads every 5 weeks: 2026-02-02 (week 5, four weeks after this one),
// 2026-03-09 and 2026-04-13. The plateau is assessed on Tuesday 2026-01-06 and published that
// evening, so the deload comes forward to Monday 2026-01-12.
var (
	plateauToday    = domain.Date(2026, time.January, 7).Add(9 * time.Hour)
	plateauAsOf     = domain.Date(2026, time.January, 6)
	plateauAt       = plateauAsOf.Add(21 * time.Hour)
	plateauSummary  = "strength plateau since 2025-12-15: squat and bench e1RM within 1% for 3 weeks, RPE steady"
	nextPlannedWeek = domain.Date(2026, time.February, 2)
	nextMonday      = domain.Date(2026, time.January, 12)
)

func plateauEvent(plateauID string) *eventsv1.Event {
	flat := 0.4
	return &eventsv1.Event{
		Id: events.NewID(), TeamId: team, AthleteId: athlete, Source: "fatigue", OccurredAt: timestamppb.New(plateauAt),
		Payload: &eventsv1.Event_PlateauDetected{PlateauDetected: &eventsv1.PlateauDetected{
			PlateauId: plateauID, AssessmentEventId: events.NewID(), AsOf: app.WireDate(plateauAsOf), Summary: plateauSummary,
			Evidence: []*eventsv1.Evidence{{Family: commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION, Metric: "e1rm_change_pct", Value: &flat, Unit: "%", Abnormal: true}},
		}},
	}
}

// plateauAthlete sets up the advanced athlete on the flat program and returns its planned deloads.
func plateauAthlete(t *testing.T, e *env) []*programmingv1.Deload {
	t.Helper()
	e.profile(t, commonv1.ExperienceLevel_EXPERIENCE_LEVEL_ADVANCED, 150)
	planned := e.assign(t, e.flatProgram(t, 16, 8))
	if got := weeksOf(planned, commonv1.DeloadKind_DELOAD_KIND_PLANNED, commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED); !equal(got, []string{"2026-02-02", "2026-03-09", "2026-04-13"}) {
		t.Fatalf("planned %v before the plateau", got)
	}
	return planned
}

func startConsumer(t *testing.T, e *env) *bus.Consumer {
	t.Helper()
	ctx := context.Background()
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
	return consumer
}

// publishAndWait publishes ev and waits until the consumer has acknowledged it: its ack floor
// reached the event's stream sequence (pending counts alone can read zero before the consumer
// has seen a message the stream just stored).
func publishAndWait(t *testing.T, e *env, c *bus.Consumer, ev *eventsv1.Event) {
	t.Helper()
	ack, err := events.Publish(context.Background(), e.bus, ev)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.AckFloor.Stream >= ack.Sequence && info.NumAckPending == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("consumer did not acknowledge stream sequence %d", ack.Sequence)
}

// revisions maps every deload of the athlete to its revision: equal maps mean nothing changed.
func revisions(t *testing.T, e *env) map[string]uint64 {
	t.Helper()
	all, err := e.svc.Deloads(context.Background(), team, athlete)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, d := range all {
		out[d.GetDeloadId()] = d.GetRevision()
	}
	return out
}

func plateauRecord(t *testing.T, e *env, plateauID string) *app.PlateauRecord {
	t.Helper()
	rec, _, err := e.tables.Plateaus.Get(context.Background(), app.PlateauKey(team, athlete, plateauID))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// The flow: a PlateauDetected on ANALYSIS, consumed by the durable "programming"
// consumer, moves the next planned deload from 2026-02-02 to next Monday with the reason, the
// planned clock restarts from there, and PROGRAMMING says so with the plateau's time and id.
// The same plateau again (a replay with a new envelope) moves nothing and publishes nothing.
func TestPlateauBringsThePlannedDeloadForward(t *testing.T) {
	e := newEnvAt(t, plateauToday)
	ctx := context.Background()
	plateauAthlete(t, e)
	consumer := startConsumer(t, e)
	before := len(programmingEvents(t, e.bus))

	ev := plateauEvent("plateau-1")
	publishAndWait(t, e, consumer, ev)

	all, err := e.svc.Deloads(ctx, team, athlete)
	if err != nil {
		t.Fatal(err)
	}
	// Jan 12 + 5 weeks = Feb 16, + 5 = Mar 23; Apr 27 is past week 16 (Apr 20).
	if got := weeksOf(all, commonv1.DeloadKind_DELOAD_KIND_PLANNED, commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED); !equal(got, []string{"2026-01-12", "2026-02-16", "2026-03-23"}) {
		t.Errorf("planned deloads %v, want [2026-01-12 2026-02-16 2026-03-23]", got)
	}
	if got := weeksOf(all, commonv1.DeloadKind_DELOAD_KIND_PLANNED, commonv1.DeloadStatus_DELOAD_STATUS_SKIPPED); !equal(got, []string{"2026-02-02", "2026-03-09", "2026-04-13"}) {
		t.Errorf("skipped planned deloads %v, want [2026-02-02 2026-03-09 2026-04-13]", got)
	}
	movedID := app.PlannedDeloadID(team, athlete, nextMonday)
	moved, err := e.svc.Deload(ctx, team, movedID)
	if err != nil {
		t.Fatal(err)
	}
	wantReason := "brought forward from 2026-02-02: " + plateauSummary
	if moved.GetReason() != wantReason || moved.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED || moved.GetRequiresApproval() {
		t.Errorf("moved deload %v, want scheduled with reason %q", moved, wantReason)
	}
	old, err := e.svc.Deload(ctx, team, app.PlannedDeloadID(team, athlete, nextPlannedWeek))
	if err != nil {
		t.Fatal(err)
	}
	if old.GetReason() != "brought forward to the week of 2026-01-12" {
		t.Errorf("old deload reason %q", old.GetReason())
	}

	// Everything the plateau caused names it and carries its occurred_at, not the clock's.
	evs := programmingEvents(t, e.bus)
	var scheduled *eventsv1.DeloadScheduled
	var skippedOld, deloadWeek bool
	for _, out := range evs[before:] {
		if out.GetCausationId() != ev.GetId() || !out.GetOccurredAt().AsTime().Equal(plateauAt) {
			t.Errorf("%T: causation %q at %s, want the plateau %s at %s", out.GetPayload(), out.GetCausationId(),
				out.GetOccurredAt().AsTime(), ev.GetId(), plateauAt)
		}
		switch {
		case out.GetDeloadScheduled().GetDeloadId() == movedID:
			scheduled = out.GetDeloadScheduled()
		case out.GetDeloadSkipped().GetDeloadId() == old.GetDeloadId():
			skippedOld = true
		case out.GetPrescriptionIssued().GetPrescription().GetDeloadId() == movedID:
			deloadWeek = true
		}
	}
	if scheduled == nil || app.DateOf(scheduled.GetWeekStart()) != nextMonday || scheduled.GetReason() != wantReason ||
		scheduled.GetKind() != commonv1.DeloadKind_DELOAD_KIND_PLANNED || scheduled.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED {
		t.Errorf("DeloadScheduled for the moved deload = %v", scheduled)
	}
	if !skippedOld || !deloadWeek {
		t.Errorf("DeloadSkipped for the old week %v, deload prescription for next week %v; want both", skippedOld, deloadWeek)
	}
	// Next week's sessions are the deload: 75% of 150 = 112.5 kg, 60% of it 67.5 kg, 2 of 5 sets.
	pres, err := e.svc.Prescription(ctx, team, athlete, nextMonday, true)
	if err != nil {
		t.Fatal(err)
	}
	if ex := pres.GetSessions()[0].GetExercises()[0]; !pres.GetDeload() || pres.GetDeloadId() != movedID || ex.GetLoadKg() != 67.5 || ex.GetSets() != 2 {
		t.Errorf("week of 2026-01-12: deload %v (%s), first exercise %v", pres.GetDeload(), pres.GetDeloadId(), ex)
	}
	if rec := plateauRecord(t, e, "plateau-1"); rec.Outcome != app.PlateauBroughtForward || !rec.Applied || rec.DeloadID != old.GetDeloadId() || rec.Detail != wantReason {
		t.Errorf("plateau record %+v", rec)
	}

	// The same plateau again: nothing moves, nothing is published.
	revs, count := revisions(t, e), len(evs)
	publishAndWait(t, e, consumer, plateauEvent("plateau-1"))
	if after := revisions(t, e); !maps.Equal(after, revs) {
		t.Errorf("second delivery changed deloads: %v -> %v", revs, after)
	}
	if n := len(programmingEvents(t, e.bus)); n != count {
		t.Errorf("second delivery published %d events", n-count)
	}
}

// A coach's decision about the next planned deload wins: the plateau leaves it where it is and
// says why in its record.
func TestPlateauLeavesACoachDecidedDeloadAlone(t *testing.T) {
	e := newEnvAt(t, plateauToday)
	ctx := context.Background()
	plateauAthlete(t, e)
	next := app.PlannedDeloadID(team, athlete, nextPlannedWeek)
	edit := app.Decision{Team: team, DeloadID: next, DecidedBy: &commonv1.Actor{Subject: "coach-kim"},
		Request: domain.DecisionRequest{Decision: domain.DecisionEdit, Params: domain.DeloadParams{LoadPercent: 65}, DecidedBy: "coach-kim"}}
	if _, err := e.svc.Decide(ctx, edit); err != nil {
		t.Fatal(err)
	}
	revs, count := revisions(t, e), len(programmingEvents(t, e.bus))

	if err := e.svc.HandlePlateau(ctx, plateauEvent("plateau-2")); err != nil {
		t.Fatal(err)
	}
	if after := revisions(t, e); !maps.Equal(after, revs) {
		t.Errorf("deloads changed: %v -> %v", revs, after)
	}
	if n := len(programmingEvents(t, e.bus)); n != count {
		t.Errorf("%d events published for a plateau that moved nothing", n-count)
	}
	d, err := e.svc.Deload(ctx, team, next)
	if err != nil {
		t.Fatal(err)
	}
	if app.DateOf(d.GetWeekStart()) != nextPlannedWeek || d.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED {
		t.Errorf("coach-decided deload now %v", d)
	}
	if rec := plateauRecord(t, e, "plateau-2"); rec.Outcome != app.PlateauKept || rec.DeloadID != next || !rec.Applied {
		t.Errorf("plateau record %+v, want kept because of %s", rec, next)
	}
}

// The ledger, not the calendar, makes a replay harmless. On Wednesday a reactive deload pending
// approval in the next week keeps the plateau from moving anything. Two weeks later that
// deload has lapsed unapproved, and deciding afresh would bring the 2026-02-02 deload forward
// to 2026-01-26; the replayed plateau must still move nothing.
func TestReplayedPlateauIsNotDecidedAgain(t *testing.T) {
	e := newEnvAt(t, plateauToday)
	ctx := context.Background()
	plateauAthlete(t, e)
	if err := e.svc.HandleRecommendation(ctx, recommendation("rec-1", plateauAsOf)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.HandlePlateau(ctx, plateauEvent("plateau-5")); err != nil {
		t.Fatal(err)
	}
	if rec := plateauRecord(t, e, "plateau-5"); rec.Outcome != app.PlateauKept || rec.DeloadID != app.ReactiveDeloadID(team, athlete, "rec-1") {
		t.Fatalf("plateau record %+v, want kept for the pending reactive deload", rec)
	}
	revs, count := revisions(t, e), len(programmingEvents(t, e.bus))

	twoWeeksLater := app.New(e.tables, eventbus.Publisher{Bus: e.bus}, bustest.Logger(t),
		app.WithClock(func() time.Time { return domain.Date(2026, time.January, 21).Add(9 * time.Hour) }))
	if err := twoWeeksLater.HandlePlateau(ctx, plateauEvent("plateau-5")); err != nil {
		t.Fatal(err)
	}
	if after := revisions(t, e); !maps.Equal(after, revs) {
		t.Errorf("replay changed deloads: %v -> %v", revs, after)
	}
	if n := len(programmingEvents(t, e.bus)); n != count {
		t.Errorf("replay published %d events", n-count)
	}
}

// An athlete without a program: nothing to move, but the plateau is on record.
func TestPlateauWithoutAProgram(t *testing.T) {
	e := newEnvAt(t, plateauToday)
	ctx := context.Background()
	e.profile(t, commonv1.ExperienceLevel_EXPERIENCE_LEVEL_ADVANCED, 150)
	count := len(programmingEvents(t, e.bus))
	if err := e.svc.HandlePlateau(ctx, plateauEvent("plateau-3")); err != nil {
		t.Fatal(err)
	}
	if n := len(programmingEvents(t, e.bus)); n != count {
		t.Errorf("%d events published", n-count)
	}
	if rec := plateauRecord(t, e, "plateau-3"); rec.Outcome != app.PlateauNoProgram || rec.AsOf != plateauAsOf || rec.Summary != plateauSummary {
		t.Errorf("plateau record %+v", rec)
	}
}

// A crash after the move was recorded but before it was carried out: the redelivery finishes
// it instead of deciding again (by then the deload no longer looks movable).
func TestPlateauRedeliveryFinishesARecordedMove(t *testing.T) {
	e := newEnvAt(t, plateauToday)
	ctx := context.Background()
	plateauAthlete(t, e)
	first := plateauEvent("plateau-4")
	zero := uint64(0)
	unfinished := &app.PlateauRecord{
		TeamID: team, AthleteID: athlete, PlateauID: "plateau-4", EventID: first.GetId(), OccurredAt: plateauAt, AsOf: plateauAsOf,
		Outcome: app.PlateauBroughtForward, Detail: "brought forward from 2026-02-02: " + plateauSummary,
		DeloadID: app.PlannedDeloadID(team, athlete, nextPlannedWeek), From: nextPlannedWeek, To: nextMonday,
	}
	if _, err := e.tables.Plateaus.Put(ctx, app.PlateauKey(team, athlete, "plateau-4"), unfinished, &zero); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.HandlePlateau(ctx, plateauEvent("plateau-4")); err != nil {
		t.Fatal(err)
	}
	all, err := e.svc.Deloads(ctx, team, athlete)
	if err != nil {
		t.Fatal(err)
	}
	if got := weeksOf(all, commonv1.DeloadKind_DELOAD_KIND_PLANNED, commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED); !equal(got, []string{"2026-01-12", "2026-02-16", "2026-03-23"}) {
		t.Errorf("planned deloads %v", got)
	}
	if !plateauRecord(t, e, "plateau-4").Applied {
		t.Error("record not marked applied")
	}
	// The events name the first delivery, as they would have without the crash.
	for _, out := range programmingEvents(t, e.bus) {
		if s := out.GetDeloadScheduled(); s != nil && app.DateOf(s.GetWeekStart()).Equal(nextMonday) && out.GetCausationId() != first.GetId() {
			t.Errorf("causation %q, want the first delivery %s", out.GetCausationId(), first.GetId())
		}
	}
}

// A plateau the consumer can never handle goes to the DLQ instead of blocking the athlete's
// later events.
func TestPlateauWithoutIDIsDeadLettered(t *testing.T) {
	e := newEnvAt(t, plateauToday)
	ctx := context.Background()
	consumer := startConsumer(t, e)
	publishAndWait(t, e, consumer, plateauEvent(""))
	dlq, err := e.bus.JetStream().Stream(ctx, bus.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	m, err := dlq.GetLastMsgForSubject(ctx, bus.DeadLetterSubject(bus.StreamAnalysis, ports.Durable))
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	if reason := m.Header.Get(bus.HeaderDLQReason); reason == "" {
		t.Error("dead letter without a reason")
	}
}
