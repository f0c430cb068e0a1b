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

// A recommendation whose athlete recovers in the data before the page went out (an import or a
// backlog processed in one burst, here held by quiet hours) is still delivered once: whether a
// coach hears of it must not depend on how fast the data was processed. A coach resolving it
// first is what makes the page unnecessary.
func TestRecoveredBeforeDeliveryStillPagesButACoachResolutionDoesNot(t *testing.T) {
	for _, c := range []struct {
		name      string
		byCoach   bool
		wantPages int
	}{
		{"recovered in the data", false, 1},
		{"resolved by a coach", true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			// 23:30 in Chicago: quiet 22:00-07:00 holds the page until 13:00Z.
			clock := &fakeClock{now: time.Date(2026, 11, 28, 5, 30, 0, 0, time.UTC)}
			h := newHarness(t, testConfig(), harnessOpts{clock: clock})
			rcv := newReceiver(t, nil)
			_, rcv.secret = h.subscribe(&notificationsv1.Subscription{
				Channels:   []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")},
				QuietHours: &notificationsv1.QuietHours{StartMinute: 22 * 60, EndMinute: 7 * 60, TimeZone: "America/Chicago"},
			})
			h.recommend("a1", 70)
			var alertID string
			eventually(t, 5*time.Second, "the alert to be raised", func() bool {
				resp, err := h.client.ListAlerts(h.ctx, &notificationsv1.ListAlertsRequest{TeamId: team})
				if err != nil || len(resp.GetAlerts()) != 1 {
					return false
				}
				alertID = resp.GetAlerts()[0].GetAlertId()
				return true
			})
			if c.byCoach {
				if _, err := h.client.ResolveAlert(h.ctx, &notificationsv1.ResolveAlertRequest{TeamId: team, AlertId: alertID, Note: "seen in the gym"}); err != nil {
					t.Fatal(err)
				}
			} else {
				ok := &eventsv1.Event{Id: events.NewID(), TeamId: team, AthleteId: "a1", Source: "fatigue", OccurredAt: timestamppb.New(clock.Now()),
					Payload: &eventsv1.Event_AthleteAssessed{AthleteAssessed: &eventsv1.AthleteAssessed{Status: commonv1.AthleteStatus_ATHLETE_STATUS_OK}}}
				if _, err := events.Publish(h.ctx, h.bus, ok); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, 5*time.Second, "the alert to be resolved", func() bool {
				resp, err := h.client.GetAlert(h.ctx, &notificationsv1.GetAlertRequest{TeamId: team, AlertId: alertID})
				return err == nil && resp.GetAlert().GetState() == commonv1.AlertState_ALERT_STATE_RESOLVED
			})
			clock.Set(time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC))
			for range 2 { // a second tick must not page again
				if err := h.svc.app.Tick(h.ctx); err != nil {
					t.Fatal(err)
				}
			}
			if n, _, _, bad := rcv.snapshot(); n != c.wantPages || bad != 0 {
				t.Fatalf("%d deliveries (%d badly signed), want %d", n, bad, c.wantPages)
			}
		})
	}
}
