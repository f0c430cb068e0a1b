package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/chart"
)

func (s *Server) registerInbox() {
	s.mux.HandleFunc("GET /teams/{team}/deloads", s.inbox)
	s.mux.HandleFunc("GET /teams/{team}/deloads/{deload}", s.deloadPage)
	s.mux.HandleFunc("POST /teams/{team}/deloads/{deload}", s.decideDeload)
}

// The decisions a form may post (the decision field).
var decisionsByName = map[string]commonv1.DeloadDecision{
	"approve":  commonv1.DeloadDecision_DELOAD_DECISION_APPROVE,
	"postpone": commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE,
	"dismiss":  commonv1.DeloadDecision_DELOAD_DECISION_DISMISS,
	"edit":     commonv1.DeloadDecision_DELOAD_DECISION_EDIT,
}

// deloadForm is what a decision form shows again after a refusal: which form was open, what
// was typed, and the problem next to each field.
type deloadForm struct {
	Open    string
	Values  map[string]string
	Errors  map[string]string
	General string
}

type evidenceView struct {
	Family, Detail string
	Abnormal       bool
	Note           string
}

// deloadView is one deload as the inbox and its own page show it.
type deloadView struct {
	ID, AthleteID, Athlete string
	Kind, Status           string
	StatusClass            string
	Week, WeekDate         string
	Reason                 string
	Evidence               []evidenceView
	Parameters             string
	LoadPercent            string
	SetsPercent            string
	RPECap                 string
	Revision               uint64
	Pending, Decidable     bool
	History                []string
	Form                   deloadForm
	// Team, CSRF and Return are what the decision forms post with (Return names the page to
	// show again when a form is refused: "inbox" or "deload").
	Team, CSRF, Return string
}

type inboxView struct {
	teamPage
	Pending  []deloadView
	Upcoming []deloadView
}

type deloadPageView struct {
	teamPage
	Deload       deloadView
	Prescription prescriptionView
}

type prescriptionView struct {
	Range string
	// Reduced says the week's sessions are already cut for the deload.
	Reduced bool
	// Missing explains an empty table (no program, or a rest week).
	Missing  string
	Sessions []sessionView
}

type sessionView struct {
	Day, Name string
	Exercises []exerciseView
}

type exerciseView struct {
	Exercise, Sets, Load, Effort, Normal, Notes string
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.openTeam(w, r)
	if !ok {
		return
	}
	v, err := s.loadInbox(r.Context(), sess, team)
	if err != nil {
		s.serviceError(w, r, err, "deload inbox")
		return
	}
	s.render(w, r, http.StatusOK, "inbox", v)
}

// loadInbox reads the deloads awaiting a decision and the ones coming up, with names.
func (s *Server) loadInbox(ctx context.Context, sess *session, team string) (*inboxView, error) {
	resp, err := s.clients.Programming.ListDeloads(withCredential(ctx, sess), &programmingv1.ListDeloadsRequest{TeamId: team,
		Statuses: []commonv1.DeloadStatus{commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL,
			commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED, commonv1.DeloadStatus_DELOAD_STATUS_IN_PROGRESS},
		PageSize: 1000})
	if err != nil {
		return nil, fmt.Errorf("list deloads: %w", err)
	}
	loc := s.teamLocation(ctx, sess, team)
	who, err := s.athleteNames(ctx, sess, team)
	if err != nil {
		s.log.Warn("deload inbox without athlete names", zap.String("team_id", team), zap.Error(err))
	}
	v := &inboxView{teamPage: s.teamPageOf(sess, team, "Deload inbox · "+team, navDeloads)}
	for _, d := range resp.GetDeloads() {
		dv := deloadViewOf(d, who, loc)
		dv.Team, dv.CSRF, dv.Return = team, sess.csrf, "inbox"
		if dv.Pending {
			v.Pending = append(v.Pending, dv)
		} else {
			v.Upcoming = append(v.Upcoming, dv)
		}
	}
	return v, nil
}

func deloadViewOf(d *programmingv1.Deload, who names, loc *time.Location) deloadView {
	p := d.GetParameters()
	v := deloadView{
		ID: d.GetDeloadId(), AthleteID: d.GetAthleteId(), Athlete: who.of(d.GetAthleteId()),
		Kind: enumWord(d.GetKind().String(), "DELOAD_KIND_"), Status: enumWord(d.GetStatus().String(), "DELOAD_STATUS_"),
		StatusClass: strings.ReplaceAll(enumWord(d.GetStatus().String(), "DELOAD_STATUS_"), " ", "-"),
		Week:        weekdayDateText(d.GetWeekStart()), WeekDate: dateText(d.GetWeekStart()),
		Reason: d.GetReason(), Parameters: parametersText(p), Revision: d.GetRevision(),
		Pending:   d.GetStatus() == commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL,
		Decidable: d.GetStatus() == commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL || d.GetStatus() == commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED,
	}
	if p.GetLoadPercent() > 0 {
		v.LoadPercent = strconv.FormatFloat(p.GetLoadPercent(), 'f', -1, 64)
	}
	if p.GetSetsFactor() > 0 {
		v.SetsPercent = strconv.FormatFloat(p.GetSetsFactor()*100, 'f', 0, 64)
	}
	if p.GetRpeCap() > 0 {
		v.RPECap = strconv.FormatFloat(p.GetRpeCap(), 'f', -1, 64)
	}
	for _, e := range d.GetEvidence() {
		ev := evidenceView{Family: familiesText([]commonv1.SignalFamily{e.GetFamily()}), Detail: cmp.Or(e.GetDetail(), e.GetMetric()), Abnormal: e.GetAbnormal()}
		if e.GetFamily() == commonv1.SignalFamily_SIGNAL_FAMILY_UNSPECIFIED {
			ev.Family = "team"
		}
		switch {
		case e.GetInsufficientData():
			ev.Note = "not enough data to judge"
		case e.GetContextOnly():
			ev.Note = "context only"
		case e.GetAbnormal():
			ev.Note = "abnormal"
		default:
			ev.Note = "normal"
		}
		v.Evidence = append(v.Evidence, ev)
	}
	// Abnormal evidence first: it is why the deload is there.
	slices.SortStableFunc(v.Evidence, func(a, b evidenceView) int {
		switch {
		case a.Abnormal == b.Abnormal:
			return 0
		case a.Abnormal:
			return -1
		}
		return 1
	})
	for _, rec := range d.GetDecisions() {
		v.History = append(v.History, decisionText(rec, loc))
	}
	return v
}

// parametersText says how the week is reduced, e.g. "load 60% · sets ×0.5 (at least 1) ·
// reps ×0.67 · RPE at most 7 · 7 days".
func parametersText(p *eventsv1.DeloadParameters) string {
	var parts []string
	if p.GetLoadPercent() > 0 {
		parts = append(parts, fmt.Sprintf("load %s%% of normal", trimFloat(p.GetLoadPercent())))
	}
	if p.GetSetsFactor() > 0 {
		sets := fmt.Sprintf("%s%% of the sets", trimFloat(p.GetSetsFactor()*100))
		if p.GetMinSets() > 0 {
			sets += fmt.Sprintf(" (at least %d)", p.GetMinSets())
		}
		parts = append(parts, sets)
	}
	if p.GetRepsFactor() > 0 {
		parts = append(parts, fmt.Sprintf("%s%% of the reps", trimFloat(p.GetRepsFactor()*100)))
	}
	if p.GetRpeCap() > 0 {
		parts = append(parts, "RPE at most "+trimFloat(p.GetRpeCap()))
	}
	if p.GetDurationDays() > 0 {
		parts = append(parts, fmt.Sprintf("%d days", p.GetDurationDays()))
	}
	if len(parts) == 0 {
		return "the team's default reductions"
	}
	return strings.Join(parts, " · ")
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func decisionText(rec *programmingv1.DeloadDecisionRecord, loc *time.Location) string {
	d := rec.GetDecided()
	by := d.GetDecidedBy()
	who := cmp.Or(by.GetDisplayName(), by.GetSubject(), "someone")
	out := fmt.Sprintf("%s by %s", decisionPast(d.GetDecision()), who)
	if at := rec.GetDecidedAt(); at != nil {
		out += " at " + zonedText(at.AsTime(), loc)
	}
	switch d.GetDecision() {
	case commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE:
		out += ", to the week of " + dateText(d.GetWeekStart())
	case commonv1.DeloadDecision_DELOAD_DECISION_EDIT:
		out += ": " + parametersText(d.GetParameters())
	}
	if d.GetReason() != "" {
		out += ` ("` + d.GetReason() + `")`
	}
	return out
}

func (s *Server) deloadPage(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.openTeam(w, r)
	if !ok {
		return
	}
	v, err := s.loadDeloadPage(r.Context(), sess, team, r.PathValue("deload"), s.massUnit(r))
	if err != nil {
		s.serviceError(w, r, err, "deload")
		return
	}
	s.render(w, r, http.StatusOK, "deload", v)
}

// loadDeloadPage reads one deload, its athlete's name and the week's prescription.
func (s *Server) loadDeloadPage(ctx context.Context, sess *session, team, id string, unit chart.MassUnit) (*deloadPageView, error) {
	resp, err := s.clients.Programming.GetDeload(withCredential(ctx, sess), &programmingv1.GetDeloadRequest{TeamId: team, DeloadId: id})
	if err != nil {
		return nil, fmt.Errorf("get deload: %w", err)
	}
	d := resp.GetDeload()
	loc := s.teamLocation(ctx, sess, team)
	who, err := s.athleteNames(ctx, sess, team)
	if err != nil {
		s.log.Warn("deload page without athlete names", zap.String("team_id", team), zap.Error(err))
	}
	dv := deloadViewOf(d, who, loc)
	dv.Team, dv.CSRF, dv.Return = team, sess.csrf, "deload"
	v := &deloadPageView{teamPage: s.teamPageOf(sess, team, "Deload of "+dv.Athlete, navDeloads), Deload: dv}
	v.Prescription, err = s.weekPrescription(ctx, sess, d, unit)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// weekPrescription is the deload week's sessions as the athlete will get them.
func (s *Server) weekPrescription(ctx context.Context, sess *session, d *programmingv1.Deload, unit chart.MassUnit) (prescriptionView, error) {
	resp, err := s.clients.Programming.GetPrescription(withCredential(ctx, sess), &programmingv1.GetPrescriptionRequest{
		TeamId: d.GetTeamId(), AthleteId: d.GetAthleteId(), Date: d.GetWeekStart(), WholeWeek: true})
	if status.Code(err) == codes.NotFound {
		// An athlete without a program has nothing to reduce; the deload is still a decision.
		return prescriptionView{Missing: "This athlete has no program assigned, so there are no sessions to reduce. " +
			"Assign one (sc program assign) to see the week here."}, nil
	}
	if err != nil {
		return prescriptionView{}, fmt.Errorf("prescription: %w", err)
	}
	return prescriptionViewOf(resp.GetPrescription(), unit), nil
}

func prescriptionViewOf(p *eventsv1.Prescription, unit chart.MassUnit) prescriptionView {
	v := prescriptionView{Reduced: p.GetDeload()}
	if rg := p.GetRange(); rg != nil {
		v.Range = dateText(rg.GetStart()) + " to " + dateText(rg.GetEnd())
	}
	for _, sn := range p.GetSessions() {
		sv := sessionView{Day: weekdayDateText(sn.GetDate()), Name: cmp.Or(sn.GetName(), "Session")}
		for _, e := range sn.GetExercises() {
			sv.Exercises = append(sv.Exercises, exerciseViewOf(e, unit))
		}
		v.Sessions = append(v.Sessions, sv)
	}
	if len(v.Sessions) == 0 {
		v.Missing = "No sessions are planned in this week."
	}
	return v
}

func exerciseViewOf(e *eventsv1.PrescribedExercise, unit chart.MassUnit) exerciseView {
	v := exerciseView{Exercise: e.GetExercise(), Sets: fmt.Sprintf("%d × %d", e.GetSets(), e.GetReps()), Notes: e.GetNotes()}
	switch {
	case e.LoadKg != nil:
		v.Load = massText(e.GetLoadKg(), unit)
		if e.Percent_1Rm != nil {
			v.Load += fmt.Sprintf(" (%s%% 1RM)", trimFloat(e.GetPercent_1Rm()))
		}
	case e.Percent_1Rm != nil:
		v.Load = trimFloat(e.GetPercent_1Rm()) + "% 1RM"
	default:
		v.Load = "-"
	}
	var effort []string
	if e.RpeCap != nil {
		effort = append(effort, "RPE ≤ "+trimFloat(e.GetRpeCap()))
	} else if e.TargetRpe != nil {
		effort = append(effort, "RPE "+trimFloat(e.GetTargetRpe()))
	}
	if e.TargetRir != nil {
		effort = append(effort, trimFloat(e.GetTargetRir())+" in reserve")
	}
	if !e.GetAllowFailure() {
		effort = append(effort, "no failure")
	}
	v.Effort = strings.Join(effort, ", ")
	v.Normal = "-"
	if e.GetDeload() {
		v.Normal = fmt.Sprintf("%d × %d", e.GetNormalSets(), e.GetNormalReps())
		if e.NormalLoadKg != nil {
			v.Normal += " at " + massText(e.GetNormalLoadKg(), unit)
		}
	}
	return v
}

// decideDeload applies a decision form. Success goes back with a notice (the deload's page
// after an approval, so the coach sees the reduced week); refused fields are shown next to
// the form again; a decision someone else made first is explained, never a 500.
func (s *Server) decideDeload(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.postToTeam(w, r)
	if !ok {
		return
	}
	id := r.PathValue("deload")
	name := r.PostForm.Get("decision")
	decision, known := decisionsByName[name]
	if !known {
		s.renderMessage(w, r, sess, http.StatusBadRequest, "Bad request", "The form did not say which decision to make.")
		return
	}
	form := deloadForm{Open: name, Values: map[string]string{}, Errors: map[string]string{}}
	for _, f := range []string{"postpone_to", "reason", "load_percent", "sets_percent", "rpe_cap"} {
		form.Values[f] = r.PostForm.Get(f)
	}
	req := &programmingv1.DecideDeloadRequest{TeamId: team, DeloadId: id, Decision: decision, DecidedBy: actorOf(sess),
		Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	if rev, err := strconv.ParseUint(r.PostForm.Get("revision"), 10, 64); err == nil {
		req.ExpectedRevision = &rev
	} else {
		// Without the revision the decision could overwrite another coach's unseen; refuse.
		s.renderMessage(w, r, sess, http.StatusBadRequest, "Bad request", "The form did not carry the deload's revision. Reload the page and try again.")
		return
	}
	switch decision {
	case commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE:
		if d, err := parseDate(form.Values["postpone_to"]); err != nil {
			form.Errors["postpone_to"] = err.Error()
		} else {
			req.PostponeTo = d
		}
	case commonv1.DeloadDecision_DELOAD_DECISION_DISMISS:
		if req.Reason == "" {
			form.Errors["reason"] = "Say why the athlete does not need this deload."
		}
	case commonv1.DeloadDecision_DELOAD_DECISION_EDIT:
		req.Parameters = &eventsv1.DeloadParameters{}
		req.Parameters.LoadPercent = formNumber(form, "load_percent", 1)
		req.Parameters.SetsFactor = formNumber(form, "sets_percent", 0.01)
		req.Parameters.RpeCap = formNumber(form, "rpe_cap", 1)
	}
	back := r.PostForm.Get("return")
	if len(form.Errors) > 0 {
		s.redisplayDecision(w, r, sess, team, id, back, form)
		return
	}
	resp, err := s.clients.Programming.DecideDeload(withCredential(r.Context(), sess), req)
	switch {
	case err == nil:
		d := resp.GetDeload()
		who, _ := s.athleteNames(r.Context(), sess, team)
		text := fmt.Sprintf("%s: deload %s (%s, week of %s).", who.of(d.GetAthleteId()), decisionPast(decision),
			enumWord(d.GetStatus().String(), "DELOAD_STATUS_"), dateText(d.GetWeekStart()))
		to := teamPath(team, "deloads")
		if decision == commonv1.DeloadDecision_DELOAD_DECISION_APPROVE || decision == commonv1.DeloadDecision_DELOAD_DECISION_EDIT || back == "deload" {
			to = teamPath(team, "deloads", id)
			text += " The week's prescription is below."
		}
		s.redirectWithNotice(w, r, sess, to, notice{Kind: "done", Text: text})
	case isConflict(err):
		s.decisionConflict(w, r, sess, team, id, err)
	default:
		problems, invalid := fieldProblems(err)
		if !invalid {
			s.serviceError(w, r, err, "decide deload")
			return
		}
		for field, text := range problems {
			if f := decisionField(field, decision); f != "" {
				form.Errors[f] = text
			} else {
				form.General = strings.TrimSpace(form.General + " " + text)
			}
		}
		s.redisplayDecision(w, r, sess, team, id, back, form)
	}
}

// formNumber reads an optional number field times scale; empty is 0 (the API keeps the current
// value), and text that is not a number is a problem next to the field.
func formNumber(form deloadForm, field string, scale float64) float64 {
	raw := strings.TrimSpace(form.Values[field])
	if raw == "" {
		return 0
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || f < 0 {
		form.Errors[field] = "Enter a positive number."
		return 0
	}
	return f * scale
}

// decisionField is the form field an API field violation belongs to.
func decisionField(apiField string, decision commonv1.DeloadDecision) string {
	switch {
	case apiField == "postpone_to":
		return "postpone_to"
	case apiField == "week_start" && decision == commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE:
		return "postpone_to"
	case apiField == "reason":
		return "reason"
	case apiField == "parameters.load_percent":
		return "load_percent"
	case apiField == "parameters.sets_factor", apiField == "parameters.min_sets":
		return "sets_percent"
	case apiField == "parameters.rpe_cap":
		return "rpe_cap"
	}
	return ""
}

func decisionPast(d commonv1.DeloadDecision) string {
	switch d {
	case commonv1.DeloadDecision_DELOAD_DECISION_APPROVE:
		return "approved"
	case commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE:
		return "postponed"
	case commonv1.DeloadDecision_DELOAD_DECISION_DISMISS:
		return "dismissed"
	case commonv1.DeloadDecision_DELOAD_DECISION_EDIT:
		return "edited"
	}
	return "changed"
}

// redisplayDecision shows the page the form came from again with the form's problems.
func (s *Server) redisplayDecision(w http.ResponseWriter, r *http.Request, sess *session, team, id, back string, form deloadForm) {
	if back == "deload" {
		v, err := s.loadDeloadPage(r.Context(), sess, team, id, s.massUnit(r))
		if err != nil {
			s.serviceError(w, r, err, "deload")
			return
		}
		v.Deload.Form = form
		s.render(w, r, http.StatusUnprocessableEntity, "deload", v)
		return
	}
	v, err := s.loadInbox(r.Context(), sess, team)
	if err != nil {
		s.serviceError(w, r, err, "deload inbox")
		return
	}
	found := false
	for i := range v.Pending {
		if v.Pending[i].ID == id {
			v.Pending[i].Form, found = form, true
		}
	}
	if !found {
		v.Notice = &notice{Kind: "problem", Text: "That deload is no longer waiting for a decision: " + cmp.Or(form.General, "it was decided meanwhile.")}
	}
	s.render(w, r, http.StatusUnprocessableEntity, "inbox", v)
}

// decisionConflict explains a decision that lost a race: the deload changed after the page was
// read, so nothing was changed, and its page shows what it is now and who decided.
func (s *Server) decisionConflict(w http.ResponseWriter, r *http.Request, sess *session, team, id string, cause error) {
	text := "Nothing was changed: this deload was changed by someone else after you opened the page."
	resp, err := s.clients.Programming.GetDeload(withCredential(r.Context(), sess), &programmingv1.GetDeloadRequest{TeamId: team, DeloadId: id})
	if err != nil {
		s.serviceError(w, r, errors.Join(cause, err), "deload after a conflict")
		return
	}
	d := resp.GetDeload()
	text += " It is now " + enumWord(d.GetStatus().String(), "DELOAD_STATUS_") + ", week of " + dateText(d.GetWeekStart())
	if recs := d.GetDecisions(); len(recs) > 0 {
		text += " (last: " + decisionText(recs[len(recs)-1], s.teamLocation(r.Context(), sess, team)) + ")"
	}
	text += ". Check it below and decide again if you still need to."
	s.log.Info("deload decision conflict", zap.String("team_id", team), zap.String("deload_id", id), zap.Error(cause))
	s.redirectWithNotice(w, r, sess, teamPath(team, "deloads", id), notice{Kind: "problem", Text: text})
}
