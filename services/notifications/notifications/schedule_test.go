package notifications

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

func TestQuietHoursHoldUntilTheyEndInTheSubscribersZone(t *testing.T) {
	// 23:30 in Chicago (CST, UTC-6) on 2026-11-27; quiet 22:00-07:00 ends at 13:00Z.
	clock := &fakeClock{now: time.Date(2026, 11, 28, 5, 30, 0, 0, time.UTC)}
	h := newHarness(t, testConfig(), harnessOpts{clock: clock})
	rcv := newReceiver(t, nil)
	_, rcv.secret = h.subscribe(&notificationsv1.Subscription{
		Channels:   []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")},
		QuietHours: &notificationsv1.QuietHours{StartMinute: 22 * 60, EndMinute: 7 * 60, TimeZone: "America/Chicago"},
	})
	h.recommend("a1", 70)
	eventually(t, 5*time.Second, "the alert to be raised", func() bool {
		resp, err := h.client.ListAlerts(h.ctx, &notificationsv1.ListAlertsRequest{TeamId: team})
		return err == nil && len(resp.GetAlerts()) == 1
	})
	time.Sleep(200 * time.Millisecond)
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _, _ := rcv.snapshot(); n != 0 {
		t.Fatalf("%d deliveries during quiet hours", n)
	}
	clock.Set(time.Date(2026, 11, 28, 12, 59, 0, 0, time.UTC))
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _, _ := rcv.snapshot(); n != 0 {
		t.Fatalf("%d deliveries a minute before quiet hours end", n)
	}
	clock.Set(time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC))
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _, bad := rcv.snapshot(); n != 1 || bad != 0 {
		t.Fatalf("after quiet hours: %d deliveries (%d badly signed), want 1", n, bad)
	}
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _, _ := rcv.snapshot(); n != 1 {
		t.Fatalf("a later tick delivered again: %d", n)
	}
}

func TestDigestCollectsAlertsIntoOneMessage(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)} // 10:00 in Berlin
	h := newHarness(t, testConfig(), harnessOpts{clock: clock})
	rcv := newReceiver(t, nil)
	_, rcv.secret = h.subscribe(&notificationsv1.Subscription{
		Channels: []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")},
		Digest:   &notificationsv1.DigestSchedule{Enabled: true, SendMinute: 18 * 60, TimeZone: "Europe/Berlin"},
	})
	h.recommend("a1", 70)
	h.recommend("a2", 72)
	eventually(t, 5*time.Second, "two alerts", func() bool {
		resp, err := h.client.ListAlerts(h.ctx, &notificationsv1.ListAlertsRequest{TeamId: team})
		return err == nil && len(resp.GetAlerts()) == 2
	})
	time.Sleep(200 * time.Millisecond)
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _, _ := rcv.snapshot(); n != 0 {
		t.Fatalf("%d instant deliveries for a digest subscriber", n)
	}
	clock.Set(time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)) // 18:00 in Berlin
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	n, _, bodies, bad := rcv.snapshot()
	if n != 1 || bad != 0 || bodies[0].Type != "digest" || len(bodies[0].Alerts) != 2 {
		t.Fatalf("digest: %d requests (%d bad signatures), body %+v; want one digest of 2 alerts", n, bad, bodies)
	}
	resp, err := h.client.ListAlerts(h.ctx, &notificationsv1.ListAlertsRequest{TeamId: team})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range resp.GetAlerts() {
		if a.GetDeliveries() != 1 {
			t.Errorf("alert %s deliveries %d, want 1", a.GetAlertId(), a.GetDeliveries())
		}
	}
}

func TestEscalationReachesTheContactUntilAcknowledged(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	h := newHarness(t, testConfig(), harnessOpts{clock: clock})
	coach := newReceiver(t, nil)
	head := newReceiver(t, nil)
	_, coach.secret = h.subscribe(&notificationsv1.Subscription{Name: "coach",
		Channels: []*notificationsv1.ChannelTarget{webhookTarget(coach.srv.URL, "")}, EscalateAfter: durationpb.New(time.Hour)})
	_, head.secret = h.subscribe(&notificationsv1.Subscription{Name: "head of performance", EscalationsOnly: true,
		Channels: []*notificationsv1.ChannelTarget{webhookTarget(head.srv.URL, "")}})
	h.recommend("a1", 70)
	coach.waitRequests(1, 10*time.Second)
	_, keys, _, _ := coach.snapshot()

	clock.Set(t0.Add(59 * time.Minute))
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n, _, _, _ := head.snapshot(); n != 0 {
		t.Fatalf("escalated before the hour: %d", n)
	}
	clock.Set(t0.Add(61 * time.Minute))
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	head.waitRequests(1, 10*time.Second)
	_, hkeys, bodies, bad := head.snapshot()
	if bad != 0 || hkeys[0] != keys[0] || bodies[0].Alerts[0].EscalationLevel != 1 {
		t.Fatalf("escalation: key %q (alert %q), level %d, bad signatures %d", hkeys[0], keys[0], bodies[0].Alerts[0].EscalationLevel, bad)
	}
	if _, err := h.client.AcknowledgeAlert(h.ctx, &notificationsv1.AcknowledgeAlertRequest{TeamId: team, AlertId: keys[0]}); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(3 * time.Hour))
	if err := h.svc.app.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n, _, _, _ := head.snapshot(); n != 1 {
		t.Fatalf("acknowledged alert escalated again: %d deliveries", n)
	}
	if n, _, _, _ := coach.snapshot(); n != 1 {
		t.Fatalf("coach paged %d times, want 1", n)
	}
}

// A crash after the webhook accepted the alert and before the delivery was recorded and acked:
// the next instance redelivers with the same idempotency key, so the receiver can keep exactly
// one.
func TestCrashBetweenSendAndAckRedeliversWithTheSameKey(t *testing.T) {
	cfg := testConfig()
	cfg.AckWait = time.Second
	e := bustest.Server(t)
	first := newHarness(t, cfg, harnessOpts{nats: e})
	rcv := newReceiver(t, nil)
	_, rcv.secret = first.subscribe(&notificationsv1.Subscription{Channels: []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")}})
	crashed := make(chan struct{})
	var once sync.Once
	first.svc.app.AfterSend = func(string) error {
		once.Do(func() {
			first.bus.Conn().Close() // the process dies: no record, no ack
			close(crashed)
		})
		return errors.New("crashed")
	}
	first.recommend("a1", 70)
	select {
	case <-crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery never reached the crash point")
	}
	first.stop()

	second := newHarness(t, cfg, harnessOpts{nats: e})
	rcv.waitRequests(2, 15*time.Second)
	eventually(t, 10*time.Second, "the redelivery to be recorded", func() bool {
		resp, err := second.client.ListAlerts(second.ctx, &notificationsv1.ListAlertsRequest{TeamId: team})
		return err == nil && len(resp.GetAlerts()) == 1 && resp.GetAlerts()[0].GetDeliveries() == 1
	})
	time.Sleep(300 * time.Millisecond)
	n, keys, _, bad := rcv.snapshot()
	unique := map[string]bool{}
	for _, k := range keys {
		unique[k] = true
	}
	if n != 2 || len(unique) != 1 || bad != 0 {
		t.Fatalf("receiver: %d requests with keys %v (%d badly signed); want the send and one redelivery with one key", n, keys, bad)
	}
}

// smtpBackend is an in-process SMTP server that keeps what it receives.
type smtpBackend struct {
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

type smtpSession struct{ b *smtpBackend }

func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.rcpt = append(s.b.rcpt, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.msgs = append(s.b.msgs, string(data))
	return err
}

func TestEmailOverSMTPWithStartTLS(t *testing.T) {
	// Borrow httptest's self-signed certificate for the relay's STARTTLS.
	tlsSrv := httptest.NewTLSServer(nil)
	certs := tlsSrv.TLS.Certificates
	tlsSrv.Close()
	be := &smtpBackend{}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: certs}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })

	cfg := testConfig()
	cfg.SMTP = SMTPConfig{Addr: l.Addr().String(), From: "alerts@supercomp.test", InsecureSkipVerify: true, RequireTLS: true}
	h := newHarness(t, cfg, harnessOpts{})
	h.subscribe(&notificationsv1.Subscription{Kinds: []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED},
		Channels: []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_Email{Email: &notificationsv1.EmailTarget{
			Addresses: []string{"coach@club.test"}}}}}})
	h.recommend("a9", 77)
	eventually(t, 10*time.Second, "the email", func() bool {
		be.mu.Lock()
		defer be.mu.Unlock()
		return len(be.msgs) == 1
	})
	msg := be.msgs[0]
	for _, want := range []string{"Subject: Deload recommended for a9 (score 77)", "text/plain", "text/html",
		"3.1% below the previous 3 weeks", "<li>", "coach@club.test"} {
		if !strings.Contains(msg, want) {
			t.Errorf("email lacks %q:\n%s", want, msg)
		}
	}
}

func TestSlackWebhookShowsTheEvidence(t *testing.T) {
	h := newHarness(t, testConfig(), harnessOpts{})
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(httpHandler(func(body string) { mu.Lock(); bodies = append(bodies, body); mu.Unlock() }))
	t.Cleanup(srv.Close)
	h.subscribe(&notificationsv1.Subscription{Channels: []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_SlackWebhook{
		SlackWebhook: &notificationsv1.SlackWebhookTarget{Url: srv.URL + "/services/T000/B000/XXXX"}}}}})
	h.recommend("a3", 66)
	eventually(t, 10*time.Second, "the slack message", func() bool { mu.Lock(); defer mu.Unlock(); return len(bodies) == 1 })
	for _, want := range []string{`"blocks"`, "*Evidence*", "3.1% below", "sleep_quality_z -1.4 z"} {
		if !strings.Contains(bodies[0], want) {
			t.Errorf("slack body lacks %q: %s", want, bodies[0])
		}
	}
	list, err := h.client.ListSubscriptions(context.Background(), &notificationsv1.ListSubscriptionsRequest{TeamId: team})
	if err != nil || strings.Contains(list.GetSubscriptions()[0].GetChannels()[0].GetSlackWebhook().GetUrl(), "XXXX") {
		t.Errorf("slack URL not redacted on reads: %v %v", list, err)
	}
}
