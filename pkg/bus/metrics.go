package bus

import (
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/supercomp/supercomp/pkg/metricreg"
)

// Outcome label values of sc_bus_consumer_messages_total. Messages processed
// is their sum.
const (
	outcomeAcked        = "acked"
	outcomeNakked       = "nakked"
	outcomeDeadLettered = "dead_lettered"
)

type metrics struct {
	messages *prometheus.CounterVec
	handler  *prometheus.HistogramVec

	publishedStored, publishedDuplicate, publishedError prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	messages, err := registerBus(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_bus_consumer_messages_total",
		Help: "Messages settled by a consumer, by outcome: acked, nakked (redelivered later) or dead_lettered (moved to DLQ).",
	}, []string{"stream", "consumer", "outcome"}))
	if err != nil {
		return nil, err
	}
	handler, err := registerBus(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sc_bus_consumer_handler_seconds",
		Help:    "Time a consumer's handler took per call (one message, or one batch for batch consumers).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
	}, []string{"stream", "consumer"}))
	if err != nil {
		return nil, err
	}
	published, err := registerBus(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_bus_published_total",
		Help: "Messages published, by outcome: stored, duplicate (already in the stream) or error.",
	}, []string{"outcome"}))
	if err != nil {
		return nil, err
	}
	return &metrics{
		messages:           messages,
		handler:            handler,
		publishedStored:    published.WithLabelValues("stored"),
		publishedDuplicate: published.WithLabelValues("duplicate"),
		publishedError:     published.WithLabelValues("error"),
	}, nil
}

func (m *metrics) observePublish(ack *jetstream.PubAck, err error) {
	switch {
	case err != nil:
		m.publishedError.Inc()
	case ack.Duplicate:
		m.publishedDuplicate.Inc()
	default:
		m.publishedStored.Inc()
	}
}

// consumerMetrics holds one consumer's children so the hot path skips the
// label lookup.
type consumerMetrics struct {
	acked, nakked, deadLettered prometheus.Counter
	handler                     prometheus.Observer
}

func (m *metrics) forConsumer(stream, durable string) consumerMetrics {
	return consumerMetrics{
		acked:        m.messages.WithLabelValues(stream, durable, outcomeAcked),
		nakked:       m.messages.WithLabelValues(stream, durable, outcomeNakked),
		deadLettered: m.messages.WithLabelValues(stream, durable, outcomeDeadLettered),
		handler:      m.handler.WithLabelValues(stream, durable),
	}
}

// registerBus shares a family another Bus in the same process registered (metricreg.Shared),
// and names the bus in the error.
func registerBus[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := metricreg.Shared(reg, c)
	if err != nil {
		return c, fmt.Errorf("register bus metrics: %w", err)
	}
	return c, nil
}
