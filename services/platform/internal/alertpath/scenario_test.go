package alertpath

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/pkg/tracing"
	"github.com/supercomp/supercomp/services/fatigue/fatigue"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
	"github.com/supercomp/supercomp/services/platform/internal/demo"
	"github.com/supercomp/supercomp/services/platform/internal/platformtest"
)

const (
	team     = "alertpath"
	adminKey = "alertpath-admin-key-0123456789abcdef0123"
	// settleTimeout bounds waits for the platform to work through what it was sent; generous
	// because CI runs other packages on the same two cores.
	settleTimeout = 2 * time.Minute
)

// platform is the all-in-one under test with the tracer provider that records its spans.
type platform struct {
	host  *service.Host
	conn  *grpc.ClientConn
	spans *tracetest.InMemoryExporter
	// client starts the root span of each trigger and sends it along with the gRPC call.
	client trace.Tracer
	ingest ingestionv1.IngestionServiceClient
	hook   *receiver
}

// startPlatform installs an in-memory span recorder as the global tracer provider with the
// given sampler, then starts the all-in-one on a fresh ClickHouse server database (not chDB:
// the engine is one per process and the benchmark starts the platform more than once) with a
// webhook subscription to deload recommendations.
func startPlatform(tb testing.TB, sampler sdktrace.Sampler) *platform {
	tb.Helper()
	// The platform's own set-up must not replace the recorder with an exporter from the
	// environment of whoever runs the test.
	tb.Setenv(tracing.EnvExporter, "none")
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans), sdktrace.WithSampler(sampler))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tb.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		_ = tp.Shutdown(context.Background())
	})
	// The client's root spans are always sampled, whatever the platform's sampler, so a
	// ParentBased platform records exactly the triggers' traces.
	clientTP := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	tb.Cleanup(func() { _ = clientTP.Shutdown(context.Background()) })

	dsn := storetest.FreshServerDSN(tb, "sc_alertpath")
	host, _ := platformtest.Start(tb, config.Store{Backend: config.BackendClickHouse, DSN: dsn}, adminKey)
	conn, err := grpc.NewClient(host.GRPC().Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(platformtest.Bearer(adminKey)),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(clientTP))))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })

	hook := newReceiver(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := notificationsv1.NewNotificationServiceClient(conn).Subscribe(ctx, &notificationsv1.SubscribeRequest{TeamId: team,
		Subscription: &notificationsv1.Subscription{
			Kinds:    []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED},
			Channels: []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_Webhook{Webhook: &notificationsv1.WebhookTarget{Url: hook.srv.URL}}}},
		}})
	if err != nil {
		tb.Fatalf("subscribe: %v", err)
	}
	hook.setSecret(sub.GetSigningSecret())
	return &platform{host: host, conn: conn, spans: spans, client: clientTP.Tracer("alertpath"),
		ingest: ingestionv1.NewIngestionServiceClient(conn), hook: hook}
}

// arrival is one signed deload alert at the webhook.
type arrival struct {
	at          time.Time
	traceparent string
}

// receiver is the coach's webhook endpoint: it checks each signature and notes when each
// athlete's deload alert arrived and the traceparent it came with.
type receiver struct {
	tb       testing.TB
	srv      *httptest.Server
	mu       sync.Mutex
	secret   string
	arrivals map[string]arrival
	waiting  map[string]chan struct{}
}

func newReceiver(tb testing.TB) *receiver {
	rc := &receiver{tb: tb, arrivals: map[string]arrival{}, waiting: map[string]chan struct{}{}}
	rc.srv = httptest.NewServer(rc)
	tb.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !validSignature(rc.secret, r.Header.Get("Supercomp-Signature"), body) {
		rc.tb.Errorf("webhook call with a bad signature: %q", r.Header.Get("Supercomp-Signature"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var payload struct {
		Type   string `json:"type"`
		Alerts []struct {
			AthleteID string `json:"athlete_id"`
			Kind      string `json:"kind"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(body, &payload); err != nil {
		rc.tb.Errorf("webhook body: %v", err)
	}
	for _, a := range payload.Alerts {
		if payload.Type != "alert" || a.Kind != "deload_recommended" {
			continue
		}
		if _, seen := rc.arrivals[a.AthleteID]; !seen {
			rc.arrivals[a.AthleteID] = arrival{at: at, traceparent: r.Header.Get("traceparent")}
			if ch, ok := rc.waiting[a.AthleteID]; ok {
				close(ch)
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// expect returns a channel closed when athlete's deload alert has arrived.
func (rc *receiver) expect(athlete string) <-chan struct{} {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	ch := make(chan struct{})
	if _, seen := rc.arrivals[athlete]; seen {
		close(ch)
	} else {
		rc.waiting[athlete] = ch
	}
	return ch
}

func (rc *receiver) arrivalOf(athlete string) (arrival, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	a, ok := rc.arrivals[athlete]
	return a, ok
}

// validSignature checks `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
func validSignature(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return ts != "" && hmac.Equal([]byte(sig), []byte(hex.EncodeToString(mac.Sum(nil))))
}

// overreacher is a lifting-only history that ends in a deload recommendation, split before
// the set that makes the rule fire.
type overreacher struct {
	history []*eventsv1.Event
	trigger *eventsv1.Event
}

// newOverreacher simulates one overreaching athlete's sets (sets only, as most teams log) and
// finds, by replaying them through the fatigue rules, the set after which a deload is
// recommended.
func newOverreacher(tb testing.TB) overreacher {
	tb.Helper()
	sim := simulate.Generate(simulate.Config{Team: team, Athletes: 1, Overreachers: 1, Weeks: 12, Seed: 7})
	var sets []*eventsv1.Event
	for _, ev := range sim.Events {
		if ev.GetSetRecorded() != nil {
			sets = append(sets, ev)
		}
	}
	i := fatigue.FirstRecommendation(sets)
	if i < 0 {
		tb.Fatal("the simulated overreacher's sets never make the deload rule fire")
	}
	return overreacher{history: sets[:i], trigger: sets[i]}
}

// as copies evs for athlete with fresh event ids, so every copy is new data to the platform.
func as(athlete string, evs ...*eventsv1.Event) []*eventsv1.Event {
	out := make([]*eventsv1.Event, len(evs))
	for i, ev := range evs {
		c := proto.Clone(ev).(*eventsv1.Event)
		c.Id = events.NewID()
		c.AthleteId = athlete
		out[i] = c
	}
	return out
}

// feed sends one athlete's history through gRPC ingestion and fails on anything not accepted.
func (p *platform) feed(tb testing.TB, ctx context.Context, evs []*eventsv1.Event) {
	tb.Helper()
	counts, err := demo.Feed(ctx, p.ingest, team, evs, 500)
	if err != nil {
		tb.Fatalf("feed: %v", err)
	}
	if counts.Accepted != uint64(len(evs)) {
		tb.Fatalf("ingestion accepted %d of %d (rejected %d)", counts.Accepted, len(evs), counts.Rejected)
	}
}

// send records the trigger set under a new root span and returns that span's trace id.
func (p *platform) send(tb testing.TB, ctx context.Context, ev *eventsv1.Event) trace.TraceID {
	tb.Helper()
	ctx, span := p.client.Start(ctx, "trigger set")
	defer span.End()
	rec, err := demo.Record(ev)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := p.ingest.RecordBatch(ctx, &ingestionv1.RecordBatchRequest{TeamId: team, Records: []*ingestionv1.Record{rec}})
	if err != nil {
		tb.Fatalf("record the trigger set: %v", err)
	}
	if resp.GetCounts().GetAccepted() != 1 {
		tb.Fatalf("the trigger set was not accepted: %v", resp.GetCounts())
	}
	return span.SpanContext().TraceID()
}

// settle waits until every durable consumer of every stream has nothing pending or unacked:
// the platform has worked through all it was sent.
func (p *platform) settle(tb testing.TB, ctx context.Context) {
	tb.Helper()
	js := p.host.Bus().JetStream()
	deadline := time.Now().Add(settleTimeout)
	for quietRounds := 0; quietRounds < 3; {
		busy := ""
		for name := range js.StreamNames(ctx).Name() {
			s, err := js.Stream(ctx, name)
			if err != nil {
				tb.Fatal(err)
			}
			for info := range s.ListConsumers(ctx).Info() {
				if info.NumPending > 0 || info.NumAckPending > 0 {
					busy = fmt.Sprintf("%s/%s (%d pending, %d unacked)", name, info.Name, info.NumPending, info.NumAckPending)
				}
			}
		}
		if busy == "" {
			quietRounds++
		} else {
			quietRounds = 0
			if time.Now().After(deadline) {
				tb.Fatalf("platform still busy after %s: %s", settleTimeout, busy)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}
