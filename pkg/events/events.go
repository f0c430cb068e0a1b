// Package events is the one place that turns a supercomp.events.v1.Event into what travels on
// NATS: its subject (from the payload's `route` option in the proto), its Nats-Msg-Id (the
// event id) and its bytes. Every service publishes and decodes events through it, so subjects
// and ids are built the same way everywhere.
package events

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/ids"
)

// NewID returns a fresh UUIDv7: time-ordered, so ids sort roughly by creation and make good
// ClickHouse keys.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// DeterministicID derives a stable UUID (v5, SHA-1 in a Supercomp namespace) from the parts that
// identify a record, for data sent without a client id: the same record always gets the same id,
// so a resend or a re-import deduplicates on the Nats-Msg-Id and the ClickHouse row key.
func DeterministicID(parts ...string) string {
	return uuid.NewSHA1(namespace, []byte(strings.Join(parts, "\x1f"))).String()
}

// namespace scopes DeterministicID so its ids never collide with other v5 users.
var namespace = uuid.MustParse("6f1c8c1e-5b0a-4c53-9a8e-2a6f2c0b7e51")

// Route is where an event's payload is published.
type Route struct {
	// Stream is the JetStream stream, e.g. "TRAINING".
	Stream string
	// Kind is the subject's last token, e.g. "set".
	Kind string
}

// RouteOf reads the route of ev's payload from the proto's `route` field option.
func RouteOf(ev *eventsv1.Event) (Route, error) {
	// The payload's Go type finds the route without protoreflect's WhichOneof, which cost ~0.2
	// µs per lookup on the ingest path, where routes are looked up five times per set.
	if r, ok := payloadRoutes()[reflect.TypeOf(ev.GetPayload())]; ok {
		return r, nil
	}
	fd := ev.ProtoReflect().WhichOneof(payloadOneof)
	if fd == nil {
		return Route{}, errors.New("event has no payload")
	}
	return Route{}, fmt.Errorf("payload %s has no route option", fd.Name())
}

// payloadOneof is the Event's payload oneof.
var payloadOneof = (&eventsv1.Event{}).ProtoReflect().Descriptor().Oneofs().ByName("payload")

// payloadRoutes maps the Go type of each payload that has a valid route option to its route,
// read from the descriptors once: reading the option per event (proto.GetExtension) allocated
// and cost about a microsecond of every set on the ingest path.
var payloadRoutes = sync.OnceValue(func() map[reflect.Type]Route {
	routes := map[reflect.Type]Route{}
	fields := payloadOneof.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		r, err := routeOfField(fd)
		if err != nil {
			continue
		}
		// Setting the field on an empty event gives its oneof wrapper, whose Go type is what
		// a decoded event's GetPayload returns.
		probe := &eventsv1.Event{}
		m := probe.ProtoReflect()
		m.Set(fd, m.NewField(fd))
		routes[reflect.TypeOf(probe.GetPayload())] = r
	}
	return routes
})

func routeOfField(fd protoreflect.FieldDescriptor) (Route, error) {
	r, ok := proto.GetExtension(fd.Options(), eventsv1.E_Route).(*eventsv1.Route)
	if !ok || r == nil || r.GetStream() == "" || r.GetKind() == "" {
		return Route{}, fmt.Errorf("payload %s has no route option", fd.Name())
	}
	return Route{Stream: r.GetStream(), Kind: r.GetKind()}, nil
}

// Subject is the NATS subject of ev: sc.<stream>.<team>.<athlete or _team>.<kind>. Team and
// athlete must be subject-safe tokens, so ids can never inject wildcards or extra tokens.
func Subject(ev *eventsv1.Event) (string, error) {
	r, err := RouteOf(ev)
	if err != nil {
		return "", err
	}
	if !bus.ValidToken(ev.GetTeamId()) {
		return "", fmt.Errorf("team id %q is not a subject-safe token", ev.GetTeamId())
	}
	athlete := ev.GetAthleteId()
	if athlete == "" {
		athlete = bus.TeamToken
	} else if !ids.ValidAthlete(athlete) {
		return "", fmt.Errorf("athlete id %q is not a subject-safe token", athlete)
	}
	return bus.Subject(r.Stream, ev.GetTeamId(), athlete, r.Kind), nil
}

// Filters are the subject filters that select the events with the given payloads, of every
// team and athlete: Filters(&eventsv1.Event_WellnessReported{}) is
// ["sc.training.*.*.wellness"]. A payload is named by its oneof wrapper, so a consumer's
// filter follows the route options in the proto instead of repeating them. It panics on a
// value that is not a routed payload wrapper: that is a programming error, which every test
// starting the consumer hits, not input.
func Filters(payloads ...any) []string {
	routes := payloadRoutes()
	out := make([]string, 0, len(payloads))
	for _, p := range payloads {
		r, ok := routes[reflect.TypeOf(p)]
		if !ok {
			panic(fmt.Sprintf("events.Filters: %T is not a routed Event payload", p))
		}
		out = append(out, bus.Subject(r.Stream, "*", "*", r.Kind))
	}
	return out
}

// StreamFilter selects every event on stream, keeping the subject's five tokens explicit
// (sc.<stream>.*.*.*) for consumers that key on the team and athlete tokens.
func StreamFilter(stream string) string { return bus.Subject(stream, "*", "*", "*") }

// TeamFilter selects every event of one team on stream. team must pass bus.ValidToken: a dot
// or wildcard in it would widen the filter to other teams.
func TeamFilter(stream, team string) string { return bus.Subject(stream, team, "*", "*") }

// AthleteFilter selects every event of one athlete of team on stream (replaying an athlete's
// history). Both must pass bus.ValidToken, for the reason TeamFilter gives.
func AthleteFilter(stream, team, athlete string) string {
	return bus.Subject(stream, team, athlete, "*")
}

// Stamp fills what the publisher owns: an id when the event has none, and recorded_at.
func Stamp(ev *eventsv1.Event, now time.Time) {
	if ev.GetId() == "" {
		ev.Id = NewID()
	}
	ev.RecordedAt = timestamppb.New(now)
	if ev.GetOccurredAt() == nil {
		ev.OccurredAt = ev.RecordedAt
	}
}

// Encode returns the subject and wire bytes of ev.
func Encode(ev *eventsv1.Event) (subject string, data []byte, err error) {
	if ev.GetId() == "" {
		return "", nil, errors.New("event has no id")
	}
	subject, err = Subject(ev)
	if err != nil {
		return "", nil, err
	}
	data, err = proto.Marshal(ev)
	if err != nil {
		return "", nil, fmt.Errorf("marshal event %s: %w", ev.GetId(), err)
	}
	return subject, data, nil
}

// Decode parses an event from a message body.
func Decode(data []byte) (*eventsv1.Event, error) {
	ev := &eventsv1.Event{}
	if err := proto.Unmarshal(data, ev); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return ev, nil
}

// Publish stamps ev when it has no id yet, publishes it with Nats-Msg-Id = ev.Id and returns
// after JetStream acknowledged it. ack.Duplicate reports an event the stream already had.
func Publish(ctx context.Context, b *bus.Bus, ev *eventsv1.Event) (*jetstream.PubAck, error) {
	if ev.GetId() == "" || ev.GetRecordedAt() == nil {
		Stamp(ev, time.Now())
	}
	subject, data, err := Encode(ev)
	if err != nil {
		return nil, err
	}
	return b.Publish(ctx, subject, ev.GetId(), data, nil)
}

// OutMsg encodes ev for bus.PublishBatch.
func OutMsg(ev *eventsv1.Event) (bus.OutMsg, error) {
	subject, data, err := Encode(ev)
	if err != nil {
		return bus.OutMsg{}, err
	}
	return bus.OutMsg{Subject: subject, MsgID: ev.GetId(), Data: data}, nil
}
