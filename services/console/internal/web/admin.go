package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// The admin forms' fields.
const (
	fieldTeamID   = "team_id"
	fieldTeamName = "team_name"
	fieldTeamZone = "team_zone"
	fieldKeyName  = "key_name"
	fieldRole     = "role"
	fieldKeyTeam  = "key_team"
	fieldAthletes = "athletes"
	fieldValidFor = "valid_days"
)

// keyRoles are the roles a key can be created with, in the order the form offers them.
var keyRoles = []commonv1.Role{commonv1.Role_ROLE_COACH, commonv1.Role_ROLE_STAFF, commonv1.Role_ROLE_ADMIN,
	commonv1.Role_ROLE_DEVICE, commonv1.Role_ROLE_ATHLETE}

func init() {
	pageNames = append(pageNames, "admin", "admin-revoke")
}

// registerAdmin adds the admin pages: teams, API keys and their revocation.
func (s *Server) registerAdmin() {
	s.mux.HandleFunc("GET /admin", s.admin)
	s.mux.HandleFunc("POST /admin/teams", s.createTeam)
	s.mux.HandleFunc("POST /admin/teams/{team}/zone", s.setTeamZone)
	s.mux.HandleFunc("POST /admin/keys", s.createKey)
	s.mux.HandleFunc("GET /admin/keys/{key}/revoke", s.confirmRevoke)
	s.mux.HandleFunc("POST /admin/keys/{key}/revoke", s.revokeKey)
}

// openAdmin answers a request for an admin page: the session when it is an admin's. The
// services refuse everyone else too; refusing here first gives a clear page.
func (s *Server) openAdmin(w http.ResponseWriter, r *http.Request) (*session, bool) {
	sess, ok := s.requireSession(w, r)
	if !ok {
		return nil, false
	}
	if sess.role != commonv1.Role_ROLE_ADMIN {
		s.renderMessage(w, r, sess, http.StatusForbidden, "No access", "Only admins manage teams and API keys.")
		return nil, false
	}
	return sess, true
}

// postToAdmin is openAdmin for a form: it also checks the form's origin and CSRF token.
func (s *Server) postToAdmin(w http.ResponseWriter, r *http.Request) (*session, bool) {
	sess, ok := s.openAdmin(w, r)
	if !ok || !s.checkForm(w, r, sess.csrf) {
		return nil, false
	}
	return sess, true
}

// adminForm is a form's values as typed and a problem per field.
type adminForm struct {
	Values  map[string]string
	Errors  map[string]string
	General string
}

func newAdminForm() adminForm {
	return adminForm{Values: map[string]string{}, Errors: map[string]string{}}
}

func postedAdminForm(r *http.Request, fields ...string) adminForm {
	f := newAdminForm()
	for _, k := range fields {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	return f
}

// place puts the service's field violations next to the form's fields (apiToForm maps the
// request's field paths, matched by prefix, to the form's).
func (f *adminForm) place(problems map[string]string, apiToForm []fieldRoute) {
	for field, text := range problems {
		target := ""
		for _, route := range apiToForm {
			if field == route.api || strings.HasPrefix(field, route.api+".") || strings.HasPrefix(field, route.api+"[") {
				target = route.form
				break
			}
		}
		if target == "" {
			f.General = strings.TrimSpace(f.General + " " + text)
			continue
		}
		if prev := f.Errors[target]; prev != "" {
			text = prev + "; " + text
		}
		f.Errors[target] = text
	}
}

type fieldRoute struct{ api, form string }

var teamFieldRoutes = []fieldRoute{{"team.team_id", fieldTeamID}, {"team.name", fieldTeamName}, {"team.time_zone", fieldTeamZone}}

// The athlete ids sit inside the grant, so they are matched before the grant itself.
var keyFieldRoutes = []fieldRoute{{"name", fieldKeyName}, {"role", fieldRole}, {"ttl", fieldValidFor},
	{"grants[0].athlete_ids", fieldAthletes}, {"grants", fieldKeyTeam}}

type adminView struct {
	page
	// NewKey is the key just created, on the one page view after creating it.
	NewKey       *newKeyView
	Teams        []adminTeamView
	TeamForm     adminForm
	Keys         []adminKeyView
	ShowInactive bool
	KeyForm      adminForm
	Roles        []option
	TeamOptions  []option
	// Audit is the audit log, newest first, filtered by its GET form.
	Audit auditView
}

type newKeyView struct{ Secret, Name, ID string }

type adminTeamView struct {
	ID, Name, Created, BoardURL string
	// Zone is the team's time zone; ZoneURL takes its form, ZoneProblem is a refused change.
	Zone, ZoneURL, ZoneProblem string
}

type adminKeyView struct {
	ID, Name, Role, Teams, Created, Expires, LastUsed, State string
	Active, Yours                                            bool
	RevokeURL                                                string
}

func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.openAdmin(w, r)
	if !ok {
		return
	}
	v, err := s.loadAdmin(r.Context(), sess, r.URL.Query().Get("keys") == "all", auditFilterOf(r.URL.Query()))
	if err != nil {
		s.serviceError(w, r, err, "admin")
		return
	}
	if n, ok := s.takeNotice(w, r, sess); ok {
		// A key's notice names the key in its two lines; any other notice with a secret (a
		// webhook's, when the redirect was not followed) is shown as it is.
		if n.Secret != "" && len(n.Lines) == 2 {
			// The key's secret is on this one page: it waited server-side for this view and is
			// gone now, so a reload or the back button cannot show it again.
			v.NewKey = &newKeyView{Secret: n.Secret, Name: n.Lines[0], ID: n.Lines[1]}
			n.Secret, n.Lines = "", nil
		}
		v.Notice = &n
	}
	s.render(w, r, http.StatusOK, "admin", v)
}

func (s *Server) loadAdmin(ctx context.Context, sess *session, inactive bool, trail auditFilter) (*adminView, error) {
	ctx = withCredential(ctx, sess)
	var teams *authv1.ListTeamsResponse
	var keys *authv1.ListApiKeysResponse
	var records *authv1.ListAuditRecordsResponse
	var recordsErr error
	var g callGroup
	auditReq, auditProblems := trail.request()
	if len(auditProblems) == 0 {
		g.run(func() error {
			records, recordsErr = s.clients.Auth.ListAuditRecords(ctx, auditReq)
			return nil // the page shows the teams and keys without the trail (auditViewOf says why)
		})
	}
	g.run(func() error {
		var err error
		teams, err = s.clients.Auth.ListTeams(ctx, &authv1.ListTeamsRequest{})
		return wrap("list teams", err)
	})
	g.run(func() error {
		var err error
		keys, err = s.clients.Auth.ListApiKeys(ctx, &authv1.ListApiKeysRequest{IncludeInactive: inactive})
		return wrap("list keys", err)
	})
	if err := g.wait(); err != nil {
		return nil, err
	}
	now := s.opts.Now()
	v := &adminView{page: s.pageOf(sess, "Admin"), TeamForm: newAdminForm(), KeyForm: newAdminForm(), ShowInactive: inactive}
	for _, t := range teams.GetTeams() {
		tv := adminTeamView{ID: t.GetTeamId(), Name: t.GetName(), BoardURL: teamPath(t.GetTeamId()),
			Zone: cmp.Or(t.GetTimeZone(), "UTC"), ZoneURL: "/admin" + teamPath(t.GetTeamId(), "zone")}
		if ts := t.GetCreatedAt(); ts != nil {
			tv.Created = ts.AsTime().UTC().Format("2006-01-02") + " by " + cmp.Or(t.GetCreatedBy().GetDisplayName(), t.GetCreatedBy().GetSubject(), "unknown")
		}
		v.Teams = append(v.Teams, tv)
	}
	// Newest first: the key an admin just made is at the top.
	list := keys.GetKeys()
	for i := len(list) - 1; i >= 0; i-- {
		v.Keys = append(v.Keys, adminKeyViewOf(list[i], sess, now))
	}
	v.fillOptions()
	v.Audit = s.auditViewOf(trail, auditProblems, records, recordsErr, v)
	return v, nil
}

func (v *adminView) fillOptions() {
	v.Roles, v.TeamOptions = nil, []option{{Value: "", Label: "None (admin keys only)", Selected: v.KeyForm.Values[fieldKeyTeam] == ""}}
	chosen := cmp.Or(v.KeyForm.Values[fieldRole], "coach")
	for _, role := range keyRoles {
		name := auth.RoleName(role)
		v.Roles = append(v.Roles, option{Value: name, Label: name, Selected: name == chosen})
	}
	for _, t := range v.Teams {
		v.TeamOptions = append(v.TeamOptions, option{Value: t.ID, Label: t.ID + " (" + t.Name + ")", Selected: t.ID == v.KeyForm.Values[fieldKeyTeam]})
	}
}

func adminKeyViewOf(k *authv1.ApiKey, sess *session, now time.Time) adminKeyView {
	kv := adminKeyView{ID: k.GetKeyId(), Name: cmp.Or(k.GetName(), "(no name)"), Role: auth.RoleName(k.GetRole()),
		Teams: grantsWords(k.GetGrants()), Expires: "never", LastUsed: "never", State: "active", Active: true,
		Yours: k.GetKeyId() == sess.subject, RevokeURL: "/admin/keys/" + k.GetKeyId() + "/revoke"}
	if ts := k.GetCreatedAt(); ts != nil {
		kv.Created = ts.AsTime().UTC().Format("2006-01-02") + " by " + cmp.Or(k.GetCreatedBy().GetDisplayName(), k.GetCreatedBy().GetSubject(), "unknown")
	}
	if ts := k.GetExpiresAt(); ts != nil {
		kv.Expires = ts.AsTime().UTC().Format("2006-01-02 15:04 MST")
		if !now.Before(ts.AsTime()) {
			kv.State, kv.Active = "expired", false
		}
	}
	if ts := k.GetLastUsedAt(); ts != nil {
		kv.LastUsed = agoText(ts.AsTime(), now)
	}
	if k.GetUseBy() != nil {
		kv.State = "one-time sign-in link, unused"
		if k.GetUsedAt() != nil {
			kv.State = "one-time sign-in link, used " + agoText(k.GetUsedAt().AsTime(), now)
		}
	}
	if ts := k.GetRevokedAt(); ts != nil {
		kv.State, kv.Active = "revoked "+ts.AsTime().UTC().Format("2006-01-02 15:04 MST"), false
	}
	return kv
}

func grantsWords(grants []*authv1.TeamGrant) string {
	if len(grants) == 0 {
		return "every team (admin)"
	}
	var out []string
	for _, g := range grants {
		t := g.GetTeamId()
		if len(g.GetAthleteIds()) > 0 {
			t += " (athletes " + strings.Join(g.GetAthleteIds(), ", ") + ")"
		}
		out = append(out, t)
	}
	return strings.Join(out, "; ")
}

// redisplayAdmin shows the admin page again with a refused form, its values kept (422).
func (s *Server) redisplayAdmin(w http.ResponseWriter, r *http.Request, sess *session, fill func(v *adminView)) {
	v, err := s.loadAdmin(r.Context(), sess, false, auditFilter{})
	if err != nil {
		s.serviceError(w, r, err, "admin")
		return
	}
	fill(v)
	v.fillOptions()
	s.render(w, r, http.StatusUnprocessableEntity, "admin", v)
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.postToAdmin(w, r)
	if !ok {
		return
	}
	f := postedAdminForm(r, fieldTeamID, fieldTeamName, fieldTeamZone)
	resp, err := s.clients.Auth.CreateTeam(withCredential(r.Context(), sess), &authv1.CreateTeamRequest{
		Team: &authv1.Team{TeamId: f.Values[fieldTeamID], Name: f.Values[fieldTeamName], TimeZone: f.Values[fieldTeamZone]}})
	if err != nil {
		problems, invalid := fieldProblems(err)
		switch {
		case invalid:
			f.place(problems, teamFieldRoutes)
		case status.Code(err) == codes.AlreadyExists:
			f.Errors[fieldTeamID] = "A team with this id exists already."
		default:
			s.serviceError(w, r, err, "create team")
			return
		}
		s.redisplayAdmin(w, r, sess, func(v *adminView) { v.TeamForm = f })
		return
	}
	s.redirectWithNotice(w, r, sess, "/admin", notice{Kind: "done",
		Text: fmt.Sprintf("Team %s (%s, time zone %s) created. Create keys for its coaches below.",
			resp.GetTeam().GetTeamId(), resp.GetTeam().GetName(), resp.GetTeam().GetTimeZone())})
}

// setTeamZone changes the time zone a team's pages and check-ins count days in.
func (s *Server) setTeamZone(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.postToAdmin(w, r)
	if !ok {
		return
	}
	team, zone := r.PathValue("team"), strings.TrimSpace(r.PostForm.Get(fieldTeamZone))
	resp, err := s.clients.Auth.SetTeamTimeZone(withCredential(r.Context(), sess), &authv1.SetTeamTimeZoneRequest{TeamId: team, TimeZone: zone})
	if err != nil {
		problems, invalid := fieldProblems(err)
		if !invalid {
			s.serviceError(w, r, err, "set team time zone")
			return
		}
		s.redisplayAdmin(w, r, sess, func(v *adminView) {
			for i := range v.Teams {
				if v.Teams[i].ID == team {
					v.Teams[i].Zone = zone
					v.Teams[i].ZoneProblem = cmp.Or(problems["time_zone"], problems["team_id"], problems[""])
				}
			}
		})
		return
	}
	s.redirectWithNotice(w, r, sess, "/admin", notice{Kind: "done",
		Text: fmt.Sprintf("Team %s now counts its days in %s.", resp.GetTeam().GetTeamId(), resp.GetTeam().GetTimeZone())})
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.postToAdmin(w, r)
	if !ok {
		return
	}
	f := postedAdminForm(r, fieldKeyName, fieldRole, fieldKeyTeam, fieldAthletes, fieldValidFor)
	req := &authv1.CreateApiKeyRequest{Name: f.Values[fieldKeyName]}
	role, known := auth.ParseRole(f.Values[fieldRole])
	if !known {
		f.Errors[fieldRole] = "Choose a role."
	}
	req.Role = role
	if team := f.Values[fieldKeyTeam]; team != "" {
		g := &authv1.TeamGrant{TeamId: team}
		g.AthleteIds = append(g.AthleteIds, strings.FieldsFunc(f.Values[fieldAthletes], func(r rune) bool { return r == ',' || r == ' ' })...)
		req.Grants = []*authv1.TeamGrant{g}
	} else if f.Values[fieldAthletes] != "" {
		f.Errors[fieldAthletes] = "Athletes belong to a team: choose the team too."
	}
	if days := f.Values[fieldValidFor]; days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 3650 {
			f.Errors[fieldValidFor] = "Enter whole days from 1 to 3650, or leave empty for a key that does not expire."
		} else {
			req.Ttl = durationpb.New(time.Duration(n) * 24 * time.Hour)
		}
	}
	if len(f.Errors) > 0 {
		s.redisplayAdmin(w, r, sess, func(v *adminView) { v.KeyForm = f })
		return
	}
	resp, err := s.clients.Auth.CreateApiKey(withCredential(r.Context(), sess), req)
	if err != nil {
		problems, invalid := fieldProblems(err)
		if !invalid {
			s.serviceError(w, r, err, "create key")
			return
		}
		f.place(problems, keyFieldRoutes)
		s.redisplayAdmin(w, r, sess, func(v *adminView) { v.KeyForm = f })
		return
	}
	k := resp.GetKey()
	// The secret waits server-side for the next page view only: never in a URL or cookie,
	// and gone after that view (or two minutes unread).
	s.redirectWithNotice(w, r, sess, "/admin", notice{Kind: "done",
		Text:   fmt.Sprintf("Key %q created: role %s, %s.", k.GetName(), auth.RoleName(k.GetRole()), grantsWords(k.GetGrants())),
		Secret: resp.GetSecret(), Lines: []string{k.GetName(), k.GetKeyId()}})
}

type revokeView struct {
	page
	Key  adminKeyView
	CSRF string
}

// confirmRevoke is the confirmation before a revocation: a page of its own with the key's
// facts, so it works without script and a stray click on the list revokes nothing.
func (s *Server) confirmRevoke(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.openAdmin(w, r)
	if !ok {
		return
	}
	k, err := s.findKey(r.Context(), sess, r.PathValue("key"))
	if err != nil {
		s.serviceError(w, r, err, "find key")
		return
	}
	s.render(w, r, http.StatusOK, "admin-revoke", &revokeView{page: s.pageOf(sess, "Revoke key "+k.GetName()),
		Key: adminKeyViewOf(k, sess, s.opts.Now()), CSRF: sess.csrf})
}

// findKey reads one key from the list (the API has no single read).
func (s *Server) findKey(ctx context.Context, sess *session, id string) (*authv1.ApiKey, error) {
	if !bus.ValidToken(id) {
		return nil, status.Error(codes.NotFound, "There is no key with that id.")
	}
	resp, err := s.clients.Auth.ListApiKeys(withCredential(ctx, sess), &authv1.ListApiKeysRequest{IncludeInactive: true})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	for _, k := range resp.GetKeys() {
		if k.GetKeyId() == id {
			return k, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "There is no key %q.", id)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.postToAdmin(w, r)
	if !ok {
		return
	}
	id := r.PathValue("key")
	resp, err := s.clients.Auth.RevokeApiKey(withCredential(r.Context(), sess), &authv1.RevokeApiKeyRequest{KeyId: id,
		Reason: strings.TrimSpace(r.PostForm.Get("reason"))})
	if err != nil {
		if status.Code(err) == codes.FailedPrecondition {
			// The one refusal an admin can run into: the key of their own session.
			s.redirectWithNotice(w, r, sess, "/admin", notice{Kind: "problem",
				Text: "Nothing was revoked: this is the key you are signed in with. Sign in with another admin key to revoke it."})
			return
		}
		s.serviceError(w, r, err, "revoke key")
		return
	}
	s.redirectWithNotice(w, r, sess, "/admin", notice{Kind: "done",
		Text: fmt.Sprintf("Key %q (%s) revoked. Everything signed in with it stops working at its next request.", resp.GetKey().GetName(), id)})
}
