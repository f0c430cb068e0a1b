package domain

import (
	"errors"
	"fmt"
	"time"
)

// ErrResolved is returned when a change needs an alert that is still active.
var ErrResolved = errors.New("alert is resolved")

// Alert is the lifecycle record of one alert.
type Alert struct {
	ID        string
	DedupeKey string
	Facts     AlertFacts
	State     State
	// Occurrences counts the causes absorbed: 1 + updates while open.
	Occurrences int
	RaisedAt    time.Time
	UpdatedAt   time.Time
	AckedAt     time.Time
	AckedBy     string
	ResolvedAt  time.Time
	ResolvedBy  string
	Resolution  int32
	// Suppressed alerts are recorded and shown on live streams but page nobody: they opened
	// within the cooldown after the previous alert with the same key.
	Suppressed bool
	// EscalateAfter is the shortest escalation time of the subscriptions that received it;
	// zero means it never escalates.
	EscalateAfter   time.Duration
	EscalationLevel int
}

// Active reports whether the alert is open or acknowledged.
func (a *Alert) Active() bool { return a.State == StateOpen || a.State == StateAcknowledged }

// Acknowledge moves an open alert to acknowledged. Acknowledging twice is a no-op (changed is
// false); a resolved alert cannot be acknowledged.
func (a *Alert) Acknowledge(by string, now time.Time) (changed bool, err error) {
	switch a.State {
	case StateAcknowledged:
		return false, nil
	case StateResolved:
		return false, fmt.Errorf("acknowledge %s: %w", a.ID, ErrResolved)
	case StateOpen:
		a.State, a.AckedAt, a.AckedBy, a.UpdatedAt = StateAcknowledged, now, by, now
		return true, nil
	}
	return false, fmt.Errorf("acknowledge %s: unknown state %v", a.ID, a.State)
}

// Resolve closes an active alert. Resolving twice is a no-op.
func (a *Alert) Resolve(resolution int32, by string, now time.Time) (changed bool) {
	if a.State == StateResolved {
		return false
	}
	a.State, a.ResolvedAt, a.ResolvedBy, a.Resolution, a.UpdatedAt = StateResolved, now, by, resolution, now
	return true
}

// Absorb records a new cause with the same dedupe key on an active alert: it refreshes the
// content but pages nobody. A resolved alert absorbs nothing.
func (a *Alert) Absorb(severity Severity, now time.Time) error {
	if !a.Active() {
		return fmt.Errorf("absorb into %s: %w", a.ID, ErrResolved)
	}
	a.Occurrences++
	a.UpdatedAt = now
	// Severity only rises while open: a calmer follow-up must not downgrade an alert someone
	// may be about to act on.
	a.Facts.Severity = max(a.Facts.Severity, severity)
	return nil
}

// EscalationDue returns the level the alert should be at by now: one level per EscalateAfter
// of being open without acknowledgement, capped at maxLevel. Only open alerts escalate.
func (a *Alert) EscalationDue(now time.Time, maxLevel int) int {
	if a.State != StateOpen || a.EscalateAfter <= 0 || a.Suppressed {
		return a.EscalationLevel
	}
	level := int(now.Sub(a.RaisedAt) / a.EscalateAfter)
	return max(a.EscalationLevel, min(level, maxLevel))
}

// Action is what a new cause does to the alerts with its dedupe key.
type Action int

// Actions of Decide.
const (
	// Raise a new alert and page its subscribers.
	Raise Action = iota + 1
	// Update the active alert; page nobody.
	Update
	// RaiseSuppressed opens a new alert within the cooldown: recorded, not paged.
	RaiseSuppressed
)

func (a Action) String() string {
	switch a {
	case Raise:
		return "raise"
	case Update:
		return "update"
	case RaiseSuppressed:
		return "raise_suppressed"
	}
	return "unknown"
}

// KeyState is what is known about a dedupe key: its latest alert, if any.
type KeyState struct {
	AlertID    string
	Active     bool
	ResolvedAt time.Time
}

// Decide applies "one active alert per athlete and kind" and the cooldown: a cause whose key has
// an active alert updates it; one arriving within cooldown after the previous alert resolved
// opens a suppressed alert; anything else raises.
func Decide(k KeyState, now time.Time, cooldown time.Duration) Action {
	switch {
	case k.AlertID != "" && k.Active:
		return Update
	case k.AlertID != "" && cooldown > 0 && !k.ResolvedAt.IsZero() && now.Sub(k.ResolvedAt) < cooldown:
		return RaiseSuppressed
	default:
		return Raise
	}
}

// DedupeKey is the key of "one open alert per athlete and kind", e.g. "t1/a42/deload_recommended";
// team alerts use "_team" and, for trends, the position group so each group has its own.
func DedupeKey(team, athlete string, kind Kind, scope string) string {
	if athlete == "" {
		athlete = "_team"
	}
	k := team + "/" + athlete + "/" + kind.Name()
	if scope != "" {
		k += "/" + scope
	}
	return k
}
