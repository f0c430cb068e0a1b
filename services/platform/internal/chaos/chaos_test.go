package chaos

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

const (
	// suiteDeadline bounds the whole suite; `make chaos` gives go test a longer -timeout, so
	// the suite's own cleanup (every process stopped by PID, the database dropped) always runs.
	suiteDeadline = 12 * time.Minute
	// settleTimeout bounds the wait for one workload to be stored, assessed and alerted after
	// its fault. Generous: the machine is shared, and the suite reports time, never asserts it.
	settleTimeout = 3 * time.Minute
)

// fault is one failure the platform must ride out. inject starts it once the given share of
// the workload has been sent and returns when the fault is over (the process is back, the
// network restored, the receiver fast again).
type fault struct {
	name   string
	team   string
	at     float64
	inject func(context.Context, *suite) error
}

// suite holds what every fault's run shares: the running platform, ClickHouse read directly
// (never through the proxy), and the coaches' webhook receiver.
type suite struct {
	platform *platform
	store    store.Store
	receiver *webhookReceiver
	hookURL  string
	// reference is the fault-free run every fault's outcome is compared with.
	reference *outcome
}

// TestFaultSuite runs a fault-free reference workload, then each fault in turn on a workload of
// its own, and prints what each cost: lost or duplicated rows, undelivered or repeated alerts,
// changed recommendations, messages dead-lettered, and the time to catch up.
func TestFaultSuite(t *testing.T) {
	if os.Getenv("SC_CHAOS") != "1" {
		t.Skip("the fault suite runs for about 5 minutes (12 at most) and is not part of `make test`: run `make chaos` (SC_CHAOS=1)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), suiteDeadline)
	defer cancel()

	dsn := storetest.FreshServerDSN(t, "sc_chaos")
	logDir, err := os.MkdirTemp("", "sc-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	p := &platform{logDir: logDir}
	// Registered after FreshServerDSN, so it runs before the database is dropped: the services
	// stop while their tables still exist.
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("stop the platform: %v", err)
		}
		if t.Failed() {
			t.Logf("logs kept in %s; their ends:\n%s", logDir, p.logTails())
		} else {
			os.RemoveAll(logDir)
		}
	})
	started := time.Now()
	if err := startPlatform(ctx, p, dsn); err != nil {
		t.Fatalf("start the platform: %v", err)
	}
	t.Logf("platform up in %s (natsd pid %d, logs in %s)", time.Since(started).Round(time.Second), p.natsd.cmd.Process.Pid, logDir)

	st, err := clickhousestore.Open(ctx, dsn, zap.NewNop())
	if err != nil {
		t.Fatalf("open ClickHouse: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	rc := newWebhookReceiver()
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	s := &suite{platform: p, store: st, receiver: rc, hookURL: hook.URL}

	var rows []tableRow
	ok := t.Run("reference", func(t *testing.T) {
		out, row := s.run(ctx, t, fault{name: "none (reference run)", team: "chaos-reference", at: 0.5})
		rows = append(rows, row)
		if len(out.recommendations) == 0 || out.alertsRaised == 0 {
			t.Fatalf("the reference workload produced %d recommendations and %d alerts: nothing to compare faults with",
				len(out.recommendations), out.alertsRaised)
		}
		s.reference = out
	})
	if !ok {
		t.Fatal("no reference run")
	}
	for _, f := range s.faults() {
		if ctx.Err() != nil {
			t.Errorf("suite deadline reached before %q", f.name)
			break
		}
		t.Run(f.team, func(t *testing.T) {
			_, row := s.run(ctx, t, f)
			rows = append(rows, row)
		})
	}
	if rc.signatureFailures() > 0 {
		t.Errorf("%d webhook calls carried a bad signature", rc.signatureFailures())
	}
	table := formatTable(rows)
	t.Logf("fault suite, %s, %d events per workload:\n%s", time.Now().Format("2006-01-02"), len(workload("x")), table)
	fmt.Print(table)
}

func (s *suite) faults() []fault {
	return []fault{
		{name: "kill -9 ingestion", team: "chaos-kill-ingestion", at: 0.5, inject: crashAndRestart("ingestion")},
		{name: "kill -9 fatigue", team: "chaos-kill-fatigue", at: 0.5, inject: crashAndRestart("fatigue")},
		// Later in the stream: the overreachers' alerts are being raised and delivered then.
		{name: "kill -9 notifications", team: "chaos-kill-notifications", at: 0.8, inject: crashAndRestart("notifications")},
		{name: "NATS kill -9, restart", team: "chaos-nats", at: 0.5, inject: restartNATS},
		{name: "ClickHouse unreachable 60 s", team: "chaos-clickhouse", at: 0.5, inject: clickHouseOutage(60 * time.Second)},
		// 12 s is past notifications' 10 s attempt timeout: the receiver has the alert, the
		// sender sees a timeout and retries.
		{name: "slow webhook (12 s answers for 45 s)", team: "chaos-slow-webhook", at: 0.5, inject: slowWebhook(12*time.Second, 45*time.Second)},
	}
}

// crashAndRestart kills the service with SIGKILL, leaves it down for a moment (clients see it
// gone, its consumers' messages stay unacknowledged) and starts it again on the same ports.
func crashAndRestart(name string) func(context.Context, *suite) error {
	return func(ctx context.Context, s *suite) error {
		svc := s.platform.service(name)
		if err := svc.proc.kill9(); err != nil {
			return err
		}
		if err := sleep(ctx, 3*time.Second); err != nil {
			return err
		}
		if err := svc.proc.start(); err != nil {
			return err
		}
		return waitServing(ctx, svc)
	}
}

// restartNATS kills natsd with SIGKILL and starts it again on its store directory and port;
// the fault ends when every service answers again.
func restartNATS(ctx context.Context, s *suite) error {
	if err := s.platform.natsd.kill9(); err != nil {
		return err
	}
	if err := sleep(ctx, 5*time.Second); err != nil {
		return err
	}
	if err := startNATS(ctx, s.platform); err != nil {
		return err
	}
	for _, svc := range s.platform.services {
		if err := waitServing(ctx, svc); err != nil {
			return err
		}
	}
	return nil
}

func clickHouseOutage(d time.Duration) func(context.Context, *suite) error {
	return func(ctx context.Context, s *suite) error {
		s.platform.proxy.Cut()
		err := sleep(ctx, d)
		if rerr := s.platform.proxy.Restore(); rerr != nil {
			return rerr
		}
		return err
	}
}

func slowWebhook(answerAfter, d time.Duration) func(context.Context, *suite) error {
	return func(ctx context.Context, s *suite) error {
		s.receiver.setAnswerDelay(answerAfter)
		defer s.receiver.setAnswerDelay(0)
		return sleep(ctx, d)
	}
}

// run sends one workload with its fault in the middle, waits for the platform to settle and
// checks the outcome; a failed check marks the subtest failed but still yields the table row.
func (s *suite) run(ctx context.Context, t *testing.T, f fault) (*outcome, tableRow) {
	row := tableRow{fault: f.name}
	if err := s.subscribe(ctx, f.team); err != nil {
		t.Fatalf("subscribe the webhook: %v", err)
	}
	events := workload(f.team)
	row.sent = len(events)

	reached := make(chan struct{})
	fed := make(chan feedResult, 1)
	go func() {
		client := ingestionv1.NewIngestionServiceClient(s.platform.service("ingestion").conn)
		fed <- feed(ctx, client, f.team, events, int(f.at*float64(len(events))), reached)
	}()
	select {
	case <-reached:
	case r := <-fed:
		t.Fatalf("the feed ended before the fault point: %v", r.err)
	}
	if f.inject != nil {
		begun := time.Now()
		if err := f.inject(ctx, s); err != nil {
			t.Fatalf("fault %q: %v", f.name, err)
		}
		t.Logf("%s: fault lasted %s", f.name, time.Since(begun).Round(100*time.Millisecond))
	}
	faultEnd := time.Now()
	r := <-fed
	if r.err != nil {
		t.Fatalf("feed: %v", r.err)
	}
	t.Logf("%s: feed done %s after the fault's end (%d calls retried, %d records answered as duplicates, %d rejected)",
		f.name, time.Since(faultEnd).Round(100*time.Millisecond), r.retries, r.duplicates, r.rejected)
	if r.rejected > 0 {
		t.Errorf("ingestion rejected %d records of the simulated squad", r.rejected)
	}

	settled, waitErr := s.waitSettled(ctx, f.team, len(events))
	if waitErr != nil {
		t.Errorf("not settled: %v", waitErr)
	} else {
		row.recovery = settled.Sub(faultEnd)
	}
	out, err := s.observe(ctx, f.team, events)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	row.fill(out, s.reference)
	s.check(t, out, row)
	return out, row
}

// check states what must hold after every fault.
func (s *suite) check(t *testing.T, out *outcome, row tableRow) {
	t.Helper()
	if out.storedRows != row.sent || out.distinctIDs != row.sent || len(out.lost) > 0 || len(out.unknown) > 0 {
		t.Errorf("sent %d, stored %d rows with %d distinct ids; %d lost (e.g. %v), %d not sent",
			row.sent, out.storedRows, out.distinctIDs, len(out.lost), first(out.lost, 3), len(out.unknown))
	}
	if len(out.undelivered) > 0 {
		t.Errorf("%d of %d alerts never reached the webhook: %v", len(out.undelivered), out.alertsRaised, out.undelivered)
	}
	if s.reference != nil {
		if !row.recommendationsEqual {
			t.Errorf("recommendations differ from the reference run:\n got %v\nwant %v", out.recommendations, s.reference.recommendations)
		}
		if out.alertsRaised != s.reference.alertsRaised {
			t.Errorf("%d deload alerts raised, the reference run raised %d", out.alertsRaised, s.reference.alertsRaised)
		}
	}
	if len(out.deadLettered) > 0 {
		t.Errorf("%d messages of the workload dead-lettered: %v", len(out.deadLettered), first(out.deadLettered, 5))
	}
}

func (s *suite) subscribe(ctx context.Context, team string) error {
	client := notificationsv1.NewNotificationServiceClient(s.platform.service("notifications").conn)
	sub, err := client.Subscribe(ctx, &notificationsv1.SubscribeRequest{TeamId: team, Subscription: &notificationsv1.Subscription{
		Name:  "Head S&C coach",
		Kinds: []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED},
		Channels: []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_Webhook{
			Webhook: &notificationsv1.WebhookTarget{Url: s.hookURL + "/hook/" + team}}}},
	}})
	if err != nil {
		return err
	}
	s.receiver.setSecret(team, sub.GetSigningSecret())
	return nil
}

// waitSettled waits until the workload is fully through the platform: every event stored, no
// consumer with pending or unacknowledged messages, every alert raised delivered, and (after
// the reference run) the reference's recommendations and alert count reached. It returns when
// that first held, confirmed by a second look a second later. A platform that is quiet but
// differs from the reference will not change any more: after quietLimit of that it gives up
// rather than wait out settleTimeout.
func (s *suite) waitSettled(ctx context.Context, team string, sent int) (time.Time, error) {
	const quietLimit = 30 * time.Second
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	var since, quietButDifferent time.Time
	var why string
	for {
		reason, differs, err := s.unsettled(ctx, team, sent)
		switch {
		case err != nil:
			why, since = err.Error(), time.Time{}
		case reason != "":
			why, since = reason, time.Time{}
		case since.IsZero():
			since = time.Now()
		default:
			return since, nil
		}
		if !differs {
			quietButDifferent = time.Time{}
		} else if quietButDifferent.IsZero() {
			quietButDifferent = time.Now()
		} else if time.Since(quietButDifferent) > quietLimit {
			return time.Time{}, fmt.Errorf("quiet for %s but %s", quietLimit, why)
		}
		if sleep(ctx, time.Second) != nil {
			return time.Time{}, fmt.Errorf("after %s still %s", settleTimeout, why)
		}
	}
}

// unsettled says what is still missing ("" when nothing is); differs is true when only the
// comparison with the reference run is.
func (s *suite) unsettled(ctx context.Context, team string, sent int) (reason string, differs bool, err error) {
	distinct, err := s.distinctStored(ctx, team)
	if err != nil {
		return "", false, err
	}
	if distinct != sent {
		return fmt.Sprintf("%d of %d events stored", distinct, sent), false, nil
	}
	pending, err := pendingMessages(ctx, s.platform.natsURL)
	if err != nil {
		return "", false, err
	}
	if pending != "" {
		return "consumers behind: " + pending, false, nil
	}
	raised, err := s.alertsRaised(ctx, team)
	if err != nil {
		return "", false, err
	}
	delivered := s.receiver.keys(team)
	for _, id := range raised {
		if delivered[id] == 0 {
			return fmt.Sprintf("alert %s not delivered yet", id), false, nil
		}
	}
	if ref := s.reference; ref != nil {
		if len(raised) < ref.alertsRaised {
			return fmt.Sprintf("%d of %d alerts raised", len(raised), ref.alertsRaised), true, nil
		}
		recs, err := s.recommendations(ctx, team)
		if err != nil {
			return "", false, err
		}
		if !equalStrings(recs, ref.recommendations) {
			return fmt.Sprintf("%d recommendations, the reference has %d", len(recs), len(ref.recommendations)), true, nil
		}
	}
	return "", false, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func first(xs []string, n int) []string {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}
