package adapters

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/metricreg"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
)

// TrainingReplay implements app.TrainingHistory with an ephemeral consumer on one athlete's
// TRAINING subjects.
type TrainingReplay struct {
	Bus *bus.Bus
	// Durable is the training consumer's durable name (partition consumers add "-<n>" to it):
	// a message redriven from the DLQ for another service's consumer was never applied here.
	Durable string
}

const (
	replayBatch     = 500
	replayFetchWait = 10 * time.Second
)

// Replay implements app.TrainingHistory. Events that do not decode, or lack the athlete, are
// skipped as the training consumer skipped them (it dead-lettered them).
func (r TrainingReplay) Replay(ctx context.Context, k app.Key, before uint64, apply func(app.Message) error) error {
	js := r.Bus.JetStream()
	cons, err := js.CreateConsumer(ctx, bus.StreamTraining, jetstream.ConsumerConfig{
		FilterSubject:     events.AthleteFilter(bus.StreamTraining, k.Team, k.Athlete),
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: 30 * time.Second,
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		return fmt.Errorf("replay consumer: %w", err)
	}
	defer func() {
		// The server removes an abandoned consumer after InactiveThreshold anyway.
		delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = js.DeleteConsumer(delCtx, bus.StreamTraining, cons.CachedInfo().Name)
	}()
	for pending := cons.CachedInfo().NumPending; pending > 0; {
		batch, err := cons.Fetch(int(min(pending, replayBatch)), jetstream.FetchMaxWait(replayFetchWait))
		if err != nil {
			return fmt.Errorf("replay %s: %w", k, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("replay %s: %w", k, err)
			}
			pending = meta.NumPending
			if before != 0 && meta.Sequence.Stream >= before {
				return nil
			}
			if !r.appliedHere(m) {
				continue
			}
			ev, err := events.Decode(m.Data())
			if err != nil || ev.GetTeamId() != k.Team || ev.GetAthleteId() != k.Athlete {
				continue
			}
			if err := apply(app.Message{Seq: meta.Sequence.Stream, Event: ev}); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("replay %s: %w", k, err)
		}
		if got == 0 {
			return fmt.Errorf("replay %s: %d events pending but none delivered within %s", k, pending, replayFetchWait)
		}
	}
	return nil
}

func (r TrainingReplay) appliedHere(m jetstream.Msg) bool {
	target := m.Headers().Get(bus.HeaderRedriveConsumer)
	return target == "" || target == r.Durable || strings.HasPrefix(target, r.Durable+"-")
}

// SnapshotQuarantine implements app.SnapshotQuarantine: it logs the unreadable snapshot,
// counts it, and copies its bytes to the DLQ with the reason, where an operator can inspect
// it after the athlete was rebuilt and the snapshot overwritten.
type SnapshotQuarantine struct {
	bus        *bus.Bus
	log        *zap.Logger
	unreadable prometheus.Counter
}

// UnreadableSnapshotsMetric counts the snapshots found unreadable.
const UnreadableSnapshotsMetric = "sc_fatigue_unreadable_snapshots_total"

// DeadLetterConsumer is the consumer name the snapshots' dead letters carry.
const DeadLetterConsumer = "fatigue-state"

// NewSnapshotQuarantine registers the counter on reg (reusing one already registered, as the
// all-in-one binary and tests open several services).
func NewSnapshotQuarantine(b *bus.Bus, log *zap.Logger, reg prometheus.Registerer) (*SnapshotQuarantine, error) {
	c, err := metricreg.Shared(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: UnreadableSnapshotsMetric,
		Help: "Athlete state snapshots that did not decode; each athlete was rebuilt from TRAINING and the snapshot sent to the DLQ.",
	}))
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", UnreadableSnapshotsMetric, err)
	}
	return &SnapshotQuarantine{bus: b, log: log, unreadable: c}, nil
}

// Quarantine implements app.SnapshotQuarantine. The dead letter names the key's subject in the
// bucket's stream and the snapshot's revision; its message id makes a second report of the same
// revision (a batch that failed after the report and came back) a duplicate.
func (q *SnapshotQuarantine) Quarantine(ctx context.Context, bad *app.UnreadableSnapshotError) error {
	q.unreadable.Inc()
	q.log.Error("unreadable state snapshot; rebuilding the athlete from TRAINING",
		zap.String("team", bad.Key.Team), zap.String("athlete", bad.Key.Athlete),
		zap.Uint64("revision", bad.Revision), zap.Int("bytes", len(bad.Data)), zap.Error(bad.Err))
	stream := "KV_" + StateBucket
	subject := "$KV." + StateBucket + "." + bad.Key.String()
	seq := strconv.FormatUint(bad.Revision, 10)
	hdr := nats.Header{}
	hdr.Set(bus.HeaderDLQReason, "unreadable state snapshot: "+bad.Err.Error())
	hdr.Set(bus.HeaderDLQStream, stream)
	hdr.Set(bus.HeaderDLQSubject, subject)
	hdr.Set(bus.HeaderDLQSequence, seq)
	hdr.Set(bus.HeaderDLQConsumer, DeadLetterConsumer)
	hdr.Set(jetstream.MsgIDHeader, "dlq."+stream+"."+DeadLetterConsumer+"."+bad.Key.String()+"."+seq)
	msg := &nats.Msg{Subject: bus.DeadLetterSubject(stream, DeadLetterConsumer), Header: hdr, Data: bad.Data}
	if _, err := q.bus.JetStream().PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("dead-letter the snapshot of %s: %w", bad.Key, err)
	}
	return nil
}
