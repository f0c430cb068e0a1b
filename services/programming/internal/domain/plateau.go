package domain

import (
	"fmt"
	"time"
)

// Plateau is a strength plateau without signs of fatigue, as the fatigue service saw it.
type Plateau struct {
	ID string
	// AsOf is the day assessed.
	AsOf time.Time
	// Summary is the fatigue service's plain-language reason; the moved deload quotes it.
	Summary string
}

// PlateauInput is what bringing an athlete's planned deload forward depends on.
type PlateauInput struct {
	Plateau Plateau
	Today   time.Time
	// Deloads are the athlete's deload records (statuses are re-derived as of Today).
	Deloads []Existing
	// ProgramDeloadWeeks are the weeks the program itself reduces: deloads too, but not ours to
	// move.
	ProgramDeloadWeeks []time.Time
	Policy             PlannedPolicy
}

// PlateauAction is what a plateau does to the calendar.
type PlateauAction int

// Plateau actions.
const (
	// PlateauBringForward moves the next planned deload to an earlier week.
	PlateauBringForward PlateauAction = iota + 1
	// PlateauKeep leaves the calendar as it is.
	PlateauKeep
)

// PlateauOutcome is the decision about one plateau.
type PlateauOutcome struct {
	Action PlateauAction
	// DeloadID is the planned deload brought forward, or (keep) the deload that made moving
	// one unnecessary or impossible, when there is one.
	DeloadID string
	// From is the week the deload was in and To the week it moves to (bring forward only).
	From, To time.Time
	// Reason is the moved deload's new reason, or why nothing moved.
	Reason string
}

// BringForward is the rule that a plateau alone brings the planned deload forward: the
// athlete's next planned deload moves to the Monday after the day assessed, and never into a
// week that has already started. It stays where it is when:
//   - the team turned planned deloads off, or none is ahead;
//   - a deload is running, or a reactive or manual one is pending or scheduled: it comes first;
//   - the next deload is already in that week or earlier, or is the program's own deload week;
//   - a coach decided about the next planned deload, or dismissed a deload of the target week:
//     a coach's decision wins;
//   - a deload began after the day assessed: it answered the plateau (a late delivery).
//
// The new week is also never sooner than the policy's minimum interval (MinWeeks) after the
// previous deload, nor within SkipWithinDaysAfterReactive days after a reactive or manual one
// (the rule that skips such planned deloads): a plateau straight after a deload must not put
// two deload weeks back to back.
func BringForward(in PlateauInput) PlateauOutcome {
	keep := func(id, format string, args ...any) PlateauOutcome {
		return PlateauOutcome{Action: PlateauKeep, DeloadID: id, Reason: fmt.Sprintf(format, args...)}
	}
	if in.Policy.Disabled {
		return keep("", "planned deloads are turned off for the team")
	}
	today := Midnight(in.Today)

	// One pass over the calendar: what runs now, what comes next, what happened last.
	type deloadWeek struct {
		id      string
		kind    Kind
		start   time.Time
		program bool // the program's own deload week
		decided bool
	}
	var last, next *deloadWeek
	dismissed := map[time.Time]string{} // week -> deload a coach dismissed
	noteNext := func(d *deloadWeek) {
		if next == nil || d.start.Before(next.start) {
			next = d
		}
	}
	noteLast := func(d *deloadWeek) {
		if last == nil || d.start.After(last.start) {
			last = d
		}
	}
	for _, e := range in.Deloads {
		d := &deloadWeek{id: e.ID, kind: e.Kind, start: Monday(e.WeekStart), decided: e.Decided}
		end := d.start.AddDate(0, 0, max(e.DurationDays, 1)) // first day after the deload
		switch EffectiveStatus(e.Status, e.WeekStart, e.DurationDays, today) {
		case StatusInProgress:
			return keep(e.ID, "deload %s in the week of %s is running", e.ID, isoDate(d.start))
		case StatusPendingApproval, StatusScheduled:
			if e.Kind != KindPlanned {
				if !today.Before(end) {
					continue // its week is over without an approval: it lapses, nothing happened
				}
				status := "scheduled"
				if e.Status == StatusPendingApproval {
					status = "pending approval"
				}
				return keep(e.ID, "%s deload %s in the week of %s is %s and comes first", e.Kind, e.ID, isoDate(d.start), status)
			}
			noteNext(d)
		case StatusCompleted:
			noteLast(d)
		case StatusDismissed:
			dismissed[d.start] = e.ID
		}
	}
	for _, w := range in.ProgramDeloadWeeks {
		d := &deloadWeek{kind: KindPlanned, start: Monday(w), program: true}
		switch {
		case !d.start.After(today) && today.Before(d.start.AddDate(0, 0, 7)):
			return keep("", "the program's own deload week of %s is running", isoDate(d.start))
		case d.start.After(today):
			noteNext(d)
		default:
			noteLast(d)
		}
	}
	if last != nil && last.start.After(Midnight(in.Plateau.AsOf)) {
		return keep(last.id, "the deload in the week of %s began after the plateau assessed on %s and answered it", isoDate(last.start), isoDate(in.Plateau.AsOf))
	}
	if next == nil {
		return keep("", "no planned deload is ahead to bring forward")
	}

	// The Monday after the day assessed; a late or replayed plateau takes next week at the
	// soonest, never a week that has started.
	to := NextMonday(in.Plateau.AsOf)
	if !to.After(today) {
		to = NextMonday(today)
	}
	limit := ""
	if last != nil {
		floor := last.start.AddDate(0, 0, 7*in.Policy.MinWeeks)
		why := fmt.Sprintf("%d weeks after the deload in the week of %s", in.Policy.MinWeeks, isoDate(last.start))
		if last.kind == KindReactive || last.kind == KindManual {
			// The first Monday more than SkipWithinDaysAfterReactive days after it.
			if f := NextMonday(last.start.AddDate(0, 0, in.Policy.SkipWithinDaysAfterReactive)); f.After(floor) {
				floor = f
				why = fmt.Sprintf("more than %d days after the %s deload in the week of %s", in.Policy.SkipWithinDaysAfterReactive, last.kind, isoDate(last.start))
			}
		}
		if floor.After(to) {
			to, limit = floor, why
		}
	}

	switch {
	case !next.start.After(to) && limit != "":
		return keep(next.id, "the next deload, in the week of %s, is no later than the week of %s, the soonest allowed (%s)", isoDate(next.start), isoDate(to), limit)
	case !next.start.After(to):
		return keep(next.id, "the next deload, in the week of %s, is no later than the week of %s", isoDate(next.start), isoDate(to))
	case next.program:
		return keep("", "the program's own deload week of %s comes next and stays where the program put it", isoDate(next.start))
	case next.decided:
		return keep(next.id, "a coach decided about the next planned deload %s in the week of %s: it stays", next.id, isoDate(next.start))
	case dismissed[to] != "":
		return keep(dismissed[to], "a coach dismissed deload %s in the week of %s", dismissed[to], isoDate(to))
	}
	summary := in.Plateau.Summary
	if summary == "" {
		summary = fmt.Sprintf("strength plateau assessed on %s", isoDate(in.Plateau.AsOf))
	}
	return PlateauOutcome{Action: PlateauBringForward, DeloadID: next.id, From: next.start, To: to,
		Reason: fmt.Sprintf("brought forward from %s: %s", isoDate(next.start), summary)}
}

func isoDate(t time.Time) string { return Midnight(t).Format(time.DateOnly) }

func (k Kind) String() string {
	switch k {
	case KindPlanned:
		return "planned"
	case KindReactive:
		return "reactive"
	case KindManual:
		return "manual"
	}
	return "unknown"
}
