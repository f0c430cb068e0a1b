package notifications

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/services/notifications/internal/adapters/channels"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

const team = "t1"

// testConfig retries fast so failure paths finish in well under a second.
// loopbackOnly lets the tests' webhook receivers (httptest servers on 127.0.0.1) through the
// egress policy that refuses internal addresses.
var loopbackOnly, _ = Egress("127.0.0.0/8,::1/128")

func testConfig() Config {
	return Config{
		Egress:            loopbackOnly,
		Retry:             domain.RetryPolicy{MaxAttempts: 4, Base: 20 * time.Millisecond, Max: 200 * time.Millisecond, Multiplier: 2, Jitter: 0.2},
		SchedulerInterval: time.Hour, // tests call Tick themselves
		AttemptTimeout:    300 * time.Millisecond,
		AckWait:           2 * time.Second,
	}
}

// fakeClock is a settable clock for quiet hours, digests and escalation.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type harness struct {
	t      testing.TB
	ctx    context.Context
	bus    *bus.Bus
	nats   *bus.Embedded
	svc    *Service
	client notificationsv1.NotificationServiceClient
	stop   func()
	// metrics is the registry the service's metrics are on.
	metrics *prometheus.Registry
}

type harnessOpts struct {
	store store.Store
	clock *fakeClock
	nats  *bus.Embedded // reuse a server (restart tests)
}

func newHarness(t testing.TB, cfg Config, o harnessOpts) *harness {
	t.Helper()
	e := o.nats
	if e == nil {
		e = bustest.Server(t)
	}
	b := bustest.Connect(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := b.EnsureDefaultStreams(ctx); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	svc, err := NewWithConfig(service.Deps{Log: bustest.Logger(t), Bus: b, Store: o.store, Metrics: reg}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.clock != nil {
		svc.app.SetClock(o.clock.Now)
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(srv.GRPC())
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	comps := append(svc.Components(), srv)
	for _, c := range comps {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Start(ctx) }()
	}
	conn, err := grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	h := &harness{t: t, ctx: ctx, bus: b, nats: e, svc: svc, client: notificationsv1.NewNotificationServiceClient(conn), metrics: reg}
	h.stop = func() {
		once.Do(func() {
			conn.Close()
			stopCtx, c2 := context.WithTimeout(context.Background(), 5*time.Second)
			defer c2()
			for _, c := range comps {
				_ = c.Stop(stopCtx)
			}
			cancel()
			wg.Wait()
		})
	}
	t.Cleanup(h.stop)
	return h
}

// subscribe creates a subscription with a webhook to url and returns it with its secret.
func (h *harness) subscribe(sub *notificationsv1.Subscription) (*notificationsv1.Subscription, string) {
	h.t.Helper()
	resp, err := h.client.Subscribe(h.ctx, &notificationsv1.SubscribeRequest{TeamId: team, Subscription: sub})
	if err != nil {
		h.t.Fatalf("subscribe: %v", err)
	}
	return resp.GetSubscription(), resp.GetSigningSecret()
}

func webhookTarget(url, secret string) *notificationsv1.ChannelTarget {
	return &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_Webhook{Webhook: &notificationsv1.WebhookTarget{Url: url, SigningSecret: secret}}}
}

func f64(v float64) *float64 { return &v }

// recommend publishes a DeloadRecommended for athlete on ANALYSIS and returns its event id.
func (h *harness) recommend(athlete string, score float64) string {
	h.t.Helper()
	ev := &eventsv1.Event{
		Id: events.NewID(), TeamId: team, AthleteId: athlete, Source: "fatigue", OccurredAt: timestamppb.Now(),
		Payload: &eventsv1.Event_DeloadRecommended{DeloadRecommended: &eventsv1.DeloadRecommended{
			RecommendationId: events.DeterministicID("rec", athlete, fmt.Sprint(score)), Score: score, Confidence: 0.8,
			RuleFired: "two_families", Severity: commonv1.Severity_SEVERITY_WARNING,
			Families: []commonv1.SignalFamily{commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE, commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP},
			Summary:  "Squat e1RM fell and sleep quality dropped on 4 of the last 7 days.",
			Evidence: []*eventsv1.Evidence{
				{Family: commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE, Metric: "e1rm_change_pct", Value: f64(-3.1), Threshold: f64(-2.5), Unit: "%", Abnormal: true,
					Detail: "Squat e1RM 142.5 kg is 3.1% below the previous 3 weeks (147.0 kg); decline threshold -2.5%"},
				{Family: commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP, Metric: "sleep_quality_z", Value: f64(-1.4), Threshold: f64(-1), Unit: "z", Abnormal: true},
			},
		}},
	}
	if _, err := events.Publish(h.ctx, h.bus, ev); err != nil {
		h.t.Fatalf("publish recommendation: %v", err)
	}
	return ev.GetId()
}

// receiver is a webhook endpoint that verifies signatures and counts deliveries.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	secret string
	// respond decides the answer to the n-th request (1-based); hang blocks until the test ends.
	respond func(n int) (status int, hang bool)

	mu       sync.Mutex
	requests int
	bodies   []channels.WebhookPayload
	keys     []string
	badSigs  int
	arrived  chan time.Time
	done     chan struct{}
}

func newReceiver(t testing.TB, respond func(n int) (int, bool)) *receiver {
	r := &receiver{t: t, respond: respond, arrived: make(chan time.Time, 1024), done: make(chan struct{})}
	if r.respond == nil {
		r.respond = func(int) (int, bool) { return http.StatusOK, false }
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve)) // listens on 127.0.0.1
	t.Cleanup(func() { close(r.done); r.srv.CloseClientConnections(); r.srv.Close() })
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	n := r.requests
	if err := channels.Verify(r.secret, req.Header.Get(channels.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		r.badSigs++
	}
	var p channels.WebhookPayload
	_ = json.Unmarshal(body, &p)
	r.bodies = append(r.bodies, p)
	r.keys = append(r.keys, req.Header.Get(channels.HeaderIdempotencyKey))
	r.mu.Unlock()
	r.arrived <- time.Now()
	status, hang := r.respond(n)
	if hang {
		select {
		case <-req.Context().Done():
		case <-r.done:
		}
		return
	}
	w.WriteHeader(status)
}

func (r *receiver) snapshot() (requests int, keys []string, bodies []channels.WebhookPayload, badSigs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, append([]string(nil), r.keys...), append([]channels.WebhookPayload(nil), r.bodies...), r.badSigs
}

// waitRequests waits until the receiver has seen n requests.
func (r *receiver) waitRequests(n int, within time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if got, _, _, _ := r.snapshot(); got >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, _, _, _ := r.snapshot()
	r.t.Fatalf("receiver saw %d requests within %s, want %d", got, within, n)
}

// eventually polls cond until it holds or fails the test.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", within, what)
}

// clickHouse opens a fresh database on the test server, or skips (fails with
// SC_REQUIRE_CLICKHOUSE=1) when there is none.
func clickHouse(t testing.TB) store.Store {
	t.Helper()
	dsn := os.Getenv("SC_TEST_CLICKHOUSE_DSN")
	if dsn == "" {
		dsn = "clickhouse://127.0.0.1:9000/default"
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		if os.Getenv("SC_REQUIRE_CLICKHOUSE") == "1" {
			t.Fatalf("no ClickHouse server at %s: %v", u.Host, err)
		}
		t.Skipf("no ClickHouse server at %s: %v", u.Host, err)
	}
	c.Close()
	db := fmt.Sprintf("sc_notifications_test_%d", time.Now().UnixNano())
	u.Path = "/" + db
	ctx := context.Background()
	st, err := clickhousestore.Open(ctx, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, st, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		st.Close()
	})
	return st
}

func storeQueryRow(t testing.TB, st store.Store, q string, arg any, dest any) error {
	t.Helper()
	return store.QueryRow(context.Background(), st, q, arg).Scan(dest)
}

// httpHandler records each request body and answers 200.
func httpHandler(record func(body string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		record(string(b))
		w.WriteHeader(http.StatusOK)
	})
}

// deliveryMetric reads sc_notify_delivery_attempts_total for the webhook channel and outcome,
// or, with outcome "", the number of attempts sc_notify_delivery_seconds observed.
func (h *harness) deliveryMetric(outcome string) float64 {
	h.t.Helper()
	families, err := h.metrics.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["channel"] != "webhook" {
				continue
			}
			switch {
			case outcome == "" && f.GetName() == "sc_notify_delivery_seconds":
				return float64(m.GetHistogram().GetSampleCount())
			case outcome != "" && f.GetName() == "sc_notify_delivery_attempts_total" && labels["outcome"] == outcome:
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
