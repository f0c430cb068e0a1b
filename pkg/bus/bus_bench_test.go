package bus_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

// Benchmarks run against a real embedded JetStream with file storage, like
// the all-in-one binary. Each reports msgs/s; compare with -benchtime Nx.

const (
	benchPayloadSize = 128
	benchAthletes    = 100
	benchBatch       = 1000
)

func benchSubjects() []string {
	subjects := make([]string, benchAthletes)
	for i := range subjects {
		subjects[i] = bus.Subject(bus.StreamTraining, "t1", "a"+strconv.Itoa(i), "set")
	}
	return subjects
}

func benchMsgs(n int) []bus.OutMsg {
	subjects := benchSubjects()
	payload := make([]byte, benchPayloadSize)
	msgs := make([]bus.OutMsg, n)
	for i := range msgs {
		msgs[i] = bus.OutMsg{Subject: subjects[i%len(subjects)], MsgID: "evt-" + strconv.Itoa(i), Data: payload}
	}
	return msgs
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// processCPU is the user and system CPU this process (client and embedded server) has used. On
// a machine of few cores a pipeline's rate is bounded by the CPU its stages spend per message,
// which the msgs/s of a stage that mostly waits for acks does not show.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu_us/msg")
}

// BenchmarkPublishAsync is the baseline: jetstream's own async publish with
// its default in-flight bound, no bookkeeping per message.
func BenchmarkPublishAsync(b *testing.B) {
	bb, _ := bustest.New(b)
	// Same in-flight bound as the bus, and a stall wait long enough for a loaded machine, so
	// the baseline measures JetStream rather than giving up when acks lag.
	js, err := jetstream.New(bb.Conn(), jetstream.WithPublishAsyncMaxPending(bus.DefaultPublishMaxPending))
	if err != nil {
		b.Fatal(err)
	}
	subjects := benchSubjects()
	payload := make([]byte, benchPayloadSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := &nats.Msg{Subject: subjects[i%len(subjects)], Data: payload}
		if _, err := js.PublishMsgAsync(m, jetstream.WithMsgID("evt-"+strconv.Itoa(i)), jetstream.WithStallWait(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("acks did not arrive")
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkBusPublishBatch publishes in batches of 1000, as ingestion does
// with an import or a device upload, waiting for every ack of each batch.
func BenchmarkBusPublishBatch(b *testing.B) {
	bb, _ := bustest.New(b)
	msgs := benchMsgs(b.N)
	ctx := context.Background()
	b.ResetTimer()
	cpu := processCPU(b)
	for start := 0; start < len(msgs); start += benchBatch {
		if _, err := bb.PublishBatch(ctx, msgs[start:min(start+benchBatch, len(msgs))]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRate(b)
	reportCPU(b, processCPU(b)-cpu)
}

// BenchmarkBusPublish waits for each ack before the next publish.
func BenchmarkBusPublish(b *testing.B) {
	bb, _ := bustest.New(b)
	msgs := benchMsgs(b.N)
	ctx := context.Background()
	b.ResetTimer()
	for _, m := range msgs {
		if _, err := bb.Publish(ctx, m.Subject, m.MsgID, m.Data, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkConsume drains b.N stored messages through a single-message
// consumer that acks each one.
func BenchmarkConsume(b *testing.B) {
	benchConsume(b, func(bb *bus.Bus, cfg bus.ConsumerConfig, seen *atomic.Int64) (*bus.Consumer, error) {
		return bb.NewConsumer(context.Background(), cfg, func(context.Context, jetstream.Msg) error {
			seen.Add(1)
			return nil
		}, nil)
	})
}

// BenchmarkConsumeBatch is BenchmarkConsume through a batch consumer, as the
// ClickHouse recorders use it.
func BenchmarkConsumeBatch(b *testing.B) {
	benchConsume(b, func(bb *bus.Bus, cfg bus.ConsumerConfig, seen *atomic.Int64) (*bus.Consumer, error) {
		cfg.MaxWait = 100 * time.Millisecond
		return bb.NewBatchConsumer(context.Background(), cfg, func(_ context.Context, msgs []jetstream.Msg) error {
			seen.Add(int64(len(msgs)))
			return nil
		}, nil)
	})
}

func benchConsume(b *testing.B, newConsumer func(*bus.Bus, bus.ConsumerConfig, *atomic.Int64) (*bus.Consumer, error)) {
	bb, _ := bustest.New(b)
	ctx := context.Background()
	if _, err := bb.PublishBatch(ctx, benchMsgs(b.N)); err != nil {
		b.Fatal(err)
	}
	var seen atomic.Int64
	c, err := newConsumer(bb, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "bench", Batch: benchBatch}, &seen)
	if err != nil {
		b.Fatal(err)
	}
	errc := make(chan error, 1)
	b.ResetTimer()
	cpu := processCPU(b)
	go func() { errc <- c.Start(ctx) }()
	deadline := time.Now().Add(time.Minute)
	for seen.Load() < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("consumed %d of %d", seen.Load(), b.N)
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	reportRate(b)
	reportCPU(b, processCPU(b)-cpu)
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Stop(stopCtx); err != nil {
		b.Fatal(err)
	}
	if err := <-errc; err != nil {
		b.Fatal(fmt.Errorf("consumer: %w", err))
	}
}
