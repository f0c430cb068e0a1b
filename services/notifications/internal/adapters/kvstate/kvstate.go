// Package kvstate is the notifications service's state in JetStream key-value buckets:
// subscriptions, alerts with their delivery targets, the dedupe index, the scheduler's work list,
// position groups and check-in reminders. It implements app.Store and is handed to the app by
// the module's wiring.
package kvstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/app"
)

// Key-value buckets of the service. Every write is revision-checked, so two instances (or a
// consumer and an RPC) racing on one alert never lose an update: the loser re-reads and retries.
const (
	BucketSubscriptions = "notifications-subscriptions" // <team>.<subscription id> -> Subscription proto
	BucketAlerts        = "notifications-alerts"        // <team>.<alert id> -> app.AlertRecord JSON
	BucketAlertKeys     = "notifications-alert-keys"    // k<uuid of dedupe key> -> app.KeyRecord JSON
	BucketPending       = "notifications-pending"       // <team>.<alert id> -> "" while the scheduler has work
	BucketAthletes      = "notifications-athletes"      // <team>.<athlete> -> position group
	// BucketCheckins holds <team>.<athlete> -> CheckinRecord JSON: the athlete's last wellness
	// report. The athletes with one in the last RosterWindow are the team's reminder roster.
	BucketCheckins = "notifications-checkins"
	// BucketReminders holds <team>.<athlete>.<day> -> ReminderRecord JSON, created before the
	// reminder is sent, so two instances (or two ticks) never both send it.
	BucketReminders = "notifications-reminders"
	// BucketReminderRetries holds the sends of claimed reminders that failed and wait for
	// their next attempt (ReminderRetry JSON), so a retry survives a restart and another
	// instance can make it.
	BucketReminderRetries = "notifications-reminder-retries"
)

var _ app.Store = (*State)(nil)

// State is the app's Store in JetStream key-value buckets.
type State struct {
	subs, alerts, keys, pending, athletes jetstream.KeyValue
	checkins, reminders, reminderRetries  jetstream.KeyValue
}

// Open creates or binds the buckets.
func Open(ctx context.Context, b *bus.Bus) (*State, error) {
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
func (s *State) Alert(ctx context.Context, team, id string) (*app.AlertRecord, uint64, error) {
	e, err := s.alerts.Get(ctx, alertKey(team, id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, fault.NotFound("alert %q of team %q", id, team)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load alert: %w", err)
	}
	var rec app.AlertRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return nil, 0, fmt.Errorf("decode alert %s: %w", e.Key(), err)
	}
	return &rec, e.Revision(), nil
}

// CreateAlert stores a new alert; it reports created=false when the id already exists (a
// replayed cause).
func (s *State) CreateAlert(ctx context.Context, rec *app.AlertRecord) (created bool, err error) {
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
func (s *State) UpdateAlert(ctx context.Context, rec *app.AlertRecord, rev uint64) (uint64, error) {
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

// --- dedupe index ---

// Key loads the dedupe index entry of dedupeKey (zero when none) and its revision (0 when none).
func (s *State) Key(ctx context.Context, dedupeKey string) (app.KeyRecord, uint64, error) {
	e, err := s.keys.Get(ctx, dedupeIndexKey(dedupeKey))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return app.KeyRecord{}, 0, nil
	}
	if err != nil {
		return app.KeyRecord{}, 0, fmt.Errorf("load dedupe key: %w", err)
	}
	var k app.KeyRecord
	if err := json.Unmarshal(e.Value(), &k); err != nil {
		return app.KeyRecord{}, 0, fmt.Errorf("decode dedupe key: %w", err)
	}
	return k, e.Revision(), nil
}

// PutKey stores the dedupe entry if its revision is still rev (0: must not exist).
func (s *State) PutKey(ctx context.Context, dedupeKey string, k app.KeyRecord, rev uint64) error {
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

func (s *State) openReminderBuckets(ctx context.Context, b *bus.Bus) error {
	var err error
	// The TTL only tidies up: an athlete silent this long is off the roster anyway.
	s.checkins, err = b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: BucketCheckins,
		Description: "each athlete's last wellness report, for check-in reminders", TTL: app.RosterWindow + 7*24*time.Hour})
	if err != nil {
		return err
	}
	s.reminders, err = b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: BucketReminders,
		Description: "check-in reminders sent, one per athlete and day", TTL: 3 * 24 * time.Hour})
	if err != nil {
		return err
	}
	// A retry is for today's reminder only; the TTL drops any a crash left behind.
	s.reminderRetries, err = b.KeyValue(ctx, jetstream.KeyValueConfig{Bucket: BucketReminderRetries,
		Description: "failed check-in reminder sends awaiting their next attempt", TTL: 2 * 24 * time.Hour})
	return err
}

func reminderRetryKey(idempotencyKey string, t app.Target) string {
	return events.DeterministicID("reminder-retry", idempotencyKey, t.Key())
}

// PutReminderRetry stores (or replaces) a failed send's next attempt.
func (s *State) PutReminderRetry(ctx context.Context, r app.ReminderRetry) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.reminderRetries.Put(ctx, reminderRetryKey(r.IdempotencyKey, r.Target), data); err != nil {
		return fmt.Errorf("store reminder retry: %w", err)
	}
	return nil
}

// DropReminderRetry forgets a send that was delivered or given up.
func (s *State) DropReminderRetry(ctx context.Context, idempotencyKey string, t app.Target) error {
	err := s.reminderRetries.Delete(ctx, reminderRetryKey(idempotencyKey, t))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("drop reminder retry: %w", err)
	}
	return nil
}

// ReminderRetries lists the sends waiting for another attempt.
func (s *State) ReminderRetries(ctx context.Context) ([]app.ReminderRetry, error) {
	var out []app.ReminderRetry
	err := eachJSON(ctx, s.reminderRetries, ">", "reminder retry", func(_ string, r app.ReminderRetry) { out = append(out, r) })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y app.ReminderRetry) int { return strings.Compare(x.IdempotencyKey, y.IdempotencyKey) })
	return out, nil
}

// eachJSON calls fn with every JSON record under filter in kv, decoded; a key deleted between
// the listing and its read is skipped, a record that does not decode is an error naming it.
func eachJSON[T any](ctx context.Context, kv jetstream.KeyValue, filter, what string, fn func(key string, v T)) error {
	keys, err := listKeys(ctx, kv, filter)
	if err != nil {
		return fmt.Errorf("list %s records: %w", what, err)
	}
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			return fmt.Errorf("decode %s %s: %w", what, k, err)
		}
		fn(k, v)
	}
	return nil
}

// RecordCheckin keeps the later of the stored and the given report, revision-checked, so a
// redelivered or out-of-order older report never moves an athlete's day back.
func (s *State) RecordCheckin(ctx context.Context, team, athlete string, at time.Time, eventID string) error {
	key := team + "." + athlete
	data, err := json.Marshal(app.CheckinRecord{LastReportedAt: at.UTC(), LastEventID: eventID})
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		e, err := s.checkins.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			_, err = s.checkins.Create(ctx, key, data)
		case err != nil:
			return fmt.Errorf("load check-in: %w", err)
		default:
			// A stored record that does not decode is overwritten by this report rather than
			// failing every later one: it only said when the athlete last checked in.
			var cur app.CheckinRecord
			if json.Unmarshal(e.Value(), &cur) == nil && !at.After(cur.LastReportedAt) {
				return nil
			}
			_, err = s.checkins.Update(ctx, key, data, e.Revision())
		}
		if err == nil {
			return nil
		}
		if !(bus.IsRevisionMismatch(err) || errors.Is(err, jetstream.ErrKeyExists)) || attempt == 10 {
			return fmt.Errorf("store check-in: %w", err)
		}
	}
}

// Checkins is the team's athletes with their last report.
func (s *State) Checkins(ctx context.Context, team string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := eachJSON(ctx, s.checkins, team+".*", "check-in", func(k string, r app.CheckinRecord) {
		out[strings.TrimPrefix(k, team+".")] = r.LastReportedAt
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func reminderKey(team, athlete, day string) string { return team + "." + athlete + "." + day }

// Reminded is the set of the team's athletes already reminded on day.
func (s *State) Reminded(ctx context.Context, team, day string) (map[string]bool, error) {
	keys, err := listKeys(ctx, s.reminders, team+".*."+day)
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[strings.TrimSuffix(strings.TrimPrefix(k, team+"."), "."+day)] = true
	}
	return out, nil
}

// ClaimReminder records the reminder of athlete on day before it is sent; false means it is
// already recorded (another tick or instance sent it).
func (s *State) ClaimReminder(ctx context.Context, team, athlete, day string, r app.ReminderRecord) (bool, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	_, err = s.reminders.Create(ctx, reminderKey(team, athlete, day), data)
	if errors.Is(err, jetstream.ErrKeyExists) || bus.IsRevisionMismatch(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record reminder: %w", err)
	}
	return true, nil
}

// AllSubscriptions lists every team's subscriptions (the scheduler's reminder pass).
func (s *State) AllSubscriptions(ctx context.Context) ([]*notificationsv1.Subscription, error) {
	keys, err := listKeys(ctx, s.subs, ">")
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	out := make([]*notificationsv1.Subscription, 0, len(keys))
	for _, k := range keys {
		e, err := s.subs.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
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
