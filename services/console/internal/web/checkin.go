package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
)

// The athlete check-in: a personal link (an API key with the athlete role, bound to one athlete
// of one team, `sc checkin link`) signs a phone in to a page with the morning questionnaire and
// the session RPE. Answers go to the ingestion service with the athlete's own token, as normal
// wellness and session records, so fatigue, trends and alerts see them with no special path.

// checkinCookie holds a check-in session id. It is a separate cookie from the console's
// session so an athlete's phone never holds a console session, and it is SameSite=Lax: the
// athlete arrives from a chat message or a QR scanner, a navigation from another site, and a
// Strict cookie set on the link would not come with the page the link redirects to. Posts are
// still protected by the form token and the Origin check.
const checkinCookie = "sc_checkin"

// checkinSessionMax is how long one opening of the link lasts: a week of mornings, the longest
// token the platform issues. After that the athlete opens their link again.
const checkinSessionMax = 7 * 24 * time.Hour

// checkinSource is the records' source, so staff can tell check-ins from device and app data.
const checkinSource = "checkin"

// checkinHistoryDays is how far back the page shows the athlete their own reports.
const checkinHistoryDays = 14

// checkin is the check-in's own session store and page.
type checkin struct {
	sessions *sessions
	page     *template.Template
}

func (s *Server) registerCheckin() error {
	page, err := template.New("checkin.html").ParseFS(templateFiles, "assets/templates/checkin.html")
	if err != nil {
		return fmt.Errorf("console template checkin: %w", err)
	}
	sessions, err := newSessions(s.opts.SessionKey, "check-in session", checkinSessionMax, s.opts.Now)
	if err != nil {
		return err
	}
	s.checkin = &checkin{sessions: sessions, page: page}
	s.mux.HandleFunc("GET /checkin/link", s.checkinLink)
	s.mux.HandleFunc("GET /checkin", s.checkinForm)
	s.mux.HandleFunc("POST /checkin/wellness", s.checkinWellness)
	s.mux.HandleFunc("POST /checkin/session", s.checkinSession)
	s.mux.HandleFunc("GET /checkin/my-data.csv", s.checkinExport)
	s.mux.HandleFunc("POST /checkin/signout", s.checkinSignout)
	return nil
}

// checkinLink signs a phone in with the athlete's link and redirects to the page, so the key
// leaves the address bar and history. Unlike a console link the key is not spent: opening it
// again (a new phone, a week later) signs in again, until it is revoked.
func (s *Server) checkinLink(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if key == "" || s.clients.Ingestion == nil {
		s.checkinRefused(w, r, http.StatusNotFound, "This check-in link is incomplete. Ask your coach for your personal link.")
		return
	}
	ctx := withBearer(r.Context(), key)
	me, err := s.clients.Auth.WhoAmI(ctx, &authv1.WhoAmIRequest{})
	if err != nil {
		s.checkinFailed(w, r, err)
		return
	}
	team, athlete, ok := ownAthlete(me.GetPrincipal())
	if !ok {
		s.checkinRefused(w, r, http.StatusForbidden,
			"This link is not an athlete's check-in link. Coaches and staff sign in to the console at /signin.")
		return
	}
	tok, err := s.clients.Auth.IssueToken(ctx, &authv1.IssueTokenRequest{Ttl: durationpb.New(checkinSessionMax)})
	if err != nil {
		s.checkinFailed(w, r, err)
		return
	}
	sess := &session{token: tok.GetToken(), expires: tok.GetExpiresAt().AsTime(), subject: me.GetPrincipal().GetSubject(),
		name: me.GetPrincipal().GetDisplayName(), role: commonv1.Role_ROLE_ATHLETE, teams: []string{team}, athlete: athlete}
	value, err := s.checkin.sessions.create(sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.setCheckinCookie(w, r, sess, value)
	s.log.Info("check-in signed in", zap.String("subject", sess.subject), zap.String("team", team))
	http.Redirect(w, r, "/checkin", http.StatusSeeOther)
}

// ownAthlete is the one athlete of one team an athlete principal is bound to. A key with more
// (possible for API use) is not a check-in link: the page reports for exactly one person.
func ownAthlete(p *authv1.Principal) (team, athlete string, ok bool) {
	if p.GetRole() != commonv1.Role_ROLE_ATHLETE || len(p.GetGrants()) != 1 || len(p.GetGrants()[0].GetAthleteIds()) != 1 {
		return "", "", false
	}
	g := p.GetGrants()[0]
	return g.GetTeamId(), g.GetAthleteIds()[0], true
}

func (s *Server) checkinSessionOf(r *http.Request) (*session, bool) {
	return s.checkin.sessions.get(s.cookie(r, checkinCookie), true)
}

func (s *Server) setCheckinCookie(w http.ResponseWriter, r *http.Request, sess *session, value string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r, checkinCookie), Value: value, Path: "/", MaxAge: int(sess.expires.Sub(s.opts.Now()).Seconds()),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

func (s *Server) requireCheckin(w http.ResponseWriter, r *http.Request) (*session, bool) {
	if sess, ok := s.checkinSessionOf(r); ok {
		// Seen now: sealed into the cookie again, as the console's sessions are.
		value, err := s.checkin.sessions.seal(sess)
		if err != nil {
			s.internalError(w, r, err)
			return nil, false
		}
		s.setCheckinCookie(w, r, sess, value)
		return sess, true
	}
	s.checkinRefused(w, r, http.StatusUnauthorized, "You are not signed in to the check-in. Open your personal link again.")
	return nil, false
}

// endCheckin forgets the browser's check-in session (revoked link, sign-out).
func (s *Server) endCheckin(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r, checkinCookie), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

func (s *Server) checkinFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch status.Code(err) {
	case codes.Unauthenticated:
		s.endCheckin(w, r)
		s.checkinRefused(w, r, http.StatusUnauthorized,
			"This check-in link no longer works: it was revoked or has expired. Ask your coach for a new one.")
	case codes.PermissionDenied:
		s.checkinRefused(w, r, http.StatusForbidden, "This link may not do that. Ask your coach for your personal link.")
	case codes.Unavailable, codes.DeadlineExceeded:
		s.log.Warn("check-in: service unavailable", zap.Error(err))
		s.checkinRefused(w, r, http.StatusServiceUnavailable, "Supercomp did not answer in time. Try again in a minute.")
	default:
		s.log.Error("check-in request failed", zap.String("path", r.URL.Path), zap.Error(err))
		s.checkinRefused(w, r, http.StatusInternalServerError, "Something went wrong. Try again.")
	}
}

func (s *Server) checkinRefused(w http.ResponseWriter, r *http.Request, code int, text string) {
	s.renderCheckin(w, r, code, &checkinView{Refused: text})
}

// checkinChoice is one answer of a radio group.
type checkinChoice struct {
	Value, Label string
	Checked      bool
}

// checkinQuestion is a radio group of the questionnaire.
type checkinQuestion struct {
	Name, Legend, Hint string
	Choices            []checkinChoice
	Problem            string
}

// The wellness scales of the design notes (McLean 2010): 1-5, oriented so 5 is best. The words
// are what the athlete reads; the number is what is stored.
var wellnessScales = []struct {
	name, legend string
	words        [5]string
}{
	{"sleep_quality", "Sleep quality", [5]string{"Insomnia", "Restless", "Hard to fall asleep", "Good", "Very restful"}},
	{"fatigue", "Fatigue", [5]string{"Always tired", "More tired than normal", "Normal", "Fresh", "Very fresh"}},
	{"soreness", "Muscle soreness", [5]string{"Very sore", "Increased soreness", "Normal", "Feeling good", "Feeling great"}},
	{"mood", "Mood", [5]string{"Down, irritable", "Snappy", "Less interested than usual", "Good", "Very positive"}},
	{"motivation", "Motivation to train", [5]string{"None", "Low", "Normal", "Motivated", "Highly motivated"}},
	{"stress", "Stress", [5]string{"Highly stressed", "Stressed", "Normal", "Relaxed", "Very relaxed"}},
}

// jointPainWords are the 0-5 joint pain scale; 3 and above flags the coach and medical staff.
var jointPainWords = [6]string{"None", "Barely", "Mild", "Moderate", "Bad", "Worst"}

// sessionRPEWords is the CR-10 scale (Foster 2001) asked about 30 minutes after a session.
var sessionRPEWords = [11]string{"Rest", "Very, very easy", "Easy", "Moderate", "Somewhat hard", "Hard", "", "Very hard", "", "", "Maximal"}

// sorenessAreas and jointLocations are stored as the athlete picked them (lowercase words).
var (
	sorenessAreas  = []string{"neck", "shoulders", "chest", "upper back", "lower back", "arms", "glutes", "hips", "quads", "hamstrings", "calves"}
	jointLocations = []string{"left knee", "right knee", "left shoulder", "right shoulder", "lower back", "left hip", "right hip",
		"left elbow", "right elbow", "left wrist", "right wrist", "left ankle", "right ankle", "neck"}
)

type checkinView struct {
	// Refused replaces the page with a sentence (no session, revoked link).
	Refused string
	Name    string
	Team    string
	CSRF    string
	// WellnessID and SessionID are the submission ids of the two forms: event ids chosen when
	// the form is rendered, so a resent form (a retry after a dropped connection, a double tap)
	// is the same record and is stored once.
	WellnessID, SessionID string
	Questions             []checkinQuestion
	JointPain             checkinQuestion
	SorenessAreas         []checkinChoice
	JointLocations        []checkinChoice
	SleepHours            string
	SleepHoursProblem     string
	JointLocationProblem  string
	SessionRPE            checkinQuestion
	Duration              string
	DurationProblem       string
	// Problem is a problem with the form as a whole.
	Problem string
	// Done says what the last post did (after the redirect).
	Done string
	// ReportedToday is set when a morning questionnaire was stored today (athlete's day).
	ReportedToday bool
	History       []checkinDay
}

// checkinDay is one day of the athlete's last two weeks.
type checkinDay struct {
	Date                                               string
	Sleep, Fatigue, Soreness, Mood, Motivation, Stress string
	JointPain                                          string
	Sessions                                           string
}

// checkinAnswers is a posted form, kept to show it again with a problem.
type checkinAnswers struct {
	values map[string]string
	areas  []string
}

func answersOf(r *http.Request) checkinAnswers {
	a := checkinAnswers{values: map[string]string{}, areas: r.PostForm["soreness_area"]}
	for k, v := range r.PostForm {
		if len(v) > 0 {
			a.values[k] = strings.TrimSpace(v[0])
		}
	}
	return a
}

func (s *Server) newCheckinView(sess *session, answers checkinAnswers, problems map[string]string) (*checkinView, error) {
	wellnessID, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("submission id: %w", err)
	}
	sessionID, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("submission id: %w", err)
	}
	v := &checkinView{Name: cmp.Or(sess.name, sess.athlete), Team: sess.teams[0], CSRF: sess.csrf,
		WellnessID: wellnessID.String(), SessionID: sessionID.String()}
	// A form shown again with a problem keeps its submission id: what the athlete sends after
	// fixing it is still the one report.
	if id := answers.values["submission_id"]; id != "" {
		if answers.values["form"] == "session" {
			v.SessionID = id
		} else {
			v.WellnessID = id
		}
	}
	for _, sc := range wellnessScales {
		q := checkinQuestion{Name: sc.name, Legend: sc.legend, Problem: problems[sc.name]}
		for i, word := range sc.words {
			val := strconv.Itoa(i + 1)
			q.Choices = append(q.Choices, checkinChoice{Value: val, Label: word, Checked: answers.values[sc.name] == val})
		}
		v.Questions = append(v.Questions, q)
	}
	v.JointPain = checkinQuestion{Name: "joint_pain", Legend: "Joint pain", Hint: "Pain in a joint, not muscle soreness.", Problem: problems["joint_pain"]}
	for i, word := range jointPainWords {
		val := strconv.Itoa(i)
		v.JointPain.Choices = append(v.JointPain.Choices, checkinChoice{Value: val, Label: word,
			Checked: answers.values["joint_pain"] == val || (i == 0 && answers.values["joint_pain"] == "")})
	}
	for _, a := range sorenessAreas {
		v.SorenessAreas = append(v.SorenessAreas, checkinChoice{Value: a, Label: a, Checked: slices.Contains(answers.areas, a)})
	}
	for _, l := range jointLocations {
		v.JointLocations = append(v.JointLocations, checkinChoice{Value: l, Label: l, Checked: answers.values["joint_location"] == l})
	}
	v.JointLocationProblem = problems["joint_location"]
	v.SleepHours, v.SleepHoursProblem = answers.values["sleep_hours"], problems["sleep_hours"]
	v.SessionRPE = checkinQuestion{Name: "session_rpe", Legend: "How hard was the whole session?", Hint: "0 rest, 10 maximal.", Problem: problems["session_rpe"]}
	for i, word := range sessionRPEWords {
		val := strconv.Itoa(i)
		v.SessionRPE.Choices = append(v.SessionRPE.Choices, checkinChoice{Value: val, Label: word, Checked: answers.values["session_rpe"] == val})
	}
	v.Duration, v.DurationProblem = answers.values["duration_minutes"], problems["duration_minutes"]
	v.Problem = problems[""]
	return v, nil
}

func (s *Server) checkinForm(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.requireCheckin(w, r)
	if !ok {
		return
	}
	v, err := s.newCheckinView(sess, checkinAnswers{}, nil)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if n, ok := s.takeNotice(w, r, sess); ok {
		v.Done = n.Text
	}
	// Every page view calls the services with the athlete's token, so a revoked link is
	// refused on the next request, not when the session would have ended.
	if err := s.loadCheckinHistory(r.Context(), sess, v); err != nil {
		s.checkinFailed(w, r, err)
		return
	}
	s.renderCheckin(w, r, http.StatusOK, v)
}

// exportRecords reads one kind of stored record of one athlete (all of a team when athlete is
// empty, for a coach), from day from on.
func (s *Server) exportRecords(ctx context.Context, team, athlete string, kind ingestionv1.RecordKind, from time.Time) ([]*eventsv1.Event, error) {
	req := &ingestionv1.ExportRequest{TeamId: team, AthleteId: athlete, Kind: kind}
	if !from.IsZero() {
		req.Range = &commonv1.DateRange{Start: &commonv1.Date{Year: int32(from.Year()), Month: int32(from.Month()), Day: int32(from.Day())}}
	}
	stream, err := s.clients.Ingestion.Export(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", kind, err)
	}
	var out []*eventsv1.Event
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", kind, err)
		}
		out = append(out, resp.GetEvents()...)
	}
}

func (s *Server) loadCheckinHistory(ctx context.Context, sess *session, v *checkinView) error {
	team := sess.teams[0]
	// "Today" is the team's day, the same day the coach board counts reports in.
	loc := s.teamLocation(ctx, sess, team)
	ctx = withCredential(ctx, sess)
	today := s.opts.Now().In(loc)
	// Export ranges are UTC days: a day earlier covers the athlete's first local day.
	from := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -checkinHistoryDays)
	wellness, err := s.exportRecords(ctx, team, sess.athlete, ingestionv1.RecordKind_RECORD_KIND_WELLNESS, from)
	if err != nil {
		return err
	}
	sessions, err := s.exportRecords(ctx, team, sess.athlete, ingestionv1.RecordKind_RECORD_KIND_SESSIONS, from)
	if err != nil {
		return err
	}
	days := map[string]*checkinDay{}
	day := func(ev *eventsv1.Event) *checkinDay {
		d := ev.GetOccurredAt().AsTime().In(loc).Format(time.DateOnly)
		if days[d] == nil {
			days[d] = &checkinDay{Date: d}
		}
		return days[d]
	}
	todayKey := today.Format(time.DateOnly)
	for _, ev := range wellness {
		w := ev.GetWellnessReported()
		d := day(ev)
		if d.Date == todayKey {
			v.ReportedToday = true
		}
		// The day's last report is the one that counts, as in the analysis.
		d.Sleep = scoreText(w.SleepQuality)
		if w.SleepHours != nil {
			d.Sleep += fmt.Sprintf(" (%.1f h)", w.GetSleepHours())
		}
		d.Fatigue, d.Soreness, d.Mood = scoreText(w.Fatigue), scoreText(w.Soreness), scoreText(w.Mood)
		d.Motivation, d.Stress = scoreText(w.Motivation), scoreText(w.Stress)
		d.JointPain = jointPainText(w.GetJointPain())
	}
	for _, ev := range sessions {
		se := ev.GetSessionRecorded()
		d := day(ev)
		text := fmt.Sprintf("%.0f min", se.GetDurationMinutes())
		if se.SessionRpe != nil {
			text = fmt.Sprintf("RPE %g × %.0f min = %.0f AU", se.GetSessionRpe(), se.GetDurationMinutes(), se.GetSessionRpe()*se.GetDurationMinutes())
		}
		d.Sessions = strings.TrimPrefix(d.Sessions+"; "+text, "; ")
	}
	cutoff := today.AddDate(0, 0, -checkinHistoryDays+1).Format(time.DateOnly)
	for _, d := range days {
		if d.Date >= cutoff {
			v.History = append(v.History, *d)
		}
	}
	slices.SortFunc(v.History, func(a, b checkinDay) int { return strings.Compare(b.Date, a.Date) })
	return nil
}

func scoreText(v *uint32) string {
	if v == nil {
		return "-"
	}
	return strconv.Itoa(int(*v)) + "/5"
}

func jointPainText(pains []*eventsv1.JointPain) string {
	var parts []string
	for _, p := range pains {
		if p.GetScore() > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/5", p.GetLocation(), p.GetScore()))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// checkinPost checks a check-in post and returns its session; it answers the request otherwise.
func (s *Server) checkinPost(w http.ResponseWriter, r *http.Request) (*session, bool) {
	sess, ok := s.requireCheckin(w, r)
	if !ok {
		return nil, false
	}
	if err := r.ParseForm(); err != nil {
		s.checkinRefused(w, r, http.StatusBadRequest, "The form could not be read. Go back and try again.")
		return nil, false
	}
	if !sameOrigin(r) || !tokensEqual(r.PostForm.Get("csrf"), sess.csrf) {
		s.checkinRefused(w, r, http.StatusForbidden, "This form was not sent from this page, or it has expired. Reload the page and try again.")
		return nil, false
	}
	return sess, true
}

// checkinNumber reads an optional number; problems collects a field's problem by form name.
func checkinNumber(a checkinAnswers, name string, problems map[string]string) *float64 {
	raw := strings.ReplaceAll(a.values[name], ",", ".") // a phone keyboard may offer a decimal comma
	if raw == "" {
		return nil
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		problems[name] = "Enter a number."
		return nil
	}
	return &f
}

func checkinScore(a checkinAnswers, name string, problems map[string]string) *uint32 {
	f := checkinNumber(a, name, problems)
	if f == nil {
		return nil
	}
	if *f != float64(uint32(*f)) {
		problems[name] = "Pick one of the answers."
		return nil
	}
	u := uint32(*f)
	return &u
}

// wellnessOf is the posted questionnaire as a wellness record. Only what the form itself cannot
// express is checked here; the ranges are the ingestion service's, as for any record.
func wellnessOf(a checkinAnswers, problems map[string]string) *eventsv1.WellnessReported {
	w := &eventsv1.WellnessReported{
		SleepQuality: checkinScore(a, "sleep_quality", problems), Fatigue: checkinScore(a, "fatigue", problems),
		Soreness: checkinScore(a, "soreness", problems), Mood: checkinScore(a, "mood", problems),
		Motivation: checkinScore(a, "motivation", problems), Stress: checkinScore(a, "stress", problems),
		SleepHours: checkinNumber(a, "sleep_hours", problems),
	}
	for _, area := range a.areas {
		if slices.Contains(sorenessAreas, area) {
			w.SorenessAreas = append(w.SorenessAreas, area)
		}
	}
	// Joint pain is always asked: "none" is an answer (score 0 with no location is not sent).
	if pain := checkinScore(a, "joint_pain", problems); pain != nil && *pain > 0 {
		loc := a.values["joint_location"]
		if !slices.Contains(jointLocations, loc) {
			problems["joint_location"] = "Pick where it hurts."
		}
		w.JointPain = []*eventsv1.JointPain{{Location: loc, Score: *pain}}
	}
	return w
}

func (s *Server) checkinWellness(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.checkinPost(w, r)
	if !ok {
		return
	}
	answers := answersOf(r)
	problems := map[string]string{}
	report := wellnessOf(answers, problems)
	if len(problems) > 0 {
		s.checkinProblems(w, r, sess, answers, problems)
		return
	}
	meta, ok := s.checkinMeta(w, r, sess, answers, problems, s.opts.Now())
	if !ok {
		return
	}
	resp, err := s.clients.Ingestion.RecordWellness(withCredential(r.Context(), sess),
		&ingestionv1.RecordWellnessRequest{TeamId: sess.teams[0], Meta: meta, Wellness: report})
	s.checkinRecorded(w, r, sess, answers, resp.GetResult(), err, "Morning check-in saved. Thank you!")
}

func (s *Server) checkinSession(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.checkinPost(w, r)
	if !ok {
		return
	}
	answers := answersOf(r)
	answers.values["form"] = "session"
	problems := map[string]string{}
	rpe := checkinNumber(answers, "session_rpe", problems)
	if rpe == nil && problems["session_rpe"] == "" {
		problems["session_rpe"] = "Pick how hard the session was."
	}
	minutes := checkinNumber(answers, "duration_minutes", problems)
	if minutes == nil && problems["duration_minutes"] == "" {
		problems["duration_minutes"] = "Enter how many minutes the session lasted."
	}
	if len(problems) > 0 {
		s.checkinProblems(w, r, sess, answers, problems)
		return
	}
	// The session is reported after it ended: it started its duration before now.
	now := s.opts.Now()
	meta, ok := s.checkinMeta(w, r, sess, answers, problems, now.Add(-time.Duration(*minutes*float64(time.Minute))))
	if !ok {
		return
	}
	resp, err := s.clients.Ingestion.RecordSession(withCredential(r.Context(), sess), &ingestionv1.RecordSessionRequest{
		TeamId: sess.teams[0], Meta: meta,
		Session: &eventsv1.SessionRecorded{SessionId: "checkin-" + meta.GetEventId(), DurationMinutes: *minutes, SessionRpe: rpe, Name: "Check-in"},
	})
	s.checkinRecorded(w, r, sess, answers, resp.GetResult(), err, "Session saved. Thank you!")
}

// checkinMeta is the record's envelope: the form's submission id is the event id.
func (s *Server) checkinMeta(w http.ResponseWriter, r *http.Request, sess *session, answers checkinAnswers, problems map[string]string, at time.Time) (*ingestionv1.RecordMeta, bool) {
	id, err := uuid.Parse(answers.values["submission_id"])
	if err != nil {
		problems[""] = "This form is incomplete. Reload the page and answer again."
		s.checkinProblems(w, r, sess, answers, problems)
		return nil, false
	}
	return &ingestionv1.RecordMeta{EventId: id.String(), AthleteId: sess.athlete, OccurredAt: timestamppb.New(at), Source: checkinSource}, true
}

// checkinRecorded answers a record call: stored (or stored before, for a resent form) goes
// back to the page with a thank-you; field problems are shown at their fields with the
// answers kept.
func (s *Server) checkinRecorded(w http.ResponseWriter, r *http.Request, sess *session, answers checkinAnswers, res *ingestionv1.RecordResult, err error, thanks string) {
	if fields, ok := fieldProblems(err); ok {
		problems := map[string]string{}
		for field, text := range fields {
			problems[formFieldOf(field)] = text
		}
		s.checkinProblems(w, r, sess, answers, problems)
		return
	}
	if err != nil {
		s.checkinFailed(w, r, err)
		return
	}
	if res.GetOutcome() == ingestionv1.RecordOutcome_RECORD_OUTCOME_DUPLICATE {
		thanks = "Already saved: this answer was sent before, and is stored once."
	}
	if err := s.putNotice(w, r, sess, notice{Kind: "done", Text: thanks}); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/checkin", http.StatusSeeOther)
}

// formFieldOf maps a record field of a service violation ("wellness.joint_pain[0].location")
// to the form field it belongs to ("joint_location"); unknown fields go to the whole form.
func formFieldOf(field string) string {
	f := field
	for _, prefix := range []string{"wellness.", "session."} {
		f = strings.TrimPrefix(f, prefix)
	}
	switch {
	case strings.HasPrefix(f, "joint_pain") && strings.HasSuffix(f, "location"):
		return "joint_location"
	case strings.HasPrefix(f, "joint_pain"):
		return "joint_pain"
	}
	for _, sc := range wellnessScales {
		if f == sc.name {
			return f
		}
	}
	if f == "sleep_hours" || f == "session_rpe" || f == "duration_minutes" {
		return f
	}
	return ""
}

func (s *Server) checkinProblems(w http.ResponseWriter, r *http.Request, sess *session, answers checkinAnswers, problems map[string]string) {
	v, err := s.newCheckinView(sess, answers, problems)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if v.Problem == "" {
		v.Problem = "Some answers need a look: see below."
	}
	s.renderCheckin(w, r, http.StatusUnprocessableEntity, v)
}

// checkinExport is the athlete's own data as CSV: every wellness report and session stored for
// them, whatever sent it.
func (s *Server) checkinExport(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.requireCheckin(w, r)
	if !ok {
		return
	}
	ctx := withCredential(r.Context(), sess)
	wellness, err := s.exportRecords(ctx, sess.teams[0], sess.athlete, ingestionv1.RecordKind_RECORD_KIND_WELLNESS, time.Time{})
	if err != nil {
		s.checkinFailed(w, r, err)
		return
	}
	sessions, err := s.exportRecords(ctx, sess.teams[0], sess.athlete, ingestionv1.RecordKind_RECORD_KIND_SESSIONS, time.Time{})
	if err != nil {
		s.checkinFailed(w, r, err)
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"kind", "occurred_at", "source", "sleep_quality", "sleep_hours", "fatigue", "soreness", "soreness_areas",
		"mood", "motivation", "stress", "joint_pain", "session_rpe", "duration_minutes", "session_name", "event_id"})
	num := func(v *uint32) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(int(*v))
	}
	float := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	all := append(slices.Clone(wellness), sessions...)
	slices.SortStableFunc(all, func(a, b *eventsv1.Event) int { return a.GetOccurredAt().AsTime().Compare(b.GetOccurredAt().AsTime()) })
	for _, ev := range all {
		at := ev.GetOccurredAt().AsTime().UTC().Format(time.RFC3339)
		if wr := ev.GetWellnessReported(); wr != nil {
			var pains []string
			for _, p := range wr.GetJointPain() {
				pains = append(pains, fmt.Sprintf("%s:%d", p.GetLocation(), p.GetScore()))
			}
			_ = cw.Write([]string{"wellness", at, ev.GetSource(), num(wr.SleepQuality), float(wr.SleepHours), num(wr.Fatigue), num(wr.Soreness),
				strings.Join(wr.GetSorenessAreas(), ";"), num(wr.Mood), num(wr.Motivation), num(wr.Stress), strings.Join(pains, ";"),
				"", "", "", ev.GetId()})
		} else if se := ev.GetSessionRecorded(); se != nil {
			_ = cw.Write([]string{"session", at, ev.GetSource(), "", "", "", "", "", "", "", "", "",
				float(se.SessionRpe), strconv.FormatFloat(se.GetDurationMinutes(), 'f', -1, 64), se.GetName(), ev.GetId()})
		}
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"supercomp-%s-%s.csv\"", sess.athlete, s.opts.Now().UTC().Format(time.DateOnly)))
	_, _ = buf.WriteTo(w) // a failed write means the browser went away
}

func (s *Server) checkinSignout(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.checkinPost(w, r); !ok {
		return
	}
	s.endCheckin(w, r)
	s.checkinRefused(w, r, http.StatusOK, "Signed out on this phone. Open your personal link to check in again.")
}

func (s *Server) renderCheckin(w http.ResponseWriter, r *http.Request, code int, v *checkinView) {
	var buf bytes.Buffer
	if err := s.checkin.page.Execute(&buf, v); err != nil {
		s.log.Error("render page", zap.String("page", "checkin"), zap.String("path", r.URL.Path), zap.Error(err))
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w) // a failed write means the browser went away
}
