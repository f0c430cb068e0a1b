package tracing

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// restoreGlobals puts the global tracer provider and propagator back when the test ends.
func restoreGlobals(t *testing.T) {
	tp, prop := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() {
		otel.SetTracerProvider(tp)
		otel.SetTextMapPropagator(prop)
	})
}

func clearEnv(t *testing.T) {
	for _, k := range []string{EnvExporter, EnvEndpoint, EnvTracesEndpoint, EnvProtocol, EnvTracesProtocol, EnvSDKDisabled} {
		t.Setenv(k, "")
	}
}

// TestSetupOffByDefault: without OTEL_* nothing exports and spans are not recorded, but the
// W3C propagator is installed, so a caller's trace context is still passed on.
func TestSetupOffByDefault(t *testing.T) {
	restoreGlobals(t)
	clearEnv(t)
	shutdown, enabled, err := Setup(context.Background(), "test")
	if err != nil || enabled {
		t.Fatalf("Setup() = enabled %v, err %v; want off without error", enabled, err)
	}
	defer shutdown(context.Background())
	_, span := otel.Tracer("t").Start(context.Background(), "x")
	if span.IsRecording() {
		t.Error("a span is recorded with tracing off")
	}
	if _, ok := otel.GetTextMapPropagator().(propagation.TraceContext); !ok {
		t.Errorf("propagator %T, want propagation.TraceContext", otel.GetTextMapPropagator())
	}
}

func TestSetupRejectsUnknownSettings(t *testing.T) {
	for name, env := range map[string][2]string{
		"exporter": {EnvExporter, "zipkin"},
		"protocol": {EnvProtocol, "http/json"},
	} {
		t.Run(name, func(t *testing.T) {
			restoreGlobals(t)
			clearEnv(t)
			t.Setenv(EnvEndpoint, "http://127.0.0.1:4318")
			t.Setenv(env[0], env[1])
			if _, _, err := Setup(context.Background(), "test"); err == nil || !strings.Contains(err.Error(), env[0]) {
				t.Errorf("%s=%s: err %v, want one naming the variable", env[0], env[1], err)
			}
		})
	}
}

func TestSetupNoneWinsOverEndpoint(t *testing.T) {
	restoreGlobals(t)
	clearEnv(t)
	t.Setenv(EnvEndpoint, "http://127.0.0.1:4318")
	t.Setenv(EnvExporter, "none")
	if _, enabled, err := Setup(context.Background(), "test"); err != nil || enabled {
		t.Errorf("OTEL_TRACES_EXPORTER=none: enabled %v, err %v; want off", enabled, err)
	}
}

// TestSetupExportsToEndpoint points the exporter at a local OTLP/HTTP endpoint and checks that
// a span reaches it when the provider shuts down.
func TestSetupExportsToEndpoint(t *testing.T) {
	restoreGlobals(t)
	clearEnv(t)
	var posts atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" && r.Method == http.MethodPost {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; err != http.ErrServerClosed {
			t.Errorf("OTLP endpoint stopped with %v", err)
		}
	})
	t.Setenv(EnvEndpoint, "http://"+ln.Addr().String())

	shutdown, enabled, err := Setup(context.Background(), "test")
	if err != nil || !enabled {
		t.Fatalf("Setup() = enabled %v, err %v; want exporting", enabled, err)
	}
	_, span := otel.Tracer("t").Start(context.Background(), "exported", trace.WithSpanKind(trace.SpanKindServer))
	if !span.IsRecording() {
		t.Error("span not recorded with an exporter configured")
	}
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if posts.Load() == 0 {
		t.Error("no OTLP export reached the endpoint")
	}
}
