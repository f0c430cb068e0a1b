package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/notifications/notifications"
)

// The coach's path through the CLI against the real notifications service on embedded
// JetStream: subscribe with a webhook, see the alert listed, acknowledge it.
func TestSubscribeListAndAckAlerts(t *testing.T) {
	// The test's webhook receiver is on loopback, which webhooks may reach only when allowed.
	t.Setenv(notifications.EnvAllowedNetworks, "127.0.0.0/8")
	b, _ := bustest.New(t)
	svc, err := notifications.New(service.Deps{Log: zap.NewNop(), Bus: b, Metrics: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(srv.GRPC())
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	comps := append(svc.Components(), srv)
	for _, c := range comps {
		go func() { _ = c.Start(ctx) }()
	}
	t.Cleanup(func() {
		stopCtx, c2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer c2()
		for _, c := range comps {
			_ = c.Stop(stopCtx)
		}
		cancel()
	})
	addr := srv.Addr().String()
	var posts atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		posts.Add(1)
	}))
	t.Cleanup(hook.Close)

	if _, err := runSC(t, "--addr", addr, "subscribe", "--team", "t1"); err == nil || !strings.Contains(err.Error(), "at least one channel") {
		t.Fatalf("subscribe without a channel: %v", err)
	}
	if _, err := runSC(t, "--addr", addr, "subscribe", "--team", "t1", "--webhook", hook.URL, "--quiet", "25:00-07:00"); err == nil {
		t.Fatal("bad --quiet accepted")
	}
	out, err := runSC(t, "--addr", addr, "subscribe", "--team", "t1", "--name", "Head coach", "--webhook", hook.URL, "--min-severity", "warning")
	if err != nil || !strings.Contains(out, "webhook signing secret (shown once): whsec_") {
		t.Fatalf("subscribe: %q, %v", out, err)
	}

	ev := &eventsv1.Event{Id: events.NewID(), TeamId: "t1", AthleteId: "a42", Source: "fatigue", OccurredAt: timestamppb.Now(),
		Payload: &eventsv1.Event_DeloadRecommended{DeloadRecommended: &eventsv1.DeloadRecommended{Score: 78, Summary: "two families"}}}
	if _, err := events.Publish(ctx, b, ev); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for posts.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out, err = runSC(t, "--addr", addr, "alerts", "list", "--team", "t1")
	if err != nil || !strings.Contains(out, "Deload recommended for a42 (score 78)") || !strings.Contains(out, "open") {
		t.Fatalf("alerts list: %q, %v", out, err)
	}
	id := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]{27}`).FindString(out)
	out, err = runSC(t, "--addr", addr, "alerts", "ack", "--team", "t1", id)
	if err != nil || !strings.Contains(out, "is acknowledged") {
		t.Fatalf("alerts ack: %q, %v", out, err)
	}
	if _, err := runSC(t, "--addr", addr, "alerts", "ack", "--team", "t1", "nope"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("ack of an unknown alert: %v", err)
	}
	if posts.Load() != 1 {
		t.Fatalf("webhook got %d posts, want 1", posts.Load())
	}
}
