package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

// The backlog of every durable and the DLQ's depth per source come from JetStream at scrape
// time, so they hold for all instances and survive restarts.
func TestScrapeReportsConsumerBacklogAndDLQDepth(t *testing.T) {
	e := bustest.Server(t)
	b, reg := bustest.ConnectWithRegistry(t, e)
	ctx := testContext(t)
	if err := b.EnsureDefaultStreams(ctx); err != nil {
		t.Fatal(err)
	}
	// Created and never started: everything published stays pending for it.
	if _, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "idle"},
		func(context.Context, jetstream.Msg) error { return nil }, nil); err != nil {
		t.Fatal(err)
	}
	poisoned, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "strict", BackOff: fastRetries},
		func(context.Context, jetstream.Msg) error { return bus.Poison(errors.New("does not decode")) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, poisoned)
	publishN(t, b, 3, "set")
	eventually(t, "the dead letters", func() bool { return streamMsgs(t, b, bus.StreamDLQ) == 3 })

	training := map[string]string{"stream": bus.StreamTraining}
	checks := []struct {
		name, consumer string
		want           float64
	}{
		{"sc_bus_consumer_pending_messages", "idle", 3},
		{"sc_bus_consumer_ack_pending_messages", "idle", 0},
		{"sc_bus_consumer_redelivered_messages", "idle", 0},
		{"sc_bus_consumer_pending_messages", "strict", 0},
		{"sc_dlq_messages", "strict", 3},
	}
	for _, c := range checks {
		training["consumer"] = c.consumer
		got, ok := gaugeValue(t, reg, c.name, training)
		if !ok || got != c.want {
			t.Errorf("%s{consumer=%q} = %v (present %v), want %v", c.name, c.consumer, got, ok, c.want)
		}
	}

	// One collector per registry: a second connection on it shares the collector, which goes
	// on reporting through it once the first one closes.
	shared := prometheus.NewRegistry()
	var conns []*bus.Bus
	for _, name := range []string{"first", "second"} {
		c, err := bus.Connect(ctx, bus.Config{URL: e.ClientURL(), Name: name}, bustest.Logger(t), bus.WithRegisterer(shared))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	conns[0].Close()
	training["consumer"] = "strict"
	if got, ok := gaugeValue(t, shared, "sc_dlq_messages", training); got != 3 {
		t.Errorf("after the first connection closed: sc_dlq_messages = %v (present %v), want 3", got, ok)
	}
}

// gaugeValue reads the gauge name whose labels include want.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) (float64, bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metric
				}
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// BenchmarkScrapeJetStreamState is what one /metrics scrape costs for the JetStream state: the
// requests to list the streams, each stream's consumers and the DLQ's subjects, with as many
// durables as the all-in-one runs (about 20) and a DLQ holding messages from each of them.
func BenchmarkScrapeJetStreamState(b *testing.B) {
	e := bustest.Server(b)
	bs, reg := bustest.ConnectWithRegistry(b, e)
	ctx := context.Background()
	if err := bs.EnsureDefaultStreams(ctx); err != nil {
		b.Fatal(err)
	}
	const durables = 20
	for i := range durables {
		durable := fmt.Sprintf("durable%d", i)
		if _, err := bs.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: durable},
			func(context.Context, jetstream.Msg) error { return nil }, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := bs.Publish(ctx, bus.DeadLetterSubject(bus.StreamTraining, durable), "dl-"+durable, []byte("x"), nil); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var series int
	families, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "sc_dlq_messages" || f.GetName() == "sc_bus_consumer_pending_messages" {
			series += len(f.GetMetric())
		}
	}
	if series != 2*durables {
		b.Fatalf("gathered %d DLQ and backlog series, want %d", series, 2*durables)
	}
}
