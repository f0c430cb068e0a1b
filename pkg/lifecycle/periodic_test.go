package lifecycle_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/lifecycle"
)

func TestPeriodicRunsAtOnceAndEveryPeriodUntilStopped(t *testing.T) {
	var passes, failures atomic.Int32
	p := &lifecycle.Periodic{Label: "sweep", Period: 10 * time.Millisecond,
		Fn: func(ctx context.Context) error {
			if passes.Add(1) == 2 {
				return errors.New("store unavailable")
			}
			return nil
		},
		OnError: func(error) { failures.Add(1) },
	}
	errc := make(chan error, 1)
	go func() { errc <- p.Start(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for passes.Load() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d passes", passes.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Start returned %v", err)
	}
	after := passes.Load()
	time.Sleep(30 * time.Millisecond)
	if passes.Load() != after {
		t.Error("passes went on after Stop")
	}
	if failures.Load() != 1 {
		t.Errorf("OnError called %d times, want 1 (the failed second pass)", failures.Load())
	}
}

func TestPeriodicStopBeforeStart(t *testing.T) {
	p := &lifecycle.Periodic{Label: "sweep", Period: time.Hour, Fn: func(context.Context) error {
		t.Error("a stopped Periodic ran its pass")
		return nil
	}}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}
