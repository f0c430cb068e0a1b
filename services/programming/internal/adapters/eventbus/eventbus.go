// Package eventbus publishes the programming service's events on JetStream through pkg/events,
// so subjects and Nats-Msg-Id dedupe are the platform's.
package eventbus

import (
	"context"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Publisher is app.Publisher over a bus.
type Publisher struct{ Bus *bus.Bus }

// Publish implements app.Publisher: it returns once the stream stored the event (or already
// had it under the same id).
func (p Publisher) Publish(ctx context.Context, ev *eventsv1.Event) error {
	if _, err := events.Publish(ctx, p.Bus, ev); err != nil {
		return fault.Unavailable("publish %s: %w", ev.GetId(), err)
	}
	return nil
}
