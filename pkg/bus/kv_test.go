package bus_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

func TestKeyValueStaleRevisionIsRefused(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	kv, err := b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: "profiles"})
	if err != nil {
		t.Fatalf("bucket: %v", err)
	}
	status, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.History() != bus.DefaultKVHistory {
		t.Errorf("history %d, want %d", status.History(), bus.DefaultKVHistory)
	}

	rev1, err := kv.Create(ctx, "t1.a42", []byte(`{"squat_1rm_kg":180}`))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	rev2, err := kv.Update(ctx, "t1.a42", []byte(`{"squat_1rm_kg":185}`), rev1)
	if err != nil {
		t.Fatalf("update at current revision: %v", err)
	}

	_, err = kv.Update(ctx, "t1.a42", []byte(`{"squat_1rm_kg":150}`), rev1)
	if err == nil {
		t.Fatal("update at a stale revision succeeded")
	}
	if !bus.IsRevisionMismatch(err) {
		t.Errorf("IsRevisionMismatch(%v) = false", err)
	}
	entry, err := kv.Get(ctx, "t1.a42")
	if err != nil {
		t.Fatal(err)
	}
	if entry.Revision() != rev2 || string(entry.Value()) != `{"squat_1rm_kg":185}` {
		t.Errorf("key at revision %d = %s, want the update at %d", entry.Revision(), entry.Value(), rev2)
	}

	if _, err := kv.Create(ctx, "t1.a42", []byte(`{}`)); !bus.IsRevisionMismatch(err) {
		t.Errorf("create of an existing key: IsRevisionMismatch(%v) = false", err)
	}
	if _, err := kv.Get(ctx, "missing"); bus.IsRevisionMismatch(err) {
		t.Errorf("IsRevisionMismatch(%v) = true for a missing key", err)
	}
}

func TestIsRevisionMismatch(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("boom"), false},
		{bus.ErrRevisionMismatch, true},
		{fmt.Errorf("save profile: %w", bus.ErrRevisionMismatch), true},
		{jetstream.ErrKeyExists, true},
		{&jetstream.APIError{ErrorCode: jetstream.JSErrCodeStreamWrongLastSequence}, true},
		{fmt.Errorf("x: %w", &jetstream.APIError{ErrorCode: jetstream.JSErrCodeStreamWrongLastSequenceConstant}), true},
		{&jetstream.APIError{ErrorCode: jetstream.JSErrCodeStreamNotFound}, false},
		{jetstream.ErrKeyNotFound, false},
	}
	for _, tt := range tests {
		if got := bus.IsRevisionMismatch(tt.err); got != tt.want {
			t.Errorf("IsRevisionMismatch(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestLatestFromLeaderReadsWhatWasWritten(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	kv, err := b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: "leaderreads"})
	if err != nil {
		t.Fatalf("bucket: %v", err)
	}
	if _, err := b.LatestFromLeader(ctx, "leaderreads", "t1.a1"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("missing key: error %v, want ErrKeyNotFound", err)
	}
	if _, err := kv.Put(ctx, "t1.a1", []byte("one")); err != nil {
		t.Fatal(err)
	}
	// Another key in between: the revision is the bucket stream's sequence, not a per-key count.
	if _, err := kv.Put(ctx, "t1.a2", []byte("other")); err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Put(ctx, "t1.a1", []byte("two"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.LatestFromLeader(ctx, "leaderreads", "t1.a1")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Value) != "two" || got.Revision != rev || rev != 3 {
		t.Errorf("read %q at revision %d, want \"two\" at revision %d (3)", got.Value, got.Revision, rev)
	}
	// The revision read is the one an optimistic update must name.
	if _, err := kv.Update(ctx, "t1.a1", []byte("three"), got.Revision); err != nil {
		t.Errorf("update at the revision read: %v", err)
	}
	if err := kv.Delete(ctx, "t1.a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.LatestFromLeader(ctx, "leaderreads", "t1.a1"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("deleted key: error %v, want ErrKeyNotFound", err)
	}
}
