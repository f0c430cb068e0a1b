package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// registerAlerts adds the alert list and the subscription pages (subscriptions.go).
func (s *Server) registerAlerts() {
	s.mux.HandleFunc("GET /teams/{team}/alerts", s.alerts)
	s.mux.HandleFunc("POST /teams/{team}/alerts/{alert}/acknowledge", s.acknowledgeAlert)
	s.mux.HandleFunc("POST /teams/{team}/alerts/{alert}/resolve", s.resolveAlert)
	s.mux.HandleFunc("GET /teams/{team}/subscriptions", s.subscriptions)
	s.mux.HandleFunc("POST /teams/{team}/subscriptions", s.createSubscription)
	s.mux.HandleFunc("GET /teams/{team}/subscriptions/{subscription}", s.subscriptionPage)
	s.mux.HandleFunc("POST /teams/{team}/subscriptions/{subscription}", s.updateSubscription)
	s.mux.HandleFunc("POST /teams/{team}/subscriptions/{subscription}/delete", s.deleteSubscription)
	s.mux.HandleFunc("POST /teams/{team}/subscriptions/{subscription}/test", s.testSubscription)
}

// Which alerts the list shows (the show query parameter).
var alertFilters = []struct {
	value, label string
	states       []commonv1.AlertState
}{
	{"active", "Open and acknowledged", []commonv1.AlertState{commonv1.AlertState_ALERT_STATE_OPEN, commonv1.AlertState_ALERT_STATE_ACKNOWLEDGED}},
	{"open", "Open only", []commonv1.AlertState{commonv1.AlertState_ALERT_STATE_OPEN}},
	{"resolved", "Resolved", []commonv1.AlertState{commonv1.AlertState_ALERT_STATE_RESOLVED}},
	{"all", "All", nil},
}

type alertView struct {
	ID, Title, Summary  string
	Athlete, AthleteID  string
	State, StateClass   string
	Severity, SevClass  string
	Raised, RaisedAgo   string
	Occurrences         uint32
	Handled             string
	CanAck, CanResolve  bool
	Team, CSRF, ShowArg string
}

type alertsView struct {
	teamPage
	Show    string
	Filters []option
	Alerts  []alertView
	More    bool
}

// alertPageSize is how many alerts one page lists; older ones are behind the filters.
const alertPageSize = 200

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.openTeam(w, r)
	if !ok {
		return
	}
	show := r.URL.Query().Get("show")
	var states []commonv1.AlertState
	known := false
	for _, f := range alertFilters {
		if f.value == show {
			states, known = f.states, true
		}
	}
	if !known {
		show, states = alertFilters[0].value, alertFilters[0].states
	}
	resp, err := s.clients.Notifications.ListAlerts(withCredential(r.Context(), sess),
		&notificationsv1.ListAlertsRequest{TeamId: team, States: states, PageSize: alertPageSize})
	if err != nil {
		s.serviceError(w, r, err, "list alerts")
		return
	}
	who, err := s.athleteNames(r.Context(), sess, team)
	if err != nil {
		s.log.Warn("alerts without athlete names", zap.String("team_id", team), zap.Error(err))
	}
	v := &alertsView{teamPage: s.teamPageOf(sess, team, "Alerts · "+team, navAlerts), Show: show, More: resp.GetNextPageToken() != ""}
	for _, f := range alertFilters {
		v.Filters = append(v.Filters, option{Value: f.value, Label: f.label, Selected: f.value == show})
	}
	now, loc := s.opts.Now(), s.teamLocation(r.Context(), sess, team)
	for _, a := range resp.GetAlerts() {
		av := alertViewOf(a, who, loc, now)
		av.Team, av.CSRF, av.ShowArg = team, sess.csrf, show
		v.Alerts = append(v.Alerts, av)
	}
	s.render(w, r, http.StatusOK, "alerts", v)
}

func alertViewOf(a *notificationsv1.Alert, who names, loc *time.Location, now time.Time) alertView {
	c := a.GetContent()
	v := alertView{ID: a.GetAlertId(), Title: c.GetTitle(), Summary: c.GetSummary(), AthleteID: a.GetAthleteId(), Athlete: who.of(a.GetAthleteId()),
		State: enumWord(a.GetState().String(), "ALERT_STATE_"), Severity: cmp.Or(enumWord(c.GetSeverity().String(), "SEVERITY_"), "unspecified"),
		Occurrences: a.GetOccurrences(),
		CanAck:      a.GetState() == commonv1.AlertState_ALERT_STATE_OPEN,
		CanResolve:  a.GetState() != commonv1.AlertState_ALERT_STATE_RESOLVED}
	v.StateClass, v.SevClass = v.State, v.Severity
	if ts := a.GetRaisedAt(); ts != nil {
		v.Raised = zonedText(ts.AsTime(), loc)
		v.RaisedAgo = agoText(ts.AsTime(), now)
	}
	switch {
	case a.GetResolvedAt() != nil:
		v.Handled = "resolved " + agoText(a.GetResolvedAt().AsTime(), now)
		if by := a.GetResolvedBy(); by != nil {
			v.Handled += " by " + cmp.Or(by.GetDisplayName(), by.GetSubject())
		}
		if res := a.GetResolution(); res != 0 {
			v.Handled += " (" + enumWord(res.String(), "ALERT_RESOLUTION_") + ")"
		}
	case a.GetAcknowledgedAt() != nil:
		v.Handled = "acknowledged " + agoText(a.GetAcknowledgedAt().AsTime(), now)
		if by := a.GetAcknowledgedBy(); by != nil {
			v.Handled += " by " + cmp.Or(by.GetDisplayName(), by.GetSubject())
		}
	}
	return v
}

func (s *Server) acknowledgeAlert(w http.ResponseWriter, r *http.Request) {
	s.changeAlert(w, r, "acknowledged", func(ctx context.Context, team, id, note string) (*notificationsv1.Alert, error) {
		resp, err := s.clients.Notifications.AcknowledgeAlert(ctx, &notificationsv1.AcknowledgeAlertRequest{TeamId: team, AlertId: id, Note: note})
		return resp.GetAlert(), err
	})
}

func (s *Server) resolveAlert(w http.ResponseWriter, r *http.Request) {
	s.changeAlert(w, r, "resolved", func(ctx context.Context, team, id, note string) (*notificationsv1.Alert, error) {
		resp, err := s.clients.Notifications.ResolveAlert(ctx, &notificationsv1.ResolveAlertRequest{TeamId: team, AlertId: id, Note: note})
		return resp.GetAlert(), err
	})
}

// changeAlert posts an acknowledgement or resolution and goes back to the list it came from.
// Both are idempotent in the service, so a second coach doing the same is simply told so.
func (s *Server) changeAlert(w http.ResponseWriter, r *http.Request, done string,
	call func(ctx context.Context, team, id, note string) (*notificationsv1.Alert, error)) {
	sess, team, ok := s.postToTeam(w, r)
	if !ok {
		return
	}
	back := teamPath(team, "alerts")
	if show := r.PostForm.Get("show"); show != "" {
		back += "?" + url.Values{"show": {show}}.Encode()
	}
	a, err := call(withActor(r.Context(), sess), team, r.PathValue("alert"), r.PostForm.Get("note"))
	if err != nil {
		if isConflict(err) {
			s.redirectWithNotice(w, r, sess, back, notice{Kind: "problem", Text: "Nothing was changed: the alert changed meanwhile. Its current state is below."})
			return
		}
		s.serviceError(w, r, err, "alert "+done)
		return
	}
	s.redirectWithNotice(w, r, sess, back, notice{Kind: "done",
		Text: fmt.Sprintf("Alert %q %s. It is now %s.", a.GetContent().GetTitle(), done, enumWord(a.GetState().String(), "ALERT_STATE_"))})
}
