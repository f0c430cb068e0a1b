package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultKVHistory keeps a few past revisions of each key, enough to see what
// a concurrent writer changed without growing buckets of small state.
const DefaultKVHistory = 5

// ErrRevisionMismatch means a write was based on a revision that is no longer
// the latest: someone else wrote first. Services map it to
// FailedPrecondition; wrap it to report the same from other stores.
var ErrRevisionMismatch = errors.New("revision mismatch")

// KeyValue creates the bucket cfg.Bucket or binds to it, updating its config
// to cfg. Unset fields get defaults: file storage, DefaultKVHistory, and the
// Config's replica count.
func (b *Bus) KeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if cfg.History == 0 {
		cfg.History = DefaultKVHistory
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = b.cfg.Replicas
	}
	// FileStorage is the zero value, so a bucket survives a restart unless
	// the caller asked for memory storage.
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// IsRevisionMismatch reports whether err is an optimistic-concurrency
// conflict: KeyValue.Update with a stale revision, KeyValue.Create of a key
// that exists, a publish whose expected last sequence did not hold, or
// ErrRevisionMismatch itself. Both server codes count: 10071 from a single
// replica and 10164 from replicated streams.
func IsRevisionMismatch(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrRevisionMismatch) ||
		errors.Is(err, jetstream.ErrKeyRevisionMismatch) ||
		errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
	}
	return false
}
