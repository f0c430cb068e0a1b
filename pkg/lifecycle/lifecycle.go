// Package lifecycle runs a binary's long-running parts (gRPC server, HTTP
// server, consumers, batchers) together and stops them in order.
//
// Each part is a Component with a blocking Start and a Stop. A Registry starts
// them all, waits for SIGINT/SIGTERM, cancellation of its context, or the
// first component to return, then stops them in reverse order, so what was
// started first (the store, the bus) outlives what depends on it (consumers,
// then the servers that take traffic).
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/log"
)

// Component is one long-running part of a binary.
type Component interface {
	// Name identifies the component in logs and errors.
	Name() string
	// Start runs the component and blocks until it is stopped (return nil)
	// or fails (return the error). Its ctx is cancelled only after every
	// Stop has been called, so Stop, not ctx, drives a graceful shutdown;
	// ctx.Done is a last-resort hard stop.
	Start(ctx context.Context) error
	// Stop makes Start return, finishing in-flight work first, within ctx's
	// deadline. The Registry calls it once for every component, even one
	// whose Start has already returned, so it must be safe then.
	Stop(ctx context.Context) error
}

// Registry starts components and stops them in reverse order.
type Registry struct {
	log         *zap.Logger
	stopTimeout time.Duration
	components  []Component
}

// New returns an empty Registry. stopTimeout bounds each component's Stop and,
// once more, the wait for Start calls to return after all Stops.
func New(logger *zap.Logger, stopTimeout time.Duration) *Registry {
	return &Registry{log: logger, stopTimeout: stopTimeout}
}

// Add appends components; they start in the order added and stop in reverse.
func (r *Registry) Add(c ...Component) {
	r.components = append(r.components, c...)
}

// exit is a Start call that returned; i indexes Registry.components.
type exit struct {
	i   int
	err error
}

// Run starts every component in its own goroutine, in the order added, and
// blocks until SIGINT or SIGTERM arrives, ctx is cancelled, or a component's
// Start returns. A Start returning early stops everything, and so does an
// unexpected nil return, which is reported as an error: a component that
// quits on its own leaves the binary broken. Run then stops the components in
// reverse order, each Stop bounded by the stop timeout, waits for the Start
// calls to return, and returns every error joined. A shutdown by signal or
// cancellation with clean stops returns nil.
//
// Run must be called once.
func (r *Registry) Run(ctx context.Context) error {
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	// Start gets a context detached from ctx: a signal must lead to the Stops
	// in reverse order, not to every component seeing ctx.Done at once.
	startCtx, cancelStart := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStart()

	exits := make(chan exit, len(r.components))
	for i, c := range r.components {
		r.log.Info("starting component", zap.String(log.Component, c.Name()))
		go func() { exits <- exit{i: i, err: c.Start(startCtx)} }()
	}
	running := len(r.components)
	returned := make([]bool, len(r.components))

	var errs []error
	select {
	case <-ctx.Done():
		r.log.Info("shutting down", zap.NamedError("reason", context.Cause(ctx)))
	case e := <-exits:
		running--
		returned[e.i] = true
		err := e.err
		if err == nil {
			err = errors.New("stopped on its own")
		}
		name := r.components[e.i].Name()
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
		// The error itself is returned, not logged: the caller reports it.
		r.log.Info("shutting down: a component exited", zap.String(log.Component, name))
	}

	stopCtx := context.WithoutCancel(ctx)
	for i := len(r.components) - 1; i >= 0; i-- {
		if err := r.stop(stopCtx, r.components[i]); err != nil {
			errs = append(errs, err)
		}
	}

	cancelStart()
	timeout := time.NewTimer(r.stopTimeout)
	defer timeout.Stop()
	for running > 0 {
		select {
		case e := <-exits:
			running--
			returned[e.i] = true
			// Cancellation is how a stopping component may end its Start.
			if e.err != nil && !errors.Is(e.err, context.Canceled) {
				errs = append(errs, fmt.Errorf("%s: %w", r.components[e.i].Name(), e.err))
			}
		case <-timeout.C:
			errs = append(errs, fmt.Errorf("still running %s after stop: %s", r.stopTimeout, r.namesExcept(returned)))
			running = 0
		}
	}
	return errors.Join(errs...)
}

// stop calls c.Stop with a deadline and gives up on it when the deadline
// passes, even if Stop ignores its ctx, so one stuck component cannot keep
// the others from stopping.
func (r *Registry) stop(parent context.Context, c Component) error {
	ctx, cancel := context.WithTimeout(parent, r.stopTimeout)
	defer cancel()
	r.log.Info("stopping component", zap.String(log.Component, c.Name()))
	done := make(chan error, 1)
	go func() { done <- c.Stop(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: stop: %w", c.Name(), err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: stop: gave up after %s", c.Name(), r.stopTimeout)
	}
}

// namesExcept lists the components whose Start has not returned.
func (r *Registry) namesExcept(returned []bool) string {
	var names []string
	for i, c := range r.components {
		if !returned[i] {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}

// FuncComponent adapts a pair of functions to Component, for parts too small
// to deserve a type.
type FuncComponent struct {
	NameStr string
	StartFn func(ctx context.Context) error
	// StopFn may be nil when Start returns on ctx cancellation alone.
	StopFn func(ctx context.Context) error
}

// Name returns NameStr.
func (f FuncComponent) Name() string { return f.NameStr }

// Start calls StartFn.
func (f FuncComponent) Start(ctx context.Context) error { return f.StartFn(ctx) }

// Stop calls StopFn, if any.
func (f FuncComponent) Stop(ctx context.Context) error {
	if f.StopFn == nil {
		return nil
	}
	return f.StopFn(ctx)
}
