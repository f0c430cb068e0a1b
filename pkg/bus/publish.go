package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNoMsgID is returned for a publish without a message id: without one the
// stream cannot drop the duplicate that a retry produces.
var ErrNoMsgID = errors.New("message id is required")

// OutMsg is one message of a PublishBatch.
type OutMsg struct {
	Subject string
	// MsgID becomes Nats-Msg-Id: the event id, so a retried publish within the
	// stream's duplicate window is stored once.
	MsgID  string
	Data   []byte
	Header nats.Header
	// Trace, when set, is the context whose span the message continues (its traceparent
	// header); otherwise it is the batch's context. A handler of a batch that publishes on
	// behalf of several consumed messages sets each one's (bus.MessageContext).
	Trace context.Context
}

// PubResult is the outcome of one message of a PublishBatch: Ack when the
// stream stored it (or already had it), Err otherwise.
type PubResult struct {
	Ack *jetstream.PubAck
	Err error
}

// Duplicate reports whether the stream already had a message with this id.
func (r PubResult) Duplicate() bool { return r.Ack != nil && r.Ack.Duplicate }

// Publish stores one message and returns once the stream acknowledged it.
// ack.Duplicate is true when the stream already held msgID: the caller's
// retry was absorbed, not an error.
func (b *Bus) Publish(ctx context.Context, subject, msgID string, data []byte, hdr nats.Header) (*jetstream.PubAck, error) {
	msg, err := newMsg(ctx, OutMsg{Subject: subject, MsgID: msgID, Data: data, Header: hdr})
	if err != nil {
		return nil, err
	}
	ack, err := b.js.PublishMsg(ctx, msg)
	b.metrics.observePublish(ack, err)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", subject, err)
	}
	return ack, nil
}

// PublishBatch publishes msgs asynchronously with at most
// Config.PublishMaxPending unacknowledged at a time (shared by all batches
// on this Bus) and waits for every ack. results[i] belongs to msgs[i]; the
// error is non-nil when any message failed or ctx ended, and callers retry
// the failed ones (ids make that safe). Order within the stream follows
// msgs order unless the client had to resend after a failure.
func (b *Bus) PublishBatch(ctx context.Context, msgs []OutMsg) ([]PubResult, error) {
	return b.SendBatch(ctx, msgs).Wait()
}

// SentBatch is a batch whose messages are all handed to the connection and
// whose acks are being collected.
type SentBatch struct {
	b         *Bus
	results   []PubResult
	collected chan struct{}
}

// SendBatch is PublishBatch without the wait: it returns once every message
// is sent (it blocks only while PublishMaxPending acks are outstanding), so
// a caller can send its next batch while this one's acks are on their way.
// Batches sent one after another from one goroutine reach the stream in
// that order. Wait must be called to learn the outcome.
func (b *Bus) SendBatch(ctx context.Context, msgs []OutMsg) *SentBatch {
	sent := &SentBatch{b: b, results: make([]PubResult, len(msgs)), collected: make(chan struct{})}
	results := sent.results
	type pending struct {
		index  int
		future jetstream.PubAckFuture
	}
	futures := make(chan pending, cap(b.inflight))

	// The collector waits for acks in publish order, which is also roughly
	// the order they arrive in, and frees a slot per ack so the producer
	// below can send the next message.
	go func() {
		defer close(sent.collected)
		for p := range futures {
			select {
			case ack := <-p.future.Ok():
				results[p.index].Ack = ack
			case err := <-p.future.Err():
				results[p.index].Err = err
			case <-ctx.Done():
				results[p.index].Err = ctx.Err()
			}
			<-b.inflight
		}
	}()

produce:
	for i, m := range msgs {
		msg, err := newMsg(ctx, m)
		if err != nil {
			results[i].Err = err
			continue
		}
		select {
		case b.inflight <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(msgs); j++ {
				results[j].Err = ctx.Err()
			}
			break produce
		}
		future, err := b.js.PublishMsgAsync(msg)
		if err != nil {
			<-b.inflight
			results[i].Err = err
			continue
		}
		futures <- pending{index: i, future: future}
	}
	close(futures)
	return sent
}

// Wait returns once every message of the batch is acknowledged or failed,
// with the same results and error as PublishBatch.
func (s *SentBatch) Wait() ([]PubResult, error) {
	<-s.collected
	var failed int
	var first error
	for _, r := range s.results {
		s.b.metrics.observePublish(r.Ack, r.Err)
		if r.Err != nil {
			if first == nil {
				first = r.Err
			}
			failed++
		}
	}
	if failed > 0 {
		return s.results, fmt.Errorf("publish batch: %d of %d failed: %w", failed, len(s.results), first)
	}
	return s.results, nil
}

// newMsg copies the caller's header before adding Nats-Msg-Id and the trace
// context, because callers often reuse one header map for many messages.
func newMsg(ctx context.Context, m OutMsg) (*nats.Msg, error) {
	if m.MsgID == "" {
		return nil, fmt.Errorf("publish %s: %w", m.Subject, ErrNoMsgID)
	}
	hdr := make(nats.Header, len(m.Header)+2)
	for k, v := range m.Header {
		hdr[k] = v
	}
	hdr.Set(jetstream.MsgIDHeader, m.MsgID)
	if m.Trace != nil {
		ctx = m.Trace
	}
	injectTrace(ctx, hdr)
	return &nats.Msg{Subject: m.Subject, Data: m.Data, Header: hdr}, nil
}
