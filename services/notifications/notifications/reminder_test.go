package notifications

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// reportWellness publishes a wellness questionnaire of athlete filled in at at, on TRAINING.
func (h *harness) reportWellness(athlete string, at time.Time) {
	h.t.Helper()
	fatigue := uint32(4)
	ev := &eventsv1.Event{Id: events.NewID(), TeamId: team, AthleteId: athlete, Source: "checkin", OccurredAt: timestamppb.New(at),
		Payload: &eventsv1.Event_WellnessReported{WellnessReported: &eventsv1.WellnessReported{Fatigue: &fatigue}}}
	if _, err := events.Publish(h.ctx, h.bus, ev); err != nil {
		h.t.Fatalf("publish wellness: %v", err)
	}
}

func TestCheckinReminderGoesOnceToWhoDidNotReportAndNeverInQuietHours(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	local := func(day, hour, minute int) time.Time { return time.Date(2026, 12, day, hour, minute, 0, 0, chicago) }
	clock := &fakeClock{now: local(8, 6, 0)}
	h := newHarness(t, testConfig(), harnessOpts{clock: clock})
	rcv := newReceiver(t, nil)
	sub, secret := h.subscribe(&notificationsv1.Subscription{
		Name:            "Athletes' app",
		Channels:        []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")},
		QuietHours:      &notificationsv1.QuietHours{StartMinute: 22 * 60, EndMinute: 7 * 60, TimeZone: "America/Chicago"},
		CheckinReminder: &notificationsv1.CheckinReminder{Enabled: true, SendMinute: 8*60 + 30, TimeZone: "America/Chicago"},
	})
	rcv.secret = secret

	// a1 and a2 check in; a3 stopped 5 weeks ago and is off the roster. On the 8th only a1
	// reports before the send time.
	h.reportWellness("a1", local(6, 7, 50))
	h.reportWellness("a2", local(6, 8, 10))
	h.reportWellness("a3", local(1, 8, 0).AddDate(0, -1, 0))
	h.reportWellness("a1", local(8, 7, 45))
	eventually(t, 5*time.Second, "the wellness reports to be recorded", func() bool {
		last, err := h.svc.app.State.Checkins(h.ctx, team)
		return err == nil && len(last) == 3 && last["a1"].Equal(local(8, 7, 45))
	})

	tick := func(at time.Time) {
		t.Helper()
		clock.Set(at)
		if err := h.svc.app.Tick(h.ctx); err != nil {
			t.Fatalf("tick at %s: %v", at, err)
		}
	}
	want := func(when string, keys ...string) {
		t.Helper()
		n, got, bodies, bad := rcv.snapshot()
		if n != len(keys) || !slices.Equal(got, keys) || bad != 0 {
			t.Fatalf("%s: %d requests with keys %q (%d bad signatures), want keys %q", when, n, got, bad, keys)
		}
		for _, b := range bodies {
			if b.Type != "checkin_reminder" {
				t.Fatalf("%s: body type %q, want checkin_reminder", when, b.Type)
			}
		}
	}

	tick(local(8, 8, 0))
	want("before the send time")
	tick(local(8, 8, 31))
	want("at the send time", "t1/a2/2026-12-08")
	tick(local(8, 9, 0))
	want("a second tick the same day", "t1/a2/2026-12-08")

	// The next day quiet hours cover the send time: nothing until they end, then both.
	sub.QuietHours = &notificationsv1.QuietHours{StartMinute: 8 * 60, EndMinute: 10 * 60, TimeZone: "America/Chicago"}
	sub.Channels = []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")}
	if _, err := h.client.UpdateSubscription(h.ctx, &notificationsv1.UpdateSubscriptionRequest{TeamId: team, Subscription: sub}); err != nil {
		t.Fatal(err)
	}
	tick(local(9, 9, 0))
	want("in quiet hours", "t1/a2/2026-12-08")
	tick(local(9, 10, 5))
	want("after quiet hours", "t1/a2/2026-12-08", "t1/a1/2026-12-09", "t1/a2/2026-12-09")
}

func TestCheckinReminderSettingIsValidated(t *testing.T) {
	h := newHarness(t, testConfig(), harnessOpts{})
	slack := &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_SlackWebhook{
		SlackWebhook: &notificationsv1.SlackWebhookTarget{Url: "https://hooks.slack.example/x"}}}
	_, err := h.client.Subscribe(h.ctx, &notificationsv1.SubscribeRequest{TeamId: team, Subscription: &notificationsv1.Subscription{
		Channels:        []*notificationsv1.ChannelTarget{slack},
		CheckinReminder: &notificationsv1.CheckinReminder{Enabled: true, SendMinute: 1440, TimeZone: "Mars/Olympus"},
	}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("subscribe: %v, want InvalidArgument", err)
	}
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	for _, f := range []string{"subscription.checkin_reminder.send_minute", "subscription.checkin_reminder.time_zone", "subscription.channels[0]"} {
		if !slices.Contains(fields, f) {
			t.Errorf("violations %q do not name %s", fields, f)
		}
	}
}

// TestCheckinReminderIsRetriedAndLogged: a reminder whose webhook fails with 503 is kept and
// sent again on a later tick with the alerts' backoff, never twice once delivered, and every
// attempt is in the delivery log under the reminder's log id.
func TestCheckinReminderIsRetriedAndLogged(t *testing.T) {
	st := clickHouse(t)
	day := func(hour, minute int) time.Time { return time.Date(2026, 12, 8, hour, minute, 0, 0, time.UTC) }
	clock := &fakeClock{now: day(6, 0)}
	h := newHarness(t, testConfig(), harnessOpts{clock: clock, store: st})
	rcv := newReceiver(t, func(n int) (int, bool) {
		if n == 1 {
			return http.StatusServiceUnavailable, false
		}
		return http.StatusOK, false
	})
	_, secret := h.subscribe(&notificationsv1.Subscription{
		Name:            "Athletes' app",
		Channels:        []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")},
		CheckinReminder: &notificationsv1.CheckinReminder{Enabled: true, SendMinute: 8 * 60, TimeZone: "UTC"},
	})
	rcv.secret = secret
	h.reportWellness("a1", day(7, 0).AddDate(0, 0, -1))
	eventually(t, 5*time.Second, "the wellness report to be recorded", func() bool {
		last, err := h.svc.app.State.Checkins(h.ctx, team)
		return err == nil && len(last) == 1
	})
	tick := func(at time.Time) {
		t.Helper()
		clock.Set(at)
		if err := h.svc.app.Tick(h.ctx); err != nil {
			t.Fatalf("tick at %s: %v", at, err)
		}
	}
	tick(day(8, 1))
	if n, _, _, _ := rcv.snapshot(); n != 1 {
		t.Fatalf("%d requests after the first tick, want the one that failed", n)
	}
	tick(day(8, 2))
	tick(day(8, 3))
	n, keys, _, bad := rcv.snapshot()
	if n != 2 || bad != 0 || !slices.Equal(keys, []string{"t1/a1/2026-12-08", "t1/a1/2026-12-08"}) {
		t.Fatalf("after the retry: %d requests with keys %q (%d bad signatures), want the reminder twice", n, keys, bad)
	}
	if retries, err := h.svc.app.State.ReminderRetries(h.ctx); err != nil || len(retries) != 0 {
		t.Errorf("retries left after delivery: %v, %v", retries, err)
	}

	var attempts []*notificationsv1.DeliveryAttempt
	eventually(t, 10*time.Second, "both attempts in the delivery log", func() bool {
		resp, err := h.client.ListDeliveries(h.ctx, &notificationsv1.ListDeliveriesRequest{TeamId: team, AlertId: "reminder/t1/a1/2026-12-08"})
		attempts = resp.GetAttempts()
		return err == nil && len(attempts) == 2
	})
	if a := attempts[0]; a.GetAttempt() != 1 || a.GetDelivered() || a.GetStatusCode() != http.StatusServiceUnavailable {
		t.Errorf("first attempt %v, want a failed 503", a)
	}
	if a := attempts[1]; a.GetAttempt() != 2 || !a.GetDelivered() || a.GetStatusCode() != http.StatusOK {
		t.Errorf("second attempt %v, want delivered 200", a)
	}
}

// TestCheckinReminderGivesUp: a reminder the receiver refuses for good (400) is not sent
// again, and one still waiting for a retry (502) when the team's day ends is dropped, not sent
// the next day.
func TestCheckinReminderGivesUp(t *testing.T) {
	day := func(d, hour int) time.Time { return time.Date(2026, 12, d, hour, 0, 0, 0, time.UTC) }
	clock := &fakeClock{now: day(8, 6)}
	h := newHarness(t, testConfig(), harnessOpts{clock: clock})
	// The first reminder is refused, every later request fails transiently.
	rcv := newReceiver(t, func(n int) (int, bool) {
		if n == 1 {
			return http.StatusBadRequest, false
		}
		return http.StatusBadGateway, false
	})
	_, rcv.secret = h.subscribe(&notificationsv1.Subscription{
		Name:            "Athletes' app",
		Channels:        []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")},
		CheckinReminder: &notificationsv1.CheckinReminder{Enabled: true, SendMinute: 8 * 60, TimeZone: "UTC"},
	})
	h.reportWellness("a1", day(7, 7))
	h.reportWellness("a2", day(7, 7))
	eventually(t, 5*time.Second, "the wellness reports to be recorded", func() bool {
		last, err := h.svc.app.State.Checkins(h.ctx, team)
		return err == nil && len(last) == 2
	})
	clock.Set(day(8, 9))
	if err := h.svc.app.Tick(h.ctx); err == nil || !strings.Contains(err.Error(), "given up") {
		t.Errorf("tick with a refused reminder = %v, want it given up", err)
	}
	_, keys, _, _ := rcv.snapshot()
	retries, err := h.svc.app.State.ReminderRetries(h.ctx)
	if err != nil || len(keys) != 2 || len(retries) != 1 || retries[0].IdempotencyKey != keys[1] {
		t.Fatalf("after the first tick: requests %q, retries %+v, %v; want the 502's reminder alone kept", keys, retries, err)
	}
	// Later the same day the 502's reminder is tried again, the refused one is not.
	clock.Set(day(8, 10))
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatalf("tick: %v", err)
	}
	if _, keys, _, _ = rcv.snapshot(); len(keys) != 3 || keys[2] != keys[1] {
		t.Fatalf("after the second tick: requests %q, want the 502's reminder again", keys)
	}
	// The next day: the pending retry is dropped, and nothing is sent for yesterday.
	clock.Set(day(9, 6))
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatalf("tick the next morning: %v", err)
	}
	if n, _, _, _ := rcv.snapshot(); n != 3 {
		t.Errorf("yesterday's reminder was retried today: %d requests, want 3", n)
	}
	if retries, err := h.svc.app.State.ReminderRetries(h.ctx); err != nil || len(retries) != 0 {
		t.Errorf("retries left after the day ended: %v, %v", retries, err)
	}
}
