package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// Key identifies an athlete.
type Key struct{ Team, Athlete string }

func (k Key) String() string { return k.Team + "." + k.Athlete }

// StateStore keeps athlete state snapshots durably. Load returns an *UnreadableSnapshotError
// for a snapshot that does not decode; All and Team leave such athletes out (they are rebuilt
// when their next event is applied).
type StateStore interface {
	Load(ctx context.Context, k Key) (*domain.State, error)
	Save(ctx context.Context, k Key, st *domain.State) error
	All(ctx context.Context) (map[Key]*domain.State, error)
	// Team returns the snapshots of one team's athletes.
	Team(ctx context.Context, team string) (map[Key]*domain.State, error)
}

// Publisher publishes events (ids make retries and replays safe).
type Publisher interface {
	Publish(ctx context.Context, out []Output) error
}

// Output is an event to publish with the context of the consumed message it follows from, so
// the event continues that message's trace (nil: the batch's context).
type Output struct {
	Event *eventsv1.Event
	Cause context.Context
}

// ThresholdSource gives the effective thresholds of an athlete.
type ThresholdSource interface {
	Effective(ctx context.Context, team, athlete string) (domain.Thresholds, error)
}

// Message is one consumed event with its stream sequence.
type Message struct {
	Seq   uint64
	Event *eventsv1.Event
	// Trace is the context of the message's own span (bus.MessageContext): what the event
	// causes is published under it. Nil where nothing is traced.
	Trace context.Context
}

// Processor owns the in-memory athlete states: it applies consumed events, publishes what
// changed, and snapshots the touched states before the batch is acknowledged, so a restart
// resumes from the snapshot and replays only what was not acknowledged.
type Processor struct {
	mu         sync.Mutex
	states     map[Key]*domain.State
	store      StateStore
	pub        Publisher
	thresholds ThresholdSource
	// snapshotReads: queries read the saved snapshots, not the in-memory states (see
	// ReadFromSnapshots).
	snapshotReads bool
	// history and quarantine rebuild an athlete whose snapshot is unreadable (RebuildFrom).
	history    TrainingHistory
	quarantine SnapshotQuarantine
}

// NewProcessor builds a processor over its ports.
func NewProcessor(store StateStore, pub Publisher, th ThresholdSource) *Processor {
	return &Processor{states: map[Key]*domain.State{}, store: store, pub: pub, thresholds: th}
}

// ReadFromSnapshots makes Current and Team read the saved snapshots instead of the in-memory
// states. A partitioned deployment needs it: an athlete whose partition another instance holds
// is advanced there, so this instance's copy (if any) is stale, and which partitions an instance
// holds changes without notice. For the athletes it does hold nothing is lost: a batch saves
// the states it touched before it releases the lock, so between batches the snapshot equals
// the in-memory state.
func (p *Processor) ReadFromSnapshots() { p.snapshotReads = true }

// Restore loads every snapshot into memory (at start, before consuming).
func (p *Processor) Restore(ctx context.Context) (int, error) {
	all, err := p.store.All(ctx)
	if err != nil {
		return 0, fmt.Errorf("restore states: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, st := range all {
		p.states[k] = st
	}
	return len(all), nil
}

// state is the athlete's state, loaded from its snapshot when not in memory. An unreadable
// snapshot is rebuilt from the TRAINING events before stream sequence before (0: all of them).
func (p *Processor) state(ctx context.Context, k Key, before uint64) (*domain.State, error) {
	if st, ok := p.states[k]; ok {
		return st, nil
	}
	st, err := p.store.Load(ctx, k)
	var bad *UnreadableSnapshotError
	if errors.As(err, &bad) {
		st, err = p.rebuild(ctx, bad, before)
	}
	if err != nil {
		return nil, err
	}
	p.states[k] = st
	return st, nil
}

// HandleTraining applies a batch of TRAINING events in stream order. Events at or below an
// athlete's snapshot sequence were applied before a restart and are skipped. It returns once the
// outputs are published and the touched states saved: only then may the batch be acked.
func (p *Processor) HandleTraining(ctx context.Context, msgs []Message) (published int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dirty, touched := map[Key]*domain.State{}, map[Key]bool{}
	// A failed batch is redelivered. The cached states it advanced would make the redelivery
	// skip its events as already applied, so their outputs would never be published and their
	// snapshot never saved: forget them, and the redelivery starts from the last snapshot.
	defer func() {
		if err != nil {
			for k := range touched {
				delete(p.states, k)
			}
		}
	}()
	// Each athlete's snapshot is saved as soon as its last event in the batch is assessed and
	// its outputs are acknowledged, while the rest of the batch is still being assessed: the
	// next batch, and the alerts in it, wait for the slowest of these saves, no longer for all
	// of them after all of the assessing. Saving only after the outputs are acknowledged keeps
	// what a failed publish needs: the redelivery starts from a snapshot without the events
	// whose outputs are missing.
	lastOf := make(map[Key]int, len(msgs))
	for i, m := range msgs {
		lastOf[Key{m.Event.GetTeamId(), m.Event.GetAthleteId()}] = i
	}
	saves := p.newSnapshotSaves(ctx)
	outputs := newOutputStream(ctx, p.pub)
	// An early return (a state that cannot be loaded) still stops the publishing goroutine;
	// its error wins, and the batch is redelivered either way.
	finished := false
	defer func() {
		if !finished {
			_, _ = outputs.finish()
			_ = saves.wait()
		}
	}()
	for i, m := range msgs {
		k := Key{m.Event.GetTeamId(), m.Event.GetAthleteId()}
		out, err := p.apply(ctx, k, m, dirty, touched)
		if err != nil {
			return 0, err
		}
		outputs.add(out...)
		if len(out) > 0 {
			markMessage(m, eventMessageAssessed)
		}
		if st, ok := dirty[k]; ok && lastOf[k] == i {
			outputs.then(func() { saves.start(k, st) })
		}
	}
	markBatch(msgs, eventAssessed)
	finished = true
	published, err = outputs.finish()
	if err != nil {
		_ = saves.wait()
		return 0, err
	}
	markBatch(msgs, eventPublished)
	if err := saves.wait(); err != nil {
		return 0, err
	}
	markBatch(msgs, eventSaved)
	return published, nil
}

// apply advances k's state by m and returns the outputs to publish; it notes k in touched
// once its state is loaded and in dirty once m changed it.
func (p *Processor) apply(ctx context.Context, k Key, m Message, dirty map[Key]*domain.State, touched map[Key]bool) ([]Output, error) {
	// Every event of this athlete before m was applied and settled (the consumer replays
	// an unsettled batch first), so a rebuild stops right before it.
	st, err := p.state(ctx, k, m.Seq)
	if err != nil {
		return nil, err
	}
	touched[k] = true
	if m.Seq != 0 && m.Seq <= st.Seq {
		return nil, nil
	}
	th, err := p.thresholds.Effective(ctx, k.Team, k.Athlete)
	if err != nil {
		return nil, err
	}
	o, ok := advance(st, m, th)
	dirty[k] = st
	if !ok {
		return nil, nil
	}
	var out []Output
	for _, e := range []*eventsv1.Event{o.Assessed, o.Recommended, o.Plateau, o.JointPain} {
		if e != nil {
			out = append(out, Output{Event: e, Cause: m.Trace})
		}
	}
	return out, nil
}

// Span events that HandleTraining adds to each traced message's span as its batch gets past
// each step: a batch's time splits into assessing every message, publishing the outputs and
// saving the snapshots, and a trace shows which it was without a span per step per message.
// eventMessageAssessed marks the message's own assessment, when its outputs were handed to
// the publisher (they go out while the rest of the batch is assessed).
const (
	eventMessageAssessed = "fatigue message assessed"
	eventAssessed        = "fatigue batch assessed"
	eventPublished       = "fatigue batch published"
	eventSaved           = "fatigue batch saved"
)

func markBatch(msgs []Message, event string) {
	for _, m := range msgs {
		markMessage(m, event)
	}
}

func markMessage(m Message, event string) {
	if m.Trace == nil {
		return
	}
	if span := trace.SpanFromContext(m.Trace); span.IsRecording() {
		span.AddEvent(event)
	}
}

// HandleProgramming applies PROGRAMMING events (deloads reset the cooldown).
func (p *Processor) HandleProgramming(ctx context.Context, evs []*eventsv1.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	dirty := map[Key]*domain.State{}
	for _, ev := range evs {
		if ev.GetAthleteId() == "" {
			continue
		}
		k := Key{ev.GetTeamId(), ev.GetAthleteId()}
		// The TRAINING position this deload comes after is unknown here, so a rebuild takes
		// every TRAINING event stored now; the ones not yet consumed are then skipped as
		// included when they arrive, and what they would have published is not.
		st, err := p.state(ctx, k, 0)
		if err != nil {
			return err
		}
		th, err := p.thresholds.Effective(ctx, k.Team, k.Athlete)
		if err != nil {
			return err
		}
		if ObserveProgramming(st, ev, th) {
			dirty[k] = st
		}
	}
	return p.save(ctx, dirty)
}

// concurrentSaves bounds the snapshot writes in flight. Each is a read from the bucket's leader
// and a conditional write, two round trips: one after the other they took a third of a busy
// batch at the median and most of it in the slowest batches (BenchmarkAlertPath in
// services/platform), and the next set waits for the batch, so an alert did too.
const concurrentSaves = 16

// save writes the touched snapshots, several at once, and returns once all are written, with
// the first error.
func (p *Processor) save(ctx context.Context, dirty map[Key]*domain.State) error {
	saves := p.newSnapshotSaves(ctx)
	for k, st := range dirty {
		saves.start(k, st)
	}
	return saves.wait()
}

// snapshotSaves writes snapshots in the background, up to concurrentSaves at once: they are
// different keys, and a state is not changed once its save started (p.mu is held until wait
// returns, and a batch saves an athlete after its last event).
type snapshotSaves struct {
	ctx   context.Context
	store StateStore
	slots chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	first error
}

func (p *Processor) newSnapshotSaves(ctx context.Context) *snapshotSaves {
	return &snapshotSaves{ctx: ctx, store: p.store, slots: make(chan struct{}, concurrentSaves)}
}

// start saves st as k's snapshot without waiting for it (nor for a free slot: the caller may
// be publishing).
func (s *snapshotSaves) start(k Key, st *domain.State) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.slots <- struct{}{}
		defer func() { <-s.slots }()
		if err := s.store.Save(s.ctx, k, st); err != nil {
			s.mu.Lock()
			if s.first == nil {
				s.first = fmt.Errorf("save state %s: %w", k, err)
			}
			s.mu.Unlock()
		}
	}()
}

// wait returns once every started save ended, with the first error.
func (s *snapshotSaves) wait() error {
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

// Snapshot is a read-only view of one athlete for queries.
type Snapshot struct {
	Key    Key
	Result domain.Result
	State  domain.State
}

// Current re-assesses an athlete as of its latest day without changing anything; the status is
// the one concluded for that day. ok is false when the athlete has no data.
func (p *Processor) Current(ctx context.Context, k Key) (Snapshot, bool, error) {
	var st *domain.State
	var err error
	if p.snapshotReads {
		// Not cached: the athlete may belong to another instance.
		st, err = p.store.Load(ctx, k)
	} else {
		p.mu.Lock()
		defer p.mu.Unlock()
		if cached, ok := p.states[k]; ok {
			st = cached
		} else if st, err = p.store.Load(ctx, k); err == nil {
			p.states[k] = st
		}
	}
	var bad *UnreadableSnapshotError
	if errors.As(err, &bad) {
		// A query does not know which events were consumed, so it cannot rebuild; the
		// athlete's next event does.
		return Snapshot{}, false, fault.Unavailable("state of %s is being rebuilt: %v", k, bad)
	}
	if err != nil {
		return Snapshot{}, false, err
	}
	if st.Empty() {
		if !p.snapshotReads {
			delete(p.states, k)
		}
		return Snapshot{}, false, nil
	}
	th, err := p.thresholds.Effective(ctx, k.Team, k.Athlete)
	if err != nil {
		return Snapshot{}, false, err
	}
	return p.view(k, st, th), true, nil
}

func (p *Processor) view(k Key, st *domain.State, th domain.Thresholds) Snapshot {
	cp := *st
	res := cp.Assess(cp.LastDay, th)
	// Every concluded status change is published, so the last published status is the
	// current one.
	res.Assessed.Status = st.Published.Status
	if through, ok := st.CooldownThrough(cp.LastDay); ok {
		res.Assessed.CooldownUntil = through
	}
	return Snapshot{Key: k, Result: res, State: cp}
}

// Team lists every athlete of a team with their current assessment.
func (p *Processor) Team(ctx context.Context, team string) ([]Snapshot, error) {
	var states map[Key]*domain.State
	if p.snapshotReads {
		var err error
		if states, err = p.store.Team(ctx, team); err != nil {
			return nil, err
		}
	} else {
		p.mu.Lock()
		defer p.mu.Unlock()
		states = p.states
	}
	var out []Snapshot
	for k, st := range states {
		if k.Team != team || st.Empty() {
			continue
		}
		th, err := p.thresholds.Effective(ctx, k.Team, k.Athlete)
		if err != nil {
			return nil, err
		}
		out = append(out, p.view(k, st, th))
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].Key.Athlete, out[j].Key.Athlete) < 0 })
	return out, nil
}

// CachedThresholds remembers effective thresholds for a short while: the processor asks for
// every event, and a KV read per event would dominate. Updates through this process are seen
// at once; updates through another replica within TTL.
type CachedThresholds struct {
	Source ThresholdSource
	TTL    time.Duration

	mu    sync.Mutex
	cache map[Key]cachedThresholds
}

type cachedThresholds struct {
	th domain.Thresholds
	at time.Time
}

// Effective implements ThresholdSource.
func (c *CachedThresholds) Effective(ctx context.Context, team, athlete string) (domain.Thresholds, error) {
	k := Key{team, athlete}
	c.mu.Lock()
	e, ok := c.cache[k]
	c.mu.Unlock()
	if ok && time.Since(e.at) < c.TTL {
		return e.th, nil
	}
	th, err := c.Source.Effective(ctx, team, athlete)
	if err != nil {
		return domain.Thresholds{}, err
	}
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[Key]cachedThresholds{}
	}
	c.cache[k] = cachedThresholds{th, time.Now()}
	c.mu.Unlock()
	return th, nil
}

// Invalidate forgets a team's cached thresholds (after an update).
func (c *CachedThresholds) Invalidate(team string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.cache {
		if k.Team == team {
			delete(c.cache, k)
		}
	}
}
