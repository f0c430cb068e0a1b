package lifecycle_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/lifecycle"
)

// journal records what components did, in order.
type journal struct {
	mu     sync.Mutex
	events []string
}

func (j *journal) add(e string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.events = append(j.events, e)
}

func (j *journal) stops() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, e := range j.events {
		if name, ok := strings.CutPrefix(e, "stop "); ok {
			out = append(out, name)
		}
	}
	return out
}

// fake is a component whose Start blocks until Stop unless told otherwise.
type fake struct {
	name string
	j    *journal

	startErr      error         // Start returns this at once
	startReturns  bool          // Start returns startErr at once (even nil)
	stopErr       error         // Stop returns this
	stopHangs     chan struct{} // Stop ignores its ctx and blocks until closed
	ignoresStop   bool          // Start returns only when its ctx is cancelled
	neverReturns  chan struct{} // Start blocks until closed, whatever happens
	started       chan struct{}
	stopped       chan struct{}
	closeStopOnce sync.Once
}

func newFake(j *journal, name string) *fake {
	return &fake{name: name, j: j, started: make(chan struct{}), stopped: make(chan struct{})}
}

func (f *fake) Name() string { return f.name }

func (f *fake) Start(ctx context.Context) error {
	close(f.started)
	switch {
	case f.startReturns:
		return f.startErr
	case f.neverReturns != nil:
		<-f.neverReturns
		return nil
	case f.ignoresStop:
		<-ctx.Done()
		return ctx.Err()
	}
	<-f.stopped
	return nil
}

func (f *fake) Stop(ctx context.Context) error {
	f.j.add("stop " + f.name)
	f.closeStopOnce.Do(func() { close(f.stopped) })
	if f.stopHangs != nil {
		<-f.stopHangs
	}
	return f.stopErr
}

var (
	errBoom     = errors.New("boom")
	errStopA    = errors.New("stop a failed")
	errStopC    = errors.New("stop c failed")
	stopTimeout = 5 * time.Second
)

func TestRun(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(a, b, c *fake)
		timeout     time.Duration
		cancel      bool // cancel Run's ctx once every component started
		wantErr     []string
		wantErrIs   []error
		wantStopped []string
	}{
		{
			name:        "context cancelled: clean stop in reverse order",
			cancel:      true,
			wantStopped: []string{"c", "b", "a"},
		},
		{
			name:        "first error stops all",
			setup:       func(_, b, _ *fake) { b.startReturns, b.startErr = true, errBoom },
			wantErr:     []string{"b: boom"},
			wantErrIs:   []error{errBoom},
			wantStopped: []string{"c", "b", "a"},
		},
		{
			name:        "unexpected nil return stops all and is an error",
			setup:       func(a, _, _ *fake) { a.startReturns = true },
			wantErr:     []string{"a: stopped on its own"},
			wantStopped: []string{"c", "b", "a"},
		},
		{
			name:        "stop errors are joined",
			setup:       func(a, _, c *fake) { a.stopErr, c.stopErr = errStopA, errStopC },
			cancel:      true,
			wantErr:     []string{"a: stop: stop a failed", "c: stop: stop c failed"},
			wantErrIs:   []error{errStopA, errStopC},
			wantStopped: []string{"c", "b", "a"},
		},
		{
			name:        "start error and stop error are both reported",
			setup:       func(a, _, c *fake) { c.startReturns, c.startErr, a.stopErr = true, errBoom, errStopA },
			wantErrIs:   []error{errBoom, errStopA},
			wantStopped: []string{"c", "b", "a"},
		},
		{
			name:        "a component hanging in Stop is cut off and the rest still stop",
			setup:       func(_, b, _ *fake) { b.stopHangs = make(chan struct{}) },
			timeout:     50 * time.Millisecond,
			cancel:      true,
			wantErr:     []string{"b: stop: gave up after 50ms"},
			wantStopped: []string{"c", "b", "a"},
		},
		{
			name:        "start returning on ctx cancellation after stop is clean",
			setup:       func(_, b, _ *fake) { b.ignoresStop = true },
			cancel:      true,
			wantStopped: []string{"c", "b", "a"},
		},
		{
			name:        "a start that never returns is reported",
			setup:       func(a, _, _ *fake) { a.neverReturns = make(chan struct{}) },
			timeout:     50 * time.Millisecond,
			cancel:      true,
			wantErr:     []string{"still running 50ms after stop: a"},
			wantStopped: []string{"c", "b", "a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &journal{}
			a, b, c := newFake(j, "a"), newFake(j, "b"), newFake(j, "c")
			if tt.setup != nil {
				tt.setup(a, b, c)
			}
			t.Cleanup(func() {
				for _, f := range []*fake{a, b, c} {
					if f.stopHangs != nil {
						close(f.stopHangs)
					}
					if f.neverReturns != nil {
						close(f.neverReturns)
					}
				}
			})
			timeout := stopTimeout
			if tt.timeout != 0 {
				timeout = tt.timeout
			}
			r := lifecycle.New(zap.NewNop(), timeout)
			r.Add(a, b)
			r.Add(c)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancel {
				go func() {
					<-a.started
					<-b.started
					<-c.started
					cancel()
				}()
			}
			err := r.Run(ctx)

			if len(tt.wantErr) == 0 && len(tt.wantErrIs) == 0 {
				if err != nil {
					t.Fatalf("Run() = %v, want nil", err)
				}
			} else if err == nil {
				t.Fatal("Run() = nil, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			for _, target := range tt.wantErrIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			if got := j.stops(); !slices.Equal(got, tt.wantStopped) {
				t.Errorf("stopped %v, want %v", got, tt.wantStopped)
			}
		})
	}
}

func TestRunStopsOnSIGTERM(t *testing.T) {
	j := &journal{}
	a, b := newFake(j, "a"), newFake(j, "b")
	r := lifecycle.New(zap.NewNop(), stopTimeout)
	r.Add(a, b)
	go func() {
		// Run registers for signals before starting components, so once
		// both have started a SIGTERM goes to Run, not to the default
		// handler that would kill the test binary.
		<-a.started
		<-b.started
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			t.Error(err)
		}
	}()
	if err := r.Run(t.Context()); err != nil {
		t.Fatalf("Run() = %v, want nil on SIGTERM", err)
	}
	if got, want := j.stops(), []string{"b", "a"}; !slices.Equal(got, want) {
		t.Errorf("stopped %v, want %v", got, want)
	}
}

func TestRunEmpty(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := lifecycle.New(zap.NewNop(), time.Second).Run(ctx); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
}

func TestFuncComponent(t *testing.T) {
	stopped := make(chan struct{})
	var stopCalls int
	fc := lifecycle.FuncComponent{
		NameStr: "ticker",
		StartFn: func(ctx context.Context) error {
			<-stopped
			return nil
		},
		StopFn: func(context.Context) error {
			stopCalls++
			close(stopped)
			return nil
		},
	}
	noStop := lifecycle.FuncComponent{
		NameStr: "watcher",
		StartFn: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		},
	}
	r := lifecycle.New(zap.NewNop(), stopTimeout)
	r.Add(fc, noStop)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if fc.Name() != "ticker" || stopCalls != 1 {
		t.Errorf("Name() = %q, stop calls = %d; want ticker, 1", fc.Name(), stopCalls)
	}
}
