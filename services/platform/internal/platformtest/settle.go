package platformtest

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// Settled reports whether the platform is done with everything it was given: no stream lags
// behind a source, no consumer holds a pending or unacknowledged message, and no stream grew
// while it looked. Services acknowledge only once an effect is durable (a row stored, an event
// published), so a quiet bus means answers no longer change, without sleeping for a guess.
func Settled(t testing.TB, ctx context.Context, js jetstream.JetStream) bool {
	t.Helper()
	before := streamHeads(t, ctx, js)
	for name := range before {
		stream, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		for _, src := range stream.CachedInfo().Sources {
			if src.Lag > 0 {
				return false
			}
		}
		busy := false
		consumers := stream.ListConsumers(ctx)
		for info := range consumers.Info() {
			busy = busy || info.NumPending > 0 || info.NumAckPending > 0
		}
		if err := consumers.Err(); err != nil {
			t.Fatalf("consumers of %s: %v", name, err)
		}
		if busy {
			return false
		}
	}
	return maps.Equal(before, streamHeads(t, ctx, js))
}

// streamHeads is the last sequence of every work stream; key-value and object buckets are
// state, not work in flight.
func streamHeads(t testing.TB, ctx context.Context, js jetstream.JetStream) map[string]uint64 {
	t.Helper()
	heads := map[string]uint64{}
	streams := js.ListStreams(ctx)
	for info := range streams.Info() {
		if name := info.Config.Name; !strings.HasPrefix(name, "KV_") && !strings.HasPrefix(name, "OBJ_") {
			heads[name] = info.State.LastSeq
		}
	}
	if err := streams.Err(); err != nil {
		t.Fatalf("list streams: %v", err)
	}
	return heads
}
