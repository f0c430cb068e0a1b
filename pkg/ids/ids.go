// Package ids is the one rule for the ids that name teams and athletes. They become NATS
// subject tokens and key-value keys, so the rule is the subject-safe one: 1 to 64 of
// [A-Za-z0-9_-]. A dot or a wildcard in an id would move a message into another team's
// subjects; every service checks ids here so the rule and its wording cannot drift apart.
package ids

import "github.com/supercomp/supercomp/pkg/fault"

// Rule is the id rule as callers are told it.
const Rule = "[A-Za-z0-9_-]{1,64}"

// TeamToken stands in for the athlete in the subjects of team-level events, so no athlete may
// be called that.
const TeamToken = "_team"

// Valid reports whether s follows Rule.
func Valid(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// ValidAthlete reports whether s can name an athlete: it follows Rule and is not TeamToken.
func ValidAthlete(s string) bool { return Valid(s) && s != TeamToken }

// CheckTeam adds a violation of field to v when team is not a valid id, and reports whether
// it was valid.
func CheckTeam(v *fault.Invalid, field, team string) bool {
	if Valid(team) {
		return true
	}
	v.Add(field, "must match %s, got %q", Rule, team)
	return false
}

// CheckAthlete adds a violation of field to v when athlete is not a valid athlete id, and
// reports whether it was valid.
func CheckAthlete(v *fault.Invalid, field, athlete string) bool {
	if ValidAthlete(athlete) {
		return true
	}
	v.Add(field, "must match %s (and not %q), got %q", Rule, TeamToken, athlete)
	return false
}
