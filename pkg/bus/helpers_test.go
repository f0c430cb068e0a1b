package bus_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/supercomp/supercomp/pkg/bus"
)

// waitTimeout bounds waits for things the server does on its own clock (pin TTLs, redelivery
// after AckWait); generous because CI runs other packages' tests on the same two cores.
const waitTimeout = 30 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startConsumer runs c until the test ends and checks Start's result.
func startConsumer(t *testing.T, c *bus.Consumer) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- c.Start(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop %s: %v", c.Name(), err)
		}
		if err := <-errc; err != nil {
			t.Errorf("start %s returned %v", c.Name(), err)
		}
	})
}

func publishN(t *testing.T, b *bus.Bus, n int, kind string) {
	t.Helper()
	msgs := make([]bus.OutMsg, n)
	for i := range msgs {
		msgs[i] = bus.OutMsg{
			Subject: bus.Subject(bus.StreamTraining, "t1", fmt.Sprintf("a%d", i%10), kind),
			MsgID:   fmt.Sprintf("%s-%d", kind, i),
			Data:    []byte(fmt.Sprintf("payload %d", i)),
		}
	}
	if _, err := b.PublishBatch(testContext(t), msgs); err != nil {
		t.Fatalf("publish %d: %v", n, err)
	}
}

func streamMsgs(t *testing.T, b *bus.Bus, stream string) uint64 {
	t.Helper()
	s, err := b.JetStream().Stream(testContext(t), stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := s.Info(testContext(t))
	if err != nil {
		t.Fatalf("stream %s info: %v", stream, err)
	}
	return info.State.Msgs
}

func lastDeadLetter(t *testing.T, b *bus.Bus, stream, durable string) *jetstream.RawStreamMsg {
	t.Helper()
	s, err := b.JetStream().Stream(testContext(t), bus.StreamDLQ)
	if err != nil {
		t.Fatalf("dlq stream: %v", err)
	}
	m, err := s.GetLastMsgForSubject(testContext(t), bus.DeadLetterSubject(stream, durable))
	if err != nil {
		t.Fatalf("dead letter of %s: %v", durable, err)
	}
	return m
}

// counterValue reads sc_bus_consumer_messages_total for one outcome.
func counterValue(t *testing.T, reg *prometheus.Registry, durable, outcome string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != "sc_bus_consumer_messages_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["consumer"] == durable && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// recorder remembers what a handler saw.
type recorder struct {
	mu         sync.Mutex
	deliveries []uint64
	data       []string
}

func (r *recorder) record(m jetstream.Msg) {
	meta, _ := m.Metadata()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries = append(r.deliveries, meta.NumDelivered)
	r.data = append(r.data, string(m.Data()))
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.deliveries)
}

func (r *recorder) deliveriesSeen() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.deliveries...)
}
