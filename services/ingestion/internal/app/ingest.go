// Package app is the ingestion use cases: validate records, give them idempotent ids, drop what
// is already stored and publish the rest to TRAINING; import files through the same path; read
// stored records back. It owns the interfaces its adapters implement (Publisher, Index,
// Reader), so it is tested against real NATS and ClickHouse through them.
package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	sclog "github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/services/ingestion/internal/records"
)

// Publisher publishes events whose ids are set. Encode runs ahead, off the publishing path, on
// many messages at once; Send returns once the messages are on their way, and messages of
// successive calls reach the stream in call order; wait returns once the stream acknowledged
// every one, with duplicate[i] true when the stream already held msgs[i] (JetStream dedupe
// window).
type Publisher interface {
	Encode(ev *eventsv1.Event) (bus.OutMsg, error)
	Send(ctx context.Context, msgs []bus.OutMsg) (wait func() (duplicate []bool, err error))
}

// Index tells which events are already recorded, so a resend or re-import after the stream's
// dedupe window still adds nothing and reports duplicates. It is best effort: when the store
// is down, ingestion goes on and the tables' ReplacingMergeTree absorbs what slips through.
type Index interface {
	Stored(ctx context.Context, evs []*eventsv1.Event) (map[string]bool, error)
}

// Outcome is what happened to one record.
type Outcome int

// Outcomes, as in the API's RecordOutcome.
const (
	Accepted Outcome = iota + 1
	Duplicate
	Rejected
	NotStored
)

// Item is one record to ingest.
type Item struct {
	// Event carries team, athlete, occurred_at, source and the payload. Id is the client's id
	// or empty.
	Event *eventsv1.Event
	// Key, when set, is what the deterministic id is derived from (imports); otherwise the
	// record's content is.
	Key []string
	// Prefix is the path of the record in the request ("" or e.g. "records[3]"), put before
	// every violation's field.
	Prefix string
	// Violations found while converting the request (e.g. a missing payload).
	Violations []fault.FieldViolation
	// PresentTime is false when the request had no occurred_at.
	PresentTime bool
}

// Result is the outcome of one Item.
type Result struct {
	EventID    string
	Outcome    Outcome
	Violations []fault.FieldViolation
}

// Options change how a batch is ingested.
type Options struct {
	// AllOrNothing stores nothing when any record is rejected.
	AllOrNothing bool
	// DryRun validates and checks for duplicates but publishes nothing.
	DryRun bool
}

// Ingester validates and publishes training records.
type Ingester struct {
	pub   Publisher
	index Index
	log   *zap.Logger
	now   func() time.Time
	skew  time.Duration
	// metrics is nil in tests that do not look at them.
	metrics *Metrics
}

// NewIngester builds an Ingester; index may be nil (no store: only the stream deduplicates).
func NewIngester(pub Publisher, index Index, log *zap.Logger) *Ingester {
	if log == nil {
		log = zap.NewNop()
	}
	return &Ingester{pub: pub, index: index, log: log, now: time.Now, skew: records.DefaultFutureSkew}
}

// WithMetrics makes in count every settled record on m and returns in.
func (in *Ingester) WithMetrics(m *Metrics) *Ingester {
	in.metrics = m
	return in
}

// Ingest validates every item, then publishes the valid ones that are not stored yet. It
// returns an error only when publishing failed (what was acknowledged stays stored; ids make a
// retry safe); invalid records are results, not errors.
func (in *Ingester) Ingest(ctx context.Context, items []Item, opts Options) ([]Result, error) {
	b := in.prepare(ctx, items, opts)
	if err := in.publish(ctx, b); err != nil {
		return nil, err
	}
	in.metrics.observe(b)
	return b.results, nil
}

// batch is a call's records between prepare and publish.
type batch struct {
	items   []Item
	opts    Options
	now     time.Time
	results []Result
	// fresh are the indices of the records validate left to store, in order: valid, first of
	// their id in the call, and (after lookUp) not stored yet.
	fresh []int
	// pending are the indices of the records to publish, in order; msgs their encoded events.
	pending []int
	msgs    []bus.OutMsg
}

// prepare validates the items, gives them ids and settles every record it can without the
// stream: rejected, not stored (all-or-nothing), duplicate within the call or already stored.
// What is left to publish is stamped with the time of acceptance and encoded.
func (in *Ingester) prepare(ctx context.Context, items []Item, opts Options) *batch {
	b := in.validate(items, opts)
	in.lookUp(ctx, b)
	in.encode(b)
	return b
}

// validate checks and normalises every item and gives it its id; it settles the rejected ones,
// all of them when the call is all-or-nothing and one is rejected, and repeats of an id within
// the call.
func (in *Ingester) validate(items []Item, opts Options) *batch {
	b := &batch{items: items, opts: opts, now: in.now(), results: make([]Result, len(items))}
	results := b.results
	valid := make([]int, 0, len(items))
	rejected := false
	for i, it := range items {
		v := fault.Invalid{Violations: append([]fault.FieldViolation(nil), it.Violations...)}
		id := in.normalise(&v, it, b.now)
		results[i] = Result{EventID: id, Violations: v.Violations}
		if len(v.Violations) > 0 {
			results[i].Outcome = Rejected
			rejected = true
			continue
		}
		valid = append(valid, i)
	}
	if rejected && opts.AllOrNothing {
		for _, i := range valid {
			results[i].Outcome = NotStored
		}
		return b
	}

	// The same id twice in one call: the second is a duplicate of the first.
	seen := make(map[string]bool, len(valid))
	b.fresh = valid[:0]
	for _, i := range valid {
		if seen[results[i].EventID] {
			results[i].Outcome = Duplicate
			continue
		}
		seen[results[i].EventID] = true
		b.fresh = append(b.fresh, i)
	}
	return b
}

// tracer names the ingestion's own spans, the steps of a call worth telling apart in a trace.
// It asks the global provider each time rather than once at start: a tracer taken before the
// provider is set stays bound to the first provider ever set, and tests set a new one each.
func tracer() trace.Tracer { return otel.Tracer("github.com/supercomp/supercomp/services/ingestion") }

// lookUp settles the fresh records of bs that are already stored as duplicates, in one lookup
// for all of them: ClickHouse spends about as much on a lookup of one message as of several.
func (in *Ingester) lookUp(ctx context.Context, bs ...*batch) {
	if in.index == nil {
		return
	}
	var evs []*eventsv1.Event
	for _, b := range bs {
		for _, i := range b.fresh {
			evs = append(evs, b.items[i].Event)
		}
	}
	if len(evs) == 0 {
		return
	}
	lookupCtx, span := tracer().Start(ctx, "ingestion duplicate lookup")
	stored, err := in.index.Stored(lookupCtx, evs)
	span.End()
	if err != nil {
		in.log.Warn("duplicate lookup failed; relying on the stream's dedupe window", zap.Error(err), sclog.Trace(ctx))
	}
	for _, b := range bs {
		notStored := b.fresh[:0]
		for _, i := range b.fresh {
			if stored[b.results[i].EventID] {
				b.results[i].Outcome = Duplicate
				continue
			}
			notStored = append(notStored, i)
		}
		b.fresh = notStored
	}
}

// encode stamps the fresh records with the time of acceptance and encodes them for publishing;
// a dry run settles them as accepted instead.
func (in *Ingester) encode(b *batch) {
	if b.opts.DryRun {
		for _, i := range b.fresh {
			b.results[i].Outcome = Accepted
		}
		return
	}
	b.pending = make([]int, 0, len(b.fresh))
	b.msgs = make([]bus.OutMsg, 0, len(b.fresh))
	recordedAt := timestamppb.New(b.now)
	for _, i := range b.fresh {
		ev := b.items[i].Event
		ev.RecordedAt = recordedAt
		m, err := in.pub.Encode(ev)
		if err != nil {
			// Validation lets nothing unencodable through; should it, the record is
			// refused rather than the whole call failing.
			field := b.items[i].Prefix
			if field == "" {
				field = "record"
			}
			b.results[i].Outcome = Rejected
			b.results[i].Violations = append(b.results[i].Violations, fault.FieldViolation{Field: field, Description: err.Error()})
			continue
		}
		b.pending = append(b.pending, i)
		b.msgs = append(b.msgs, m)
	}
}

// publish sends what prepare left in bs, in order and in one batch, and settles those records by
// the stream's acks.
func (in *Ingester) publish(ctx context.Context, bs ...*batch) error {
	return in.send(ctx, bs...)()
}

// send starts publishing the batches' fresh events; settle waits for the acks and fills in the
// outcomes.
func (in *Ingester) send(ctx context.Context, bs ...*batch) (settle func() error) {
	var msgs []bus.OutMsg
	if len(bs) == 1 {
		msgs = bs[0].msgs
	} else {
		for _, b := range bs {
			msgs = append(msgs, b.msgs...)
		}
	}
	if len(msgs) == 0 {
		return func() error { return nil }
	}
	// The span covers sending and the stream's acks; the events carry the caller's span (the
	// request's), so consumers' spans stay its children.
	_, span := tracer().Start(ctx, "ingestion publish "+bus.StreamTraining)
	wait := in.pub.Send(ctx, msgs)
	return func() error {
		dups, err := wait()
		span.End()
		if err != nil {
			return fault.Unavailable("publish to %s: %w", bus.StreamTraining, err)
		}
		k := 0
		for _, b := range bs {
			for _, i := range b.pending {
				if dups[k] {
					b.results[i].Outcome = Duplicate
				} else {
					b.results[i].Outcome = Accepted
				}
				k++
			}
		}
		return nil
	}
}

func (in *Ingester) normalise(v *fault.Invalid, it Item, now time.Time) string {
	ev := it.Event
	field := func(name string) string { return join(it.Prefix, name) }
	ids.CheckTeam(v, "team_id", ev.GetTeamId())
	ids.CheckAthlete(v, field("meta.athlete_id"), ev.GetAthleteId())
	if len(ev.GetSource()) > 64 {
		v.Add(field("meta.source"), "must be at most 64 bytes")
	}
	records.CheckOccurredAt(v, field("meta.occurred_at"), ev.GetOccurredAt().AsTime(), it.PresentTime, now, in.skew)
	records.CheckEventText(v, it.Prefix, ev)
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_SetRecorded:
		s := p.SetRecorded
		if s.GetSetType() == commonv1.SetType_SET_TYPE_UNSPECIFIED {
			s.SetType = commonv1.SetType_SET_TYPE_WORKING
		}
		if s.GetLiftCategory() == commonv1.LiftCategory_LIFT_CATEGORY_UNSPECIFIED {
			s.LiftCategory = records.LiftCategoryOf(s.GetExercise())
		}
		records.CheckSet(v, field("set"), s)
	case *eventsv1.Event_SessionRecorded:
		records.CheckSession(v, field("session"), p.SessionRecorded)
	case *eventsv1.Event_WellnessReported:
		records.CheckWellness(v, field("wellness"), p.WellnessReported)
	case *eventsv1.Event_ReadinessMeasured:
		records.CheckReadiness(v, field("readiness"), p.ReadinessMeasured)
	default:
		if len(it.Violations) == 0 {
			v.Add(it.Prefix, "has no set, session, wellness or readiness")
		}
	}
	if ev.GetId() != "" {
		u, err := uuid.Parse(ev.GetId())
		if err != nil || len(ev.GetId()) != 36 {
			v.Add(field("meta.event_id"), "must be a UUID in canonical 8-4-4-4-12 form, got %q", ev.GetId())
			return ""
		}
		ev.Id = u.String()
		return ev.Id
	}
	if len(v.Violations) > 0 {
		return ""
	}
	key := it.Key
	if key == nil {
		key = contentKey(ev)
	}
	ev.Id = events.DeterministicID(key...)
	return ev.Id
}

// contentKey identifies a record by what it says: team, athlete, time and the normalised
// payload, so the same record sent twice (or over gRPC and in a template import) gets one id.
func contentKey(ev *eventsv1.Event) []string {
	payload, err := proto.MarshalOptions{Deterministic: true}.Marshal(payloadMessage(ev))
	if err != nil {
		// Only a message that is not valid UTF-8 fails; keying on the time alone would merge
		// records, so the error goes into the key, making it unique to this content.
		payload = []byte(err.Error())
	}
	occurred := ev.GetOccurredAt().AsTime()
	return []string{"record", ev.GetTeamId(), ev.GetAthleteId(), kindOf(ev), strconv.FormatInt(occurred.UnixNano(), 10), string(payload)}
}

func payloadMessage(ev *eventsv1.Event) proto.Message {
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_SetRecorded:
		return p.SetRecorded
	case *eventsv1.Event_SessionRecorded:
		return p.SessionRecorded
	case *eventsv1.Event_WellnessReported:
		return p.WellnessReported
	case *eventsv1.Event_ReadinessMeasured:
		return p.ReadinessMeasured
	}
	return &eventsv1.Event{}
}

func kindOf(ev *eventsv1.Event) string {
	r, err := events.RouteOf(ev)
	if err != nil {
		return ""
	}
	return r.Kind
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Counts tallies outcomes.
type Counts struct{ Received, Accepted, Duplicates, Rejected, NotStored uint64 }

// Add counts one outcome.
func (c *Counts) Add(o Outcome) {
	c.Received++
	switch o {
	case Accepted:
		c.Accepted++
	case Duplicate:
		c.Duplicates++
	case Rejected:
		c.Rejected++
	case NotStored:
		c.NotStored++
	}
}

// String is for logs.
func (c Counts) String() string {
	return fmt.Sprintf("received=%d accepted=%d duplicates=%d rejected=%d", c.Received, c.Accepted, c.Duplicates, c.Rejected)
}
