package app

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// signalPub is a publisher that tells when it received its first output.
type signalPub struct {
	once  sync.Once
	first chan struct{}
}

func (s *signalPub) Publish(_ context.Context, out []Output) error {
	if len(out) > 0 {
		s.once.Do(func() { close(s.first) })
	}
	return nil
}

// savedSignal is memStore that tells when it saved its first snapshot.
type savedSignal struct {
	memStore
	once  sync.Once
	first chan struct{}
}

func (s *savedSignal) Save(ctx context.Context, k Key, st *domain.State) error {
	err := s.memStore.Save(ctx, k, st)
	s.once.Do(func() { close(s.first) })
	return err
}

// pausingThresholds serves the defaults and, from the call numbered at onwards, first waits
// (up to a bound) for wait to close, noting whether it did.
type pausingThresholds struct {
	calls   int
	at      int
	wait    []chan struct{}
	arrived []bool
}

func (p *pausingThresholds) Effective(context.Context, string, string) (domain.Thresholds, error) {
	p.calls++
	if p.calls == p.at {
		for _, w := range p.wait {
			select {
			case <-w:
				p.arrived = append(p.arrived, true)
			case <-time.After(10 * time.Second):
				p.arrived = append(p.arrived, false)
			}
		}
	}
	return domain.DefaultThresholds(), nil
}

// TestBatchPublishesAndSavesBeforeItEnds checks that a batch's first outputs are published, and
// the snapshot of an athlete whose events all came early in the batch is saved, while later
// events of the batch are still being assessed: an alert early in a large batch does not wait
// for the rest of it, nor the next batch for every save to start after the last assessment.
func TestBatchPublishesAndSavesBeforeItEnds(t *testing.T) {
	// Two athletes one after the other: the first one's events come first in the batch.
	one := simulate.Generate(simulate.Config{Team: "t1", Athletes: 1, Overreachers: 1, Weeks: 10, Seed: 5})
	two := simulate.Generate(simulate.Config{Team: "t1", Athletes: 1, Overreachers: 0, Weeks: 10, Seed: 6})
	var msgs []Message
	for _, ev := range one.Events {
		msgs = append(msgs, Message{Seq: uint64(len(msgs) + 1), Event: ev})
	}
	for _, ev := range two.Events {
		ev.AthleteId = "b01"
		msgs = append(msgs, Message{Seq: uint64(len(msgs) + 1), Event: ev})
	}
	pub := &signalPub{first: make(chan struct{})}
	store := &savedSignal{memStore: memStore{saved: map[Key][]byte{}}, first: make(chan struct{})}
	// The first threshold lookup of the second athlete: every event of the first one is
	// assessed by then (each assessed event asks once).
	th := &pausingThresholds{at: len(one.Events) + 1, wait: []chan struct{}{pub.first, store.first}}
	n, err := NewProcessor(store, pub, th).HandleTraining(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || th.calls < th.at {
		t.Fatalf("published %d outputs over %d threshold lookups: the batch never reached the second athlete", n, th.calls)
	}
	if !th.arrived[0] {
		t.Error("nothing was published before the batch's last athlete was assessed")
	}
	if !th.arrived[1] {
		t.Error("no snapshot was saved before the batch's last athlete was assessed")
	}
	if len(store.saved) != 2 {
		t.Errorf("%d snapshots saved, want both athletes'", len(store.saved))
	}
}
