package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/store"
)

var (
	alertEventColumns = []string{"event_id", "alert_id", "team_id", "athlete_id", "change", "alert_kind", "severity",
		"detail", "occurred_at", "recorded_at"}
	deliveryColumns = []string{"event_id", "alert_id", "team_id", "athlete_id", "subscription_id", "channel", "destination",
		"attempt", "delivered", "status_code", "latency_ms", "error", "will_retry", "dead_lettered", "digest", "attempted_at"}
)

// Recorder writes NOTIFY events to ClickHouse: every lifecycle change to alert_events and every
// delivery attempt to alert_deliveries. It acks a batch only after both inserts succeeded.
type Recorder struct {
	Store store.Store
}

// HandleBatch implements bus.BatchHandler.
func (r *Recorder) HandleBatch(ctx context.Context, msgs []jetstream.Msg) error {
	var evRows, delRows [][]any
	errs := map[int]error{}
	for i, m := range msgs {
		ev, err := events.Decode(m.Data())
		if err != nil {
			errs[i] = bus.Poison(err)
			continue
		}
		er, dr := rowsOf(ev)
		if er != nil {
			evRows = append(evRows, er)
		}
		if dr != nil {
			delRows = append(delRows, dr)
		}
	}
	if len(evRows) > 0 {
		if err := r.Store.InsertBatch(ctx, "alert_events", alertEventColumns, evRows); err != nil {
			return fmt.Errorf("insert alert events: %w", err)
		}
	}
	if len(delRows) > 0 {
		if err := r.Store.InsertBatch(ctx, "alert_deliveries", deliveryColumns, delRows); err != nil {
			return fmt.Errorf("insert deliveries: %w", err)
		}
	}
	if len(errs) > 0 {
		return &bus.BatchError{Errs: errs}
	}
	return nil
}

func rowsOf(ev *eventsv1.Event) (eventRow, deliveryRow []any) {
	var alertID, change, kind, severity, detail string
	occurred := ev.GetOccurredAt().AsTime()
	delivery := func(t *eventsv1.DeliveryTarget, attempt, status uint32, latency float64, delivered bool, errText string, retry, dead, digest bool) []any {
		return []any{ev.GetId(), alertID, ev.GetTeamId(), ev.GetAthleteId(), t.GetSubscriptionId(), channelName(t.GetChannel()),
			t.GetDestination(), attempt, delivered, status, latency, errText, retry, dead, digest, occurred}
	}
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_AlertRaised:
		alertID, change = p.AlertRaised.GetAlertId(), "raised"
		kind, severity, detail = p.AlertRaised.GetContent().GetKind().String(), p.AlertRaised.GetContent().GetSeverity().String(), p.AlertRaised.GetContent().GetTitle()
	case *eventsv1.Event_AlertUpdated:
		alertID, change = p.AlertUpdated.GetAlertId(), "updated"
		kind, severity = p.AlertUpdated.GetContent().GetKind().String(), p.AlertUpdated.GetContent().GetSeverity().String()
		detail = fmt.Sprintf("occurrences %d", p.AlertUpdated.GetOccurrences())
	case *eventsv1.Event_AlertDelivered:
		d := p.AlertDelivered
		alertID, change, detail = d.GetAlertId(), "delivered", d.GetTarget().GetDestination()
		deliveryRow = delivery(d.GetTarget(), d.GetAttempt(), d.GetStatusCode(), d.GetLatencyMs(), true, "", false, false, d.GetDigest())
	case *eventsv1.Event_AlertDeliveryFailed:
		d := p.AlertDeliveryFailed
		alertID, change, detail = d.GetAlertId(), "delivery_failed", d.GetError()
		deliveryRow = delivery(d.GetTarget(), d.GetAttempt(), d.GetStatusCode(), d.GetLatencyMs(), false, d.GetError(), d.GetWillRetry(), d.GetDeadLettered(), false)
	case *eventsv1.Event_AlertAcknowledged:
		alertID, change, detail = p.AlertAcknowledged.GetAlertId(), "acknowledged", p.AlertAcknowledged.GetAcknowledgedBy().GetSubject()
	case *eventsv1.Event_AlertResolved:
		alertID, change, detail = p.AlertResolved.GetAlertId(), "resolved", p.AlertResolved.GetResolution().String()
	case *eventsv1.Event_AlertEscalated:
		alertID, change = p.AlertEscalated.GetAlertId(), "escalated"
		detail = fmt.Sprintf("level %d to %s", p.AlertEscalated.GetLevel(), strings.Join(p.AlertEscalated.GetSubscriptionIds(), ","))
	default:
		return nil, nil
	}
	eventRow = []any{ev.GetId(), alertID, ev.GetTeamId(), ev.GetAthleteId(), change, kind, severity, detail, occurred,
		ev.GetRecordedAt().AsTime()}
	return eventRow, deliveryRow
}

func channelName(c interface{ String() string }) string {
	return strings.ToLower(strings.TrimPrefix(c.String(), "CHANNEL_"))
}

// Deliveries reads the delivery log of an alert, oldest first.
func (r *Recorder) Deliveries(ctx context.Context, team, alertID string) ([]*notificationsv1.DeliveryAttempt, error) {
	rows, err := r.Store.Query(ctx, `SELECT subscription_id, channel, destination, attempt, delivered, status_code, latency_ms,
       error, digest, attempted_at
FROM alert_deliveries FINAL
WHERE team_id = ? AND alert_id = ?
ORDER BY attempted_at, attempt, event_id`, team, alertID)
	if err != nil {
		return nil, fmt.Errorf("query deliveries: %w", err)
	}
	defer rows.Close()
	var out []*notificationsv1.DeliveryAttempt
	for rows.Next() {
		var (
			sub, channel, dest, errText string
			attempt, status             uint32
			delivered, digest           bool
			latency                     float64
			at                          time.Time
		)
		if err := rows.Scan(&sub, &channel, &dest, &attempt, &delivered, &status, &latency, &errText, &digest, &at); err != nil {
			return nil, fmt.Errorf("scan deliveries: %w", err)
		}
		out = append(out, &notificationsv1.DeliveryAttempt{
			AlertId: alertID, Target: &eventsv1.DeliveryTarget{SubscriptionId: sub, Channel: channelOfName(channel), Destination: dest},
			Attempt: attempt, AttemptedAt: timestamppb.New(at), Delivered: delivered, StatusCode: status, LatencyMs: latency,
			Error: errText, Digest: digest,
		})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	return out, nil
}
