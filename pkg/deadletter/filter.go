package deadletter

import (
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/fault"
	deadletterv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/deadletter/v1"
)

// filter is a DeadLetterFilter checked and resolved against the time of the call.
type filter struct {
	stream, subject, consumer, reason string
	// since and until bound when a dead letter was moved to the DLQ; zero is unbounded.
	since, until time.Time
}

// parseFilter resolves f at now, adding what is wrong with it to inv under filter.<field>.
func parseFilter(f *deadletterv1.DeadLetterFilter, now time.Time, inv *fault.Invalid) filter {
	out := filter{
		stream:   strings.ToUpper(strings.TrimSpace(f.GetStream())),
		subject:  strings.TrimSpace(f.GetSubject()),
		consumer: strings.TrimSpace(f.GetConsumer()),
		reason:   strings.ToLower(f.GetReason()),
	}
	if out.subject != "" && !validSubjectPattern(out.subject) {
		inv.Add("filter.subject", "%q: dot-separated tokens, * for one token, > only as the last", out.subject)
	}
	minAge, maxAge := f.GetMinAge().AsDuration(), f.GetMaxAge().AsDuration()
	if f.GetMinAge() != nil {
		if minAge < 0 {
			inv.Add("filter.min_age", "must not be negative")
		}
		out.until = now.Add(-minAge)
	}
	if f.GetMaxAge() != nil {
		if maxAge <= 0 {
			inv.Add("filter.max_age", "must be positive")
		}
		out.since = now.Add(-maxAge)
	}
	if f.GetMinAge() != nil && f.GetMaxAge() != nil && maxAge < minAge {
		inv.Add("filter.max_age", "%s is below min_age %s: nothing can match", maxAge, minAge)
	}
	return out
}

// matches checks a dead letter moved to the DLQ at when with headers h. The scan starts at since
// and stops at until, as the DLQ is in time order; since is checked here too for later pages,
// whose start is their token.
func (f filter) matches(when time.Time, h nats.Header) bool {
	switch {
	case !f.since.IsZero() && when.Before(f.since):
		return false
	case f.stream != "" && !strings.EqualFold(h.Get(bus.HeaderDLQStream), f.stream):
		return false
	case f.consumer != "" && h.Get(bus.HeaderDLQConsumer) != f.consumer:
		return false
	case f.subject != "" && !subjectMatches(f.subject, h.Get(bus.HeaderDLQSubject)):
		return false
	case f.reason != "" && !strings.Contains(strings.ToLower(h.Get(bus.HeaderDLQReason)), f.reason):
		return false
	}
	return true
}

func validSubjectPattern(p string) bool {
	tokens := strings.Split(p, ".")
	for i, t := range tokens {
		if t == "" || (t == ">" && i != len(tokens)-1) || strings.ContainsAny(t, " \t") ||
			(len(t) > 1 && strings.ContainsAny(t, "*>")) {
			return false
		}
	}
	return true
}

// subjectMatches applies NATS wildcard rules: * is one token, a final > is one or more.
func subjectMatches(pattern, subject string) bool {
	pt, st := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i, p := range pt {
		if p == ">" {
			return len(st) > i
		}
		if i >= len(st) || (p != "*" && p != st[i]) {
			return false
		}
	}
	return len(pt) == len(st)
}

// sortHeaders orders headers by name so `sc dlq show` prints them the same way every time.
func sortHeaders(hs []*deadletterv1.Header) {
	slices.SortStableFunc(hs, func(a, b *deadletterv1.Header) int { return strings.Compare(a.GetName(), b.GetName()) })
}
