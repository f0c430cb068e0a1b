package app

import (
	"context"
	"fmt"

	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// UnreadableSnapshotError is what a StateStore's Load returns for a snapshot that exists but
// does not decode (a version this build does not know, or damaged bytes). It carries the bytes
// so that they can be kept for inspection before the athlete is rebuilt.
type UnreadableSnapshotError struct {
	Key Key
	// Revision is the snapshot's revision in the store.
	Revision uint64
	Data     []byte
	Err      error
}

func (e *UnreadableSnapshotError) Error() string {
	return fmt.Sprintf("snapshot of %s (revision %d) unreadable: %v", e.Key, e.Revision, e.Err)
}

func (e *UnreadableSnapshotError) Unwrap() error { return e.Err }

// TrainingHistory reads an athlete's TRAINING events back from the stream.
type TrainingHistory interface {
	// Replay calls apply with the athlete's TRAINING events in stream order, from the stream's
	// start up to (excluding) stream sequence before; before 0 is everything stored now.
	Replay(ctx context.Context, k Key, before uint64, apply func(Message) error) error
}

// SnapshotQuarantine reports an unreadable snapshot (log, metric, dead letter with the
// reason) before the athlete is rebuilt and the snapshot overwritten.
type SnapshotQuarantine interface {
	Quarantine(ctx context.Context, bad *UnreadableSnapshotError) error
}

// RebuildFrom lets the processor rebuild an athlete whose snapshot is unreadable from its
// TRAINING events instead of failing every batch that touches it. Without it, an unreadable
// snapshot is an error: the batch is retried and never applied to an empty state.
func (p *Processor) RebuildFrom(history TrainingHistory, quarantine SnapshotQuarantine) {
	p.history, p.quarantine = history, quarantine
}

// rebuild reports the unreadable snapshot and replays the athlete's TRAINING events before
// stream sequence before into a fresh state. Nothing is published: what those events caused
// was published when they were first applied (the state keeps the last published assessment,
// so the next change is still recognised as one). The PROGRAMMING events are not replayed: a
// deload decided before the rebuild no longer holds off recommendations.
func (p *Processor) rebuild(ctx context.Context, bad *UnreadableSnapshotError, before uint64) (*domain.State, error) {
	if p.history == nil || p.quarantine == nil {
		return nil, bad
	}
	if err := p.quarantine.Quarantine(ctx, bad); err != nil {
		return nil, fmt.Errorf("quarantine %w: %w", bad, err)
	}
	k := bad.Key
	th, err := p.thresholds.Effective(ctx, k.Team, k.Athlete)
	if err != nil {
		return nil, err
	}
	st := &domain.State{}
	err = p.history.Replay(ctx, k, before, func(m Message) error {
		advance(st, m, th)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rebuild %s from TRAINING: %w", k, err)
	}
	// Saved at once, so that queries reading the snapshots see the athlete again even if no
	// event of this batch ends up changing it.
	if err := p.store.Save(ctx, k, st); err != nil {
		return nil, fmt.Errorf("save rebuilt state %s: %w", k, err)
	}
	return st, nil
}

// advance applies one TRAINING event to st and marks it as included. ok is false when the
// event changed nothing the assessment reads.
func advance(st *domain.State, m Message, th domain.Thresholds) (Outcome, bool) {
	o, ok := Step(st, m.Event, th)
	if m.Seq > st.Seq {
		st.Seq = m.Seq
	}
	if ok && o.Assessed != nil {
		st.Published.EventID = o.Assessed.GetId()
	}
	return o, ok
}
