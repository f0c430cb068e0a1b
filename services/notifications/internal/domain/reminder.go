package domain

import (
	"slices"
	"time"
)

// CheckinReminder is a team's daily reminder to check in: from SendMinute of the team's local
// day, each athlete who has not sent the morning questionnaire that day is reminded, once.
type CheckinReminder struct {
	Enabled    bool
	SendMinute int
	// Location is the team's time zone; nil means UTC. "Today" is the team's day, for every
	// athlete of it, so one reminder time means one moment for the whole squad.
	Location *time.Location
}

// Day is the team's local day of t (YYYY-MM-DD): the key of "at most one reminder a day".
func (r CheckinReminder) Day(t time.Time) string {
	return t.In(location(r.Location)).Format(time.DateOnly)
}

// Open reports whether the day's reminders may go out at now through a subscription with quiet
// hours q: from the send minute to the end of the team's day, and never in quiet hours, whatever
// their bypass severity (a reminder is never urgent). A send time in quiet hours waits for them
// to end that day; when they last to midnight the day gets no reminder, since one about
// yesterday's questionnaire is only noise.
func (r CheckinReminder) Open(now time.Time, q QuietHours) bool {
	return r.Enabled && localMinute(now, r.Location) >= r.SendMinute && !q.Contains(now)
}

// Remind picks whom to remind at now: the athletes of roster who have neither reported nor been
// reminded on the team's day, once the day's window is open; sorted, so deliveries go out in a
// stable order. A scheduler that calls it on every tick and records each reminder it sends
// (reminded) sends at most one a day per athlete, and catches up after a restart the same day.
func (r CheckinReminder) Remind(now time.Time, q QuietHours, roster []string, reported, reminded func(athlete, day string) bool) []string {
	if !r.Open(now, q) {
		return nil
	}
	day := r.Day(now)
	var due []string
	for _, athlete := range roster {
		if !reported(athlete, day) && !reminded(athlete, day) {
			due = append(due, athlete)
		}
	}
	slices.Sort(due)
	return slices.Compact(due)
}
