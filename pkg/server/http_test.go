package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/supercomp/supercomp/pkg/server"
)

func TestHTTP(t *testing.T) {
	h := start(t, &service{}, server.Config{})
	if _, err := h.client.UnaryCall(t.Context(), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}

	var notReady atomic.Pointer[error] // set by the test, read by the handler
	ready := func() error {
		if err := notReady.Load(); err != nil {
			return *err
		}
		return h.srv.Ready()
	}
	hs := server.NewHTTP("127.0.0.1:0", h.srv.Metrics(), ready, zap.NewNop())
	if err := hs.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Start(context.Background()) }()
	base := "http://" + hs.Addr().String()

	tests := []struct {
		name     string
		path     string
		notReady error
		code     int
		body     string // exact for /healthz, a line of it for /metrics
	}{
		{"healthy", "/healthz", nil, http.StatusOK, "ok\n"},
		{"not ready gives the reason", "/healthz", errors.New("nats: connection lost"), http.StatusServiceUnavailable, "nats: connection lost\n"},
		{"metrics", "/metrics", nil, http.StatusOK, `grpc_server_handled_total{grpc_code="OK",grpc_method="UnaryCall",grpc_service="grpc.testing.TestService",grpc_type="unary"} 1`},
		{"unknown path", "/nope", nil, http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.notReady != nil {
				notReady.Store(&tt.notReady)
			} else {
				notReady.Store(nil)
			}
			resp, err := http.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.code {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.code)
			}
			exact := tt.path == "/healthz"
			if exact && string(body) != tt.body || !exact && !strings.Contains(string(body), tt.body) {
				t.Errorf("body %q, want %q", body, tt.body)
			}
		})
	}

	if hs.Name() != "http" {
		t.Errorf("Name() = %q", hs.Name())
	}
	if err := hs.Stop(t.Context()); err != nil {
		t.Errorf("Stop() = %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Start() = %v, want nil after Stop", err)
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("server still answers after Stop")
	}
}

// TestHTTPHealthFollowsGRPCStop: wired to Server.Ready, /healthz turns 503 as
// soon as the gRPC server begins stopping.
func TestHTTPHealthFollowsGRPCStop(t *testing.T) {
	h := start(t, &service{}, server.Config{})
	hs := server.NewHTTP("127.0.0.1:0", h.srv.Metrics(), h.srv.Ready, zap.NewNop())
	if err := hs.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Start(t.Context()) }() // ends when the test's context does

	get := func() int {
		resp, err := http.Get("http://" + hs.Addr().String() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != http.StatusOK {
		t.Fatalf("/healthz = %d while serving", code)
	}
	if err := h.srv.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := get(); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz = %d after gRPC Stop, want 503", code)
	}
}

// TestHTTPHandleMountsNextToProbes is the all-in-one's console at "/": it gets every other
// path while /healthz and /metrics stay the probes', and a stream it holds open ends when the
// server stops instead of holding the shutdown until its deadline.
func TestHTTPHandleMountsNextToProbes(t *testing.T) {
	hs := server.NewHTTP("127.0.0.1:0", prometheus.NewRegistry(), nil, zap.NewNop())
	streaming := make(chan struct{})
	closing := make(chan struct{})
	hs.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			close(streaming)
			<-closing
			return
		}
		_, _ = io.WriteString(w, "console "+r.URL.Path)
	}))
	hs.OnShutdown(func() { close(closing) })
	if err := hs.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Start(context.Background()) }()
	base := "http://" + hs.Addr().String()
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	if got := get("/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}
	if got := get("/teams/t1"); got != "console /teams/t1" {
		t.Errorf("/teams/t1 = %q", got)
	}
	if got := get("/metrics"); strings.HasPrefix(got, "console") {
		t.Errorf("/metrics went to the mounted handler: %q", got)
	}

	resp, err := http.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-streaming
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Stop(ctx); err != nil {
		t.Fatalf("stop with an open stream: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Profiles are served only after ServePprof: by default /debug/pprof/ is as unknown as any
// other path.
func TestPprofOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		hs := server.NewHTTP("127.0.0.1:0", prometheus.NewRegistry(), nil, zap.NewNop())
		if on {
			hs.ServePprof()
		}
		if err := hs.Listen(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = hs.Start(t.Context()) }() // ends when the test's context does
		base := "http://" + hs.Addr().String()
		want := http.StatusNotFound
		if on {
			want = http.StatusOK
		}
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/cmdline", "/debug/pprof/symbol"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("ServePprof %v: GET %s = %d, want %d", on, path, resp.StatusCode, want)
			}
		}
	}
}
