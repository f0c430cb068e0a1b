package app

// Records are the shapes the Store keeps: alerts with their delivery targets, the dedupe
// index, check-ins and reminders. They are stored as JSON, so renaming a field is a format
// change.

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// TargetStatus is where one delivery target stands.
type TargetStatus string

// Target statuses.
const (
	TargetPending   TargetStatus = "pending"
	TargetDelivered TargetStatus = "delivered"
	// TargetFailed: a permanent error or the retry budget spent; the alert went to the DLQ.
	TargetFailed TargetStatus = "failed"
)

// Target is one channel of one subscription that an alert goes to.
type Target struct {
	SubscriptionID string
	ChannelIndex   int
	Channel        commonv1.Channel
	Destination    string // redacted, for logs and tables
	Mode           domain.Mode
	DueAt          time.Time
	// Escalation is the escalation level that added this target; 0 for the first page.
	Escalation    int
	Status        TargetStatus
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
}

// Key identifies the target in event ids: stable across redeliveries.
func (t Target) Key() string {
	return fmt.Sprintf("%s/%d/%d", t.SubscriptionID, t.ChannelIndex, t.Escalation)
}

// AlertRecord is an alert as stored: the lifecycle, the rendered content and the delivery
// targets.
type AlertRecord struct {
	Alert   domain.Alert
	Content []byte // eventsv1.AlertContent, protobuf
	Targets []Target
	// LastSourceEventID is the cause absorbed last, so a redelivered cause is recognised as a
	// replay rather than a second occurrence.
	LastSourceEventID string
	Deliveries        int
	FailedAttempts    int
	AckNote           string
	ResolveNote       string
}

// DecodeContent is the alert's stored content. A record whose content does not decode was
// written by something other than this service; callers must not page or show it half-empty.
func (r *AlertRecord) DecodeContent() (*eventsv1.AlertContent, error) {
	c := &eventsv1.AlertContent{}
	if err := proto.Unmarshal(r.Content, c); err != nil {
		return nil, fmt.Errorf("decode content of alert %s: %w", r.Alert.ID, err)
	}
	return c, nil
}

// KeyRecord is the dedupe index entry of one dedupe key.
type KeyRecord struct {
	AlertID    string
	TeamID     string
	Active     bool
	ResolvedAt time.Time
}
