package app

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/pkg/metricreg"
)

// DeliveryMetrics measure every send to a channel: alerts, digests, escalations and test
// deliveries alike, since each is a call to the receiver that can fail.
type DeliveryMetrics struct {
	attempts *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewDeliveryMetrics registers the families on reg, or reuses them when another instance in
// the process registered them first.
func NewDeliveryMetrics(reg prometheus.Registerer) (*DeliveryMetrics, error) {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_notify_delivery_attempts_total",
		Help: "Delivery attempts by channel (webhook, slack_webhook, email) and outcome: delivered, transient (retried while the budget lasts) or permanent.",
	}, []string{"channel", "outcome"})
	attempts, err := metricreg.Shared(reg, attempts)
	if err != nil {
		return nil, err
	}
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sc_notify_delivery_seconds",
		Help: "Time one delivery attempt took, from sending to the receiver's answer (or the timeout), by channel.",
		// Receivers answer in milliseconds; the attempt timeout (10 s by default) is the ceiling.
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"channel"})
	latency, err = metricreg.Shared(reg, latency)
	if err != nil {
		return nil, err
	}
	return &DeliveryMetrics{attempts: attempts, latency: latency}, nil
}

func (m *DeliveryMetrics) observe(ch commonv1.Channel, r Result) {
	if m == nil {
		return
	}
	name := strings.ToLower(strings.TrimPrefix(ch.String(), "CHANNEL_"))
	m.attempts.WithLabelValues(name, r.Outcome.String()).Inc()
	m.latency.WithLabelValues(name).Observe(r.Latency.Seconds())
}
