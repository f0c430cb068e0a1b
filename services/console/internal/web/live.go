package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/bus"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// keepAlive is the longest the stream stays silent: proxies drop idle connections, and a comment
// line now and then keeps the stream open through them.
const keepAlive = 25 * time.Second

// boardUpdate is one "board" event: the re-rendered rows and summary, and a sentence for
// screen readers saying what changed.
type boardUpdate struct {
	Rows     string `json:"rows"`
	Summary  string `json:"summary"`
	Updated  string `json:"updated"`
	Version  string `json:"version"`
	Announce string `json:"announce,omitempty"`
}

// live streams board updates to an open board as server-sent events.
//
// The fatigue service has no stream of assessments and the console does not read NATS, so the
// board polls ListTeamStatus (an in-memory read in the fatigue service) every LiveInterval,
// and only while the page is open. An alert (a deload recommendation, a decision) also
// arrives on NotificationService.WatchAlerts, which triggers a refresh at once: what pages a
// coach shows up without waiting for the next poll. Only a changed board is sent.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.currentSession(r, false)
	if !ok {
		http.Error(w, "signed out", http.StatusUnauthorized)
		return
	}
	team := r.PathValue("team")
	if !bus.ValidToken(team) || !sess.mayOpen(team) {
		http.Error(w, "no access to this team", http.StatusForbidden)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stopOnClose := context.AfterFunc(s.closing, cancel)
	defer stopOnClose()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events through as they are written
	w.WriteHeader(http.StatusOK)
	flusher.Flush()

	q := boardQueryOf(r)
	shown := r.URL.Query().Get("v")
	var before map[string]string // athlete -> status words, for the announcement
	kick := make(chan struct{}, 1)
	go s.watchAlerts(ctx, sess, team, kick)
	ticker := time.NewTicker(s.opts.LiveInterval)
	defer ticker.Stop()
	lastWrite := time.Now()
	paused := false

	send := func(event, data string) bool {
		var b strings.Builder
		fmt.Fprintf(&b, "event: %s\n", event)
		for line := range strings.SplitSeq(data, "\n") {
			fmt.Fprintf(&b, "data: %s\n", line)
		}
		b.WriteString("\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return false
		}
		flusher.Flush()
		lastWrite = time.Now()
		return true
	}
	refresh := func() bool {
		if !s.sessions.alive(sess) {
			send("signedout", "Your session ended. Reload the page to sign in again.")
			return false
		}
		callCtx, done := context.WithTimeout(ctx, 10*time.Second)
		v, err := s.loadBoard(callCtx, sess, team, q)
		done()
		switch code := status.Code(err); {
		case ctx.Err() != nil:
			return false
		case code == codes.Unauthenticated || code == codes.PermissionDenied:
			send("signedout", "Your access ended. Reload the page to sign in again.")
			return false
		case err != nil:
			s.log.Warn("live board refresh failed", zap.String("team", team), zap.Error(err))
			paused = true
			return send("problem", "Live updates paused: Supercomp did not answer. Retrying.")
		}
		if paused {
			paused = false
			if !send("resumed", "Live: updates appear as they happen.") {
				return false
			}
		}
		rows, summary, version, err := s.fragments(v)
		if err != nil {
			s.log.Error("live board render failed", zap.Error(err))
			return false
		}
		now := statusWords(v)
		if version == shown {
			before = now
			return true
		}
		upd := boardUpdate{Rows: rows, Summary: summary, Updated: v.Updated, Version: version, Announce: announce(before, now, v)}
		data, err := json.Marshal(upd)
		if err != nil {
			s.log.Error("live board encode failed", zap.Error(err))
			return false
		}
		shown, before = version, now
		return send("board", string(data))
	}

	// "live" tells the page (and tests) that the stream now has its baseline: any change from
	// here on arrives as a "board" event.
	if !refresh() || !send("live", "Live: updates appear as they happen.") {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-ticker.C:
		}
		if !refresh() {
			return
		}
		if time.Since(lastWrite) >= keepAlive {
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			flusher.Flush()
			lastWrite = time.Now()
		}
	}
}

// watchAlerts nudges kick whenever an alert of team changes. A stream that breaks is opened
// again after a pause; one the services refuse stops (the polling goes on and notices an ended
// session).
func (s *Server) watchAlerts(ctx context.Context, sess *session, team string, kick chan<- struct{}) {
	pause := time.Second
	for ctx.Err() == nil {
		stream, err := s.clients.Notifications.WatchAlerts(withCredential(ctx, sess), &notificationsv1.WatchAlertsRequest{TeamId: team})
		for err == nil {
			if _, err = stream.Recv(); err == nil {
				pause = time.Second
				select {
				case kick <- struct{}{}:
				default: // a refresh is already due
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		if c := status.Code(err); c == codes.Unauthenticated || c == codes.PermissionDenied || c == codes.Unimplemented {
			s.log.Info("alert stream refused; the board keeps polling", zap.String("team", team), zap.Error(err))
			return
		}
		s.log.Debug("alert stream broke; reopening", zap.String("team", team), zap.Duration("after", pause), zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

func statusWords(v *boardView) map[string]string {
	m := make(map[string]string, len(v.Rows))
	for _, r := range v.Rows {
		m[r.AthleteID] = r.Light.Text
	}
	return m
}

// announce says in one sentence whose status changed, for the page's live region (screen
// readers hear it; everyone reads it).
func announce(before, now map[string]string, v *boardView) string {
	if before == nil {
		return "Board updated."
	}
	var changes []string
	for _, r := range v.Rows {
		if was, ok := before[r.AthleteID]; !ok || was != now[r.AthleteID] {
			changes = append(changes, fmt.Sprintf("%s: %s", r.Name, r.Light.Text))
		}
	}
	if len(changes) == 0 {
		return "Board updated."
	}
	if len(changes) > 5 {
		return fmt.Sprintf("%d athletes changed status.", len(changes))
	}
	return "Status changed. " + strings.Join(changes, "; ") + "."
}
