// Package adapters implements the application's storage and publishing ports on JetStream
// (state snapshots and thresholds in key-value buckets, events on streams) and ClickHouse
// (assessment history).
package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// Bucket names.
const (
	StateBucket      = "fatigue_state"
	ThresholdsBucket = "fatigue_thresholds"
)

// StateKV keeps one snapshot per athlete under "<team>.<athlete>", each with the stream
// sequence of the last event it includes. Snapshots are read from the bucket's stream leader
// (bus.LatestFromLeader), never through direct gets: on an R3 bucket a follower that is behind
// would hand an instance that just took over a partition an older snapshot, and it would then
// publish assessments computed from a state that misses events already acknowledged.
type StateKV struct {
	bus *bus.Bus
	kv  jetstream.KeyValue
}

// NewStateKV binds (or creates) the state bucket.
func NewStateKV(ctx context.Context, b *bus.Bus) (*StateKV, error) {
	kv, err := b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: StateBucket, Description: "fatigue per-athlete state snapshots", History: 1})
	if err != nil {
		return nil, fmt.Errorf("state bucket: %w", err)
	}
	return &StateKV{bus: b, kv: kv}, nil
}

// Load implements app.StateStore; a missing key is an empty state.
func (s *StateKV) Load(ctx context.Context, k app.Key) (*domain.State, error) {
	e, err := s.bus.LatestFromLeader(ctx, StateBucket, k.String())
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return &domain.State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load state %s: %w", k, err)
	}
	st := &domain.State{}
	if err := st.UnmarshalBinary(e.Value); err != nil {
		// An unreadable snapshot is rebuilt from what follows rather than blocking the athlete.
		return &domain.State{}, nil
	}
	return st, nil
}

// Save implements app.StateStore.
func (s *StateKV) Save(ctx context.Context, k app.Key, st *domain.State) error {
	data, err := st.MarshalBinary()
	if err != nil {
		return err
	}
	// Snapshots only move forward: an instance that lost the athlete's partition (and may still
	// be finishing a batch) must not overwrite the newer state of the instance that took over.
	// The write is conditional on the revision read, so a concurrent save loses instead of
	// clobbering; the failed batch is redelivered and starts again from the stored snapshot.
	key := k.String()
	cur, err := s.bus.LatestFromLeader(ctx, StateBucket, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		_, err = s.kv.Create(ctx, key, data)
	case err != nil:
		return fmt.Errorf("save state %s: %w", k, err)
	default:
		stored := &domain.State{}
		if stored.UnmarshalBinary(cur.Value) == nil && stored.Seq > st.Seq {
			return fault.FailedPrecondition("save state %s: stored snapshot is at sequence %d, this one at %d", k, stored.Seq, st.Seq)
		}
		_, err = s.kv.Update(ctx, key, data, cur.Revision)
	}
	if err != nil {
		return fmt.Errorf("save state %s: %w", k, err)
	}
	return nil
}

// All implements app.StateStore.
func (s *StateKV) All(ctx context.Context) (map[app.Key]*domain.State, error) {
	return s.list(ctx)
}

// Team implements app.StateStore: the keys of one team only ("<team>.*").
func (s *StateKV) Team(ctx context.Context, team string) (map[app.Key]*domain.State, error) {
	return s.list(ctx, team+".*")
}

func (s *StateKV) list(ctx context.Context, filters ...string) (map[app.Key]*domain.State, error) {
	out := map[app.Key]*domain.State{}
	var lister jetstream.KeyLister
	var err error
	if len(filters) == 0 {
		lister, err = s.kv.ListKeys(ctx)
	} else {
		lister, err = s.kv.ListKeysFiltered(ctx, filters...)
	}
	if err != nil {
		return nil, fmt.Errorf("list states: %w", err)
	}
	var keys []string
	for key := range lister.Keys() {
		keys = append(keys, key)
	}
	for _, key := range keys {
		team, athlete, ok := strings.Cut(key, ".")
		if !ok {
			continue
		}
		st, err := s.Load(ctx, app.Key{Team: team, Athlete: athlete})
		if err != nil {
			return nil, err
		}
		out[app.Key{Team: team, Athlete: athlete}] = st
	}
	return out, nil
}

// ThresholdsKV keeps overrides under "<team>" and "<team>.<athlete>" as JSON.
type ThresholdsKV struct{ kv jetstream.KeyValue }

// NewThresholdsKV binds (or creates) the thresholds bucket.
func NewThresholdsKV(ctx context.Context, b *bus.Bus) (*ThresholdsKV, error) {
	kv, err := b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: ThresholdsBucket, Description: "fatigue thresholds per team and athlete"})
	if err != nil {
		return nil, fmt.Errorf("thresholds bucket: %w", err)
	}
	return &ThresholdsKV{kv: kv}, nil
}

type overridesDoc struct {
	Paths  []string        `json:"paths"`
	Values json.RawMessage `json:"values"`
}

func thresholdsKey(team, athlete string) string {
	if athlete == "" {
		return team
	}
	return team + "." + athlete
}

// Get implements app.OverrideStore.
func (t *ThresholdsKV) Get(ctx context.Context, team, athlete string) (app.Overrides, error) {
	e, err := t.kv.Get(ctx, thresholdsKey(team, athlete))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return app.Overrides{Values: &fatiguev1.FatigueThresholds{}}, nil
	}
	if err != nil {
		return app.Overrides{}, fault.Unavailable("thresholds: %w", err)
	}
	var doc overridesDoc
	if err := json.Unmarshal(e.Value(), &doc); err != nil {
		return app.Overrides{}, fmt.Errorf("decode thresholds %s: %w", e.Key(), err)
	}
	vals := &fatiguev1.FatigueThresholds{}
	if err := protojson.Unmarshal(doc.Values, vals); err != nil {
		return app.Overrides{}, fmt.Errorf("decode thresholds %s: %w", e.Key(), err)
	}
	return app.Overrides{Paths: doc.Paths, Values: vals, Revision: e.Revision()}, nil
}

// Put implements app.OverrideStore.
func (t *ThresholdsKV) Put(ctx context.Context, team, athlete string, o app.Overrides) (uint64, error) {
	vals, err := protojson.Marshal(o.Values)
	if err != nil {
		return 0, err
	}
	data, err := json.Marshal(overridesDoc{Paths: o.Paths, Values: vals})
	if err != nil {
		return 0, err
	}
	key := thresholdsKey(team, athlete)
	var rev uint64
	if o.Revision == 0 {
		rev, err = t.kv.Create(ctx, key, data)
	} else {
		rev, err = t.kv.Update(ctx, key, data, o.Revision)
	}
	if bus.IsRevisionMismatch(err) {
		return 0, fault.FailedPrecondition("thresholds of %s changed meanwhile; read them again", key)
	}
	if err != nil {
		return 0, fault.Unavailable("save thresholds: %w", err)
	}
	return rev, nil
}

// Publisher publishes events on the bus, stamped and with their ids as Nats-Msg-Id.
type Publisher struct {
	Bus *bus.Bus
	// Metrics, when set, count the assessments and recommendations published.
	Metrics *AnalysisMetrics
}

// Publish implements app.Publisher.
func (p Publisher) Publish(ctx context.Context, evs []*eventsv1.Event) error {
	msgs := make([]bus.OutMsg, 0, len(evs))
	now := time.Now()
	for _, ev := range evs {
		events.Stamp(ev, now)
		m, err := events.OutMsg(ev)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	results, err := p.Bus.PublishBatch(ctx, msgs)
	for i, r := range results {
		if r.Err == nil && !r.Duplicate() {
			p.Metrics.observe(evs[i])
		}
	}
	if err != nil {
		return fmt.Errorf("publish %d analysis events: %w", len(msgs), err)
	}
	return nil
}
