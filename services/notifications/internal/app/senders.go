package app

import (
	"context"
	"time"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// Sender delivers to one kind of channel (webhook, Slack-style webhook, email). Senders are
// adapters handed to New by the module's wiring; each Send is a single attempt, and retrying
// is the app's decision (domain.RetryPolicy).
type Sender interface {
	Send(ctx context.Context, to Endpoint, msg Message) Result
}

// URLPolicy decides which webhook URLs a subscription may name (the egress policy that keeps
// alerts off internal networks).
type URLPolicy interface {
	CheckURL(ctx context.Context, raw string) error
}

// Endpoint is where a Sender delivers.
type Endpoint struct {
	URL           string   // webhook and Slack
	SigningSecret string   // webhook
	Addresses     []string // email
}

// Item is one alert as a receiver sees it.
type Item struct {
	AlertID         string
	TeamID          string
	AthleteID       string
	Content         *eventsv1.AlertContent
	State           domain.State
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
