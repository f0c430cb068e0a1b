package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
)

// cannedIngestion stores records by event id, as the service does: the same id twice is a
// duplicate. It checks the caller too, so the tests see that the console calls as the athlete.
type cannedIngestion struct {
	ingestionv1.UnimplementedIngestionServiceServer
	mu     sync.Mutex
	events []*eventsv1.Event
	// callers are the subjects and roles of the record calls.
	callers []string
}

func (c *cannedIngestion) store(ctx context.Context, team string, meta *ingestionv1.RecordMeta, ev *eventsv1.Event) *ingestionv1.RecordResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, _ := auth.FromContext(ctx)
	c.callers = append(c.callers, auth.RoleName(p.Role))
	for _, e := range c.events {
		if e.GetId() == meta.GetEventId() {
			return &ingestionv1.RecordResult{EventId: e.GetId(), Outcome: ingestionv1.RecordOutcome_RECORD_OUTCOME_DUPLICATE}
		}
	}
	ev.Id, ev.TeamId, ev.AthleteId, ev.OccurredAt, ev.Source = meta.GetEventId(), team, meta.GetAthleteId(), meta.GetOccurredAt(), meta.GetSource()
	c.events = append(c.events, ev)
	return &ingestionv1.RecordResult{EventId: ev.GetId(), Outcome: ingestionv1.RecordOutcome_RECORD_OUTCOME_ACCEPTED}
}

func (c *cannedIngestion) RecordWellness(ctx context.Context, req *ingestionv1.RecordWellnessRequest) (*ingestionv1.RecordWellnessResponse, error) {
	if h := req.GetWellness().SleepHours; h != nil && *h > 24 {
		return nil, fault.InvalidField("wellness.sleep_hours", "must be between 0 and 24, got %v", *h)
	}
	ev := &eventsv1.Event{Payload: &eventsv1.Event_WellnessReported{WellnessReported: req.GetWellness()}}
	return &ingestionv1.RecordWellnessResponse{Result: c.store(ctx, req.GetTeamId(), req.GetMeta(), ev)}, nil
}

func (c *cannedIngestion) RecordSession(ctx context.Context, req *ingestionv1.RecordSessionRequest) (*ingestionv1.RecordSessionResponse, error) {
	ev := &eventsv1.Event{Payload: &eventsv1.Event_SessionRecorded{SessionRecorded: req.GetSession()}}
	return &ingestionv1.RecordSessionResponse{Result: c.store(ctx, req.GetTeamId(), req.GetMeta(), ev)}, nil
}

func (c *cannedIngestion) Export(req *ingestionv1.ExportRequest, stream grpc.ServerStreamingServer[ingestionv1.ExportResponse]) error {
	c.mu.Lock()
	var out []*eventsv1.Event
	for _, e := range c.events {
		kindOK := (req.GetKind() == ingestionv1.RecordKind_RECORD_KIND_WELLNESS) == (e.GetWellnessReported() != nil)
		if e.GetTeamId() == req.GetTeamId() && (req.GetAthleteId() == "" || e.GetAthleteId() == req.GetAthleteId()) && kindOK {
			out = append(out, e)
		}
	}
	c.mu.Unlock()
	return stream.Send(&ingestionv1.ExportResponse{Events: out})
}

func (c *cannedIngestion) stored() []*eventsv1.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*eventsv1.Event(nil), c.events...)
}

var (
	submissionField = regexp.MustCompile(`name="submission_id" value="([^"]+)"`)
)

// openCheckin opens an athlete link in a fresh phone and returns it and the page.
func (f *fixture) openCheckin(key string) (*browser, response) {
	f.t.Helper()
	b := f.browser()
	link := b.get("/checkin/link?" + url.Values{"key": {key}}.Encode())
	if link.code != http.StatusSeeOther || link.location != "/checkin" {
		f.t.Fatalf("link answered %d to %q, want a redirect to /checkin:\n%s", link.code, link.location, link.body)
	}
	return b, b.get("/checkin")
}

func morning(csrf, submission string) url.Values {
	return url.Values{"csrf": {csrf}, "submission_id": {submission}, "sleep_quality": {"4"}, "sleep_hours": {"7,5"},
		"fatigue": {"3"}, "soreness": {"2"}, "soreness_area": {"quads", "calves", "not-an-area"}, "mood": {"4"},
		"motivation": {"5"}, "stress": {"3"}, "joint_pain": {"3"}, "joint_location": {"left knee"}}
}

func TestCheckinMorningAndSessionAsTheAthlete(t *testing.T) {
	f := newFixture(t, Options{})
	key := f.key(commonv1.Role_ROLE_ATHLETE, "t1", 0)
	b, page := f.openCheckin(key)
	if page.code != http.StatusOK || !strings.Contains(page.body, "Morning questionnaire") {
		t.Fatalf("check-in page %d:\n%s", page.code, page.body)
	}
	if c := page.header.Get("Content-Security-Policy"); !strings.Contains(c, "default-src 'self'") {
		t.Errorf("CSP %q", c)
	}
	for _, want := range []string{"Very restful", "Hours slept", "Joint pain", "How hard was the whole session?",
		"Download all your data (CSV)", "What is collected and who sees it", "Nothing reported in the last two weeks"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	ids := submissionField.FindAllStringSubmatch(page.body, -1)
	if len(ids) != 2 || ids[0][1] == ids[1][1] {
		t.Fatalf("want two distinct submission ids, got %v", ids)
	}
	csrf := formToken(t, page)

	// A double tap: the same form twice is stored once.
	for i, want := range []string{"Morning check-in saved", "Already saved"} {
		res := b.post("/checkin/wellness", morning(csrf, ids[0][1]))
		if res.code != http.StatusSeeOther || res.location != "/checkin" {
			t.Fatalf("post %d: %d %q:\n%s", i, res.code, res.location, res.body)
		}
		if after := b.get("/checkin"); !strings.Contains(after.body, want) {
			t.Errorf("after post %d the page does not say %q", i, want)
		}
	}
	res := b.post("/checkin/session", url.Values{"csrf": {csrf}, "submission_id": {ids[1][1]}, "session_rpe": {"7"}, "duration_minutes": {"60"}})
	if res.code != http.StatusSeeOther {
		t.Fatalf("session post %d:\n%s", res.code, res.body)
	}
	stored := f.ingestion.stored()
	if len(stored) != 2 {
		t.Fatalf("stored %d records, want 2 (a wellness report once and a session)", len(stored))
	}
	w := stored[0]
	if w.GetId() != ids[0][1] || w.GetAthleteId() != "a01" || w.GetTeamId() != "t1" || w.GetSource() != "checkin" {
		t.Errorf("wellness envelope %v", w)
	}
	rep := w.GetWellnessReported()
	if rep.GetSleepQuality() != 4 || rep.GetSleepHours() != 7.5 || rep.GetSoreness() != 2 || len(rep.GetJointPain()) != 1 ||
		rep.GetJointPain()[0].GetLocation() != "left knee" || rep.GetJointPain()[0].GetScore() != 3 ||
		strings.Join(rep.GetSorenessAreas(), ",") != "quads,calves" {
		t.Errorf("wellness %v", rep)
	}
	se := stored[1].GetSessionRecorded()
	if se.GetSessionRpe() != 7 || se.GetDurationMinutes() != 60 || stored[1].GetId() != ids[1][1] {
		t.Errorf("session %v", stored[1])
	}
	if got := stored[1].GetOccurredAt().AsTime(); time.Since(got) < 59*time.Minute || time.Since(got) > 61*time.Minute {
		t.Errorf("the session started at %v, want its duration before now", got)
	}
	for _, role := range f.ingestion.callers {
		if role != "athlete" {
			t.Errorf("ingestion was called as %s, want the athlete", role)
		}
	}

	page = b.get("/checkin")
	for _, want := range []string{"You have checked in today", "left knee 3/5", "RPE 7 × 60 min = 420 AU", "4/5 (7.5 h)"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("history lacks %q:\n%s", want, page.body)
		}
	}
	csv := b.get("/checkin/my-data.csv")
	if csv.code != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.body, "wellness,") || !strings.Contains(csv.body, "left knee:3") || !strings.Contains(csv.body, "session,") {
		t.Errorf("csv %d %q:\n%s", csv.code, csv.header.Get("Content-Type"), csv.body)
	}
}

func TestCheckinProblemsStayOnTheForm(t *testing.T) {
	f := newFixture(t, Options{})
	b, page := f.openCheckin(f.key(commonv1.Role_ROLE_ATHLETE, "t1", 0))
	csrf, id := formToken(t, page), submissionField.FindStringSubmatch(page.body)[1]

	form := morning(csrf, id)
	form.Set("joint_location", "")
	res := b.post("/checkin/wellness", form)
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "Pick where it hurts.") ||
		!strings.Contains(res.body, `value="`+id+`"`) || !strings.Contains(res.body, `value="7,5"`) {
		t.Errorf("missing joint location: %d:\n%s", res.code, res.body)
	}
	// The service's own validation lands under its field.
	form = morning(csrf, id)
	form.Set("sleep_hours", "30")
	res = b.post("/checkin/wellness", form)
	if res.code != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="sleep_hours-problem">must be between 0 and 24`).MatchString(res.body) {
		t.Errorf("sleep hours 30: %d:\n%s", res.code, res.body)
	}
	if n := len(f.ingestion.stored()); n != 0 {
		t.Errorf("%d records stored from refused forms", n)
	}
	// Another site's form, or one without the session's token, is refused.
	if res := b.post("/checkin/wellness", morning("forged", id)); res.code != http.StatusForbidden {
		t.Errorf("forged token: %d", res.code)
	}
}

func TestCheckinRefusesRevokedAndOtherKeys(t *testing.T) {
	f := newFixture(t, Options{})
	key := f.key(commonv1.Role_ROLE_ATHLETE, "t1", 0)
	b, page := f.openCheckin(key)
	if page.code != http.StatusOK {
		t.Fatalf("check-in page %d", page.code)
	}
	if _, err := f.authn.Store().RevokeKey(context.Background(), auth.KeyIDOf(key), time.Now()); err != nil {
		t.Fatal(err)
	}
	// The very next request is refused, and the phone is signed out.
	if res := b.get("/checkin"); res.code != http.StatusUnauthorized || !strings.Contains(res.body, "no longer works") {
		t.Errorf("after revoking: %d:\n%s", res.code, res.body)
	}
	if res := b.get("/checkin"); res.code != http.StatusUnauthorized || !strings.Contains(res.body, "Open your personal link again") {
		t.Errorf("signed out after revoking: %d", res.code)
	}
	if res := f.browser().get("/checkin/link?key=" + url.QueryEscape(key)); res.code != http.StatusUnauthorized {
		t.Errorf("revoked link opened again: %d", res.code)
	}
	// A coach's key is not a check-in link, and a check-in session is not a console session.
	if res := f.browser().get("/checkin/link?key=" + url.QueryEscape(f.key(commonv1.Role_ROLE_COACH, "t1", 0))); res.code != http.StatusForbidden {
		t.Errorf("coach key as a check-in link: %d", res.code)
	}
	b2, _ := f.openCheckin(f.key(commonv1.Role_ROLE_ATHLETE, "t1", 0))
	if res := b2.get("/teams/t1"); res.code != http.StatusSeeOther || !strings.HasPrefix(res.location, "/signin") {
		t.Errorf("an athlete's phone opened the board: %d %q", res.code, res.location)
	}
	if res := f.browser().get("/checkin"); res.code != http.StatusUnauthorized {
		t.Errorf("no session: %d", res.code)
	}
}

func TestBoardShowsTodaysCheckins(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(20, time.Now()))
	// The team's day: the board and the athlete's page count "today" in the same zone.
	zone, _ := time.LoadLocation("Pacific/Auckland")
	f.team("t1", zone.String())
	coach := f.browser()
	coach.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	board := coach.get("/teams/t1")
	if day := time.Now().In(zone).Format(time.DateOnly); !strings.Contains(board.body, "(morning check-in, "+day+" in Pacific/Auckland)") {
		t.Errorf("the compliance line does not name the team's day %s and zone", day)
	}
	if !strings.Contains(board.body, "0 of 21 reported today") {
		t.Fatalf("board before any check-in lacks the compliance line:\n%s", board.body)
	}
	phone, page := f.openCheckin(f.key(commonv1.Role_ROLE_ATHLETE, "t1", 0))
	if res := phone.post("/checkin/wellness", morning(formToken(t, page), submissionField.FindStringSubmatch(page.body)[1])); res.code != http.StatusSeeOther {
		t.Fatalf("check-in %d", res.code)
	}
	board = coach.get("/teams/t1")
	if !strings.Contains(board.body, "1 of 21 reported today") {
		t.Errorf("board after a01 checked in lacks 1 of 21:\n%s", board.body)
	}
	missing := board.body[strings.Index(board.body, `id="compliance"`):]
	if strings.Contains(missing, "<li>Athlete 1</li>") || !strings.Contains(missing, "<li>Athlete 2</li>") || !strings.Contains(missing, "<li>New Signing</li>") {
		t.Errorf("not-reported list wrong:\n%s", missing)
	}
}
