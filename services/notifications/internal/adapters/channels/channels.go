// Package channels delivers rendered alerts to receivers: signed JSON webhooks, Slack-style
// incoming webhooks and email over SMTP. Each attempt is a single try that reports the protocol
// status and latency; retrying is the caller's decision (domain.RetryPolicy).
package channels

import (
	"context"
	"fmt"
	"strings"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// Item is one alert as a receiver sees it.
type Item struct {
	AlertID         string
	TeamID          string
	AthleteID       string
	Content         *eventsv1.AlertContent
	State           commonv1.AlertState
	Occurrences     int
	EscalationLevel int
	RaisedAt        time.Time
}

// Message is what one delivery sends: one alert, or a digest of several.
type Message struct {
	// IdempotencyKey is the alert id (the digest id for digests): a retry carries the same key,
	// so a receiver can drop the duplicate.
	IdempotencyKey string
	Digest         bool
	Test           bool
	Items          []Item
	// Reminder, when set, makes this a check-in reminder instead of an alert: Items is empty.
	Reminder *Reminder
}

// Reminder is a daily check-in reminder: to one athlete through a webhook (the receiver's system
// reaches the athlete), or a team's list for the staff through email.
type Reminder struct {
	TeamID   string
	Day      string // the team's local day, YYYY-MM-DD
	Athletes []string
	Text     string
}

// Result is the outcome of one attempt.
type Result struct {
	Outcome domain.Outcome
	// Status is the HTTP status or SMTP reply code; 0 when nothing answered.
	Status  int
	Latency time.Duration
	Err     error
}

// Sender delivers to one kind of channel.
type Sender interface {
	Send(ctx context.Context, target Target, msg Message) Result
}

// Target is where a Sender delivers.
type Target struct {
	URL           string   // webhook and Slack
	SigningSecret string   // webhook
	Addresses     []string // email
}

// KindName is the lower-case kind shown to receivers.
func KindName(k commonv1.AlertKind) string { return domain.KindName(k) }

// SeverityName is the lower-case severity shown to receivers.
func SeverityName(s commonv1.Severity) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SEVERITY_"))
}

// StateName is the lower-case alert state.
func StateName(s commonv1.AlertState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "ALERT_STATE_"))
}

// FamilyName is the lower-case signal family.
func FamilyName(f commonv1.SignalFamily) string {
	return strings.ToLower(strings.TrimPrefix(f.String(), "SIGNAL_FAMILY_"))
}

// EvidenceLine renders one piece of evidence as a sentence: the producer's detail when it has
// one, else metric, value and threshold.
func EvidenceLine(e *eventsv1.Evidence) string {
	if e.GetDetail() != "" {
		return e.GetDetail()
	}
	var b strings.Builder
	if e.GetFamily() != commonv1.SignalFamily_SIGNAL_FAMILY_UNSPECIFIED {
		fmt.Fprintf(&b, "%s: ", FamilyName(e.GetFamily()))
	}
	b.WriteString(e.GetMetric())
	if e.Value != nil {
		fmt.Fprintf(&b, " %.4g%s", e.GetValue(), unit(e.GetUnit()))
	}
	if e.Baseline != nil {
		fmt.Fprintf(&b, " (baseline %.4g%s)", e.GetBaseline(), unit(e.GetUnit()))
	}
	if e.Threshold != nil {
		fmt.Fprintf(&b, "; threshold %.4g%s", e.GetThreshold(), unit(e.GetUnit()))
	}
	if e.GetAbnormal() {
		b.WriteString(" [abnormal]")
	}
	return b.String()
}

func unit(u string) string {
	if u == "" || u == "%" {
		return u
	}
	return " " + u
}

// Redact hides all but the scheme and host of a URL, for logs and tables.
func Redact(url string) string {
	rest := url
	scheme := ""
	if i := strings.Index(url, "://"); i >= 0 {
		scheme, rest = url[:i+3], url[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return scheme + rest[:i] + "/…"
	}
	return scheme + rest
}

// RedactAddress hides most of an email's local part: "kim@club.org" -> "k***@club.org".
func RedactAddress(a string) string {
	at := strings.LastIndex(a, "@")
	if at <= 0 {
		return "***"
	}
	return a[:1] + "***" + a[at:]
}
