package ports

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
)

// partitionedConsumer consumes TRAINING and PROGRAMMING through one view partitioned by
// (team, athlete): each partition is pinned to one instance at a time, so an athlete's state is
// only ever changed by the instance holding its partition, in stream order. Both streams go
// through the same partition consumer so that a deload decision and the training it affects
// are applied by the same instance. The stream subjects and the other services' consumers are
// untouched; the view holds about the backlog only (what a partition's checkpoint covers is
// purged), and a partition restarts after its checkpoint, where HandleTraining skips the events
// an athlete's snapshot already includes.
// Partitioning is how the engine splits its work among instances.
type Partitioning struct {
	// N partitions; 1 or less consumes the streams directly (one instance).
	N int
	// TTL is bus.PartitionedConfig.PinnedTTL (0: the default, twice AckWait).
	TTL time.Duration
}

func partitionedConsumer(ctx context.Context, b *bus.Bus, proc *app.Processor, part Partitioning, log *zap.Logger) (*bus.PartitionedConsumer, error) {
	partitions := part.N
	cfg := bus.PartitionedConfig{
		PinnedTTL: part.TTL,
		View:      ViewPartitions,
		Sources: []bus.PartitionSource{
			{Stream: bus.StreamTraining, Subject: events.StreamFilter(bus.StreamTraining), Key: []int{1, 2}},
			{Stream: bus.StreamProgramming, Subject: events.StreamFilter(bus.StreamProgramming), Key: []int{1, 2}},
		},
		Partitions: partitions,
		// CaughtUp as for the unpartitioned TRAINING consumer: no gathering delay when idle.
		Consumer: bus.ConsumerConfig{Durable: DurablePartitions, MaxDeliver: -1, Batch: 500, CaughtUp: true},
		OnAcquire: func(_ context.Context, p int) error {
			n := proc.Forget(func(k app.Key) bool { return bus.PartitionOf(partitions, k.Team, k.Athlete) == p })
			log.Info("fatigue partition acquired", zap.Int("partition", p), zap.Int("states_dropped", n))
			return nil
		},
	}
	pc, err := b.NewPartitionedBatchConsumer(ctx, cfg, func(ctx context.Context, msgs []jetstream.Msg) error {
		return handlePartition(ctx, proc, msgs)
	}, log)
	if err != nil {
		return nil, fmt.Errorf("partitioned consumer: %w", err)
	}
	return pc, nil
}

// handlePartition applies a batch of one partition in order: each run of TRAINING messages goes
// to HandleTraining with the TRAINING sequence (the snapshots' skip mark, the same as the
// unpartitioned consumer's), each run of deload events to HandleProgramming.
func handlePartition(ctx context.Context, proc *app.Processor, msgs []jetstream.Msg) error {
	var training []app.Message
	var programming []*eventsv1.Event
	flush := func() error {
		if len(training) > 0 {
			if _, err := proc.HandleTraining(ctx, training); err != nil {
				return err
			}
			training = training[:0]
		}
		if len(programming) > 0 {
			if err := proc.HandleProgramming(ctx, programming); err != nil {
				return err
			}
			programming = programming[:0]
		}
		return nil
	}
	var bad *bus.BatchError
	for i, m := range msgs {
		ev, err := decodeOne(m)
		o, ok := bus.SourceOf(m)
		if err == nil && !ok {
			err = errors.New("partitioned message without its source stream")
		}
		if err != nil {
			if bad == nil {
				bad = &bus.BatchError{Errs: map[int]error{}}
			}
			bad.Errs[i] = bus.Poison(err)
			continue
		}
		switch {
		case o.Stream == bus.StreamTraining:
			if len(programming) > 0 {
				if err := flush(); err != nil {
					return err
				}
			}
			training = append(training, app.Message{Seq: o.Sequence, Event: ev, Trace: bus.MessageContext(ctx, m)})
		case o.Stream == bus.StreamProgramming && isDeload(ev):
			if len(training) > 0 {
				if err := flush(); err != nil {
					return err
				}
			}
			programming = append(programming, ev)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if bad != nil {
		return bad
	}
	return nil
}

// isDeload selects what the unpartitioned PROGRAMMING consumer filters on.
func isDeload(ev *eventsv1.Event) bool {
	switch ev.GetPayload().(type) {
	case *eventsv1.Event_DeloadScheduled, *eventsv1.Event_DeloadDecided, *eventsv1.Event_DeloadCompleted:
		return true
	}
	return false
}
