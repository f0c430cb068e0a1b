package channels

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"mime/multipart"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/supercomp/supercomp/services/notifications/internal/app"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// SMTPConfig is how the email channel reaches its relay.
type SMTPConfig struct {
	// Addr is host:port of the SMTP relay; empty disables email.
	Addr string
	From string
	// Username and Password enable AUTH PLAIN when the server offers AUTH (only over TLS, or to
	// localhost, as net/smtp insists).
	Username string
	Password string
	// InsecureSkipVerify accepts any certificate on STARTTLS (test relays only).
	InsecureSkipVerify bool
	// RequireTLS refuses to send when the server does not offer STARTTLS.
	RequireTLS bool
	Timeout    time.Duration
}

// Email sends plain-text and HTML mail over SMTP, upgrading with STARTTLS when offered.
type Email struct {
	cfg SMTPConfig
}

// NewEmail returns an email sender.
func NewEmail(cfg SMTPConfig) *Email {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.From == "" {
		cfg.From = "supercomp@localhost"
	}
	return &Email{cfg: cfg}
}

// Send implements Sender.
func (e *Email) Send(ctx context.Context, t app.Endpoint, msg app.Message) app.Result {
	start := time.Now()
	res := e.send(ctx, t, msg)
	res.Latency = time.Since(start)
	return res
}

func (e *Email) send(ctx context.Context, t app.Endpoint, msg app.Message) app.Result {
	if e.cfg.Addr == "" {
		return app.Result{Outcome: domain.Permanent, Err: errors.New("email is not configured (no SMTP relay address)")}
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.cfg.Addr)
	if err != nil {
		return app.Result{Outcome: domain.Transient, Err: fmt.Errorf("dial smtp %s: %w", e.cfg.Addr, err)}
	}
	deadline, _ := ctx.Deadline()
	// net/smtp does not watch ctx: without the deadline a stalled relay would hold the
	// attempt past its timeout.
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return app.Result{Outcome: domain.Transient, Err: fmt.Errorf("smtp %s: set deadline: %w", e.cfg.Addr, err)}
	}
	host, _, _ := net.SplitHostPort(e.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return smtpResult(err, "greeting")
	}
	defer c.Close()
	if err := c.Hello("supercomp"); err != nil {
		return smtpResult(err, "hello")
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, InsecureSkipVerify: e.cfg.InsecureSkipVerify}); err != nil { //nolint:gosec // opt-in for test relays
			return smtpResult(err, "starttls")
		}
	} else if e.cfg.RequireTLS {
		return app.Result{Outcome: domain.Permanent, Err: errors.New("smtp relay does not offer STARTTLS and TLS is required")}
	}
	if e.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); ok {
			if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, host)); err != nil {
				return smtpResult(err, "auth")
			}
		}
	}
	if err := c.Mail(e.cfg.From); err != nil {
		return smtpResult(err, "mail from")
	}
	for _, to := range t.Addresses {
		if err := c.Rcpt(to); err != nil {
			return smtpResult(err, "rcpt to "+app.RedactAddress(to))
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpResult(err, "data")
	}
	if _, err := w.Write(RenderEmail(e.cfg.From, t.Addresses, msg, time.Now())); err != nil {
		return smtpResult(err, "write body")
	}
	if err := w.Close(); err != nil {
		return smtpResult(err, "end of data")
	}
	// The relay accepted the message at the end of DATA; a failed QUIT does not undo that.
	_ = c.Quit()
	return app.Result{Outcome: domain.Delivered, Status: 250}
}

// smtpResult classifies an SMTP error by its reply code; errors without one (network) are
// transient.
func smtpResult(err error, step string) app.Result {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return app.Result{Outcome: domain.ClassifySMTP(tp.Code), Status: tp.Code, Err: fmt.Errorf("smtp %s: %w", step, err)}
	}
	return app.Result{Outcome: domain.Transient, Err: fmt.Errorf("smtp %s: %w", step, err)}
}

// RenderEmail builds the RFC 5322 message: multipart/alternative with plain text and HTML.
func RenderEmail(from string, to []string, msg app.Message, now time.Time) []byte {
	var plain, rich strings.Builder
	subject := "Supercomp alert"
	switch {
	case msg.Reminder != nil:
		r := msg.Reminder
		subject = fmt.Sprintf("Check-in reminder %s: %d athletes have not reported", r.Day, len(r.Athletes))
	case msg.Digest:
		subject = fmt.Sprintf("Supercomp daily digest: %d alerts", len(msg.Items))
	case len(msg.Items) == 1:
		subject = msg.Items[0].Content.GetTitle()
		if msg.Items[0].EscalationLevel > 0 {
			subject = fmt.Sprintf("[Escalation %d] %s", msg.Items[0].EscalationLevel, subject)
		}
	}
	rich.WriteString("<html><body>")
	if r := msg.Reminder; r != nil {
		fmt.Fprintf(&plain, "%s\n\nTeam %s has not checked in on %s:\n", r.Text, r.TeamID, r.Day)
		fmt.Fprintf(&rich, "<p>%s</p><p>Team %s has not checked in on %s:</p><ul>", html.EscapeString(r.Text),
			html.EscapeString(r.TeamID), html.EscapeString(r.Day))
		for _, a := range r.Athletes {
			fmt.Fprintf(&plain, "  - %s\n", a)
			fmt.Fprintf(&rich, "<li>%s</li>", html.EscapeString(a))
		}
		rich.WriteString("</ul>")
	}
	for _, it := range msg.Items {
		c := it.Content
		fmt.Fprintf(&plain, "%s (%s)\n\n%s\n\nEvidence:\n", c.GetTitle(), SeverityName(c.GetSeverity()), c.GetSummary())
		fmt.Fprintf(&rich, "<h2>%s</h2><p><b>Severity:</b> %s</p><p>%s</p><h3>Evidence</h3><ul>",
			html.EscapeString(c.GetTitle()), SeverityName(c.GetSeverity()), html.EscapeString(c.GetSummary()))
		for _, e := range c.GetEvidence() {
			line := EvidenceLine(e)
			fmt.Fprintf(&plain, "  - %s\n", line)
			fmt.Fprintf(&rich, "<li>%s</li>", html.EscapeString(line))
		}
		fmt.Fprintf(&plain, "\nAlert %s, team %s. Acknowledge: sc alerts ack --team %s %s\n\n", it.AlertID, it.TeamID, it.TeamID, it.AlertID)
		fmt.Fprintf(&rich, "</ul><p><small>Alert %s, team %s</small></p>", html.EscapeString(it.AlertID), html.EscapeString(it.TeamID))
	}
	rich.WriteString("</body></html>")

	// The parts are written into memory, where writes cannot fail; the errors below are
	// those of a bytes.Buffer, always nil.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ ctype, text string }{
		{"text/plain; charset=utf-8", plain.String()},
		{"text/html; charset=utf-8", rich.String()},
	} {
		w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.ctype}, "Content-Transfer-Encoding": {"8bit"}})
		_, _ = w.Write([]byte(strings.ReplaceAll(part.text, "\n", "\r\n")))
	}
	_ = mw.Close()

	var out bytes.Buffer
	fmt.Fprintf(&out, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@supercomp>\r\n",
		from, strings.Join(to, ", "), headerSafe(subject), now.UTC().Format(time.RFC1123Z), headerSafe(msg.IdempotencyKey))
	fmt.Fprintf(&out, "X-Supercomp-Idempotency-Key: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=%q\r\n\r\n",
		headerSafe(msg.IdempotencyKey), mw.Boundary())
	out.Write(body.Bytes())
	return out.Bytes()
}

func headerSafe(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
