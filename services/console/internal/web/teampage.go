package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/bus"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

// The team navigation's entries (page.NavCurrent).
const (
	navBoard         = "board"
	navDeloads       = "deloads"
	navAlerts        = "alerts"
	navSubscriptions = "subscriptions"
)

func init() {
	// The inbox and alert pages join the page list here, next to their handlers, so that each
	// screen of the console is added in files of its own.
	pageNames = append(pageNames, "inbox", "deload", "alerts", "subscriptions", "subscription")
	templateFuncs["fieldProblem"] = func(id, text string) fieldProblemView { return fieldProblemView{ID: id, Text: text} }
}

// fieldProblemView is a refusal shown under a form field; the field points at it with
// aria-describedby, so a screen reader reads it with the field.
type fieldProblemView struct{ ID, Text string }

// teamPage is a page of one team: who asks, for which team, and the notice left by the form
// posted just before.
type teamPage struct {
	page
	Team string
}

// openTeam answers a request for a team page: the session, and the team when it is a valid
// id the session may open; otherwise the request has been answered.
func (s *Server) openTeam(w http.ResponseWriter, r *http.Request) (*session, string, bool) {
	sess, ok := s.requireSession(w, r)
	if !ok {
		return nil, "", false
	}
	team := r.PathValue("team")
	if !bus.ValidToken(team) {
		s.renderMessage(w, r, sess, http.StatusNotFound, "Not found", "There is no team with that id.")
		return nil, "", false
	}
	if !sess.mayOpen(team) {
		s.renderMessage(w, r, sess, http.StatusForbidden, "No access",
			fmt.Sprintf("You are not granted team %q. Ask an admin for access.", team))
		return nil, "", false
	}
	return sess, team, true
}

// postToTeam is openTeam for a form: it also checks the form's origin and CSRF token.
func (s *Server) postToTeam(w http.ResponseWriter, r *http.Request) (*session, string, bool) {
	sess, team, ok := s.openTeam(w, r)
	if !ok || !s.checkForm(w, r, sess.csrf) {
		return nil, "", false
	}
	return sess, team, true
}

// teamPageOf is the frame of a team page (render adds the session's pending notice).
func (s *Server) teamPageOf(sess *session, team, title, nav string) teamPage {
	p := teamPage{page: s.pageOf(sess, title), Team: team}
	p.NavTeam, p.NavCurrent = team, nav
	return p
}

// redirectWithNotice ends a successful post: the notice waits for the next page view.
func (s *Server) redirectWithNotice(w http.ResponseWriter, r *http.Request, sess *session, to string, n notice) {
	if err := s.putNotice(w, r, sess, n); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// withActor is withCredential plus the caller's name for the services that record who acted
// from the "x-sc-actor" header until they take it from the credential (notifications).
func withActor(ctx context.Context, sess *session) context.Context {
	return metadata.AppendToOutgoingContext(withCredential(ctx, sess), "x-sc-actor", cmp.Or(sess.name, sess.subject))
}

// actorOf is the session as the services record a decision maker.
func actorOf(sess *session) *commonv1.Actor {
	return &commonv1.Actor{Subject: sess.subject, Role: sess.role, DisplayName: sess.name}
}

// fieldProblems are the field violations of an InvalidArgument answer, by field path, and
// whether err was one.
func fieldProblems(err error) (map[string]string, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return nil, false
	}
	out := map[string]string{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if prev, dup := out[v.GetField()]; dup {
					out[v.GetField()] = prev + "; " + v.GetDescription()
				} else {
					out[v.GetField()] = v.GetDescription()
				}
			}
		}
	}
	if len(out) == 0 {
		out[""] = st.Message()
	}
	return out, true
}

// isConflict reports an answer saying the record changed since the page was read (a stale
// revision, or a decision the record's new state no longer allows).
func isConflict(err error) bool {
	c := status.Code(err)
	return c == codes.FailedPrecondition || c == codes.Aborted
}

// names maps athlete ids to display names.
type names map[string]string

func (n names) of(id string) string {
	if id == "" {
		return "whole team"
	}
	return cmp.Or(n[id], id)
}

// teamLocation is the time zone the team's pages date things in (AuthService.GetTeam, set by an
// admin; UTC for a team never registered). An auth service that cannot answer leaves the page
// in UTC rather than failing it: the zone only changes how times read, and the page says which
// zone it shows.
func (s *Server) teamLocation(ctx context.Context, sess *session, team string) *time.Location {
	// athlete names a check-in's own athlete: the guard wants it from principals bound to one.
	resp, err := s.clients.Auth.GetTeam(withCredential(ctx, sess), &authv1.GetTeamRequest{TeamId: team, AthleteId: sess.athlete})
	if err != nil {
		s.log.Warn("team time zone unavailable, showing UTC", zap.String("team_id", team), zap.Error(err))
		return time.UTC
	}
	loc, err := time.LoadLocation(resp.GetTeam().GetTimeZone())
	if err != nil || resp.GetTeam().GetTimeZone() == "" {
		return time.UTC
	}
	return loc
}

// athleteNames reads the team's profiles for display names. The pages work
// without them (ids instead of names), so a failure is only logged by the caller.
func (s *Server) athleteNames(ctx context.Context, sess *session, team string) (names, error) {
	resp, err := s.clients.Programming.ListAthleteProfiles(withCredential(ctx, sess),
		&programmingv1.ListAthleteProfilesRequest{TeamId: team, IncludeInactive: true})
	if err != nil {
		return names{}, fmt.Errorf("athlete profiles: %w", err)
	}
	n := names{}
	for _, p := range resp.GetProfiles() {
		n[p.GetAthleteId()] = p.GetDisplayName()
	}
	return n, nil
}

// zoneName is loc's IANA name for a request's time_zone field, empty for UTC (the services'
// default).
func zoneName(loc *time.Location) string {
	if loc == nil || loc == time.UTC {
		return ""
	}
	return loc.String()
}

// zonedText is an instant as the team reads it: "2026-03-16 07:05 GMT".
func zonedText(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// dateText is a proto date as YYYY-MM-DD, empty when unset.
func dateText(d *commonv1.Date) string {
	if d == nil || d.GetYear() == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// weekdayDateText is "Mon 2026-03-16".
func weekdayDateText(d *commonv1.Date) string {
	t, ok := timeOfDate(d)
	if !ok {
		return ""
	}
	return t.Format("Mon 2006-01-02")
}

func timeOfDate(d *commonv1.Date) (time.Time, bool) {
	if d == nil || d.GetYear() == 0 {
		return time.Time{}, false
	}
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC), true
}

// parseDate reads a form's date field (an <input type=date> sends YYYY-MM-DD).
func parseDate(v string) (*commonv1.Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
	if err != nil {
		return nil, fmt.Errorf("enter a date as YYYY-MM-DD")
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}, nil
}

// enumWord turns DELOAD_STATUS_PENDING_APPROVAL into "pending approval".
func enumWord(name, prefix string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, prefix), "_", " "))
}

// teamPath is /teams/{team} followed by more path segments, each escaped.
func teamPath(team string, segments ...string) string {
	p := "/teams/" + url.PathEscape(team)
	for _, seg := range segments {
		p += "/" + url.PathEscape(seg)
	}
	return p
}
