package channels

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/supercomp/supercomp/services/notifications/internal/app"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// Webhook headers (documented in services/notifications/README.md).
const (
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
	HeaderSignature = "Supercomp-Signature"
	// HeaderIdempotencyKey is the alert id; retries and redeliveries repeat it.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderEvent says what the body is: "alert", "digest", "test" or "checkin_reminder".
	HeaderEvent = "Supercomp-Event"
)

// Sign returns the signature header value for body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a signature header against body, rejecting timestamps further than tolerance
// from now (replays). Receivers can copy this function.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range bytes.Split([]byte(header), []byte(",")) {
		k, v, ok := bytes.Cut(part, []byte("="))
		if !ok {
			continue
		}
		switch string(k) {
		case "t":
			ts = string(v)
		case "v1":
			sig = string(v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("malformed signature header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature timestamp %s outside tolerance", time.Unix(sec, 0).UTC())
	}
	want, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(want, mac(secret, ts, body)) {
		return errors.New("signature mismatch")
	}
	return nil
}

// WebhookPayload is the JSON body of a webhook delivery.
type WebhookPayload struct {
	Type    string         `json:"type"` // alert, digest or test
	ID      string         `json:"id"`   // the idempotency key
	Alerts  []WebhookAlert `json:"alerts"`
	SentAt  time.Time      `json:"sent_at"`
	Version int            `json:"version"`
}

// ReminderPayload is the JSON body of a check-in reminder (type "checkin_reminder"): one per
// athlete, so the receiver can forward it to that athlete without reading a list.
type ReminderPayload struct {
	Type      string    `json:"type"`
	ID        string    `json:"id"` // the idempotency key, team/athlete/day
	TeamID    string    `json:"team_id"`
	AthleteID string    `json:"athlete_id"`
	Day       string    `json:"day"`
	Message   string    `json:"message"`
	SentAt    time.Time `json:"sent_at"`
	Version   int       `json:"version"`
}

// WebhookAlert is one alert in a webhook body.
type WebhookAlert struct {
	AlertID          string            `json:"alert_id"`
	TeamID           string            `json:"team_id"`
	AthleteID        string            `json:"athlete_id,omitempty"`
	PositionGroup    string            `json:"position_group,omitempty"`
	Kind             string            `json:"kind"`
	Severity         string            `json:"severity"`
	State            string            `json:"state"`
	Title            string            `json:"title"`
	Summary          string            `json:"summary"`
	Evidence         []WebhookEvidence `json:"evidence"`
	Occurrences      int               `json:"occurrences"`
	EscalationLevel  int               `json:"escalation_level"`
	RaisedAt         time.Time         `json:"raised_at"`
	RecommendationID string            `json:"recommendation_id,omitempty"`
	DeloadID         string            `json:"deload_id,omitempty"`
	EpisodeID        string            `json:"episode_id,omitempty"`
	SourceEventID    string            `json:"source_event_id,omitempty"`
}

// WebhookEvidence is one piece of evidence in a webhook body.
type WebhookEvidence struct {
	Family      string   `json:"family,omitempty"`
	Metric      string   `json:"metric"`
	Value       *float64 `json:"value,omitempty"`
	Baseline    *float64 `json:"baseline,omitempty"`
	Threshold   *float64 `json:"threshold,omitempty"`
	Unit        string   `json:"unit,omitempty"`
	Abnormal    bool     `json:"abnormal"`
	ContextOnly bool     `json:"context_only,omitempty"`
	Detail      string   `json:"detail"`
}

// Payload builds the webhook body of msg.
func Payload(msg app.Message, now time.Time) WebhookPayload {
	p := WebhookPayload{Type: msgType(msg), ID: msg.IdempotencyKey, SentAt: now.UTC(), Version: 1}
	for _, it := range msg.Items {
		c := it.Content
		a := WebhookAlert{
			AlertID: it.AlertID, TeamID: it.TeamID, AthleteID: it.AthleteID, PositionGroup: c.GetPositionGroup(),
			Kind: KindName(c.GetKind()), Severity: SeverityName(c.GetSeverity()), State: StateName(it.State),
			Title: c.GetTitle(), Summary: c.GetSummary(), Occurrences: it.Occurrences, EscalationLevel: it.EscalationLevel,
			RaisedAt: it.RaisedAt.UTC(), RecommendationID: c.GetRecommendationId(), DeloadID: c.GetDeloadId(),
			EpisodeID: c.GetEpisodeId(), SourceEventID: c.GetSourceEventId(), Evidence: []WebhookEvidence{},
		}
		for _, e := range c.GetEvidence() {
			we := WebhookEvidence{Metric: e.GetMetric(), Value: e.Value, Baseline: e.Baseline, Threshold: e.Threshold,
				Unit: e.GetUnit(), Abnormal: e.GetAbnormal(), ContextOnly: e.GetContextOnly(), Detail: EvidenceLine(e)}
			if e.GetFamily() != 0 {
				we.Family = FamilyName(e.GetFamily())
			}
			a.Evidence = append(a.Evidence, we)
		}
		p.Alerts = append(p.Alerts, a)
	}
	return p
}

func msgType(msg app.Message) string {
	switch {
	case msg.Reminder != nil:
		return "checkin_reminder"

	case msg.Test:
		return "test"
	case msg.Digest:
		return "digest"
	}
	return "alert"
}

// Webhook posts signed JSON.
type Webhook struct {
	Client *http.Client
	Now    func() time.Time
}

// NewWebhook returns a webhook sender on client (Egress.Client: policy-checked, with its
// attempt timeout).
func NewWebhook(client *http.Client) *Webhook {
	return &Webhook{Client: client, Now: time.Now}
}

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, t app.Endpoint, msg app.Message) app.Result {
	now := w.Now()
	var body []byte
	var err error
	if r := msg.Reminder; r != nil {
		if len(r.Athletes) != 1 {
			return app.Result{Outcome: domain.Permanent, Err: fmt.Errorf("a reminder webhook names one athlete, got %d", len(r.Athletes))}
		}
		body, err = json.Marshal(ReminderPayload{Type: msgType(msg), ID: msg.IdempotencyKey, TeamID: r.TeamID,
			AthleteID: r.Athletes[0], Day: r.Day, Message: r.Text, SentAt: now.UTC(), Version: 1})
	} else {
		body, err = json.Marshal(Payload(msg, now))
	}
	if err != nil {
		return app.Result{Outcome: domain.Permanent, Err: fmt.Errorf("encode webhook body: %w", err)}
	}
	return post(ctx, w.Client, t.URL, body, map[string]string{
		HeaderSignature:      Sign(t.SigningSecret, now, body),
		HeaderIdempotencyKey: msg.IdempotencyKey,
		HeaderEvent:          msgType(msg),
	})
}

// post sends one JSON POST and classifies the answer. The request carries the alert's trace
// context (traceparent), so a receiver that traces continues the alert's trace.
func post(ctx context.Context, client *http.Client, url string, body []byte, headers map[string]string) (res app.Result) {
	ctx, span := startPostSpan(ctx, url)
	defer func() { endPostSpan(span, res) }()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return app.Result{Outcome: domain.Permanent, Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "supercomp-notifications/1")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := client.Do(req)
	latency := time.Since(start)
	if err != nil {
		// No answer: a timeout or a network error; both are worth another try.
		return app.Result{Outcome: domain.Transient, Latency: latency, Err: fmt.Errorf("post %s: %w", app.Redact(url), err)}
	}
	// Drain a little so the connection can be reused, without reading an endless body.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	res = app.Result{Outcome: domain.ClassifyHTTP(resp.StatusCode), Status: resp.StatusCode, Latency: latency}
	if res.Outcome != domain.Delivered {
		res.Err = fmt.Errorf("HTTP %s", resp.Status)
	}
	return res
}
