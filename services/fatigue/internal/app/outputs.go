package app

import (
	"context"
	"sync"
)

// outputStream publishes a batch's outputs while the batch is still being assessed. One
// goroutine calls Publisher.Publish one call after another, so the outputs reach the stream
// in the order they were added; whatever accumulates while a call waits for its acks goes in
// the next call, so a quiet batch sends each output at once and a busy one sends few large
// calls. An alert raised early in a large batch thus leaves before the rest of the batch is
// assessed (BenchmarkAlertPath in services/platform measured that wait at up to ~45 ms p99).
//
// Publishing before the batch is settled changes nothing a redelivery sees: the outputs'
// ids are derived from the consumed events, so a redelivered batch publishes the same ids
// and the stream drops them as duplicates, as it already did when the save after the
// publish failed.
type outputStream struct {
	pub Publisher
	ctx context.Context

	mu      sync.Mutex
	pending []Output
	// after are the calls waiting for pending to be acknowledged.
	after  []func()
	closed bool
	err    error // the first failed publish; nothing is published after it
	total  int

	wake chan struct{} // buffered 1: there is something pending, or the stream closed
	done chan struct{}
}

func newOutputStream(ctx context.Context, pub Publisher) *outputStream {
	s := &outputStream{pub: pub, ctx: ctx, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.run()
	return s
}

// add queues outputs for publishing.
func (s *outputStream) add(out ...Output) {
	if len(out) == 0 {
		return
	}
	s.mu.Lock()
	s.pending = append(s.pending, out...)
	s.total += len(out)
	s.mu.Unlock()
	s.signal()
}

// then calls fn once every output added so far is acknowledged by the stream; never if a
// publish fails. fn runs on the publishing goroutine and must not block.
func (s *outputStream) then(fn func()) {
	s.mu.Lock()
	s.after = append(s.after, fn)
	s.mu.Unlock()
	s.signal()
}

func (s *outputStream) signal() {
	select {
	case s.wake <- struct{}{}:
	default: // already signalled; the sender takes everything pending when it wakes
	}
}

func (s *outputStream) run() {
	defer close(s.done)
	for range s.wake {
		s.mu.Lock()
		out, after, closed, failed := s.pending, s.after, s.closed, s.err != nil
		s.pending, s.after = nil, nil
		s.mu.Unlock()
		if len(out) > 0 && !failed {
			if err := s.pub.Publish(s.ctx, out); err != nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
				failed = true
			}
		}
		if !failed {
			for _, fn := range after {
				fn()
			}
		}
		if closed {
			// Nothing is added after finish closed the stream, and this round took
			// all that was pending.
			return
		}
	}
}

// finish waits until everything added is published (or a publish failed) and returns how many
// outputs were added and the first publish error.
func (s *outputStream) finish() (int, error) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.err
}
