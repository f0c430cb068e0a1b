// Package domain holds the notification rules that decide who hears about an alert, when and how
// often: subscription matching, quiet hours and digests in the subscriber's time zone, the alert
// lifecycle, deduplication, cooldown, escalation and the delivery retry policy. It knows nothing
// about gRPC, NATS or ClickHouse, so every rule is tested with plain tables.
package domain

import (
	"slices"
	"time"
)

// Subscription is who gets which alerts, where and when. Only the fields the rules need; the
// app layer keeps the wire form alongside.
type Subscription struct {
	ID             string
	TeamID         string
	AthleteIDs     []string
	PositionGroups []string
	// Kinds wanted; empty means every kind except ALERT_KIND_TEST.
	Kinds       []Kind
	MinSeverity Severity
	QuietHours  QuietHours
	Digest      DigestSchedule
	// EscalateAfter is how long an alert this subscription received may stay unacknowledged
	// before it escalates; zero means never.
	EscalateAfter time.Duration
	// EscalationsOnly subscriptions hear only about escalated alerts.
	EscalationsOnly bool
}

// AlertFacts are the properties of an alert that routing looks at.
type AlertFacts struct {
	TeamID        string
	AthleteID     string // empty for team alerts
	PositionGroup string
	Kind          Kind
	Severity      Severity
}

// Matches reports whether s wants an alert with facts f. escalation is true when the alert is
// being escalated: escalation-only subscriptions match only then, and the others never match an
// escalation (they already received the alert).
//
// Athlete and position-group filters are a union: a subscription naming athletes a1 and the
// group "forwards" gets alerts about a1 and about every forward. A team alert (no athlete) is
// kept only by subscriptions without athlete filters, or when its position group is listed.
func (s Subscription) Matches(f AlertFacts, escalation bool) bool {
	if s.TeamID != f.TeamID || s.EscalationsOnly != escalation {
		return false
	}
	if len(s.Kinds) == 0 {
		if f.Kind == KindTest {
			return false
		}
	} else if !slices.Contains(s.Kinds, f.Kind) {
		return false
	}
	if f.Severity < s.MinSeverity {
		return false
	}
	if len(s.AthleteIDs) == 0 && len(s.PositionGroups) == 0 {
		return true
	}
	if f.AthleteID != "" && slices.Contains(s.AthleteIDs, f.AthleteID) {
		return true
	}
	return f.PositionGroup != "" && slices.Contains(s.PositionGroups, f.PositionGroup)
}
