// Package app is the notifications service's application layer: it turns analysis and
// programming events into alerts (one active alert per athlete and kind), routes them to
// subscriptions, delivers them through channels with retries, escalates, and keeps every state
// change as an event on NOTIFY.
package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	sclog "github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// Source is the envelope source of every event this service publishes.
const Source = "notifications"

// Config tunes the service. Zero fields take the defaults of DefaultConfig.
type Config struct {
	Retry domain.RetryPolicy
	// Cooldown after an alert resolves during which a new cause with the same key opens a
	// suppressed alert (recorded, not paged).
	Cooldown           time.Duration
	MaxEscalationLevel int
	// SchedulerInterval is how often held deliveries, digests and escalations are checked.
	SchedulerInterval time.Duration
	// AttemptTimeout bounds one webhook or SMTP attempt.
	AttemptTimeout time.Duration
	// AckWait is the consumers' ack wait: how soon a crashed delivery is retried elsewhere.
	AckWait time.Duration
}

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{
		Retry:              domain.DefaultRetryPolicy(),
		Cooldown:           24 * time.Hour,
		MaxEscalationLevel: 3,
		SchedulerInterval:  15 * time.Second,
		AttemptTimeout:     10 * time.Second,
		AckWait:            30 * time.Second,
	}
}

// WithDefaults fills zero fields from DefaultConfig.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Retry.MaxAttempts == 0 {
		c.Retry = d.Retry
	}
	if c.Cooldown == 0 {
		c.Cooldown = d.Cooldown
	}
	if c.MaxEscalationLevel == 0 {
		c.MaxEscalationLevel = d.MaxEscalationLevel
	}
	if c.SchedulerInterval == 0 {
		c.SchedulerInterval = d.SchedulerInterval
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = d.AttemptTimeout
	}
	if c.AckWait == 0 {
		c.AckWait = d.AckWait
	}
	return c
}

// App is the notifications application.
type App struct {
	cfg Config
	log *zap.Logger
	bus *bus.Bus
	// State is where subscriptions, alerts and reminders are kept.
	State   Store
	senders map[commonv1.Channel]Sender
	urls    URLPolicy
	now     func() time.Time
	random  func() float64

	// AfterSend, when set, runs after a delivery's attempts and before their outcome is
	// recorded; returning an error abandons the delivery there. Tests use it to crash between
	// sending and acking.
	AfterSend func(alertID string) error
	// Metrics, when set, measure every send to a channel.
	Metrics *DeliveryMetrics
}

// Adapters are what the module's wiring hands the app: its store, a sender per channel and
// the policy webhook URLs must pass.
type Adapters struct {
	Store   Store
	Senders map[commonv1.Channel]Sender
	URLs    URLPolicy
}

// New builds the application on b with the given adapters.
func New(cfg Config, b *bus.Bus, ad Adapters, log *zap.Logger) (*App, error) {
	if ad.Store == nil || ad.URLs == nil {
		return nil, errors.New("notifications app: a store and a URL policy are required")
	}
	return &App{
		cfg: cfg.WithDefaults(), log: log, bus: b,
		State: ad.Store, senders: ad.Senders, urls: ad.URLs,
		now: time.Now, random: rand.Float64,
	}, nil
}

// Config is the configuration in force.
func (a *App) Config() Config { return a.cfg }

// Now is the service clock.
func (a *App) Now() time.Time { return a.now() }

// SetClock replaces the clock (tests of quiet hours, digests and escalation).
func (a *App) SetClock(now func() time.Time) { a.now = now }

// publish sends lifecycle events on NOTIFY; their ids are deterministic, so republishing after a
// crash is absorbed by the stream's duplicate window.
func (a *App) publish(ctx context.Context, evs ...*eventsv1.Event) error {
	msgs := make([]bus.OutMsg, 0, len(evs))
	for _, ev := range evs {
		m, err := events.OutMsg(ev)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 1 {
		_, err := a.bus.Publish(ctx, msgs[0].Subject, msgs[0].MsgID, msgs[0].Data, nil)
		return err
	}
	_, err := a.bus.PublishBatch(ctx, msgs)
	return err
}

func (a *App) envelope(id string, f domain.AlertFacts, causation string) *eventsv1.Event {
	now := a.now()
	return &eventsv1.Event{
		Id: id, OccurredAt: timestamppb.New(now), RecordedAt: timestamppb.New(now),
		TeamId: f.TeamID, AthleteId: f.AthleteID, Source: Source, CausationId: causation,
	}
}

// Cause is a reason to raise or update an alert.
type Cause struct {
	TeamID    string
	AthleteID string
	// Scope separates team alerts of the same kind (a trend's position group).
	Scope         string
	Content       *eventsv1.AlertContent
	SourceEventID string
}

// Raise applies one cause: a new alert, or an update of the active alert with the same dedupe
// key. It is idempotent per SourceEventID, so a redelivered event changes nothing twice.
func (a *App) Raise(ctx context.Context, c Cause) error {
	content := proto.Clone(c.Content).(*eventsv1.AlertContent)
	content.SourceEventId = c.SourceEventID
	key := domain.DedupeKey(c.TeamID, c.AthleteID, KindOf(content.GetKind()), c.Scope)
	content.DedupeKey = key
	if content.GetPositionGroup() == "" {
		group, err := a.State.PositionGroup(ctx, c.TeamID, c.AthleteID)
		if err != nil {
			return err
		}
		content.PositionGroup = group
	}
	for attempt := 0; ; attempt++ {
		err := a.raiseOnce(ctx, c, content, key)
		if !bus.IsRevisionMismatch(err) || attempt == 5 {
			return err
		}
	}
}

func (a *App) raiseOnce(ctx context.Context, c Cause, content *eventsv1.AlertContent, key string) error {
	now := a.now()
	k, krev, err := a.State.Key(ctx, key)
	if err != nil {
		return err
	}
	if k.Active {
		return a.update(ctx, k, c, content)
	}
	action := domain.Decide(domain.KeyState{AlertID: k.AlertID, Active: k.Active, ResolvedAt: k.ResolvedAt}, now, a.cfg.Cooldown)
	alertID := events.DeterministicID("alert", key, c.SourceEventID)
	if k.AlertID == alertID {
		// The cause that opened this (now resolved) alert, redelivered: nothing new.
		return nil
	}
	data, err := proto.Marshal(content)
	if err != nil {
		return fmt.Errorf("marshal alert content: %w", err)
	}
	rec := &AlertRecord{
		Alert: domain.Alert{
			ID: alertID, DedupeKey: key, State: domain.StateOpen, Occurrences: 1, RaisedAt: now, UpdatedAt: now,
			Suppressed: action == domain.RaiseSuppressed,
			Facts: domain.AlertFacts{TeamID: c.TeamID, AthleteID: c.AthleteID, PositionGroup: content.GetPositionGroup(),
				Kind: KindOf(content.GetKind()), Severity: SeverityOf(content.GetSeverity())},
		},
		Content:           data,
		LastSourceEventID: c.SourceEventID,
	}
	if !rec.Alert.Suppressed {
		if err := a.route(ctx, rec, 0, now); err != nil {
			return err
		}
	}
	if _, err := a.State.CreateAlert(ctx, rec); err != nil {
		return err
	}
	if err := a.State.PutKey(ctx, key, KeyRecord{AlertID: alertID, TeamID: c.TeamID, Active: true}, krev); err != nil {
		return err
	}
	if needsScheduler(rec) {
		if err := a.State.MarkPending(ctx, c.TeamID, alertID); err != nil {
			return err
		}
	}
	ev := a.envelope(events.DeterministicID("alert_raised", alertID), rec.Alert.Facts, c.SourceEventID)
	ev.Payload = &eventsv1.Event_AlertRaised{AlertRaised: &eventsv1.AlertRaised{AlertId: alertID, Content: content}}
	a.log.Info("alert raised", zap.String("alert_id", alertID), zap.String("dedupe_key", key),
		zap.Bool("suppressed", rec.Alert.Suppressed), zap.Int("targets", len(rec.Targets)), sclog.Trace(ctx))
	return a.publish(ctx, ev)
}

func (a *App) update(ctx context.Context, k KeyRecord, c Cause, content *eventsv1.AlertContent) error {
	data, err := proto.Marshal(content)
	if err != nil {
		return fmt.Errorf("marshal alert content: %w", err)
	}
	replay := false
	rec, _, err := ModifyAlert(ctx, a.State, c.TeamID, k.AlertID, func(r *AlertRecord) (bool, error) {
		if r.LastSourceEventID == c.SourceEventID {
			replay = true
			return false, nil
		}
		if err := r.Alert.Absorb(SeverityOf(content.GetSeverity()), a.now()); err != nil {
			return false, err
		}
		content.Severity = WireSeverity(r.Alert.Facts.Severity)
		data, err = proto.Marshal(content)
		r.Content, r.LastSourceEventID = data, c.SourceEventID
		return true, err
	})
	if err != nil {
		return err
	}
	if replay && rec.Alert.Occurrences == 1 {
		// The opening cause came back before its AlertRaised was published: publish it now.
		ev := a.envelope(events.DeterministicID("alert_raised", rec.Alert.ID), rec.Alert.Facts, c.SourceEventID)
		ev.Payload = &eventsv1.Event_AlertRaised{AlertRaised: &eventsv1.AlertRaised{AlertId: rec.Alert.ID, Content: content}}
		return a.publish(ctx, ev)
	}
	ev := a.envelope(events.DeterministicID("alert_updated", rec.Alert.ID, c.SourceEventID), rec.Alert.Facts, c.SourceEventID)
	ev.Payload = &eventsv1.Event_AlertUpdated{AlertUpdated: &eventsv1.AlertUpdated{
		AlertId: rec.Alert.ID, Content: content, Occurrences: uint32(rec.Alert.Occurrences)}}
	if !replay {
		a.log.Info("alert updated, not paging again", zap.String("alert_id", rec.Alert.ID), zap.Int("occurrences", rec.Alert.Occurrences),
			sclog.Trace(ctx))
	}
	return a.publish(ctx, ev)
}

// route adds the delivery targets of every matching subscription (escalation level > 0: the
// escalation contacts) and sets the alert's escalation time.
func (a *App) route(ctx context.Context, rec *AlertRecord, escalation int, now time.Time) error {
	subs, err := a.State.Subscriptions(ctx, rec.Alert.Facts.TeamID)
	if err != nil {
		return err
	}
	for _, s := range subs {
		ds, err := ToDomain(s)
		if err != nil {
			a.log.Warn("subscription unusable, skipped", zap.String("subscription_id", s.GetSubscriptionId()), zap.Error(err), sclog.Trace(ctx))
			continue
		}
		if !ds.Matches(rec.Alert.Facts, escalation > 0) {
			continue
		}
		plan := domain.PlanDelivery(ds, rec.Alert.Facts.Severity, now, escalation > 0)
		for i, ch := range s.GetChannels() {
			rec.Targets = append(rec.Targets, Target{
				SubscriptionID: s.GetSubscriptionId(), ChannelIndex: i, Channel: ChannelOf(ch), Destination: RedactTarget(ch),
				Mode: plan.Mode, DueAt: plan.At, Escalation: escalation, Status: TargetPending,
			})
		}
		if escalation == 0 && ds.EscalateAfter > 0 && (rec.Alert.EscalateAfter == 0 || ds.EscalateAfter < rec.Alert.EscalateAfter) {
			rec.Alert.EscalateAfter = ds.EscalateAfter
		}
	}
	return nil
}

// needsScheduler reports whether the scheduler must look at the alert later: held or digest
// deliveries, or a possible escalation.
func needsScheduler(rec *AlertRecord) bool {
	if !owed(rec.Alert) {
		return false
	}
	for _, t := range rec.Targets {
		if t.Status == TargetPending && t.Mode != domain.Instant {
			return true
		}
	}
	return rec.Alert.State == domain.StateOpen && rec.Alert.EscalateAfter > 0 && rec.Alert.EscalationLevel < 3
}

// owed reports whether an alert's pending targets must still be sent: while it is open, and
// after it resolved by itself (the athlete's data recovered) rather than by a person. The
// recovery comes from data that may be processed hours late or in one burst (an import, a
// backlog after an outage), so whether the coach hears of a recommendation must not depend on
// how fast it was processed: a person's acknowledgement or resolution is the only thing that
// makes a page unnecessary.
func owed(a domain.Alert) bool {
	return a.State == domain.StateOpen ||
		(a.State == domain.StateResolved && a.Resolution == int32(eventsv1.AlertResolution_ALERT_RESOLUTION_RECOVERED))
}

// ResolveKey resolves the active alert with dedupeKey, if any (its cause went away).
func (a *App) ResolveKey(ctx context.Context, dedupeKey string, resolution eventsv1.AlertResolution, causation string) error {
	k, _, err := a.State.Key(ctx, dedupeKey)
	if err != nil || !k.Active {
		return err
	}
	_, err = a.Resolve(ctx, k.TeamID, k.AlertID, resolution, nil, "", causation)
	return err
}

// Acknowledge stops paging and escalation for an alert. Acknowledging twice is a no-op.
func (a *App) Acknowledge(ctx context.Context, team, id string, by *commonv1.Actor, note string) (*AlertRecord, error) {
	rec, changed, err := ModifyAlert(ctx, a.State, team, id, func(r *AlertRecord) (bool, error) {
		changed, err := r.Alert.Acknowledge(by.GetSubject(), a.now())
		r.AckNote = note
		return changed, err
	})
	if errors.Is(err, domain.ErrResolved) {
		return nil, failedPrecondition(err)
	}
	if err != nil || !changed {
		return rec, err
	}
	if err := a.State.ClearPending(ctx, team, id); err != nil {
		return nil, err
	}
	ev := a.envelope(events.DeterministicID("alert_acknowledged", id), rec.Alert.Facts, "")
	ev.Payload = &eventsv1.Event_AlertAcknowledged{AlertAcknowledged: &eventsv1.AlertAcknowledged{AlertId: id, AcknowledgedBy: by, Note: note}}
	return rec, a.publish(ctx, ev)
}

// Resolve closes an alert and frees its dedupe key. Resolving twice is a no-op.
func (a *App) Resolve(ctx context.Context, team, id string, resolution eventsv1.AlertResolution, by *commonv1.Actor, note, causation string) (*AlertRecord, error) {
	rec, changed, err := ModifyAlert(ctx, a.State, team, id, func(r *AlertRecord) (bool, error) {
		r.ResolveNote = note
		return r.Alert.Resolve(int32(resolution), by.GetSubject(), a.now()), nil
	})
	if err != nil || !changed {
		return rec, err
	}
	for attempt := 0; ; attempt++ {
		k, krev, err := a.State.Key(ctx, rec.Alert.DedupeKey)
		if err != nil {
			return nil, err
		}
		if k.AlertID != id {
			break // a newer alert owns the key
		}
		k.Active, k.ResolvedAt = false, rec.Alert.ResolvedAt
		err = a.State.PutKey(ctx, rec.Alert.DedupeKey, k, krev)
		if err == nil {
			break
		}
		if !bus.IsRevisionMismatch(err) || attempt == 5 {
			return nil, err
		}
	}
	// An alert that resolved by itself may still owe held pages (owed); the scheduler drops
	// it from its list once nothing is pending.
	if !needsScheduler(rec) {
		if err := a.State.ClearPending(ctx, team, id); err != nil {
			return nil, err
		}
	}
	ev := a.envelope(events.DeterministicID("alert_resolved", id), rec.Alert.Facts, causation)
	ev.Payload = &eventsv1.Event_AlertResolved{AlertResolved: &eventsv1.AlertResolved{
		AlertId: id, Resolution: resolution, ResolvedBy: by, Note: note}}
	return rec, a.publish(ctx, ev)
}

func escalatedEvent(a *App, rec *AlertRecord, level int, subs []string) *eventsv1.Event {
	ev := a.envelope(events.DeterministicID("alert_escalated", rec.Alert.ID, fmt.Sprint(level)), rec.Alert.Facts, "")
	ev.Payload = &eventsv1.Event_AlertEscalated{AlertEscalated: &eventsv1.AlertEscalated{
		AlertId: rec.Alert.ID, Level: uint32(level), SubscriptionIds: subs,
		UnacknowledgedFor: durationpb.New(a.now().Sub(rec.Alert.RaisedAt)),
	}}
	return ev
}

func timestampOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
