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

// Publish sends every event asynchronously and waits for all acks (bus.PublishBatch), so one
// call costs one round trip however many events it carries.
func (p *Publisher) Publish(ctx context.Context, evs []*eventsv1.Event) ([]bool, error) {
	msgs := make([]bus.OutMsg, len(evs))
	for i, ev := range evs {
		m, err := events.OutMsg(ev)
		if err != nil {
			return nil, fmt.Errorf("encode event %d: %w", i, err)
		}
		msgs[i] = m
	}
	results, err := p.b.PublishBatch(ctx, msgs)
	if err != nil {
		return nil, err
	}
	dup := make([]bool, len(results))
	for i, r := range results {
		dup[i] = r.Duplicate()
	}
	return dup, nil
}
