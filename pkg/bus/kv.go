package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
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

// KVLatest is the latest value of a key as the bucket's stream leader holds it.
type KVLatest struct {
	Value    []byte
	Revision uint64
}

// msgGetTimeout bounds a leader read.
const msgGetTimeout = 5 * time.Second

// LatestFromLeader reads key of bucket from the bucket stream's leader, so it
// sees every acknowledged write. KeyValue.Get uses direct gets, which any
// replica of an R3 bucket answers: a follower that is behind (typically just
// after a leader change) returns an older revision. State that is read,
// advanced and written back (an athlete's snapshot after a partition changed
// hands) must not start from such a copy. A missing, deleted or purged key is
// jetstream.ErrKeyNotFound.
func (b *Bus) LatestFromLeader(ctx context.Context, bucket, key string) (KVLatest, error) {
	req, err := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{"$KV." + bucket + "." + key})
	if err != nil {
		return KVLatest{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, msgGetTimeout)
	defer cancel()
	resp, err := b.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+bucket, req)
	if err != nil {
		return KVLatest{}, fmt.Errorf("read %s/%s from the leader: %w", bucket, key, err)
	}
	var out struct {
		Message *struct {
			Seq    uint64 `json:"seq"`
			Header []byte `json:"hdrs"`
			Data   []byte `json:"data"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		return KVLatest{}, fmt.Errorf("read %s/%s from the leader: %w", bucket, key, err)
	}
	if out.Error != nil {
		if out.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return KVLatest{}, jetstream.ErrKeyNotFound
		}
		return KVLatest{}, fmt.Errorf("read %s/%s from the leader: %w", bucket, key, out.Error)
	}
	if out.Message == nil {
		return KVLatest{}, fmt.Errorf("read %s/%s from the leader: empty response", bucket, key)
	}
	if len(out.Message.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(out.Message.Header)
		if err != nil {
			return KVLatest{}, fmt.Errorf("read %s/%s from the leader: %w", bucket, key, err)
		}
		if op := h.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
			return KVLatest{}, jetstream.ErrKeyNotFound
		}
	}
	return KVLatest{Value: out.Message.Data, Revision: out.Message.Seq}, nil
}
