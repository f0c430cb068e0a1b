package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	sclog "github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// Durable consumer names.
const (
	DurableAnalysis    = "notifications-analysis"
	DurableProgramming = "notifications-programming"
	DurableDispatch    = "notifications-dispatch"
	DurableRecorder    = "notifications-recorder"
	// SchedulerDLQName names the DLQ subject of deliveries the scheduler gave up on.
	SchedulerDLQName = "notifications-scheduler"
)

// attemptOutcome is one target's attempt, ready to be recorded.
type attemptOutcome struct {
	key     string
	attempt int
	result  Result
	retry   bool
	dead    bool
	backoff time.Duration
}

// ErrRetryLater wraps a delivery that will be retried.
var ErrRetryLater = errors.New("delivery will be retried")

// DeliverDue sends every due, undelivered target of an alert once. It returns nil when nothing
// is left to retry, bus.Retry with the backoff when a transient failure is within budget, and
// bus.Poison with the reason when a receiver refused permanently or the budget is spent; the
// dispatch consumer turns these into an ack, a delayed redelivery or a DLQ entry.
//
// Targets are recorded as delivered only after the send, and the send repeats the alert id as
// idempotency key, so a crash between the send and the record costs at most a duplicate that the
// receiver drops.
//
// scheduled selects the targets: false for instant ones (the dispatch consumer), true for held
// ones whose quiet hours ended (the scheduler), so the two never send the same target at once.
func (a *App) DeliverDue(ctx context.Context, team, alertID string, scheduled bool) error {
	rec, _, err := a.State.Alert(ctx, team, alertID)
	if err != nil {
		return err
	}
	if !owed(rec.Alert) {
		return nil // acknowledged or resolved by a person before it went out: page nobody
	}
	now := a.now()
	var due []Target
	for _, t := range rec.Targets {
		if t.Status == TargetPending && (t.Mode == domain.Held) == scheduled && t.Mode != domain.Digest && !t.DueAt.After(now) && !t.NextAttemptAt.After(now) {
			due = append(due, t)
		}
	}
	if len(due) == 0 {
		return nil
	}
	content, err := rec.DecodeContent()
	if err != nil {
		return bus.Poison(err)
	}
	item := Item{AlertID: rec.Alert.ID, TeamID: team, AthleteID: rec.Alert.Facts.AthleteID, Content: content,
		State: rec.Alert.State, Occurrences: rec.Alert.Occurrences, EscalationLevel: rec.Alert.EscalationLevel, RaisedAt: rec.Alert.RaisedAt}
	msg := Message{IdempotencyKey: rec.Alert.ID, Items: []Item{item}}

	outcomes := make([]attemptOutcome, len(due))
	var wg sync.WaitGroup
	for i, t := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i] = a.attempt(ctx, team, t, msg)
		}()
	}
	wg.Wait()
	if a.AfterSend != nil {
		if err := a.AfterSend(alertID); err != nil {
			return err
		}
	}
	return a.record(ctx, rec, due, outcomes, false)
}

// attempt sends msg to one target once and classifies the outcome against the retry budget.
func (a *App) attempt(ctx context.Context, team string, t Target, msg Message) attemptOutcome {
	out := attemptOutcome{key: t.Key(), attempt: t.Attempts + 1}
	sub, err := a.State.Subscription(ctx, team, t.SubscriptionID)
	if err != nil || t.ChannelIndex >= len(sub.GetChannels()) {
		out.result = Result{Outcome: domain.Permanent, Err: fmt.Errorf("subscription %s or its channel is gone", t.SubscriptionID)}
		out.dead = true
		return out
	}
	ch := sub.GetChannels()[t.ChannelIndex]
	sender := a.senders[ChannelOf(ch)]
	if sender == nil {
		out.result = Result{Outcome: domain.Permanent, Err: fmt.Errorf("no sender for channel %v", ChannelOf(ch))}
		out.dead = true
		return out
	}
	out.result = sender.Send(ctx, senderTarget(ch), msg)
	a.Metrics.observe(ChannelOf(ch), out.result)
	switch {
	case out.result.Outcome == domain.Delivered:
	case a.cfg.Retry.ShouldRetry(out.result.Outcome, out.attempt):
		out.retry = true
		out.backoff = a.cfg.Retry.Backoff(out.attempt, a.random())
	default:
		out.dead = true
	}
	return out
}

// record publishes one event per attempt, then stores the targets' new state. Publishing first
// means a crash in between republishes the same (deterministic) event ids, which the stream
// drops, instead of losing them.
func (a *App) record(ctx context.Context, rec *AlertRecord, due []Target, outs []attemptOutcome, digest bool) error {
	evs := make([]*eventsv1.Event, 0, len(outs))
	byKey := make(map[string]attemptOutcome, len(outs))
	var retryAfter time.Duration
	var deadReasons []string
	for i, o := range outs {
		t := due[i]
		byKey[o.key] = o
		target := &eventsv1.DeliveryTarget{SubscriptionId: t.SubscriptionID, Channel: t.Channel, Destination: t.Destination}
		latency := float64(o.result.Latency.Microseconds()) / 1000
		ev := a.envelope(events.DeterministicID("delivery", rec.Alert.ID, o.key, fmt.Sprint(o.attempt)), rec.Alert.Facts, "")
		if o.result.Outcome == domain.Delivered {
			ev.Payload = &eventsv1.Event_AlertDelivered{AlertDelivered: &eventsv1.AlertDelivered{
				AlertId: rec.Alert.ID, Target: target, Attempt: uint32(o.attempt), StatusCode: uint32(o.result.Status),
				LatencyMs: latency, Digest: digest}}
		} else {
			f := &eventsv1.AlertDeliveryFailed{AlertId: rec.Alert.ID, Target: target, Attempt: uint32(o.attempt),
				StatusCode: uint32(o.result.Status), LatencyMs: latency, Error: errText(o.result.Err), WillRetry: o.retry, DeadLettered: o.dead}
			if o.retry {
				f.RetryAfter = durationpb.New(o.backoff)
				if retryAfter == 0 || o.backoff < retryAfter {
					retryAfter = o.backoff
				}
			}
			if o.dead {
				deadReasons = append(deadReasons, fmt.Sprintf("%s %s attempt %d: %s", t.Channel, t.Destination, o.attempt, errText(o.result.Err)))
			}
			ev.Payload = &eventsv1.Event_AlertDeliveryFailed{AlertDeliveryFailed: f}
		}
		evs = append(evs, ev)
	}
	if err := a.publish(ctx, evs...); err != nil {
		return err
	}
	now := a.now()
	_, _, err := ModifyAlert(ctx, a.State, rec.Alert.Facts.TeamID, rec.Alert.ID, func(r *AlertRecord) (bool, error) {
		for i := range r.Targets {
			t := &r.Targets[i]
			o, ok := byKey[t.Key()]
			if !ok || t.Status != TargetPending {
				continue
			}
			t.Attempts = o.attempt
			t.LastStatus = o.result.Status
			t.LastError = errText(o.result.Err)
			switch {
			case o.result.Outcome == domain.Delivered:
				t.Status = TargetDelivered
				r.Deliveries++
			case o.retry:
				t.NextAttemptAt = now.Add(o.backoff)
				r.FailedAttempts++
			default:
				t.Status = TargetFailed
				r.FailedAttempts++
			}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, o := range outs {
		level := zap.InfoLevel
		if o.result.Outcome != domain.Delivered {
			level = zap.WarnLevel
		}
		a.log.Check(level, "delivery attempt").Write(zap.String("alert_id", rec.Alert.ID), zap.String("target", o.key),
			zap.Int("attempt", o.attempt), zap.Int("status", o.result.Status), zap.Duration("latency", o.result.Latency),
			zap.Stringer("outcome", o.result.Outcome), zap.Bool("will_retry", o.retry), zap.NamedError("reason", o.result.Err), sclog.Trace(ctx))
	}
	switch {
	case retryAfter > 0:
		return bus.Retry(fmt.Errorf("%w in %s", ErrRetryLater, retryAfter), retryAfter)
	case len(deadReasons) > 0:
		return bus.Poison(fmt.Errorf("delivery failed permanently: %s", strings.Join(deadReasons, "; ")))
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// --- scheduler: held deliveries, digests, escalations ---

// Scheduler runs the periodic work: held deliveries whose quiet hours ended, digests, retries
// of scheduled deliveries, and escalations.
type Scheduler struct {
	app  *App
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewScheduler returns the scheduler component.
func (a *App) NewScheduler() *Scheduler {
	return &Scheduler{app: a, stop: make(chan struct{}), done: make(chan struct{})}
}

// Name implements lifecycle.Component.
func (s *Scheduler) Name() string { return "notifications scheduler" }

// Start ticks until Stop.
func (s *Scheduler) Start(ctx context.Context) error {
	defer close(s.done)
	t := time.NewTicker(s.app.cfg.SchedulerInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.stop:
			return nil
		case <-t.C:
			if err := s.app.Tick(ctx); err != nil {
				s.app.log.Warn("scheduler tick failed", zap.Error(err))
			}
		}
	}
}

// Stop ends Start after the current tick.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.once.Do(func() { close(s.stop) })
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Tick does one round of scheduled work. Exported so tests drive time by hand.
func (a *App) Tick(ctx context.Context) error {
	pending, err := a.State.PendingAlerts(ctx)
	if err != nil {
		return err
	}
	var errs []error
	digests := map[string]*digestBatch{}
	for _, p := range pending {
		team, id := p[0], p[1]
		rec, _, err := a.State.Alert(ctx, team, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !needsScheduler(rec) {
			errs = append(errs, a.State.ClearPending(ctx, team, id))
			continue
		}
		if err := a.escalate(ctx, rec); err != nil {
			errs = append(errs, err)
		}
		if err := a.DeliverDue(ctx, team, id, true); err != nil && !errors.Is(err, ErrRetryLater) {
			if bus.IsPoison(err) {
				a.deadLetter(ctx, rec, err)
			} else {
				errs = append(errs, err)
			}
		}
		a.collectDigest(rec, digests)
	}
	for _, d := range digests {
		if err := a.sendDigest(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	if err := a.remind(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// escalate adds the escalation contacts' targets when the alert is due a new level and
// publishes AlertEscalated; the dispatcher delivers them.
func (a *App) escalate(ctx context.Context, rec *AlertRecord) error {
	now := a.now()
	level := rec.Alert.EscalationDue(now, a.cfg.MaxEscalationLevel)
	if level <= rec.Alert.EscalationLevel {
		return nil
	}
	var subs []string
	updated, changed, err := ModifyAlert(ctx, a.State, rec.Alert.Facts.TeamID, rec.Alert.ID, func(r *AlertRecord) (bool, error) {
		if r.Alert.EscalationDue(now, a.cfg.MaxEscalationLevel) <= r.Alert.EscalationLevel {
			return false, nil
		}
		r.Alert.EscalationLevel = level
		before := len(r.Targets)
		if err := a.route(ctx, r, level, now); err != nil {
			return false, err
		}
		subs = subs[:0]
		seen := map[string]bool{}
		for _, t := range r.Targets[before:] {
			if !seen[t.SubscriptionID] {
				seen[t.SubscriptionID] = true
				subs = append(subs, t.SubscriptionID)
			}
		}
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	a.log.Info("alert escalated", zap.String("alert_id", updated.Alert.ID), zap.Int("level", level), zap.Strings("subscriptions", subs))
	return a.publish(ctx, escalatedEvent(a, updated, level, subs))
}

type digestBatch struct {
	team, subID string
	channel     int
	dueAt       time.Time
	recs        []*AlertRecord
	targets     []Target
}

func (a *App) collectDigest(rec *AlertRecord, digests map[string]*digestBatch) {
	now := a.now()
	for _, t := range rec.Targets {
		if t.Status != TargetPending || t.Mode != domain.Digest || t.DueAt.After(now) || t.NextAttemptAt.After(now) {
			continue
		}
		k := fmt.Sprintf("%s/%s/%d/%d", rec.Alert.Facts.TeamID, t.SubscriptionID, t.ChannelIndex, t.DueAt.Unix())
		d := digests[k]
		if d == nil {
			d = &digestBatch{team: rec.Alert.Facts.TeamID, subID: t.SubscriptionID, channel: t.ChannelIndex, dueAt: t.DueAt}
			digests[k] = d
		}
		d.recs = append(d.recs, rec)
		d.targets = append(d.targets, t)
	}
}

// sendDigest sends one message with every alert of a digest batch and records each alert's
// delivery (digest=true).
func (a *App) sendDigest(ctx context.Context, d *digestBatch) error {
	sort.Slice(d.recs, func(i, j int) bool { return d.recs[i].Alert.RaisedAt.Before(d.recs[j].Alert.RaisedAt) })
	ids := make([]string, 0, len(d.recs))
	msg := Message{Digest: true}
	for _, rec := range d.recs {
		c, err := rec.DecodeContent()
		if err != nil {
			return err
		}
		ids = append(ids, rec.Alert.ID)
		msg.Items = append(msg.Items, Item{AlertID: rec.Alert.ID, TeamID: d.team, AthleteID: rec.Alert.Facts.AthleteID,
			Content: c, State: rec.Alert.State, Occurrences: rec.Alert.Occurrences, RaisedAt: rec.Alert.RaisedAt})
	}
	msg.IdempotencyKey = events.DeterministicID(append([]string{"digest", d.team, d.subID, fmt.Sprint(d.channel), fmt.Sprint(d.dueAt.Unix())}, ids...)...)
	o := a.attempt(ctx, d.team, d.targets[0], msg)
	var errs []error
	for i, rec := range d.recs {
		t := d.targets[i]
		oi := o
		oi.key, oi.attempt = t.Key(), t.Attempts+1
		err := a.record(ctx, rec, []Target{t}, []attemptOutcome{oi}, true)
		if bus.IsPoison(err) {
			a.deadLetter(ctx, rec, err)
		} else if err != nil && !errors.Is(err, ErrRetryLater) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deadLetter parks an alert whose scheduled delivery failed for good in the DLQ with the reason,
// as the consumers do for messages they give up on.
func (a *App) deadLetter(ctx context.Context, rec *AlertRecord, reason error) {
	c, decodeErr := rec.DecodeContent()
	if decodeErr != nil {
		// Park it all the same, with the facts the record still has: the DLQ is where an
		// operator looks for deliveries that failed, and this one failed twice over.
		reason = errors.Join(reason, decodeErr)
	}
	ev := a.envelope(events.DeterministicID("alert_raised", rec.Alert.ID), rec.Alert.Facts, "")
	ev.Payload = &eventsv1.Event_AlertRaised{AlertRaised: &eventsv1.AlertRaised{AlertId: rec.Alert.ID, Content: c}}
	subject, data, err := events.Encode(ev)
	if err == nil {
		hdr := nats.Header{}
		hdr.Set(bus.HeaderDLQReason, reason.Error())
		hdr.Set(bus.HeaderDLQSubject, subject)
		hdr.Set(bus.HeaderDLQConsumer, SchedulerDLQName)
		_, err = a.bus.Publish(ctx, bus.DeadLetterSubject(bus.StreamNotify, SchedulerDLQName),
			"dlq."+SchedulerDLQName+"."+events.DeterministicID(rec.Alert.ID, reason.Error()), data, hdr)
	}
	if err != nil {
		a.log.Error("dead-letter of scheduled delivery failed", zap.String("alert_id", rec.Alert.ID), zap.Error(err))
		return
	}
	a.log.Error("scheduled delivery moved to DLQ", zap.String("alert_id", rec.Alert.ID), zap.NamedError("reason", reason))
}

// TestDelivery sends a test alert through every channel of a subscription, once each.
func (a *App) TestDelivery(ctx context.Context, team, subID string) ([]*notificationsv1.DeliveryAttempt, error) {
	sub, err := a.State.Subscription(ctx, team, subID)
	if err != nil {
		return nil, err
	}
	id := events.NewID()
	now := a.now()
	content := &eventsv1.AlertContent{Kind: 6, Severity: 1, Title: "Supercomp test alert",
		Summary: "This is a test of your Supercomp alert subscription " + sub.GetName() + "."}
	msg := Message{IdempotencyKey: id, Test: true, Items: []Item{{AlertID: id, TeamID: team, Content: content,
		State: domain.StateOpen, Occurrences: 1, RaisedAt: now}}}
	var out []*notificationsv1.DeliveryAttempt
	for i, ch := range sub.GetChannels() {
		start := a.now()
		t := Target{SubscriptionID: subID, ChannelIndex: i, Channel: ChannelOf(ch), Destination: RedactTarget(ch)}
		o := a.attempt(ctx, team, t, msg)
		out = append(out, &notificationsv1.DeliveryAttempt{
			AlertId: id, Target: &eventsv1.DeliveryTarget{SubscriptionId: subID, Channel: t.Channel, Destination: t.Destination},
			Attempt: 1, AttemptedAt: timestampOf(start), Delivered: o.result.Outcome == domain.Delivered,
			StatusCode: uint32(o.result.Status), LatencyMs: float64(o.result.Latency.Microseconds()) / 1000, Error: errText(o.result.Err),
		})
	}
	return out, nil
}
