package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// Key-value buckets of the service. Every write is revision-checked, so two instances (or a
// consumer and an RPC) racing on one alert never lose an update: the loser re-reads and retries.
const (
	BucketSubscriptions = "notifications-subscriptions" // <team>.<subscription id> -> Subscription proto
	BucketAlerts        = "notifications-alerts"        // <team>.<alert id> -> AlertRecord JSON
	BucketAlertKeys     = "notifications-alert-keys"    // k<uuid of dedupe key> -> KeyRecord JSON
	BucketPending       = "notifications-pending"       // <team>.<alert id> -> "" while the scheduler has work
	BucketAthletes      = "notifications-athletes"      // <team>.<athlete> -> position group
)

// TargetStatus is where one delivery target stands.
type TargetStatus string

// Target statuses.
const (
	TargetPending   TargetStatus = "pending"
	TargetDelivered TargetStatus = "delivered"
	// TargetFailed: a permanent error or the retry budget spent; the alert went to the DLQ.
	TargetFailed TargetStatus = "failed"
)

// Target is one channel of one subscription that an alert goes to.
type Target struct {
	SubscriptionID string
	ChannelIndex   int
	Channel        commonv1.Channel
	Destination    string // redacted, for logs and tables
	Mode           domain.Mode
	DueAt          time.Time
	// Escalation is the escalation level that added this target; 0 for the first page.
	Escalation    int
	Status        TargetStatus
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
}

// Key identifies the target in event ids: stable across redeliveries.
func (t Target) Key() string {
	return fmt.Sprintf("%s/%d/%d", t.SubscriptionID, t.ChannelIndex, t.Escalation)
}

// AlertRecord is an alert as stored: the lifecycle, the rendered content and the delivery
// targets.
type AlertRecord struct {
	Alert   domain.Alert
	Content []byte // eventsv1.AlertContent, protobuf
	Targets []Target
	// LastSourceEventID is the cause absorbed last, so a redelivered cause is recognised as a
	// replay rather than a second occurrence.
	LastSourceEventID string
	Deliveries        int
	FailedAttempts    int
	AckNote           string
	ResolveNote       string
}

// DecodeContent is the alert's stored content. A record whose content does not decode was
// written by something other than this service; callers must not page or show it half-empty.
func (r *AlertRecord) DecodeContent() (*eventsv1.AlertContent, error) {
	c := &eventsv1.AlertContent{}
	if err := proto.Unmarshal(r.Content, c); err != nil {
		return nil, fmt.Errorf("decode content of alert %s: %w", r.Alert.ID, err)
	}
	return c, nil
}

// KeyRecord is the dedupe index entry of one dedupe key.
type KeyRecord struct {
	AlertID    string
	TeamID     string
	Active     bool
	ResolvedAt time.Time
}

// State holds the service's mutable state in JetStream key-value buckets.
type State struct {
	subs, alerts, keys, pending, athletes jetstream.KeyValue
	checkins, reminders                   jetstream.KeyValue
}

// OpenState creates or binds the buckets.
func OpenState(ctx context.Context, b *bus.Bus) (*State, error) {
	var s State
	for _, bk := range []struct {
		name string
		kv   *jetstream.KeyValue
		desc string
	}{
		{BucketSubscriptions, &s.subs, "notification subscriptions"},
		{BucketAlerts, &s.alerts, "alerts with lifecycle and delivery state"},
		{BucketAlertKeys, &s.keys, "one active alert per athlete and kind"},
		{BucketPending, &s.pending, "alerts with held, digest or escalation work"},
		{BucketAthletes, &s.athletes, "athletes' position groups for routing"},
	} {
		kv, err := b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: bk.name, Description: bk.desc})
		if err != nil {
			return nil, err
		}
		*bk.kv = kv
	}
	if err := s.openReminderBuckets(ctx, b); err != nil {
		return nil, err
	}
	return &s, nil
}

func alertKey(team, id string) string { return team + "." + id }
func subKey(team, id string) string   { return team + "." + id }

// dedupeIndexKey maps a dedupe key (which may hold characters keys do not allow, like a
// position group with spaces) to a valid key.
func dedupeIndexKey(dedupeKey string) string {
	return "k" + events.DeterministicID("dedupe", dedupeKey)
}

// --- subscriptions ---

// PutSubscription stores sub; expected 0 creates, otherwise it must be the current revision.
func (s *State) PutSubscription(ctx context.Context, sub *notificationsv1.Subscription, expected uint64) (uint64, error) {
	data, err := proto.Marshal(sub)
	if err != nil {
		return 0, fmt.Errorf("marshal subscription: %w", err)
	}
	key := subKey(sub.GetTeamId(), sub.GetSubscriptionId())
	var rev uint64
	if expected == 0 {
		rev, err = s.subs.Create(ctx, key, data)
	} else {
		rev, err = s.subs.Update(ctx, key, data, expected)
	}
	if bus.IsRevisionMismatch(err) {
		return 0, fault.FailedPrecondition("subscription %s changed meanwhile (revision %d is stale)", sub.GetSubscriptionId(), expected)
	}
	if err != nil {
		return 0, fmt.Errorf("store subscription: %w", err)
	}
	return rev, nil
}

// Subscription loads one subscription with its revision.
func (s *State) Subscription(ctx context.Context, team, id string) (*notificationsv1.Subscription, error) {
	e, err := s.subs.Get(ctx, subKey(team, id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fault.NotFound("subscription %q of team %q", id, team)
	}
	if err != nil {
		return nil, fmt.Errorf("load subscription: %w", err)
	}
	return decodeSubscription(e)
}

func decodeSubscription(e jetstream.KeyValueEntry) (*notificationsv1.Subscription, error) {
	sub := &notificationsv1.Subscription{}
	if err := proto.Unmarshal(e.Value(), sub); err != nil {
		return nil, fmt.Errorf("decode subscription %s: %w", e.Key(), err)
	}
	sub.Revision = e.Revision()
	return sub, nil
}

// DeleteSubscription removes one subscription.
func (s *State) DeleteSubscription(ctx context.Context, team, id string) error {
	if _, err := s.Subscription(ctx, team, id); err != nil {
		return err
	}
	if err := s.subs.Delete(ctx, subKey(team, id)); err != nil {
		return fmt.Errorf("delete subscription: %w", err)
	}
	return nil
}

// Subscriptions lists a team's subscriptions.
func (s *State) Subscriptions(ctx context.Context, team string) ([]*notificationsv1.Subscription, error) {
	keys, err := listKeys(ctx, s.subs, team+".*")
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	out := make([]*notificationsv1.Subscription, 0, len(keys))
	for _, k := range keys {
		e, err := s.subs.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("load subscription: %w", err)
		}
		sub, err := decodeSubscription(e)
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, nil
}

func listKeys(ctx context.Context, kv jetstream.KeyValue, filter string) ([]string, error) {
	lister, err := kv.ListKeysFiltered(ctx, filter)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
}

// --- alerts ---

// Alert loads an alert record with its revision.
func (s *State) Alert(ctx context.Context, team, id string) (*AlertRecord, uint64, error) {
	e, err := s.alerts.Get(ctx, alertKey(team, id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, fault.NotFound("alert %q of team %q", id, team)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load alert: %w", err)
	}
	var rec AlertRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return nil, 0, fmt.Errorf("decode alert %s: %w", e.Key(), err)
	}
	return &rec, e.Revision(), nil
}

// CreateAlert stores a new alert; it reports created=false when the id already exists (a
// replayed cause).
func (s *State) CreateAlert(ctx context.Context, rec *AlertRecord) (created bool, err error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("encode alert: %w", err)
	}
	_, err = s.alerts.Create(ctx, alertKey(rec.Alert.Facts.TeamID, rec.Alert.ID), data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create alert: %w", err)
	}
	return true, nil
}

// UpdateAlert stores rec if the stored revision is still rev.
func (s *State) UpdateAlert(ctx context.Context, rec *AlertRecord, rev uint64) (uint64, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encode alert: %w", err)
	}
	newRev, err := s.alerts.Update(ctx, alertKey(rec.Alert.Facts.TeamID, rec.Alert.ID), data, rev)
	if err != nil {
		return 0, fmt.Errorf("update alert %s: %w", rec.Alert.ID, err)
	}
	return newRev, nil
}

// AlertIDs lists a team's alert ids.
func (s *State) AlertIDs(ctx context.Context, team string) ([]string, error) {
	keys, err := listKeys(ctx, s.alerts, team+".*")
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	for i, k := range keys {
		keys[i] = k[len(team)+1:]
	}
	return keys, nil
}

// ModifyAlert applies change to the current record and stores it, re-reading and retrying on a
// concurrent write. change returns false when there is nothing to store.
func (s *State) ModifyAlert(ctx context.Context, team, id string, change func(*AlertRecord) (bool, error)) (*AlertRecord, bool, error) {
	for attempt := 0; ; attempt++ {
		rec, rev, err := s.Alert(ctx, team, id)
		if err != nil {
			return nil, false, err
		}
		changed, err := change(rec)
		if err != nil || !changed {
			return rec, false, err
		}
		_, err = s.UpdateAlert(ctx, rec, rev)
		if err == nil {
			return rec, true, nil
		}
		if !bus.IsRevisionMismatch(err) || attempt == 10 {
			return nil, false, err
		}
	}
}

// --- dedupe index ---

// Key loads the dedupe index entry of dedupeKey (zero when none) and its revision (0 when none).
func (s *State) Key(ctx context.Context, dedupeKey string) (KeyRecord, uint64, error) {
	e, err := s.keys.Get(ctx, dedupeIndexKey(dedupeKey))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return KeyRecord{}, 0, nil
	}
	if err != nil {
		return KeyRecord{}, 0, fmt.Errorf("load dedupe key: %w", err)
	}
	var k KeyRecord
	if err := json.Unmarshal(e.Value(), &k); err != nil {
		return KeyRecord{}, 0, fmt.Errorf("decode dedupe key: %w", err)
	}
	return k, e.Revision(), nil
}

// PutKey stores the dedupe entry if its revision is still rev (0: must not exist).
func (s *State) PutKey(ctx context.Context, dedupeKey string, k KeyRecord, rev uint64) error {
	data, err := json.Marshal(k)
	if err != nil {
		return err
	}
	if rev == 0 {
		_, err = s.keys.Create(ctx, dedupeIndexKey(dedupeKey), data)
	} else {
		_, err = s.keys.Update(ctx, dedupeIndexKey(dedupeKey), data, rev)
	}
	if err != nil {
		return fmt.Errorf("store dedupe key: %w", err)
	}
	return nil
}

// --- scheduler work list ---

// MarkPending puts the alert on the scheduler's list.
func (s *State) MarkPending(ctx context.Context, team, id string) error {
	if _, err := s.pending.Put(ctx, alertKey(team, id), nil); err != nil {
		return fmt.Errorf("mark alert pending: %w", err)
	}
	return nil
}

// ClearPending takes the alert off the scheduler's list.
func (s *State) ClearPending(ctx context.Context, team, id string) error {
	if err := s.pending.Delete(ctx, alertKey(team, id)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("clear pending alert: %w", err)
	}
	return nil
}

// PendingAlerts lists (team, alert id) pairs on the scheduler's list.
func (s *State) PendingAlerts(ctx context.Context) ([][2]string, error) {
	keys, err := listKeys(ctx, s.pending, ">")
	if err != nil {
		return nil, fmt.Errorf("list pending alerts: %w", err)
	}
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		for i := 0; i < len(k); i++ {
			if k[i] == '.' {
				out = append(out, [2]string{k[:i], k[i+1:]})
				break
			}
		}
	}
	return out, nil
}

// --- athletes ---

// SetPositionGroup records an athlete's position group.
func (s *State) SetPositionGroup(ctx context.Context, team, athlete, group string) error {
	if _, err := s.athletes.Put(ctx, team+"."+athlete, []byte(group)); err != nil {
		return fmt.Errorf("store position group: %w", err)
	}
	return nil
}

// PositionGroup is the athlete's last known position group ("" when unknown).
func (s *State) PositionGroup(ctx context.Context, team, athlete string) (string, error) {
	if athlete == "" {
		return "", nil
	}
	e, err := s.athletes.Get(ctx, team+"."+athlete)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load position group: %w", err)
	}
	return string(e.Value()), nil
}
