package lifecycle

import (
	"context"
	"sync"
	"time"
)

// Periodic is a Component that runs Fn at once and then every Period until stopped: a
// sweep such as closing deload weeks that are over. Fn should be an idempotent pass; an
// error is given to OnError (when set) and the pass is tried again at the next tick.
type Periodic struct {
	Label   string
	Period  time.Duration
	Fn      func(ctx context.Context) error
	OnError func(error)

	once    sync.Once
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	started bool
}

func (p *Periodic) init() {
	p.once.Do(func() { p.stop, p.done = make(chan struct{}), make(chan struct{}) })
}

// Name implements Component.
func (p *Periodic) Name() string { return p.Label }

// Start implements Component. A pass in progress when Stop arrives sees its ctx cancelled.
func (p *Periodic) Start(ctx context.Context) error {
	p.init()
	p.mu.Lock()
	select {
	case <-p.stop:
		p.mu.Unlock()
		return nil // stopped before it started
	default:
	}
	p.started = true
	p.mu.Unlock()
	defer close(p.done)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.stop:
			cancel()
		case <-runCtx.Done():
		}
	}()
	tick := time.NewTicker(p.Period)
	defer tick.Stop()
	for {
		if err := p.Fn(runCtx); err != nil && runCtx.Err() == nil && p.OnError != nil {
			p.OnError(err)
		}
		select {
		case <-runCtx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Stop implements Component: it ends Start and waits for the pass in progress.
func (p *Periodic) Stop(ctx context.Context) error {
	p.init()
	p.mu.Lock()
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	started := p.started
	p.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
