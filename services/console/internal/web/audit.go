package web

import (
	"cmp"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/auth"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
)

// The audit log's GET form on the admin page. Its fields carry an audit_ prefix so they never
// mix with the key list's ?keys= or the POST forms' fields.
const (
	fieldAuditTeam     = "audit_team"
	fieldAuditActor    = "audit_actor"
	fieldAuditAction   = "audit_action"
	fieldAuditResource = "audit_resource"
	fieldAuditSince    = "audit_since"
	fieldAuditUntil    = "audit_until"
	fieldAuditPage     = "audit_page"
)

// auditPageSize is one screen of the trail; the service allows up to 500.
const auditPageSize = 50

// auditDetailShown is how much of a record's detail the table shows before folding the rest
// into a <details> (the detail of a coach's decision is the request's JSON, up to 4,000 bytes).
const auditDetailShown = 100

// auditFilter is the audit form as typed (and as the paging links repeat it).
type auditFilter struct {
	Team, Actor, Action, Resource, Since, Until, Page string
}

func auditFilterOf(q url.Values) auditFilter {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return auditFilter{Team: get(fieldAuditTeam), Actor: get(fieldAuditActor), Action: get(fieldAuditAction),
		Resource: get(fieldAuditResource), Since: get(fieldAuditSince), Until: get(fieldAuditUntil), Page: get(fieldAuditPage)}
}

// request turns the form into the service's request, or says which fields are wrong. Days are
// UTC days and the until day is included.
func (f auditFilter) request() (*authv1.ListAuditRecordsRequest, map[string]string) {
	req := &authv1.ListAuditRecordsRequest{TeamId: f.Team, ActorSubject: f.Actor, ResourceId: f.Resource,
		PageSize: auditPageSize, PageToken: f.Page}
	req.Actions = append(req.Actions, strings.FieldsFunc(f.Action, func(r rune) bool { return r == ',' || r == ' ' })...)
	problems := map[string]string{}
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			problems[field] = "Enter a day as 2026-01-31."
		}
		return d
	}
	if since := day(fieldAuditSince, f.Since); !since.IsZero() {
		req.Since = timestamppb.New(since)
	}
	if until := day(fieldAuditUntil, f.Until); !until.IsZero() {
		req.Until = timestamppb.New(until.AddDate(0, 0, 1))
	}
	if req.Since != nil && req.Until != nil && !req.Until.AsTime().After(req.Since.AsTime()) {
		problems[fieldAuditUntil] = "The last day comes before the first."
	}
	return req, problems
}

// query is the form as URL parameters, without the page unless page is set.
func (f auditFilter) query(page string) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{fieldAuditTeam: f.Team, fieldAuditActor: f.Actor, fieldAuditAction: f.Action,
		fieldAuditResource: f.Resource, fieldAuditSince: f.Since, fieldAuditUntil: f.Until, fieldAuditPage: page} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// auditLink is the admin page with the audit form's values plus more, at the audit log.
func auditLink(q url.Values, showInactive bool) string {
	if showInactive {
		q.Set("keys", "all")
	}
	if len(q) == 0 {
		return "/admin#audit"
	}
	return "/admin?" + q.Encode() + "#audit"
}

type auditView struct {
	Form        adminForm
	TeamOptions []option
	Records     []auditRecordView
	// Filtered is true when any filter is set (the empty table then says so).
	Filtered bool
	// NewestURL leads back to the first page (set on later pages); OlderURL to the next one.
	NewestURL, OlderURL string
	// Problem says why the trail could not be shown.
	Problem string
}

type auditRecordView struct {
	ID, When, Team, Actor, ActorName, ActorRole, ActorURL, Action, ActionURL, Resource, ResourceURL string
	Detail, DetailMore                                                                              string
}

// auditViewOf builds the audit section from the answer (or its error), with the key names
// the page already has for the actors and resources that are keys.
func (s *Server) auditViewOf(f auditFilter, problems map[string]string, resp *authv1.ListAuditRecordsResponse, err error, v *adminView) auditView {
	a := auditView{Form: newAdminForm(), Filtered: f.query("").Encode() != ""}
	for k, val := range f.query("") {
		a.Form.Values[k] = val[0]
	}
	for k, p := range problems {
		a.Form.Errors[k] = p
	}
	a.TeamOptions = []option{{Value: "", Label: "Every team", Selected: f.Team == ""}}
	for _, t := range v.Teams {
		a.TeamOptions = append(a.TeamOptions, option{Value: t.ID, Label: t.ID + " (" + t.Name + ")", Selected: t.ID == f.Team})
	}
	a.TeamOptions = append(a.TeamOptions, option{Value: auth.PlatformTeam, Label: "Platform-wide (admin keys, signing keys)", Selected: f.Team == auth.PlatformTeam})
	if f.Page != "" {
		a.NewestURL = auditLink(f.query(""), v.ShowInactive)
	}
	switch {
	case len(problems) > 0:
		return a
	case err != nil:
		a.Problem = s.auditProblem(err, &a.Form)
		return a
	}
	keyNames := map[string]string{}
	for _, k := range v.Keys {
		keyNames[k.ID] = k.Name
	}
	for _, r := range resp.GetRecords() {
		rv := auditRecordView{ID: r.GetEventId(), When: r.GetOccurredAt().AsTime().UTC().Format("2006-01-02 15:04:05 MST"),
			Team: r.GetTeamId(), Actor: r.GetActor().GetSubject(), ActorName: keyNames[r.GetActor().GetSubject()],
			Action: r.GetAction(), Resource: strings.TrimSpace(r.GetResourceType() + " " + r.GetResourceId())}
		if role := r.GetActor().GetRole(); role != 0 {
			rv.ActorRole = auth.RoleName(role)
		}
		if rv.Actor != "" {
			rv.ActorURL = auditLink(auditFilter{Team: f.Team, Actor: rv.Actor}.query(""), v.ShowInactive)
		}
		if rv.Action != "" {
			rv.ActionURL = auditLink(auditFilter{Team: f.Team, Action: rv.Action}.query(""), v.ShowInactive)
		}
		if id := r.GetResourceId(); id != "" {
			rv.ResourceURL = auditLink(auditFilter{Team: f.Team, Resource: id}.query(""), v.ShowInactive)
			if name := keyNames[id]; name != "" && r.GetResourceType() == "api_key" {
				rv.Resource += " (" + name + ")"
			}
		}
		rv.Detail = r.GetDetail()
		if runes := []rune(rv.Detail); len(runes) > auditDetailShown {
			rv.Detail, rv.DetailMore = string(runes[:auditDetailShown])+"…", r.GetDetail()
		}
		a.Records = append(a.Records, rv)
	}
	if next := resp.GetNextPageToken(); next != "" {
		a.OlderURL = auditLink(f.query(next), v.ShowInactive)
	}
	return a
}

// auditProblem puts the service's refusal of the filters under their fields and returns a
// sentence for anything else. The rest of the admin page does not depend on the trail, so a
// trail that cannot be read is said here instead of failing the page.
func (s *Server) auditProblem(err error, form *adminForm) string {
	if problems, invalid := fieldProblems(err); invalid {
		form.place(problems, []fieldRoute{{"team_id", fieldAuditTeam}, {"actor_subject", fieldAuditActor},
			{"actions", fieldAuditAction}, {"resource_id", fieldAuditResource}, {"since", fieldAuditSince}, {"until", fieldAuditUntil}})
		if _, stale := problems["page_token"]; stale {
			return "That page of the audit log no longer exists. Start again from the newest records."
		}
		return form.General
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return "The audit log cannot be read right now (" + cmp.Or(status.Convert(err).Message(), "no answer") + "). Try again shortly."
	case codes.PermissionDenied:
		return "You may not read the audit log: " + status.Convert(err).Message()
	}
	s.log.Error("audit log not read", zap.Error(err))
	return "The audit log could not be read. Try again."
}
