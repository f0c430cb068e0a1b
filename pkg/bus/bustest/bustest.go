// Package bustest gives tests a real JetStream: an embedded nats-server in a
// temporary directory on a random port, and a Bus connected to it. Code that
// touches NATS is tested against this, never against a mock.
package bustest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/supercomp/supercomp/pkg/bus"
)

const setupTimeout = 10 * time.Second

// New starts a server, connects to it and declares the default streams.
func New(t testing.TB) (*bus.Bus, *bus.Embedded) {
	t.Helper()
	e := Server(t)
	b := Connect(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := b.EnsureDefaultStreams(ctx); err != nil {
		t.Fatalf("ensure default streams: %v", err)
	}
	return b, e
}

// Server starts an embedded server in a fresh temporary directory, shut
// down when the test ends.
func Server(t testing.TB) *bus.Embedded {
	t.Helper()
	return ServerAt(t, t.TempDir())
}

// ServerAt starts an embedded server on storeDir, so a test can start a
// second one on the same directory after shutting the first down.
func ServerAt(t testing.TB, storeDir string) *bus.Embedded {
	t.Helper()
	e, err := bus.StartEmbedded(bus.EmbeddedConfig{StoreDir: storeDir, Port: bus.RandomPort}, Logger(t))
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

// Connect connects to e with metrics on a private registry (so tests do not
// share counters) and closes the connection when the test ends.
func Connect(t testing.TB, e *bus.Embedded) *bus.Bus {
	t.Helper()
	b, _ := ConnectWithRegistry(t, e)
	return b
}

// ConnectWithRegistry is Connect that also returns the metrics registry.
func ConnectWithRegistry(t testing.TB, e *bus.Embedded) (*bus.Bus, *prometheus.Registry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	reg := prometheus.NewRegistry()
	b, err := bus.Connect(ctx, bus.Config{URL: e.ClientURL(), Name: t.Name()}, Logger(t), bus.WithRegisterer(reg))
	if err != nil {
		t.Fatalf("connect to embedded nats: %v", err)
	}
	t.Cleanup(b.Close)
	return b, reg
}

// Logger logs into the test's output, and drops what goroutines log after
// the test ended instead of panicking.
func Logger(t testing.TB) *zap.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	level := zapcore.InfoLevel
	if _, ok := t.(*testing.B); ok {
		// A benchmark prints every line it logs, failing or not.
		level = zapcore.WarnLevel
	}
	return zap.New(zapcore.NewCore(enc, w, level))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}

func (w *testWriter) Sync() error { return nil }

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
}
