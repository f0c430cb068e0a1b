package app

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// A lifter whose squat and bench stay at the same load, reps and RPE for seven weeks has
// plateaued without a sign of fatigue: the status is WATCH, one PlateauDetected goes to
// programming (not one per session), and no deload is recommended.
func TestPlateauIsWatchAndReportedOnce(t *testing.T) {
	th := domain.DefaultThresholds()
	st := &domain.State{}
	start := time.Date(2026, 1, 5, 17, 0, 0, 0, time.UTC)
	var plateaus []*eventsv1.Event
	var last Outcome
	for d := 0; d < 49; d++ {
		if d%7 != 0 && d%7 != 3 {
			continue
		}
		for i, s := range []struct {
			lift commonv1.LiftCategory
			load float64
		}{{commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, 120}, {commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, 85}} {
			at := start.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute)
			ev := &eventsv1.Event{Id: events.DeterministicID("plateau-test", at.String()), TeamId: "t1", AthleteId: "a1",
				OccurredAt: timestamppb.New(at), Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{
					SessionId: "s", Exercise: "lift", LiftCategory: s.lift, LoadKg: s.load, Reps: 5, Rpe: proto.Float64(8),
					SetType: commonv1.SetType_SET_TYPE_WORKING}}}
			out, ok := Step(st, ev, th)
			if !ok {
				t.Fatal("set not observed")
			}
			if out.Recommended != nil {
				t.Fatalf("day %d: a plateau recommended a deload: %s", d, out.Recommended.GetDeloadRecommended().GetSummary())
			}
			if out.Plateau != nil {
				plateaus = append(plateaus, out.Plateau)
			}
			last = out
		}
	}
	if len(plateaus) != 1 {
		t.Fatalf("%d PlateauDetected events, want 1", len(plateaus))
	}
	p := plateaus[0].GetPlateauDetected()
	if p.GetPlateauId() == "" || len(p.GetEvidence()) == 0 || p.GetSummary() == "" {
		t.Errorf("plateau event lacks its id, evidence or summary: %v", p)
	}
	if got := WireAssessment(last.Result.Assessed).GetStatus(); got != commonv1.AthleteStatus_ATHLETE_STATUS_WATCH || !last.Result.Assessed.Plateau {
		t.Errorf("status %v plateau %v, want WATCH on a plateau", got, last.Result.Assessed.Plateau)
	}
}
