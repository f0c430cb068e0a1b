package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

func TestEmbeddedRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := testContext(t)

	first := bustest.ServerAt(t, dir)
	b := bustest.Connect(t, first)
	if err := b.EnsureDefaultStreams(ctx); err != nil {
		t.Fatal(err)
	}
	publishN(t, b, 10, "set")
	kv, err := b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: "programs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "t1", []byte("block 3")); err != nil {
		t.Fatal(err)
	}
	b.Close()
	first.Shutdown()

	second := bustest.ServerAt(t, dir)
	b = bustest.Connect(t, second)
	if got := streamMsgs(t, b, bus.StreamTraining); got != 10 {
		t.Errorf("TRAINING holds %d messages after restart, want 10", got)
	}
	kv, err = b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: "programs"})
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(ctx, "t1")
	if err != nil || string(entry.Value()) != "block 3" {
		t.Errorf("KV after restart: %v, %v", entry, err)
	}
	// Declaring the streams again at start is a no-op, not an error.
	if err := b.EnsureDefaultStreams(ctx); err != nil {
		t.Errorf("ensure streams again: %v", err)
	}
}

func TestEmbeddedListensOnlyOnLoopback(t *testing.T) {
	_, err := bus.StartEmbedded(bus.EmbeddedConfig{StoreDir: t.TempDir(), Host: "0.0.0.0", Port: bus.RandomPort}, nil)
	if err == nil {
		t.Fatal("embedded server started on 0.0.0.0")
	}
	_, err = bus.StartEmbedded(bus.EmbeddedConfig{Port: bus.RandomPort}, nil)
	if err == nil {
		t.Fatal("embedded server started without a store dir")
	}
}

func TestEmbeddedLifecycle(t *testing.T) {
	e := bustest.Server(t)
	if e.Name() == "" {
		t.Error("empty name")
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.Start(ctx) }()
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Start after cancel: %v", err)
	}

	go func() { errc <- e.Start(context.Background()) }()
	stopCtx, stopCancel := context.WithTimeout(context.Background(), waitTimeout)
	defer stopCancel()
	if err := e.Stop(stopCtx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := <-errc; err != nil {
		t.Errorf("Start after Stop: %v", err)
	}
}

func TestConnectGivesUpWhenContextEnds(t *testing.T) {
	e := bustest.Server(t)
	url := e.ClientURL()
	e.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := bus.Connect(ctx, bus.Config{URL: url}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("connect to a stopped server: %v, want deadline exceeded", err)
	}
}
