package notifications

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// docs/sports-science.md: a plateau alone is WATCH and brings the planned deload forward rather
// than paging the coach. Neither the PlateauDetected nor the WATCH assessment that comes with it raises an
// alert: not when they arrive on ANALYSIS, and not if a consumer's filter ever lets the plateau
// through to HandleEvent. (The deload programming brings forward is announced like any planned
// deload, by its DeloadScheduled on PROGRAMMING.)
func TestPlateauRaisesNoAlert(t *testing.T) {
	h := newHarness(t, testConfig(), harnessOpts{})
	const plateaued = "a-plateau"
	asOf := &commonv1.Date{Year: 2026, Month: 1, Day: 6}
	plateau := &eventsv1.Event{
		Id: events.NewID(), TeamId: team, AthleteId: plateaued, Source: "fatigue", OccurredAt: timestamppb.Now(),
		Payload: &eventsv1.Event_PlateauDetected{PlateauDetected: &eventsv1.PlateauDetected{
			PlateauId: "plateau-1", AsOf: asOf, Summary: "strength plateau since 2025-12-15",
			Evidence: []*eventsv1.Evidence{{Family: commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION, Metric: "e1rm_change_pct", Value: f64(0.4), Unit: "%", Abnormal: true}},
		}},
	}
	assessed := &eventsv1.Event{
		Id: events.NewID(), TeamId: team, AthleteId: plateaued, Source: "fatigue", OccurredAt: timestamppb.Now(),
		Payload: &eventsv1.Event_AthleteAssessed{AthleteAssessed: &eventsv1.AthleteAssessed{
			AsOf: asOf, Score: 35, Status: commonv1.AthleteStatus_ATHLETE_STATUS_WATCH, PreviousStatus: commonv1.AthleteStatus_ATHLETE_STATUS_OK,
			Confidence: 0.6, Plateau: true,
		}},
	}
	for _, ev := range []*eventsv1.Event{plateau, assessed} {
		if _, err := events.Publish(h.ctx, h.bus, ev); err != nil {
			t.Fatal(err)
		}
	}
	// A recommendation for another athlete after them: once its alert exists, the ANALYSIS
	// consumer has been through the plateau's events (one consumer, stream order).
	h.recommend("a-marker", 70)
	alerts := func() []*notificationsv1.Alert {
		t.Helper()
		resp, err := h.client.ListAlerts(h.ctx, &notificationsv1.ListAlertsRequest{TeamId: team})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetAlerts()
	}
	eventually(t, 10*time.Second, "the marker athlete's alert", func() bool {
		for _, a := range alerts() {
			if a.GetAthleteId() == "a-marker" {
				return true
			}
		}
		return false
	})

	// Handed to HandleEvent directly, as a wider filter would: still ignored.
	data, err := encoded(plateau)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.app.HandleEvent(h.ctx, data); err != nil {
		t.Fatalf("HandleEvent(plateau) = %v, want it ignored", err)
	}
	for _, a := range alerts() {
		if a.GetAthleteId() == plateaued {
			t.Errorf("alert raised for a plateau: %s %q", a.GetContent().GetKind(), a.GetContent().GetTitle())
		}
	}
}

func encoded(ev *eventsv1.Event) ([]byte, error) {
	_, data, err := events.Encode(ev)
	return data, err
}
