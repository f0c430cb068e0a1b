package bus

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// stateScrapeTimeout bounds the JetStream requests one scrape makes, so a slow or partitioned
// NATS cluster makes the families missing from that scrape rather than the scrape time out.
const stateScrapeTimeout = 3 * time.Second

// stateCollector reports what JetStream holds at scrape time: how far behind each durable
// consumer is and what sits in the dead-letter stream. Counting in the process would miss
// what other instances did and reset on restart; the server's own numbers are the truth.
type stateCollector struct {
	log *zap.Logger

	// conns are the open connections of this process that share the collector; any one of
	// them can ask, since they all talk to the same NATS.
	mu    sync.Mutex
	conns []jetstream.JetStream

	pending, ackPending, redelivered, dlqDepth *prometheus.Desc
}

func newStateCollector(log *zap.Logger) *stateCollector {
	labels := []string{"stream", "consumer"}
	return &stateCollector{
		log: log,
		pending: prometheus.NewDesc("sc_bus_consumer_pending_messages",
			"Messages in the stream a durable consumer has not been delivered yet (its lag).", labels, nil),
		ackPending: prometheus.NewDesc("sc_bus_consumer_ack_pending_messages",
			"Messages delivered to a durable consumer and not yet acknowledged.", labels, nil),
		redelivered: prometheus.NewDesc("sc_bus_consumer_redelivered_messages",
			"Messages a durable consumer has had delivered more than once and not yet acknowledged.", labels, nil),
		dlqDepth: prometheus.NewDesc("sc_dlq_messages",
			"Messages in the DLQ stream by where they came from: the stream and the durable consumer that gave up.", labels, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.ackPending
	ch <- c.redelivered
	ch <- c.dlqDepth
}

// Collect leaves a family out when JetStream does not answer, and logs why: failing the whole
// scrape would hide every other metric exactly when an operator needs them.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	var js jetstream.JetStream
	if len(c.conns) > 0 {
		js = c.conns[0]
	}
	c.mu.Unlock()
	if js == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateScrapeTimeout)
	defer cancel()
	if err := c.collectConsumers(ctx, js, ch); err != nil {
		c.log.Debug("consumer metrics left out of this scrape", zap.Error(err))
	}
	if err := c.collectDLQ(ctx, js, ch); err != nil {
		c.log.Debug("dlq metrics left out of this scrape", zap.Error(err))
	}
}

func (c *stateCollector) collectConsumers(ctx context.Context, js jetstream.JetStream, ch chan<- prometheus.Metric) error {
	streams := js.StreamNames(ctx)
	var names []string
	for name := range streams.Name() {
		names = append(names, name)
	}
	if err := streams.Err(); err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		s, err := js.Stream(ctx, name)
		if err != nil {
			// A stream deleted between the two requests has no consumers to report.
			if !errors.Is(err, jetstream.ErrStreamNotFound) {
				errs = append(errs, err)
			}
			continue
		}
		consumers := s.ListConsumers(ctx)
		for info := range consumers.Info() {
			// Ephemeral consumers (KV watchers, one-off readers) come and go with their
			// clients; only durables have a backlog that matters.
			if info.Config.Durable == "" {
				continue
			}
			ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(info.NumPending), info.Stream, info.Name)
			ch <- prometheus.MustNewConstMetric(c.ackPending, prometheus.GaugeValue, float64(info.NumAckPending), info.Stream, info.Name)
			ch <- prometheus.MustNewConstMetric(c.redelivered, prometheus.GaugeValue, float64(info.NumRedelivered), info.Stream, info.Name)
		}
		if err := consumers.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// collectDLQ counts the DLQ's messages per subject (sc.dlq.<stream>.<durable>) and reports
// them under the original stream's name as the streams spell it.
func (c *stateCollector) collectDLQ(ctx context.Context, js jetstream.JetStream, ch chan<- prometheus.Metric) error {
	s, err := js.Stream(ctx, StreamDLQ)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(SubjectsDLQ))
	if err != nil {
		return err
	}
	for subject, n := range info.State.Subjects {
		stream, durable, ok := strings.Cut(strings.TrimPrefix(subject, "sc.dlq."), ".")
		if !ok {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.dlqDepth, prometheus.GaugeValue, float64(n), strings.ToUpper(stream), durable)
	}
	return nil
}

// registerStateCollector adds js to the registry's state collector, registering the collector
// with the first connection: every Bus of a process talks to the same NATS, so one report is
// the whole truth, and it goes on as long as any of them is open. It returns the function
// that takes js off again when its Bus closes.
func registerStateCollector(reg prometheus.Registerer, js jetstream.JetStream, log *zap.Logger) (func(), error) {
	c := newStateCollector(log)
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, err
		}
		existing, ok := already.ExistingCollector.(*stateCollector)
		if !ok {
			return nil, err
		}
		c = existing
	}
	c.mu.Lock()
	c.conns = append(c.conns, js)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.conns = slices.DeleteFunc(c.conns, func(other jetstream.JetStream) bool { return other == js })
	}, nil
}
