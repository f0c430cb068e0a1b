package ingestion_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/chstore"
)

// engineBatch is the recorder's default batch: the engines' pipeline inserts as many rows at a
// time, so the ClickHouse server does the same work per set in both.
const engineBatch = 20000

// enginesTable is a copy of training_sets that only the engines' pipeline writes, so its rows
// never count towards the ingest path's.
const enginesTable = "engines_sets"

// enginePipeline is what the ingest path asks of the engines for one set, and nothing else: the
// encoded event published to JetStream async (as the bare publish), delivered to a durable pull
// consumer with explicit acks, and its row inserted into ClickHouse by column before the ack.
// The rows are built before the clock starts, so no Supercomp code runs while it is timed.
// Its rate is the ceiling of the ingest path on this machine: validation, ids, the stored-id
// lookups, encoding, decoding, building rows and the gRPC stream all come on top.
type enginePipeline struct {
	bus  *bus.Bus
	cons jetstream.Consumer
	st   store.Store
}

func newEnginePipeline(b *testing.B, st store.Store) *enginePipeline {
	b.Helper()
	bs, _ := bustest.New(b) // a server of its own: these messages must not reach the recorder
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := bs.JetStream().CreateOrUpdateConsumer(ctx, bus.StreamTraining, jetstream.ConsumerConfig{
		Durable:   "engines",
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   time.Minute,
		// One batch inserting while the next one gathers, as the recorder does.
		MaxAckPending: 2 * engineBatch,
	})
	if err != nil {
		b.Fatalf("engines' consumer: %v", err)
	}
	if err := st.Exec(ctx, "CREATE TABLE "+enginesTable+" AS "+chstore.TableSets); err != nil {
		b.Fatalf("engines' table: %v", err)
	}
	return &enginePipeline{bus: bs, cons: cons, st: st}
}

// blocks are the rows of evs, engineBatch events to a block, in the order they are published.
func (p *enginePipeline) blocks(b *testing.B, evs []*eventsv1.Event) []chstore.Block {
	b.Helper()
	var out []chstore.Block
	for start := 0; start < len(evs); start += engineBatch {
		blocks, err := chstore.Blocks(evs[start:min(start+engineBatch, len(evs))], nil)
		if err != nil || len(blocks) != 1 {
			b.Fatalf("engines' rows: %d blocks, %v", len(blocks), err)
		}
		out = append(out, blocks[0])
	}
	return out
}

// run publishes msgs and returns once every one of them was delivered, its row inserted (the
// k-th batch of engineBatch messages inserts blocks[k]) and its delivery acked.
func (p *enginePipeline) run(ctx context.Context, msgs []bus.OutMsg, blocks []chstore.Block) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	it, err := p.cons.Messages(jetstream.PullMaxMessages(engineBatch / 4))
	if err != nil {
		return fmt.Errorf("engines' consume: %w", err)
	}
	defer it.Stop()
	context.AfterFunc(ctx, it.Stop) // unblocks Next when publishing or inserting failed

	batches := make(chan []jetstream.Msg, 1)
	go func() {
		defer close(batches)
		batch := make([]jetstream.Msg, 0, engineBatch)
		for got := 0; got < len(msgs); got++ {
			m, err := it.Next()
			if err != nil {
				cancel(fmt.Errorf("engines' consume: %w", err))
				return
			}
			batch = append(batch, m)
			if len(batch) == engineBatch || got == len(msgs)-1 {
				batches <- batch
				batch = make([]jetstream.Msg, 0, engineBatch)
			}
		}
	}()
	inserted := make(chan error, 1)
	go func() {
		k := 0
		for batch := range batches {
			blk := blocks[k]
			k++
			if len(batch) != blk.Rows {
				inserted <- fmt.Errorf("engines' batch %d: %d messages for %d rows", k, len(batch), blk.Rows)
				return
			}
			if err := p.st.InsertColumns(ctx, enginesTable, blk.Columns, blk.Values); err != nil {
				inserted <- fmt.Errorf("engines' insert: %w", err)
				return
			}
			for _, m := range batch {
				if err := m.Ack(); err != nil {
					inserted <- fmt.Errorf("engines' ack: %w", err)
					return
				}
			}
		}
		inserted <- context.Cause(ctx)
	}()
	results, err := p.bus.PublishBatch(ctx, msgs)
	for i := 0; err == nil && i < len(results); i++ {
		err = results[i].Err
	}
	if err != nil {
		cancel(fmt.Errorf("engines' publish: %w", err)) // what was not stored will never come
	}
	return <-inserted
}
