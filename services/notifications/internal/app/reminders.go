package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// Check-in reminders: who reported is learned from TRAINING's wellness events (no call to
// another service), who was reminded from a create-only record per athlete and day.
const (
	DurableCheckins = "notifications-checkins"
	// RosterWindow: an athlete who has not reported for this long has stopped checking in (left
	// the team, injured, off season) and is not nagged.
	RosterWindow = 28 * 24 * time.Hour
	// ReminderText is the message of every reminder.
	ReminderText = "Please fill in today's check-in: it takes 30 seconds and tells your coach how you are."
)

// CheckinRecord is an athlete's last reported wellness.
type CheckinRecord struct {
	// LastReportedAt is when the latest report was filled in; its local day is computed in the
	// reminder's time zone, the team's day, when reminders are due.
	LastReportedAt time.Time
	LastEventID    string
}

// ReminderRetry is a reminder send that failed and is due again at NextAttemptAt: one channel
// of one subscription, for the athletes it named.
type ReminderRetry struct {
	TeamID         string
	Day            string
	IdempotencyKey string
	Athletes       []string
	Target         Target
	NextAttemptAt  time.Time
}

// ReminderLogID is the id a reminder's attempts carry in the delivery log (the alert_id of
// AlertDelivered and AlertDeliveryFailed, and of NotificationService.ListDeliveries):
// "reminder/" and the reminder's idempotency key, e.g. "reminder/t1/a2/2026-12-08".
func ReminderLogID(idempotencyKey string) string { return "reminder/" + idempotencyKey }

// ReminderRecord is one reminder claimed (and then sent) for an athlete on a team day.
type ReminderRecord struct {
	SubscriptionID string
	ClaimedAt      time.Time
}

// HandleWellness records who reported wellness and when, from TRAINING.
func (a *App) HandleWellness(ctx context.Context, data []byte) error {
	ev, err := events.Decode(data)
	if err != nil {
		return bus.Poison(err)
	}
	if ev.GetWellnessReported() == nil || ev.GetTeamId() == "" || ev.GetAthleteId() == "" {
		return nil
	}
	return a.State.RecordCheckin(ctx, ev.GetTeamId(), ev.GetAthleteId(), ev.GetOccurredAt().AsTime(), ev.GetId())
}

// ReminderOf is the domain view of a subscription's check-in reminder.
func ReminderOf(s *notificationsv1.Subscription) (domain.CheckinReminder, error) {
	r := s.GetCheckinReminder()
	loc, err := domain.LoadLocation(r.GetTimeZone())
	if err != nil {
		return domain.CheckinReminder{}, err
	}
	return domain.CheckinReminder{Enabled: r.GetEnabled(), SendMinute: int(r.GetSendMinute()), Location: loc}, nil
}

// remind retries the failed reminder sends that are due, then sends the day's due check-in
// reminders of every subscription that has them.
func (a *App) remind(ctx context.Context) error {
	retryErr := a.retryReminders(ctx)
	subs, err := a.State.AllSubscriptions(ctx)
	if err != nil {
		return errors.Join(retryErr, err)
	}
	slices.SortFunc(subs, func(x, y *notificationsv1.Subscription) int {
		return strings.Compare(x.GetSubscriptionId(), y.GetSubscriptionId())
	})
	var errs []error
	for _, sub := range subs {
		if !sub.GetCheckinReminder().GetEnabled() {
			continue
		}
		if err := a.remindFor(ctx, sub); err != nil {
			errs = append(errs, fmt.Errorf("reminders of subscription %s: %w", sub.GetSubscriptionId(), err))
		}
	}
	return errors.Join(append(errs, retryErr)...)
}

// retryReminders makes the next attempt of every failed send that is due, while its day is
// still the team's today and outside quiet hours: a reminder is worth nothing tomorrow, and a
// retry must not wake anyone a first send would not have.
func (a *App) retryReminders(ctx context.Context) error {
	retries, err := a.State.ReminderRetries(ctx)
	if err != nil {
		return err
	}
	now := a.now()
	var errs []error
	for _, r := range retries {
		if r.NextAttemptAt.After(now) {
			continue
		}
		sub, err := a.State.Subscription(ctx, r.TeamID, r.Target.SubscriptionID)
		if err != nil {
			// The subscription went away: nobody to remind through it.
			errs = append(errs, a.State.DropReminderRetry(ctx, r.IdempotencyKey, r.Target))
			continue
		}
		rule, err := ReminderOf(sub)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ds, err := ToDomain(sub)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if rule.Day(now) != r.Day {
			a.log.Warn("check-in reminder given up: its day is over", zap.String("idempotency_key", r.IdempotencyKey),
				zap.String("target", r.Target.Destination), zap.Int("attempts", r.Target.Attempts))
			errs = append(errs, a.State.DropReminderRetry(ctx, r.IdempotencyKey, r.Target))
			continue
		}
		if !rule.Open(now, ds.QuietHours) {
			continue
		}
		msg := Message{IdempotencyKey: r.IdempotencyKey,
			Reminder: &Reminder{TeamID: r.TeamID, Day: r.Day, Athletes: r.Athletes, Text: ReminderText}}
		errs = append(errs, a.sendReminder(ctx, r.TeamID, r.Day, r.Target, msg))
	}
	return errors.Join(errs...)
}

func (a *App) remindFor(ctx context.Context, sub *notificationsv1.Subscription) error {
	rule, err := ReminderOf(sub)
	if err != nil {
		return err
	}
	ds, err := ToDomain(sub)
	if err != nil {
		return err
	}
	now := a.now()
	if !rule.Open(now, ds.QuietHours) {
		return nil // before the send time or in quiet hours: no KV reads at all
	}
	team, day := sub.GetTeamId(), rule.Day(now)
	last, err := a.State.Checkins(ctx, team)
	if err != nil {
		return err
	}
	reminded, err := a.State.Reminded(ctx, team, day)
	if err != nil {
		return err
	}
	var roster []string
	for athlete, at := range last {
		if now.Sub(at) <= RosterWindow {
			roster = append(roster, athlete)
		}
	}
	due := rule.Remind(now, ds.QuietHours, roster,
		func(athlete, day string) bool { return rule.Day(last[athlete]) >= day },
		func(athlete, _ string) bool { return reminded[athlete] })
	// Claim first, send second: a crash in between loses that day's reminder rather than
	// risking a second one, the cheaper failure for a nudge.
	var claimed []string
	for _, athlete := range due {
		ok, err := a.State.ClaimReminder(ctx, team, athlete, day, ReminderRecord{SubscriptionID: sub.GetSubscriptionId(), ClaimedAt: now})
		if err != nil {
			return err
		}
		if ok {
			claimed = append(claimed, athlete)
		}
	}
	if len(claimed) == 0 {
		return nil
	}
	var errs []error
	for i, ch := range sub.GetChannels() {
		t := Target{SubscriptionID: sub.GetSubscriptionId(), ChannelIndex: i, Channel: ChannelOf(ch), Destination: RedactTarget(ch)}
		switch ch.GetTarget().(type) {
		case *notificationsv1.ChannelTarget_Webhook:
			for _, athlete := range claimed {
				msg := Message{IdempotencyKey: team + "/" + athlete + "/" + day,
					Reminder: &Reminder{TeamID: team, Day: day, Athletes: []string{athlete}, Text: ReminderText}}
				errs = append(errs, a.sendReminder(ctx, team, day, t, msg))
			}
		case *notificationsv1.ChannelTarget_Email:
			msg := Message{IdempotencyKey: team + "/" + day,
				Reminder: &Reminder{TeamID: team, Day: day, Athletes: claimed, Text: ReminderText}}
			errs = append(errs, a.sendReminder(ctx, team, day, t, msg))
		}
	}
	return errors.Join(errs...)
}

// sendReminder makes one attempt of a reminder send (t.Attempts made before), records it in
// the delivery log like an alert's, and keeps a transient failure for a later tick with the
// alerts' backoff; a permanent failure or a spent budget is given up and returned.
func (a *App) sendReminder(ctx context.Context, team, day string, t Target, msg Message) error {
	o := a.attempt(ctx, team, t, msg)
	if err := a.logReminderAttempt(ctx, team, t, msg, o); err != nil {
		return err
	}
	fields := []zap.Field{zap.String("idempotency_key", msg.IdempotencyKey), zap.String("target", t.Destination),
		zap.Int("athletes", len(msg.Reminder.Athletes)), zap.Int("attempt", o.attempt), zap.Duration("latency", o.result.Latency)}
	switch {
	case o.result.Outcome == domain.Delivered:
		a.log.Info("check-in reminder sent", fields...)
		return a.State.DropReminderRetry(ctx, msg.IdempotencyKey, t)
	case o.retry:
		a.log.Warn("check-in reminder failed, will retry", append(fields, zap.Duration("retry_after", o.backoff), zap.Error(o.result.Err))...)
		t.Attempts = o.attempt
		return a.State.PutReminderRetry(ctx, ReminderRetry{TeamID: team, Day: day, IdempotencyKey: msg.IdempotencyKey,
			Athletes: msg.Reminder.Athletes, Target: t, NextAttemptAt: a.now().Add(o.backoff)})
	}
	return errors.Join(a.State.DropReminderRetry(ctx, msg.IdempotencyKey, t),
		fmt.Errorf("check-in reminder %s to %s given up after attempt %d: %w", msg.IdempotencyKey, t.Destination, o.attempt, o.result.Err))
}

// logReminderAttempt publishes the attempt as AlertDelivered or AlertDeliveryFailed under the
// reminder's log id (ReminderLogID), which the recorder stores in the delivery log. The event
// id is deterministic per reminder, target and attempt, so a republished attempt is one row.
func (a *App) logReminderAttempt(ctx context.Context, team string, t Target, msg Message, o attemptOutcome) error {
	athlete := ""
	if len(msg.Reminder.Athletes) == 1 {
		athlete = msg.Reminder.Athletes[0]
	}
	logID := ReminderLogID(msg.IdempotencyKey)
	ev := a.envelope(events.DeterministicID("reminder-delivery", msg.IdempotencyKey, t.Key(), fmt.Sprint(o.attempt)),
		domain.AlertFacts{TeamID: team, AthleteID: athlete}, "")
	target := &eventsv1.DeliveryTarget{SubscriptionId: t.SubscriptionID, Channel: t.Channel, Destination: t.Destination}
	latency := float64(o.result.Latency.Microseconds()) / 1000
	if o.result.Outcome == domain.Delivered {
		ev.Payload = &eventsv1.Event_AlertDelivered{AlertDelivered: &eventsv1.AlertDelivered{AlertId: logID, Target: target,
			Attempt: uint32(o.attempt), StatusCode: uint32(o.result.Status), LatencyMs: latency}}
	} else {
		f := &eventsv1.AlertDeliveryFailed{AlertId: logID, Target: target, Attempt: uint32(o.attempt), StatusCode: uint32(o.result.Status),
			LatencyMs: latency, Error: errText(o.result.Err), WillRetry: o.retry, DeadLettered: o.dead}
		if o.retry {
			f.RetryAfter = durationpb.New(o.backoff)
		}
		ev.Payload = &eventsv1.Event_AlertDeliveryFailed{AlertDeliveryFailed: f}
	}
	return a.publish(ctx, ev)
}
