package server

import (
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
)

// metrics uses the names of the go-grpc-prometheus convention, so existing
// dashboards and alerts for gRPC servers work unchanged.
type metrics struct {
	handled  *prometheus.CounterVec
	handling *prometheus.HistogramVec

	// What the server refused or left out to protect itself.
	rateLimited   *prometheus.CounterVec
	connsRejected prometheus.Counter
	connsOpen     prometheus.Gauge
	logSuppressed prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	handled, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "grpc_server_handled_total",
		Help: "RPCs completed on the server, by service, method and status code.",
	}, []string{"grpc_service", "grpc_method", "grpc_code"}))
	if err != nil {
		return nil, err
	}
	handling, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "grpc_server_handling_seconds",
		Help:    "Time from the start of an RPC to its completion on the server, by service and method.",
		Buckets: prometheus.DefBuckets,
	}, []string{"grpc_service", "grpc_method"}))
	if err != nil {
		return nil, err
	}
	rateLimited, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "grpc_server_rate_limited_total",
		Help: "RPCs refused with ResourceExhausted by a rate limit: peer (calls per client address), principal (calls per credential) or auth_failures (failed authentications per client address).",
	}, []string{"limit"}))
	if err != nil {
		return nil, err
	}
	connsRejected, err := register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "grpc_server_connections_rejected_total",
		Help: "Connections closed on accept because --grpc-max-connections were open.",
	}))
	if err != nil {
		return nil, err
	}
	connsOpen, err := register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "grpc_server_connections_open",
		Help: "Open gRPC connections (counted when --grpc-max-connections is set).",
	}))
	if err != nil {
		return nil, err
	}
	logSuppressed, err := register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "grpc_server_log_lines_suppressed_total",
		Help: "Request log lines of failed authentications and rate-limited calls left out by sampling.",
	}))
	if err != nil {
		return nil, err
	}
	return &metrics{handled: handled, handling: handling, rateLimited: rateLimited,
		connsRejected: connsRejected, connsOpen: connsOpen, logSuppressed: logSuppressed}, nil
}

// register registers c, or returns the identical collector already on reg, so
// two servers in one process (the all-in-one binary, tests) can share a
// registry.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func (m *metrics) observe(fullMethod string, code codes.Code, d time.Duration) {
	service, method := splitMethod(fullMethod)
	m.handled.WithLabelValues(service, method, code.String()).Inc()
	m.handling.WithLabelValues(service, method).Observe(d.Seconds())
}

// splitMethod splits "/package.Service/Method" into its service and method.
func splitMethod(fullMethod string) (service, method string) {
	service, method, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return "unknown", fullMethod
	}
	return service, method
}
