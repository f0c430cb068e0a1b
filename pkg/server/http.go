package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/supercomp/supercomp/pkg/log"
)

// HTTPServer serves /healthz and /metrics for probes and Prometheus.
type HTTPServer struct {
	addr string
	log  *zap.Logger
	srv  *http.Server
	mux  *http.ServeMux

	mu  sync.Mutex
	lis net.Listener
}

// NewHTTP returns a server for addr with two endpoints:
//   - /healthz answers 200 "ok" when ready returns nil (or ready is nil), and
//     503 with ready's error as the body otherwise;
//   - /metrics serves what reg gathers, in the Prometheus formats.
func NewHTTP(addr string, reg prometheus.Gatherer, ready func() error, logger *zap.Logger) *HTTPServer {
	logger = logger.With(zap.String(log.Component, "http"))
	// NewStdLogAt only fails for a level outside zap's range.
	errorLog, _ := zap.NewStdLogAt(logger, zapcore.ErrorLevel)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if ready != nil {
			if err := ready(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n") // a failed write means the prober hung up
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: errorLog}))

	return &HTTPServer{
		addr: addr,
		log:  logger,
		mux:  mux,
		srv: &http.Server{
			Handler: mux,
			// Bounds slow or stalled clients; the endpoints are small.
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          errorLog,
		},
	}
}

// Handle serves more of the process on this server next to /healthz and /metrics, e.g. the
// web console at "/" in the all-in-one (the more specific /healthz and /metrics still win). Call
// it before Start.
func (h *HTTPServer) Handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
}

// ServePprof serves Go's runtime profiles (net/http/pprof) under /debug/pprof/: the index,
// cmdline, profile (CPU), symbol, trace and every named profile (heap, goroutine, block, mutex,
// allocs, threadcreate). Binaries call it only when --pprof is on; without it those paths are
// 404 (or reach a handler mounted at "/"). Call it before Start.
func (h *HTTPServer) ServePprof() {
	// The handlers are registered on this mux by hand: importing net/http/pprof also adds
	// them to http.DefaultServeMux, which nothing here serves.
	// No method in the patterns: symbol takes POST too, and the mux refuses a mix of
	// method-specific and method-less patterns that overlap.
	h.mux.HandleFunc("/debug/pprof/", pprof.Index)
	h.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	h.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	h.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	h.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	h.log.Info("pprof profiles served on the HTTP port", zap.String("path", "/debug/pprof/"))
}

// OnShutdown registers f to run when Stop begins, so long-lived responses (server-sent events)
// can end instead of holding the graceful shutdown until its deadline.
func (h *HTTPServer) OnShutdown(f func()) {
	h.srv.RegisterOnShutdown(f)
}

// Name identifies the server in logs and lifecycle errors.
func (h *HTTPServer) Name() string { return "http" }

// Listen binds the address; see Server.Listen.
func (h *HTTPServer) Listen() error {
	_, err := h.listener()
	return err
}

func (h *HTTPServer) listener() (net.Listener, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lis == nil {
		lis, err := listen("http", h.addr)
		if err != nil {
			return nil, err
		}
		h.lis = lis
	}
	return h.lis, nil
}

// Addr is the bound address once listening, else nil.
func (h *HTTPServer) Addr() net.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lis == nil {
		return nil
	}
	return h.lis.Addr()
}

// Start listens (unless Listen already did) and serves until Stop, or until
// ctx is cancelled, which closes the server at once.
func (h *HTTPServer) Start(ctx context.Context) error {
	lis, err := h.listener()
	if err != nil {
		return err
	}
	h.log.Info("http server listening", zap.Stringer(log.Addr, lis.Addr()))
	closeOnCancel := context.AfterFunc(ctx, func() { _ = h.srv.Close() }) // Start reports the outcome
	defer closeOnCancel()
	if err := h.srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http serve on %s: %w", lis.Addr(), err)
	}
	return nil
}

// Stop stops accepting connections and waits for open requests until ctx
// ends, then closes what is left.
func (h *HTTPServer) Stop(ctx context.Context) error {
	if err := h.srv.Shutdown(ctx); err != nil {
		_ = h.srv.Close() // the Shutdown error below is the one worth reporting
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
