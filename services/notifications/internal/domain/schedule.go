package domain

import (
	"fmt"
	"time"
)

const minutesPerDay = 24 * 60

// QuietHours hold instant alerts between StartMinute and EndMinute (minutes after local
// midnight) in Location; the range may span midnight. Disabled when start equals end.
type QuietHours struct {
	StartMinute int
	EndMinute   int
	// Location is the subscriber's time zone; nil means UTC.
	Location *time.Location
	// BypassSeverity: alerts at or above it are delivered anyway; UNSPECIFIED means none.
	BypassSeverity Severity
}

// DigestSchedule collects alerts below BypassSeverity into one message a day at SendMinute
// local time.
type DigestSchedule struct {
	Enabled    bool
	SendMinute int
	Location   *time.Location
	// BypassSeverity: alerts at or above it are still sent instantly; UNSPECIFIED means all
	// go to the digest.
	BypassSeverity Severity
}

// LoadLocation resolves an IANA zone name; empty means UTC. The binary embeds tzdata, so this
// works on machines without a zoneinfo directory.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

// ValidMinute reports whether m is a minute of the day (0-1439).
func ValidMinute(m int) bool { return m >= 0 && m < minutesPerDay }

func location(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}

// Enabled reports whether quiet hours apply at all.
func (q QuietHours) Enabled() bool { return q.StartMinute != q.EndMinute }

// bypassed reports whether severity clears a bypass threshold (UNSPECIFIED clears nothing).
func bypassed(threshold, severity Severity) bool {
	return threshold != SeverityUnspecified && severity >= threshold
}

// localMinute is the minute of the local day of t.
func localMinute(t time.Time, loc *time.Location) int {
	lt := t.In(location(loc))
	return lt.Hour()*60 + lt.Minute()
}

// Contains reports whether t falls in the quiet period.
func (q QuietHours) Contains(t time.Time) bool {
	if !q.Enabled() {
		return false
	}
	m := localMinute(t, q.Location)
	if q.StartMinute < q.EndMinute {
		return m >= q.StartMinute && m < q.EndMinute
	}
	return m >= q.StartMinute || m < q.EndMinute
}

// End is when the quiet period containing t ends (t itself when t is not quiet). It is computed
// on the local wall clock, so a period across a daylight-saving change still ends at the local
// end minute.
func (q QuietHours) End(t time.Time) time.Time {
	if !q.Contains(t) {
		return t
	}
	return nextLocalMinute(t, q.EndMinute, q.Location)
}

// nextLocalMinute is the first instant after t whose local wall clock reads minute (of the day).
func nextLocalMinute(t time.Time, minute int, loc *time.Location) time.Time {
	lt := t.In(location(loc))
	at := time.Date(lt.Year(), lt.Month(), lt.Day(), minute/60, minute%60, 0, 0, lt.Location())
	if !at.After(t) {
		at = time.Date(lt.Year(), lt.Month(), lt.Day()+1, minute/60, minute%60, 0, 0, lt.Location())
	}
	return at
}

// NextSend is the next digest send time strictly after t.
func (d DigestSchedule) NextSend(t time.Time) time.Time {
	return nextLocalMinute(t, d.SendMinute, d.Location)
}

// Mode is how one subscription receives one alert.
type Mode int

// Delivery modes.
const (
	// Instant: deliver now.
	Instant Mode = iota + 1
	// Held: deliver at Plan.At, when the quiet period ends.
	Held
	// Digest: add to the daily digest sent at Plan.At.
	Digest
)

func (m Mode) String() string {
	switch m {
	case Instant:
		return "instant"
	case Held:
		return "held"
	case Digest:
		return "digest"
	}
	return "unknown"
}

// Plan says how and when a subscription gets an alert.
type Plan struct {
	Mode Mode
	At   time.Time
}

// PlanDelivery decides how s receives an alert of severity sev at now. The digest comes first
// (a digest subscriber chose not to be paged), then quiet hours; escalations always go out at
// once because they exist to reach someone now.
func PlanDelivery(s Subscription, sev Severity, now time.Time, escalation bool) Plan {
	if escalation {
		return Plan{Mode: Instant, At: now}
	}
	if s.Digest.Enabled && !bypassed(s.Digest.BypassSeverity, sev) {
		return Plan{Mode: Digest, At: s.Digest.NextSend(now)}
	}
	if s.QuietHours.Contains(now) && !bypassed(s.QuietHours.BypassSeverity, sev) {
		return Plan{Mode: Held, At: s.QuietHours.End(now)}
	}
	return Plan{Mode: Instant, At: now}
}
