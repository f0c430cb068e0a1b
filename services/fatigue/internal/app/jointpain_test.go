package app

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// A wellness report with joint pain at or above the flag (default 3/5) produces one
// JointPainFlagged naming the flagged locations and how many reports in a row were flagged;
// days without a report do not break the run, a report below the flag does.
func TestJointPainFlagged(t *testing.T) {
	th := domain.DefaultThresholds()
	three := new(uint32)
	*three = 3
	st := &domain.State{}
	day0 := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	report := func(id string, day int, pain ...*eventsv1.JointPain) *eventsv1.Event {
		t.Helper()
		ev := &eventsv1.Event{Id: id, TeamId: "t1", AthleteId: "a1", OccurredAt: timestamppb.New(day0.AddDate(0, 0, day)),
			Payload: &eventsv1.Event_WellnessReported{WellnessReported: &eventsv1.WellnessReported{
				Fatigue: three, SleepQuality: three, Soreness: three, Stress: three, Mood: three, Motivation: three, JointPain: pain}}}
		out, ok := Step(st, ev, th)
		if !ok {
			t.Fatalf("report %s not observed", id)
		}
		return out.JointPain
	}
	knee := func(score uint32) *eventsv1.JointPain {
		return &eventsv1.JointPain{Location: "left knee", Score: score}
	}
	back := func(score uint32) *eventsv1.JointPain {
		return &eventsv1.JointPain{Location: "lower back", Score: score}
	}

	if ev := report("r0", 0); ev != nil {
		t.Errorf("a report without pain flagged: %v", ev)
	}
	ev := report("r1", 1, knee(4), back(1))
	if ev == nil {
		t.Fatal("knee 4/5 not flagged")
	}
	jp := ev.GetJointPainFlagged()
	if len(jp.GetJointPain()) != 1 || jp.GetJointPain()[0].GetLocation() != "left knee" || jp.GetThreshold() != 3 ||
		jp.GetConsecutiveReports() != 1 || jp.GetReportEventId() != "r1" || ev.GetCausationId() != "r1" ||
		jp.GetReportedOn().GetDay() != 3 || ev.GetAthleteId() != "a1" {
		t.Errorf("first flag: %v", ev)
	}
	if again := report("r1", 1, knee(4), back(1)); again.GetId() != ev.GetId() {
		t.Errorf("the same report flagged under a new id %s (was %s)", again.GetId(), ev.GetId())
	}
	// No report on day 2; day 3 at exactly the flag continues the run.
	if got := report("r3", 3, back(3)).GetJointPainFlagged().GetConsecutiveReports(); got != 2 {
		t.Errorf("consecutive reports %d, want 2 (a day without a report does not break the run)", got)
	}
	if ev := report("r4", 4, knee(2)); ev != nil {
		t.Errorf("2/5 flagged: %v", ev)
	}
	if got := report("r5", 5, knee(5)).GetJointPainFlagged().GetConsecutiveReports(); got != 1 {
		t.Errorf("consecutive reports %d after a report below the flag, want 1", got)
	}
}
