// Package recorder is the durable TRAINING consumer that writes every training event to
// ClickHouse. It acks a batch only after its rows are inserted: while ClickHouse is down the
// batch is retried forever (MaxDeliver -1) and the events wait in JetStream, so nothing is
// lost; a message that can never be stored (undecodable, or values its columns cannot hold) goes
// to the DLQ at once (Poison) instead of blocking the rest.
package recorder

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/chstore"
	"github.com/supercomp/supercomp/services/ingestion/internal/records"
)

// Durable is the consumer's durable name on TRAINING.
const Durable = "recorder"

// Config shapes the recorder's batches.
type Config struct {
	// Batch is the most events per insert (default 20000). Every insert writes a new part, and
	// on ClickHouse 18.16 a part of the 28-column training_sets table costs the server about
	// 30-65 ms of CPU whatever its size, against about 3 µs per row: at 5000 rows per insert
	// the server spent 21-23 µs per set, at 20000 8-11 µs (BenchmarkIngest). A batch of 20000
	// events with their messages is tens of MB, and its insert takes about 0.3 s.
	Batch int
	// MaxWait is how long a batch waits to fill (default 1s).
	MaxWait time.Duration
	// EarlyFlush is the smallest batch inserted as soon as the stream has nothing more pending
	// (default 100): an import is queryable when its last set arrives, while a trickle of
	// single sets still makes one insert per MaxWait instead of one per set.
	EarlyFlush int
	// BackOff is the wait before retrying a failed insert (default bus.OutageBackOff: 1s, 2s,
	// 4s, then 8s, jittered).
	BackOff []time.Duration
}

func (c Config) withDefaults() Config {
	if c.Batch <= 0 {
		c.Batch = 20000
	}
	if c.MaxWait <= 0 {
		c.MaxWait = time.Second
	}
	if c.EarlyFlush <= 0 {
		c.EarlyFlush = 100
	}
	if len(c.BackOff) == 0 {
		c.BackOff = bus.OutageBackOff()
	}
	return c
}

// New creates (or updates) the durable consumer and returns it; the host starts and stops it.
func New(ctx context.Context, b *bus.Bus, tables *chstore.Tables, cfg Config, log *zap.Logger) (*bus.Consumer, error) {
	cfg = cfg.withDefaults()
	h := &handler{tables: tables, log: log}
	return b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream:         bus.StreamTraining,
		Durable:        Durable,
		FilterSubjects: []string{bus.SubjectsTraining},
		MaxDeliver:     -1,
		BackOff:        cfg.BackOff,
		Batch:          cfg.Batch,
		MaxWait:        cfg.MaxWait,
		EarlyFlush:     cfg.EarlyFlush,
		// Rows are keyed by event id, so a retried batch may land after a later one.
		Overlap: true,
	}, h.handle, log)
}

type handler struct {
	tables *chstore.Tables
	log    *zap.Logger
}

// handle decodes the batch, poisons what cannot be decoded, is not a training record or does
// not fit its table's columns, and inserts the rest in one insert per table.
func (h *handler) handle(ctx context.Context, msgs []jetstream.Msg) error {
	evs := make([]*eventsv1.Event, 0, len(msgs))
	poisoned := map[int]error{}
	for i, m := range msgs {
		ev, err := events.Decode(m.Data())
		if err == nil {
			if _, ok := trainingKind(ev); !ok {
				err = fmt.Errorf("subject %s: not a training record", m.Subject())
			}
		}
		if err == nil && ev.GetId() == "" {
			err = fmt.Errorf("subject %s: event without id", m.Subject())
		}
		if err == nil {
			err = chstore.Fits(ev)
		}
		if err == nil {
			// An enum value the contract does not define cannot be stored as what it means;
			// only a publisher that bypassed ingestion can send one.
			if eerr := records.CheckEnums(ev); eerr != nil {
				err = fmt.Errorf("event %s: %w", ev.GetId(), eerr)
			}
		}
		if err != nil {
			poisoned[i] = bus.Poison(err)
			continue
		}
		evs = append(evs, ev)
	}
	if len(evs) > 0 {
		n, err := h.tables.Insert(ctx, evs)
		if err != nil {
			// Every message is retried, the poisoned ones excepted.
			if len(poisoned) == 0 {
				return err
			}
			errs := make(map[int]error, len(msgs))
			for i := range msgs {
				if p, ok := poisoned[i]; ok {
					errs[i] = p
				} else {
					errs[i] = err
				}
			}
			return &bus.BatchError{Errs: errs}
		}
		h.log.Debug("training batch recorded", zap.Int("events", len(evs)), zap.Int("rows", n))
	}
	if len(poisoned) > 0 {
		return &bus.BatchError{Errs: poisoned}
	}
	return nil
}

func trainingKind(ev *eventsv1.Event) (string, bool) {
	r, err := events.RouteOf(ev)
	if err != nil || r.Stream != bus.StreamTraining {
		return "", false
	}
	_, ok := chstore.TableOf(r.Kind)
	return r.Kind, ok
}
