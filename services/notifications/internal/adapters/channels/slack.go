package channels

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/supercomp/supercomp/services/notifications/internal/app"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// Slack posts to a Slack-style incoming webhook: a text fallback plus blocks with the evidence.
type Slack struct {
	Client *http.Client
}

// NewSlack returns a Slack sender on client (Egress.Client: policy-checked, with its attempt
// timeout).
func NewSlack(client *http.Client) *Slack { return &Slack{Client: client} }

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
}

// SlackBody is the incoming-webhook body.
type SlackBody struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// RenderSlack builds the message body.
func RenderSlack(msg app.Message) SlackBody {
	var body SlackBody
	var titles []string
	if msg.Digest {
		body.Blocks = append(body.Blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text",
			Text: fmt.Sprintf("Supercomp daily digest: %d alerts", len(msg.Items))}})
	}
	for _, it := range msg.Items {
		c := it.Content
		titles = append(titles, c.GetTitle())
		head := fmt.Sprintf("*%s* (%s)", c.GetTitle(), SeverityName(c.GetSeverity()))
		if it.EscalationLevel > 0 {
			head = fmt.Sprintf(":rotating_light: escalation level %d: %s", it.EscalationLevel, head)
		}
		body.Blocks = append(body.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: head + "\n" + c.GetSummary()}})
		if len(c.GetEvidence()) > 0 {
			var b strings.Builder
			b.WriteString("*Evidence*")
			for _, e := range c.GetEvidence() {
				b.WriteString("\n• ")
				b.WriteString(EvidenceLine(e))
			}
			body.Blocks = append(body.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: b.String()}})
		}
		body.Blocks = append(body.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn",
			Text: fmt.Sprintf("Alert `%s` · team %s · acknowledge with `sc alerts ack --team %s %s`", it.AlertID, it.TeamID, it.TeamID, it.AlertID)}})
	}
	body.Text = strings.Join(titles, "; ")
	return body
}

// Send implements Sender.
func (s *Slack) Send(ctx context.Context, t app.Endpoint, msg app.Message) app.Result {
	data, err := json.Marshal(RenderSlack(msg))
	if err != nil {
		return app.Result{Outcome: domain.Permanent, Err: fmt.Errorf("encode slack body: %w", err)}
	}
	return post(ctx, s.Client, t.URL, data, map[string]string{HeaderIdempotencyKey: msg.IdempotencyKey})
}
