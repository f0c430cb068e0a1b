package notifications

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/app"
)

// The "deload awaits approval" alert closes (expired) when that deload lapses unapproved or is
// completed, and not when another deload of the athlete is skipped.
func TestScheduledDeloadAlertExpiresWithItsDeload(t *testing.T) {
	h := newHarness(t, testConfig(), harnessOpts{})
	publish := func(p *eventsv1.Event) {
		t.Helper()
		p.Id, p.TeamId, p.AthleteId, p.Source, p.OccurredAt = events.NewID(), team, "a7", "programming", timestamppb.Now()
		if _, err := events.Publish(h.ctx, h.bus, p); err != nil {
			t.Fatal(err)
		}
	}
	week := &commonv1.Date{Year: 2026, Month: 1, Day: 12}
	publish(&eventsv1.Event{Payload: &eventsv1.Event_DeloadScheduled{DeloadScheduled: &eventsv1.DeloadScheduled{
		DeloadId: "d1", Kind: commonv1.DeloadKind_DELOAD_KIND_REACTIVE, Status: commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL,
		WeekStart: week, RequiresApproval: true, Reason: "reactive"}}})

	var alertID string
	eventually(t, 10*time.Second, "the awaits-approval alert", func() bool {
		resp, err := h.client.ListAlerts(h.ctx, &notificationsv1.ListAlertsRequest{TeamId: team})
		if err != nil {
			return false
		}
		for _, a := range resp.GetAlerts() {
			if a.GetContent().GetKind() == commonv1.AlertKind_ALERT_KIND_DELOAD_SCHEDULED && a.GetContent().GetDeloadId() == "d1" {
				alertID = a.GetAlertId()
				return true
			}
		}
		return false
	})
	state := func() *notificationsv1.Alert {
		t.Helper()
		resp, err := h.client.GetAlert(h.ctx, &notificationsv1.GetAlertRequest{TeamId: team, AlertId: alertID})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetAlert()
	}

	// Another deload of the athlete skipped: this alert stays open.
	publish(&eventsv1.Event{Payload: &eventsv1.Event_DeloadSkipped{DeloadSkipped: &eventsv1.DeloadSkipped{
		DeloadId: "d0", Kind: commonv1.DeloadKind_DELOAD_KIND_PLANNED, WeekStart: week, Reason: "within 10 days of a reactive deload"}}})
	eventually(t, 10*time.Second, "the skip of d0 handled", func() bool {
		c, err := h.bus.JetStream().Consumer(h.ctx, bus.StreamProgramming, app.DurableProgramming)
		if err != nil {
			return false
		}
		info, err := c.Info(h.ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.AckFloor.Stream >= 2
	})
	if st := state().GetState(); st == commonv1.AlertState_ALERT_STATE_RESOLVED {
		t.Fatal("another deload's skip closed the alert")
	}
	// d1 lapses unapproved.
	publish(&eventsv1.Event{Payload: &eventsv1.Event_DeloadSkipped{DeloadSkipped: &eventsv1.DeloadSkipped{
		DeloadId: "d1", Kind: commonv1.DeloadKind_DELOAD_KIND_REACTIVE, WeekStart: week, Reason: "lapsed: not approved"}}})
	eventually(t, 10*time.Second, "the alert expired with its deload", func() bool {
		return state().GetState() == commonv1.AlertState_ALERT_STATE_RESOLVED
	})
	if r := state().GetResolution(); r != eventsv1.AlertResolution_ALERT_RESOLUTION_EXPIRED {
		t.Errorf("resolution %s, want expired", r)
	}
}
