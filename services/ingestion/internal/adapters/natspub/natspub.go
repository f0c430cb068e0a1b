// Package natspub publishes training events to JetStream with the event id as Nats-Msg-Id.
package natspub

import (
	"context"
	"fmt"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Publisher is app.Publisher on a bus.
type Publisher struct{ b *bus.Bus }

// New returns a Publisher on b.
func New(b *bus.Bus) *Publisher { return &Publisher{b: b} }

// Encode is events.OutMsg: the event as the stream message, its id as Nats-Msg-Id.
func (p *Publisher) Encode(ev *eventsv1.Event) (bus.OutMsg, error) {
	m, err := events.OutMsg(ev)
	if err != nil {
		return bus.OutMsg{}, fmt.Errorf("encode event %s: %w", ev.GetId(), err)
	}
	return m, nil
}

// Send hands the messages to the bus (bus.SendBatch): it returns once they are on the
// connection, and wait collects the acks, so one call costs one round trip however many
// messages it carries and the next call need not wait for this one's acks.
func (p *Publisher) Send(ctx context.Context, msgs []bus.OutMsg) (wait func() ([]bool, error)) {
	sent := p.b.SendBatch(ctx, msgs)
	return func() ([]bool, error) {
		results, err := sent.Wait()
		if err != nil {
			return nil, err
		}
		dup := make([]bool, len(results))
		for i, r := range results {
			dup[i] = r.Duplicate()
		}
		return dup, nil
	}
}
