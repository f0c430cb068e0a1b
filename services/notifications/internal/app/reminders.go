package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
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

// remind sends the day's due check-in reminders of every subscription that has them.
func (a *App) remind(ctx context.Context) error {
	subs, err := a.State.AllSubscriptions(ctx)
	if err != nil {
		return err
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
				errs = append(errs, a.sendReminder(ctx, team, t, msg))
			}
		case *notificationsv1.ChannelTarget_Email:
			msg := Message{IdempotencyKey: team + "/" + day,
				Reminder: &Reminder{TeamID: team, Day: day, Athletes: claimed, Text: ReminderText}}
			errs = append(errs, a.sendReminder(ctx, team, t, msg))
		}
	}
	return errors.Join(errs...)
}

func (a *App) sendReminder(ctx context.Context, team string, t Target, msg Message) error {
	o := a.attempt(ctx, team, t, msg)
	if o.result.Outcome != domain.Delivered {
		return fmt.Errorf("check-in reminder %s to %s: %w", msg.IdempotencyKey, t.Destination, o.result.Err)
	}
	a.log.Info("check-in reminder sent", zap.String("idempotency_key", msg.IdempotencyKey), zap.String("target", t.Destination),
		zap.Int("athletes", len(msg.Reminder.Athletes)), zap.Duration("latency", o.result.Latency))
	return nil
}
