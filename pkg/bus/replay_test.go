package bus_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

// A process that crashed with fetched, unsettled messages: the next process must see them first
// and in stream order when the consumer asks for it, and after AckWait otherwise (newer messages
// overtake them, which per-key state skipping by sequence would lose for good).
func TestReplayUnsettledFirstAfterACrash(t *testing.T) {
	for _, replay := range []bool{true, false} {
		t.Run(map[bool]string{true: "replay unsettled first", false: "default"}[replay], func(t *testing.T) {
			b, e := bustest.New(t)
			ctx := testContext(t)
			durable := map[bool]string{true: "ordered", false: "plain"}[replay]
			cfg := bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: durable, MaxDeliver: -1, Batch: 10, ReplayUnsettledFirst: replay}
			// The first process: its consumer exists, and it fetched the first 10 messages and
			// died before settling them.
			if _, err := b.NewBatchConsumer(ctx, cfg, func(context.Context, []jetstream.Msg) error { return nil }, nil); err != nil {
				t.Fatal(err)
			}
			publishN(t, b, 30, "set")
			nc, err := nats.Connect(e.ClientURL())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := js.Consumer(ctx, bus.StreamTraining, durable)
			if err != nil {
				t.Fatal(err)
			}
			batch, err := raw.FetchNoWait(10)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for range batch.Messages() {
				n++
			}
			if n != 10 {
				t.Fatalf("crashed process fetched %d, want 10", n)
			}
			nc.Close()

			// The next process.
			var mu sync.Mutex
			var seqs []uint64
			next, err := b.NewBatchConsumer(ctx, cfg, func(_ context.Context, ms []jetstream.Msg) error {
				mu.Lock()
				defer mu.Unlock()
				for _, m := range ms {
					md, _ := m.Metadata()
					seqs = append(seqs, md.Sequence.Stream)
				}
				return nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			startConsumer(t, next)
			if replay {
				eventually(t, "all 30 handled", func() bool { mu.Lock(); defer mu.Unlock(); return len(seqs) >= 30 })
				mu.Lock()
				defer mu.Unlock()
				if !slices.IsSorted(seqs) || seqs[0] != 1 || len(seqs) != 30 {
					t.Errorf("handled %v, want 1..30 in order", seqs)
				}
				// The recreated consumer starts at a sequence; declaring it again (the next
				// start, nothing unsettled) keeps that start instead of failing the update.
				if _, err := b.NewBatchConsumer(ctx, cfg, func(context.Context, []jetstream.Msg) error { return nil }, nil); err != nil {
					t.Errorf("declare the consumer again: %v", err)
				}
				return
			}
			// Without it the unsettled ten wait out AckWait (30 s) behind the newer twenty.
			eventually(t, "the newer 20 handled", func() bool { mu.Lock(); defer mu.Unlock(); return len(seqs) >= 20 })
			mu.Lock()
			defer mu.Unlock()
			if seqs[0] != 11 {
				t.Errorf("first handled %d, want 11 (the crash's unsettled messages overtaken)", seqs[0])
			}
		})
	}
}
