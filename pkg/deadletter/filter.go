package deadletter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/supercomp/supercomp/pkg/bus"
	deadletterv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/deadletter/v1"
)

// filter is a DeadLetterFilter checked and resolved against the time of the call.
type filter struct {
	stream, subject, consumer, reason string
	// since and until bound when a dead letter was moved to the DLQ; zero is unbounded.
	since, until time.Time
}

func parseFilter(f *deadletterv1.DeadLetterFilter, now time.Time) (filter, error) {
	out := filter{
		stream:   strings.ToUpper(strings.TrimSpace(f.GetStream())),
		subject:  strings.TrimSpace(f.GetSubject()),
		consumer: strings.TrimSpace(f.GetConsumer()),
		reason:   strings.ToLower(f.GetReason()),
	}
	if out.subject != "" && !validSubjectPattern(out.subject) {
		return filter{}, fmt.Errorf("subject %q: dot-separated tokens, * for one token, > only as the last", out.subject)
	}
	var minAge, maxAge time.Duration
	if f.GetMinAge() != nil {
		if minAge = f.GetMinAge().AsDuration(); minAge < 0 {
			return filter{}, errors.New("min_age must not be negative")
		}
		out.until = now.Add(-minAge)
	}
	if f.GetMaxAge() != nil {
		if maxAge = f.GetMaxAge().AsDuration(); maxAge <= 0 {
			return filter{}, errors.New("max_age must be positive")
		}
		out.since = now.Add(-maxAge)
	}
	if f.GetMinAge() != nil && f.GetMaxAge() != nil && maxAge < minAge {
		return filter{}, fmt.Errorf("max_age %s is below min_age %s: nothing can match", maxAge, minAge)
	}
	return out, nil
}

// matches checks the header fields; the age bounds are applied by the scan, which reads in time
// order.
func (f filter) matches(h nats.Header) bool {
	switch {
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
