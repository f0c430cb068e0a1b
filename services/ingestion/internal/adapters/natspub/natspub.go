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

// Send encodes the events and hands them to the bus (bus.SendBatch): it returns once they are
// on the connection, and wait collects the acks, so one call costs one round trip however many
// events it carries and the next call need not wait for this one's acks.
func (p *Publisher) Send(ctx context.Context, evs []*eventsv1.Event) (wait func() ([]bool, error)) {
	msgs := make([]bus.OutMsg, len(evs))
	for i, ev := range evs {
		m, err := events.OutMsg(ev)
		if err != nil {
			return func() ([]bool, error) { return nil, fmt.Errorf("encode event %d: %w", i, err) }
		}
		msgs[i] = m
	}
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
