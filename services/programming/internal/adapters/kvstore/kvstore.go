// Package kvstore keeps the programming service's records (profiles, programs, assignments,
// deloads, policies) as protobuf values in JetStream key-value buckets, with the bucket's
// revision as the optimistic-concurrency check: two coaches writing at once, one wins and the
// other gets FailedPrecondition with nothing lost. The service's own bookkeeping that is never
// on the wire (the plateaus it handled) is stored as JSON.
package kvstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/fault"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/app"
)

// Bucket names.
const (
	BucketProfiles    = "programming_profiles"
	BucketPrograms    = "programming_programs"
	BucketAssignments = "programming_assignments"
	BucketDeloads     = "programming_deloads"
	BucketPolicies    = "programming_policies"
	BucketPlateaus    = "programming_plateaus"
)

// Open creates or binds the buckets.
func Open(ctx context.Context, b *bus.Bus) (app.Tables, error) {
	open := func(name, description string) (jetstream.KeyValue, error) {
		// History keeps the last revisions of a record: what a concurrent writer changed stays visible.
		return b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, Description: description, History: 10})
	}
	var t app.Tables
	var err error
	var kv jetstream.KeyValue
	if kv, err = open(BucketProfiles, "athlete profiles by team.athlete"); err != nil {
		return t, err
	}
	t.Profiles = newTable(kv, protoCodec(func() *programmingv1.AthleteProfile { return &programmingv1.AthleteProfile{} }))
	if kv, err = open(BucketPrograms, "programs by team.program"); err != nil {
		return t, err
	}
	t.Programs = newTable(kv, protoCodec(func() *programmingv1.Program { return &programmingv1.Program{} }))
	if kv, err = open(BucketAssignments, "program assignments by team.athlete"); err != nil {
		return t, err
	}
	t.Assignments = newTable(kv, protoCodec(func() *programmingv1.ProgramAssignment { return &programmingv1.ProgramAssignment{} }))
	if kv, err = open(BucketDeloads, "deloads with their decisions by team.deload"); err != nil {
		return t, err
	}
	t.Deloads = newTable(kv, protoCodec(func() *programmingv1.Deload { return &programmingv1.Deload{} }))
	if kv, err = open(BucketPolicies, "programming policies by team"); err != nil {
		return t, err
	}
	t.Policies = newTable(kv, protoCodec(func() *programmingv1.ProgrammingPolicy { return &programmingv1.ProgrammingPolicy{} }))
	if kv, err = open(BucketPlateaus, "plateaus handled and what came of them, by team.athlete.plateau"); err != nil {
		return t, err
	}
	t.Plateaus = newTable(kv, jsonCodec(func() *app.PlateauRecord { return &app.PlateauRecord{} }))
	return t, nil
}

// codec turns one kind of record into a bucket value and back.
type codec[T any] struct {
	encode func(T) ([]byte, error)
	decode func([]byte) (T, error)
}

// protoCodec stores protobuf records; deterministic so that an unchanged record stores the
// same bytes.
func protoCodec[T proto.Message](newMsg func() T) codec[T] {
	return codec[T]{
		encode: func(v T) ([]byte, error) { return proto.MarshalOptions{Deterministic: true}.Marshal(v) },
		decode: func(data []byte) (T, error) {
			v := newMsg()
			return v, proto.Unmarshal(data, v)
		},
	}
}

func jsonCodec[T any](newValue func() T) codec[T] {
	return codec[T]{
		encode: func(v T) ([]byte, error) { return json.Marshal(v) },
		decode: func(data []byte) (T, error) {
			v := newValue()
			return v, json.Unmarshal(data, v)
		},
	}
}

// Table is app.Table over one bucket.
type Table[T any] struct {
	kv    jetstream.KeyValue
	codec codec[T]
}

var (
	_ app.Table[*programmingv1.Deload] = (*Table[*programmingv1.Deload])(nil)
	_ app.Table[*app.PlateauRecord]    = (*Table[*app.PlateauRecord])(nil)
)

func newTable[T any](kv jetstream.KeyValue, c codec[T]) *Table[T] {
	return &Table[T]{kv: kv, codec: c}
}

// Get implements app.Table.
func (t *Table[T]) Get(ctx context.Context, key string) (T, uint64, error) {
	var zero T
	e, err := t.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return zero, 0, fault.NotFound("%s %q", t.kv.Bucket(), key)
	}
	if err != nil {
		return zero, 0, fault.Unavailable("read %s %q: %w", t.kv.Bucket(), key, err)
	}
	v, err := t.codec.decode(e.Value())
	if err != nil {
		return zero, 0, fmt.Errorf("decode %s %q: %w", t.kv.Bucket(), key, err)
	}
	return v, e.Revision(), nil
}

// Put implements app.Table.
func (t *Table[T]) Put(ctx context.Context, key string, v T, expected *uint64) (uint64, error) {
	data, err := t.codec.encode(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s %q: %w", t.kv.Bucket(), key, err)
	}
	var rev uint64
	switch {
	case expected == nil:
		rev, err = t.kv.Put(ctx, key, data)
	case *expected == 0:
		rev, err = t.kv.Create(ctx, key, data)
	default:
		rev, err = t.kv.Update(ctx, key, data, *expected)
	}
	switch {
	case err == nil:
		return rev, nil
	case bus.IsRevisionMismatch(err) && expected != nil && *expected == 0:
		return 0, fault.FailedPrecondition("%s %q already exists", t.kv.Bucket(), key)
	case bus.IsRevisionMismatch(err):
		return 0, fault.FailedPrecondition("%s %q changed since revision %d: reload and retry", t.kv.Bucket(), key, *expected)
	}
	return 0, fault.Unavailable("write %s %q: %w", t.kv.Bucket(), key, err)
}

// List implements app.Table.
func (t *Table[T]) List(ctx context.Context, prefix string) ([]app.Versioned[T], error) {
	filter := prefix + ".>"
	if prefix == "" {
		filter = ">"
	}
	lister, err := t.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fault.Unavailable("list %s %s: %w", t.kv.Bucket(), prefix, err)
	}
	// The lister stops its watcher by itself once it delivered every key (or ctx ended), so
	// draining the channel is the whole protocol; a second Stop would fail.
	var keys []string
	seen := map[string]bool{}
	for k := range lister.Keys() {
		if !seen[k] { // the lister may repeat a key written during the listing
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fault.Unavailable("list %s %s: %w", t.kv.Bucket(), prefix, err)
	}
	out := make([]app.Versioned[T], 0, len(keys))
	for _, k := range keys {
		v, rev, err := t.Get(ctx, k)
		if errors.Is(err, fault.ErrNotFound) {
			continue // deleted between the listing and the read
		}
		if err != nil {
			return nil, err
		}
		out = append(out, app.Versioned[T]{Key: k, Value: v, Revision: rev})
	}
	return out, nil
}
