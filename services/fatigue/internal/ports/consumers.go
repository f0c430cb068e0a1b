// Package ports holds the fatigue service's entry points: the JetStream consumers (TRAINING,
// PROGRAMMING, and the assessment recorder on ANALYSIS) and the FatigueService gRPC handlers.
package ports

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
)

// Durable consumer names.
const (
	DurableTraining    = "fatigue"
	DurableProgramming = "fatigue-programming"
	DurableRecorder    = "fatigue-assessments"
	// DurablePartitions prefixes the partition consumers (fatigue-p0, ...) of the view.
	DurablePartitions = "fatigue"
	// ViewPartitions is the stream that partitions TRAINING and PROGRAMMING by athlete when
	// several instances share the work; its checkpoints are in bus.CheckpointBucket of it.
	ViewPartitions = "FATIGUE_PARTITIONS"
)

// decodeAll decodes a batch; undecodable messages are poisoned (DLQ) and skipped.
// decodedBatch adapts fn to a batch handler: fn gets the decodable messages, and only once it
// succeeded are the undecodable ones reported, so they go to the DLQ while the rest are acked.
func decodedBatch(fn func(context.Context, []app.Message) error) bus.BatchHandler {
	return func(ctx context.Context, msgs []jetstream.Msg) error {
		decoded, bad := decodeAll(ctx, msgs)
		if err := fn(ctx, decoded); err != nil {
			return err
		}
		if bad != nil { // a nil *BatchError must not become a non-nil error
			return bad
		}
		return nil
	}
}

// eventsOf drops the stream positions when a handler needs only the events.
func eventsOf(ms []app.Message) []*eventsv1.Event {
	evs := make([]*eventsv1.Event, 0, len(ms))
	for _, m := range ms {
		evs = append(evs, m.Event)
	}
	return evs
}

func decodeAll(ctx context.Context, msgs []jetstream.Msg) ([]app.Message, *bus.BatchError) {
	out := make([]app.Message, 0, len(msgs))
	var bad *bus.BatchError
	for i, m := range msgs {
		ev, err := decodeOne(m)
		if err != nil {
			if bad == nil {
				bad = &bus.BatchError{Errs: map[int]error{}}
			}
			bad.Errs[i] = bus.Poison(err)
			continue
		}
		var seq uint64
		if md, err := m.Metadata(); err == nil {
			seq = md.Sequence.Stream
		}
		out = append(out, app.Message{Seq: seq, Event: ev, Trace: bus.MessageContext(ctx, m)})
	}
	return out, bad
}

func decodeOne(m jetstream.Msg) (*eventsv1.Event, error) {
	ev, err := events.Decode(m.Data())
	if err == nil && (ev.GetTeamId() == "" || (ev.GetAthleteId() == "" && ev.GetPayload() != nil && isTraining(ev))) {
		err = errors.New("event without team or athlete")
	}
	return ev, err
}

func isTraining(ev *eventsv1.Event) bool {
	switch ev.GetPayload().(type) {
	case *eventsv1.Event_SetRecorded, *eventsv1.Event_SessionRecorded, *eventsv1.Event_WellnessReported, *eventsv1.Event_ReadinessMeasured:
		return true
	}
	return false
}

// Engine runs the fatigue consumers: it restores the athlete states from their snapshots,
// then consumes TRAINING and PROGRAMMING and records assessments. It is one lifecycle component
// so the restore always happens before the first event is applied.
type Engine struct {
	proc       *app.Processor
	components []consumer
	log        *zap.Logger
}

// consumer is a bus.Consumer or a bus.PartitionedConsumer.
type consumer interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// NewEngine declares the durable consumers. history may be nil (no ClickHouse): then
// assessments are published but not recorded. partitions.N above 1 replace the TRAINING and
// PROGRAMMING consumers with a partitioned view (see partitionedConsumer) so that several
// instances can run; 1 keeps one consumer per stream.
func NewEngine(ctx context.Context, b *bus.Bus, proc *app.Processor, history *adapters.History, partitions Partitioning, log *zap.Logger) (*Engine, error) {
	e := &Engine{proc: proc, log: log}
	if partitions.N > 1 {
		pc, err := partitionedConsumer(ctx, b, proc, partitions, log)
		if err != nil {
			return nil, err
		}
		e.components = append(e.components, pc)
	} else if err := e.streamConsumers(ctx, b, proc, log); err != nil {
		return nil, err
	}
	if history != nil {
		recorder, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
			Stream: bus.StreamAnalysis, Durable: DurableRecorder, FilterSubjects: events.Filters(&eventsv1.Event_AthleteAssessed{}),
			MaxDeliver: -1,
		}, decodedBatch(func(ctx context.Context, ms []app.Message) error {
			return history.Record(ctx, eventsOf(ms))
		}), log)
		if err != nil {
			return nil, fmt.Errorf("assessment recorder: %w", err)
		}
		e.components = append(e.components, recorder)
	}
	return e, nil
}

func (e *Engine) streamConsumers(ctx context.Context, b *bus.Bus, proc *app.Processor, log *zap.Logger) error {
	training, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamTraining, Durable: DurableTraining, FilterSubjects: []string{bus.SubjectsTraining},
		// CaughtUp: a set that completes a pattern is assessed (and alerted on) as soon as
		// it arrives, not after a second of gathering; a busy stream still fills batches.
		MaxDeliver: -1, Batch: 500, CaughtUp: true,
		// Athlete states skip events by stream sequence: after a crash the unsettled batch
		// must come back before anything newer, or its events are skipped for good.
		ReplayUnsettledFirst: true,
	}, decodedBatch(func(ctx context.Context, ms []app.Message) error {
		_, err := proc.HandleTraining(ctx, ms)
		return err
	}), log)
	if err != nil {
		return fmt.Errorf("training consumer: %w", err)
	}
	programming, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamProgramming, Durable: DurableProgramming,
		FilterSubjects:       events.Filters(&eventsv1.Event_DeloadScheduled{}, &eventsv1.Event_DeloadDecided{}, &eventsv1.Event_DeloadCompleted{}),
		MaxDeliver:           -1,
		ReplayUnsettledFirst: true,
	}, decodedBatch(func(ctx context.Context, ms []app.Message) error {
		return proc.HandleProgramming(ctx, eventsOf(ms))
	}), log)
	if err != nil {
		return fmt.Errorf("programming consumer: %w", err)
	}
	e.components = append(e.components, training, programming)
	return nil
}

// Name implements lifecycle.Component.
func (e *Engine) Name() string { return "fatigue-engine" }

// Start restores the states and runs the consumers until Stop.
func (e *Engine) Start(ctx context.Context) error {
	n, err := e.proc.Restore(ctx)
	if err != nil {
		return err
	}
	e.log.Info("fatigue states restored", zap.Int("athletes", n))
	errs := make([]error, len(e.components))
	var wg sync.WaitGroup
	for i, c := range e.components {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Start(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Stop stops every consumer after its in-flight batch.
func (e *Engine) Stop(ctx context.Context) error {
	var errs []error
	for _, c := range e.components {
		errs = append(errs, c.Stop(ctx))
	}
	return errors.Join(errs...)
}
