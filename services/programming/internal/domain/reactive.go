package domain

import (
	"fmt"
	"time"
)

// Kind is why a deload was placed.
type Kind int

// Deload kinds.
const (
	KindUnknown Kind = iota
	KindPlanned
	KindReactive
	KindManual
)

// Status is where a deload is in its life.
type Status int

// Deload statuses.
const (
	StatusUnknown Status = iota
	StatusPendingApproval
	StatusScheduled
	StatusInProgress
	StatusCompleted
	StatusDismissed
	StatusSkipped
)

// Existing is a deload already on an athlete's calendar, as the rules need it.
type Existing struct {
	ID               string
	Kind             Kind
	Status           Status
	WeekStart        time.Time
	DurationDays     int
	RecommendationID string
	// Decided is true once a coach approved, postponed, dismissed or edited it.
	Decided bool
}

// Holds reports whether the deload will happen or happened: pending, scheduled, running or done.
func (e Existing) Holds() bool {
	switch e.Status {
	case StatusPendingApproval, StatusScheduled, StatusInProgress, StatusCompleted:
		return true
	}
	return false
}

// Recommendation is a reactive deload recommendation from the fatigue service.
type Recommendation struct {
	ID string
	// AsOf is the day assessed; the deload goes to the next training week.
	AsOf time.Time
}

// ReactiveAction is what to do with a recommendation.
type ReactiveAction int

// Reactive actions.
const (
	// ReactivePlace places a new deload.
	ReactivePlace ReactiveAction = iota + 1
	// ReactiveDuplicate: this recommendation already has its deload; do nothing new.
	ReactiveDuplicate
	// ReactiveCooldown: another deload covers the period; the recommendation is not acted on.
	ReactiveCooldown
)

// ReactiveOutcome is the decision about one recommendation.
type ReactiveOutcome struct {
	Action    ReactiveAction
	WeekStart time.Time
	// Status of the new deload: pending approval unless the team auto-approves.
	Status Status
	// ExistingID is the deload that made it a duplicate or put it in cooldown.
	ExistingID string
	Reason     string
}

// Reactive decides what a recommendation becomes (DESIGN issue "Reactive deloads"): a deload in
// the week after the day assessed, pending a coach's approval unless the policy auto-approves;
// nothing new when the same recommendation was already handled; nothing when another deload
// that will happen or happened ends less than the cooldown before that week or starts less than
// the cooldown after its start.
func Reactive(rec Recommendation, p Policy, existing []Existing) ReactiveOutcome {
	for _, e := range existing {
		if rec.ID != "" && e.RecommendationID == rec.ID {
			return ReactiveOutcome{Action: ReactiveDuplicate, ExistingID: e.ID, WeekStart: e.WeekStart,
				Reason: fmt.Sprintf("recommendation %s already placed deload %s", rec.ID, e.ID)}
		}
	}
	target := NextMonday(rec.AsOf)
	// At least a day, so that even without a cooldown two deloads never overlap.
	cooldown := max(p.ReactiveCooldownDays, 1)
	for _, e := range existing {
		if !e.Holds() {
			continue
		}
		start := Monday(e.WeekStart)
		end := start.AddDate(0, 0, max(e.DurationDays, 1)) // first day after the deload
		endedBefore := DaysBetween(end, target)            // > 0: ended that many days before
		startsAfter := DaysBetween(target, start)          // > 0: starts that many days after
		if endedBefore < cooldown && startsAfter < cooldown {
			return ReactiveOutcome{Action: ReactiveCooldown, ExistingID: e.ID, WeekStart: target,
				Reason: fmt.Sprintf("deload %s in the week of %s is within the %d-day cooldown of the week of %s",
					e.ID, start.Format(time.DateOnly), p.ReactiveCooldownDays, target.Format(time.DateOnly))}
		}
	}
	status := StatusPendingApproval
	if p.AutoApproveReactive {
		status = StatusScheduled
	}
	return ReactiveOutcome{Action: ReactivePlace, WeekStart: target, Status: status,
		Reason: fmt.Sprintf("reactive: fatigue recommendation %s of %s", rec.ID, Midnight(rec.AsOf).Format(time.DateOnly))}
}

// EffectiveStatus is the status as of today: a scheduled deload whose week has begun is in
// progress, and once its days are over it is completed. Other statuses do not move with time.
func EffectiveStatus(s Status, weekStart time.Time, durationDays int, today time.Time) Status {
	if s != StatusScheduled && s != StatusInProgress {
		return s
	}
	start := Monday(weekStart)
	today = Midnight(today)
	switch {
	case !today.Before(start.AddDate(0, 0, max(durationDays, 1))):
		return StatusCompleted
	case !today.Before(start):
		return StatusInProgress
	}
	return s
}
