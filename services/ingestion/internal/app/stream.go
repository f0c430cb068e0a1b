package app

import (
	"context"
	"sync"
)

// StreamAhead is how many messages of a Stream may be validated and looked up while an
// earlier one publishes; it bounds the records a stream holds in memory.
const StreamAhead = 4

// maxLookUp is how many records one lookup gathers messages up to.
const maxLookUp = 10000

// Stream ingests the messages of one client stream (or one import's chunks) as a pipeline:
// while a message waits for its acks, the next ones are validated, looked up for stored
// duplicates and published, so neither the lookup's nor the publish's round trip holds the
// others up. Messages validated while a lookup runs are looked up together in the next one:
// a lookup costs ClickHouse 18.16 about as much for one message as for several (~2 ms of CPU),
// and one per 1,000-record message was a third of the server's CPU per set in BenchmarkIngest;
// gathering them cut that CPU by 17%.
//
// Publishes stay in submission order, one message at a time, so per-athlete order in the
// stream is the order the client sent, and an id sent twice across messages is flagged by the
// stream's dedupe even when the lookup ran before the first copy was stored. A message's
// lookup always finishes before its own records are published, so it never sees them.
type Stream struct {
	in     *Ingester
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	queue  chan *streamMsg
	// validated carries messages from validation to the lookup stage.
	validated chan *streamMsg
	done      chan struct{}
	closed    sync.Once

	mu  sync.Mutex
	err error
}

type streamMsg struct {
	ready  chan struct{}
	batch  *batch
	report func([]Result)
}

// NewStream starts a pipeline; Close must be called to finish it.
func (in *Ingester) NewStream(ctx context.Context, opts Options) *Stream {
	ctx, cancel := context.WithCancel(ctx)
	s := &Stream{in: in, opts: opts, ctx: ctx, cancel: cancel, queue: make(chan *streamMsg, StreamAhead),
		validated: make(chan *streamMsg, StreamAhead), done: make(chan struct{})}
	go s.lookUpTogether()
	go s.publishInOrder()
	return s
}

// Submit queues items, blocking while StreamAhead messages already wait. report receives the
// items' results once they are settled (acknowledged by the stream or otherwise), in
// submission order, on the pipeline's goroutine. After a failed publish, Submit returns that
// error and queues nothing more.
func (s *Stream) Submit(items []Item, report func([]Result)) error {
	if err := s.failure(); err != nil {
		return err
	}
	m := &streamMsg{ready: make(chan struct{}), report: report}
	select {
	case s.queue <- m:
	case <-s.ctx.Done():
		if err := s.failure(); err != nil {
			return err
		}
		return s.ctx.Err()
	}
	go func() {
		m.batch = s.in.validate(items, s.opts)
		s.validated <- m
	}()
	return nil
}

// Close waits until every submitted message is settled and returns the first publish error:
// when it returns nil, every record reported accepted was acknowledged by the stream. Calling
// it again returns the same error.
func (s *Stream) Close() error {
	s.closed.Do(func() {
		close(s.queue)
		<-s.done
		// Every message was ready before publishInOrder finished: none is left to validate.
		close(s.validated)
		s.cancel()
	})
	return s.failure()
}

func (s *Stream) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// lookUpTogether looks up the messages validated so far in one lookup (taking messages until
// they hold maxLookUp records), then encodes each and marks it ready. The messages validated
// while a lookup runs wait for the next one, so a fast stream's lookups gather several
// messages and a slow stream's are never held back.
func (s *Stream) lookUpTogether() {
	for m := range s.validated {
		group := []*streamMsg{m}
		records := len(m.batch.fresh)
	gather:
		for records < maxLookUp {
			select {
			case n, ok := <-s.validated:
				if !ok {
					break gather
				}
				group = append(group, n)
				records += len(n.batch.fresh)
			default:
				break gather
			}
		}
		batches := make([]*batch, len(group))
		for i, g := range group {
			batches[i] = g.batch
		}
		s.in.lookUp(s.ctx, batches...)
		for _, g := range group {
			go func() {
				s.in.encode(g.batch)
				close(g.ready)
			}()
		}
	}
}

// publishInOrder publishes the prepared messages in submission order. Each publish takes
// every message already prepared behind the first, up to StreamAhead+1 of them, in one batch,
// and does not wait for that batch's acks before sending the next: settleInOrder collects them,
// so the stream is never idle while acks travel back. After a failure it only drains the
// queue: nothing later is published or reported.
func (s *Stream) publishInOrder() {
	sent := make(chan sentGroup, StreamAhead)
	settled := make(chan struct{})
	go s.settleInOrder(sent, settled)
	defer func() {
		close(sent)
		<-settled
		close(s.done)
	}()
	var next *streamMsg
	for {
		m := next
		next = nil
		if m == nil {
			var ok bool
			if m, ok = <-s.queue; !ok {
				return
			}
		}
		<-m.ready
		if s.failure() != nil {
			continue
		}
		group := []*streamMsg{m}
	gather:
		for len(group) <= StreamAhead {
			select {
			case n, ok := <-s.queue:
				if !ok {
					break gather
				}
				select {
				case <-n.ready:
					group = append(group, n)
				default:
					next = n // not prepared yet: it leads the next publish
					break gather
				}
			default:
				break gather
			}
		}
		batches := make([]*batch, len(group))
		for i, g := range group {
			batches[i] = g.batch
		}
		sent <- sentGroup{msgs: group, settle: s.in.send(s.ctx, batches...)}
	}
}

// sentGroup is a published group of messages whose acks are awaited.
type sentGroup struct {
	msgs   []*streamMsg
	settle func() error
}

// settleInOrder waits for each group's acks in publish order and reports its results; the
// first failure stops the stream, and later groups are waited for but not reported.
func (s *Stream) settleInOrder(sent <-chan sentGroup, settled chan<- struct{}) {
	defer close(settled)
	for g := range sent {
		err := g.settle()
		if s.failure() != nil {
			continue
		}
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			s.cancel()
			continue
		}
		for _, m := range g.msgs {
			s.in.metrics.observe(m.batch)
			m.report(m.batch.results)
		}
	}
}
