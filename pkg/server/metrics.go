package server

import (
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/supercomp/supercomp/pkg/metricreg"
)

// metrics holds the server's collectors. The per-call families (grpc_server_started_total,
// grpc_server_handled_total, grpc_server_msg_received_total, grpc_server_msg_sent_total and
// grpc_server_handling_seconds, labelled with grpc_type, grpc_service, grpc_method and, on
// handled, grpc_code) come from go-grpc-middleware's Prometheus provider, so the community's
// gRPC dashboards and alerts work unchanged; the rest are this kit's own.
type metrics struct {
	calls *grpcprom.ServerMetrics

	// What the server refused or left out to protect itself.
	rateLimited   *prometheus.CounterVec
	connsRejected prometheus.Counter
	connsOpen     prometheus.Gauge
	logSuppressed prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	calls, err := metricreg.Shared(reg, grpcprom.NewServerMetrics(
		grpcprom.WithServerHandlingTimeHistogram(grpcprom.WithHistogramBuckets(prometheus.DefBuckets))))
	if err != nil {
		return nil, err
	}
	rateLimited, err := metricreg.Shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "grpc_server_rate_limited_total",
		Help: "RPCs refused with ResourceExhausted by a rate limit: peer (calls per client address), principal (calls per credential) or auth_failures (failed authentications per client address).",
	}, []string{"limit"}))
	if err != nil {
		return nil, err
	}
	// Every limit is reported from the start, at zero, so an alert or a rate() over it works
	// before the first refusal.
	for _, limit := range []string{limitPeer, limitPrincipal, limitAuthFailure} {
		rateLimited.WithLabelValues(limit)
	}
	connsRejected, err := metricreg.Shared(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "grpc_server_connections_rejected_total",
		Help: "Connections closed on accept because --grpc-max-connections were open.",
	}))
	if err != nil {
		return nil, err
	}
	connsOpen, err := metricreg.Shared(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "grpc_server_connections_open",
		Help: "Open gRPC connections (counted when --grpc-max-connections is set).",
	}))
	if err != nil {
		return nil, err
	}
	logSuppressed, err := metricreg.Shared(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "grpc_server_log_lines_suppressed_total",
		Help: "Request log lines of failed authentications and rate-limited calls left out by sampling.",
	}))
	if err != nil {
		return nil, err
	}
	return &metrics{calls: calls, rateLimited: rateLimited,
		connsRejected: connsRejected, connsOpen: connsOpen, logSuppressed: logSuppressed}, nil
}
