package notifications

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/app"
)

// The "done when" path: one signed alert with the evidence, live on the watch stream, a second
// recommendation while open does not page again, ack closes it, and the delivery log is in
// ClickHouse.
func TestDeloadAlertOnceSignedLiveAndLogged(t *testing.T) {
	st := clickHouse(t)
	h := newHarness(t, testConfig(), harnessOpts{store: st})
	rcv := newReceiver(t, nil)
	_, secret := h.subscribe(&notificationsv1.Subscription{Name: "Head coach", Channels: []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")}})
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("generated signing secret %q", secret)
	}
	rcv.secret = secret

	watch, err := h.client.WatchAlerts(h.ctx, &notificationsv1.WatchAlertsRequest{TeamId: team})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the stream's consumer start before the first event

	h.recommend("a42", 78)
	rcv.waitRequests(1, 10*time.Second)
	_, keys, bodies, badSigs := rcv.snapshot()
	if badSigs != 0 {
		t.Fatalf("%d deliveries failed signature verification", badSigs)
	}
	got := bodies[0]
	if got.Type != "alert" || len(got.Alerts) != 1 || keys[0] != got.Alerts[0].AlertID {
		t.Fatalf("webhook body %+v with idempotency key %q", got, keys[0])
	}
	al := got.Alerts[0]
	if al.Kind != "deload_recommended" || al.Severity != "warning" || al.AthleteID != "a42" || len(al.Evidence) != 2 ||
		!strings.Contains(al.Evidence[0].Detail, "3.1% below") || al.Evidence[1].Family != "motivation_sleep" {
		t.Fatalf("alert lacks its evidence: %+v", al)
	}

	first, err := watch.Recv()
	if err != nil || first.GetChange() != notificationsv1.AlertChange_ALERT_CHANGE_RAISED || first.GetAlert().GetAlertId() != al.AlertID {
		t.Fatalf("watch first message %v, %v; want RAISED of %s", first, err, al.AlertID)
	}

	// A second recommendation while open updates the alert and pages nobody.
	h.recommend("a42", 81)
	eventually(t, 10*time.Second, "the alert to absorb the second cause", func() bool {
		resp, err := h.client.GetAlert(h.ctx, &notificationsv1.GetAlertRequest{TeamId: team, AlertId: al.AlertID})
		return err == nil && resp.GetAlert().GetOccurrences() == 2
	})
	time.Sleep(200 * time.Millisecond)
	if n, _, _, _ := rcv.snapshot(); n != 1 {
		t.Fatalf("receiver got %d deliveries, want exactly 1", n)
	}

	ack, err := h.client.AcknowledgeAlert(h.ctx, &notificationsv1.AcknowledgeAlertRequest{TeamId: team, AlertId: al.AlertID})
	if err != nil || ack.GetAlert().GetState() != commonv1.AlertState_ALERT_STATE_ACKNOWLEDGED {
		t.Fatalf("ack: %v, %v", ack, err)
	}
	seen := map[notificationsv1.AlertChange]bool{}
	for !seen[notificationsv1.AlertChange_ALERT_CHANGE_ACKNOWLEDGED] {
		m, err := watch.Recv()
		if err != nil {
			t.Fatalf("watch: %v (seen %v)", err, seen)
		}
		seen[m.GetChange()] = true
	}
	if !seen[notificationsv1.AlertChange_ALERT_CHANGE_DELIVERED] || !seen[notificationsv1.AlertChange_ALERT_CHANGE_UPDATED] {
		t.Errorf("watch saw %v; want DELIVERED and UPDATED before ACKNOWLEDGED", seen)
	}

	list, err := h.client.ListAlerts(h.ctx, &notificationsv1.ListAlertsRequest{TeamId: team,
		States: []commonv1.AlertState{commonv1.AlertState_ALERT_STATE_ACKNOWLEDGED}})
	if err != nil || len(list.GetAlerts()) != 1 || list.GetAlerts()[0].GetDeliveries() != 1 {
		t.Fatalf("list acknowledged: %v, %v", list, err)
	}
	eventually(t, 15*time.Second, "the delivery log in ClickHouse", func() bool {
		resp, err := h.client.ListDeliveries(h.ctx, &notificationsv1.ListDeliveriesRequest{TeamId: team, AlertId: al.AlertID})
		if err != nil {
			t.Logf("list deliveries: %v", err)
			return false
		}
		a := resp.GetAttempts()
		return len(a) == 1 && a[0].GetDelivered() && a[0].GetStatusCode() == 200 && a[0].GetLatencyMs() > 0 && a[0].GetAttempt() == 1
	})
	var changes uint64
	if err := storeQueryRow(t, st, "SELECT count() FROM alert_events FINAL WHERE alert_id = ?", al.AlertID, &changes); err != nil || changes < 4 {
		t.Errorf("alert_events rows for the alert: %d, %v; want raised, delivered, updated, acknowledged", changes, err)
	}
}

func TestWebhookRetriesTransientFailuresWithTheSameKey(t *testing.T) {
	h := newHarness(t, testConfig(), harnessOpts{})
	rcv := newReceiver(t, func(n int) (int, bool) {
		if n <= 2 {
			return http.StatusServiceUnavailable, false
		}
		return http.StatusOK, false
	})
	_, rcv.secret = h.subscribe(&notificationsv1.Subscription{Channels: []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "s3cret")}})
	h.recommend("a1", 70)
	rcv.waitRequests(3, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	n, keys, _, badSigs := rcv.snapshot()
	if n != 3 || badSigs != 0 || keys[0] != keys[1] || keys[1] != keys[2] || keys[0] == "" {
		t.Fatalf("requests %d, keys %v, bad signatures %d; want 3 signed requests with one key", n, keys, badSigs)
	}
	eventually(t, 5*time.Second, "the alert to count the delivery", func() bool {
		resp, err := h.client.GetAlert(h.ctx, &notificationsv1.GetAlertRequest{TeamId: team, AlertId: keys[0]})
		return err == nil && resp.GetAlert().GetDeliveries() == 1 && resp.GetAlert().GetFailedAttempts() == 2
	})
	// Each attempt is measured: two transient failures, one delivery, three latencies.
	for outcome, want := range map[string]float64{"transient": 2, "delivered": 1, "permanent": 0, "": 3} {
		if got := h.deliveryMetric(outcome); got != want {
			t.Errorf("webhook attempts %q = %v, want %v", outcome, got, want)
		}
	}
}

// dlqReasons reads what the dispatcher dead-lettered.
func dlqReasons(t *testing.T, h *harness, want int) []string {
	t.Helper()
	cons, err := h.bus.JetStream().OrderedConsumer(h.ctx, bus.StreamDLQ, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{bus.DeadLetterSubject(bus.StreamNotify, app.DurableDispatch)}})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	deadline := time.Now().Add(10 * time.Second)
	for len(reasons) < want && time.Now().Before(deadline) {
		batch, err := cons.Fetch(want-len(reasons), jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			reasons = append(reasons, m.Headers().Get(bus.HeaderDLQReason))
		}
	}
	return reasons
}

func TestWebhook400IsNotRetriedAndGoesToTheDLQ(t *testing.T) {
	h := newHarness(t, testConfig(), harnessOpts{})
	rcv := newReceiver(t, func(int) (int, bool) { return http.StatusBadRequest, false })
	_, rcv.secret = h.subscribe(&notificationsv1.Subscription{Channels: []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")}})
	h.recommend("a1", 70)
	reasons := dlqReasons(t, h, 1)
	if len(reasons) != 1 || !strings.Contains(reasons[0], "400") {
		t.Fatalf("DLQ reasons %q; want one naming HTTP 400", reasons)
	}
	time.Sleep(200 * time.Millisecond)
	if n, _, _, _ := rcv.snapshot(); n != 1 {
		t.Fatalf("receiver got %d requests; a 400 must not be retried", n)
	}
}

func TestHangingWebhookTimesOutRetriesAndDeadLetters(t *testing.T) {
	cfg := testConfig()
	cfg.Retry.MaxAttempts = 3
	h := newHarness(t, cfg, harnessOpts{})
	rcv := newReceiver(t, func(int) (int, bool) { return 0, true })
	_, rcv.secret = h.subscribe(&notificationsv1.Subscription{Channels: []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")}})
	h.recommend("a1", 70)
	reasons := dlqReasons(t, h, 1)
	if len(reasons) != 1 || !strings.Contains(reasons[0], "attempt 3") {
		t.Fatalf("DLQ reasons %q; want the budget of 3 attempts spent", reasons)
	}
	if n, _, _, _ := rcv.snapshot(); n != 3 {
		t.Fatalf("receiver got %d requests, want 3 (one per attempt)", n)
	}
}

func TestInvalidSubscriptionNamesTheFields(t *testing.T) {
	h := newHarness(t, testConfig(), harnessOpts{})
	_, err := h.client.Subscribe(h.ctx, &notificationsv1.SubscribeRequest{TeamId: team, Subscription: &notificationsv1.Subscription{
		AthleteIds: []string{"a.b"},
		QuietHours: &notificationsv1.QuietHours{StartMinute: 1500, TimeZone: "Mars/Olympus"},
		Channels:   []*notificationsv1.ChannelTarget{webhookTarget("ftp://x", "")},
	}})
	if err == nil {
		t.Fatal("want InvalidArgument")
	}
	for _, field := range []string{"subscription.athlete_ids[0]", "subscription.channels[0].webhook.url",
		"subscription.quiet_hours.start_minute", "subscription.quiet_hours.time_zone"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}
