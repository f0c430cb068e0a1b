package app

import (
	"context"
	"time"

	"github.com/supercomp/supercomp/pkg/bus"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// Store holds the service's mutable state (JetStream key-value buckets in production,
// adapters/kvstate). Every write is revision-checked, so two instances (or a consumer and an
// RPC) racing on one record never lose an update: the loser re-reads and retries. Missing
// subscriptions and alerts are fault.NotFound errors.
type Store interface {
	// PutSubscription stores sub; expected 0 creates, otherwise it must be the current
	// revision (a stale one is fault.FailedPrecondition).
	PutSubscription(ctx context.Context, sub *notificationsv1.Subscription, expected uint64) (uint64, error)
	// Subscription loads one subscription with its revision.
	Subscription(ctx context.Context, team, id string) (*notificationsv1.Subscription, error)
	DeleteSubscription(ctx context.Context, team, id string) error
	// Subscriptions lists a team's subscriptions; AllSubscriptions every team's.
	Subscriptions(ctx context.Context, team string) ([]*notificationsv1.Subscription, error)
	AllSubscriptions(ctx context.Context) ([]*notificationsv1.Subscription, error)

	// Alert loads an alert record with its revision.
	Alert(ctx context.Context, team, id string) (*AlertRecord, uint64, error)
	// CreateAlert stores a new alert; created is false when the id already exists (a
	// replayed cause).
	CreateAlert(ctx context.Context, rec *AlertRecord) (created bool, err error)
	// UpdateAlert stores rec if the stored revision is still rev (a mismatch satisfies
	// bus.IsRevisionMismatch).
	UpdateAlert(ctx context.Context, rec *AlertRecord, rev uint64) (uint64, error)
	// AlertIDs lists a team's alert ids.
	AlertIDs(ctx context.Context, team string) ([]string, error)

	// Key loads the dedupe index entry of dedupeKey (zero when none) and its revision (0 when
	// none); PutKey stores it if the revision is still rev (0: must not exist).
	Key(ctx context.Context, dedupeKey string) (KeyRecord, uint64, error)
	PutKey(ctx context.Context, dedupeKey string, k KeyRecord, rev uint64) error

	// MarkPending and ClearPending put an alert on and off the scheduler's work list;
	// PendingAlerts lists it as (team, alert id) pairs.
	MarkPending(ctx context.Context, team, id string) error
	ClearPending(ctx context.Context, team, id string) error
	PendingAlerts(ctx context.Context) ([][2]string, error)

	// SetPositionGroup records an athlete's position group; PositionGroup is the last one
	// known ("" when unknown).
	SetPositionGroup(ctx context.Context, team, athlete, group string) error
	PositionGroup(ctx context.Context, team, athlete string) (string, error)

	// RecordCheckin keeps the later of the stored and the given wellness report; Checkins is
	// the team's athletes with their last report.
	RecordCheckin(ctx context.Context, team, athlete string, at time.Time, eventID string) error
	Checkins(ctx context.Context, team string) (map[string]time.Time, error)
	// Reminded is the set of the team's athletes already reminded on day; ClaimReminder
	// records a reminder before it is sent and is false when it already was.
	Reminded(ctx context.Context, team, day string) (map[string]bool, error)
	ClaimReminder(ctx context.Context, team, athlete, day string, r ReminderRecord) (bool, error)
	// PutReminderRetry stores (or replaces) a failed reminder send's next attempt;
	// DropReminderRetry forgets one that was delivered or given up; ReminderRetries lists
	// those waiting, by idempotency key.
	PutReminderRetry(ctx context.Context, r ReminderRetry) error
	DropReminderRetry(ctx context.Context, idempotencyKey string, t Target) error
	ReminderRetries(ctx context.Context) ([]ReminderRetry, error)
}

// ModifyAlert applies change to the current record and stores it, re-reading and retrying on a
// concurrent write. change returns false when there is nothing to store.
func ModifyAlert(ctx context.Context, s Store, team, id string, change func(*AlertRecord) (bool, error)) (*AlertRecord, bool, error) {
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
