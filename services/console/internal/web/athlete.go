package web

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/bus"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/services/chart"
)

// The athlete page's range: whole weeks back from its last day. Two years is the longest the
// trends service answers (104 weeks).
const (
	defaultAthleteWeeks = 12
	maxAthleteWeeks     = 104
	// assessmentsPage is the largest page ListAssessments serves.
	assessmentsPage = 500
	// trendDayLimit is the most days one daily trends query may cover.
	trendDayLimit = 366
)

var weekChoices = []int{4, 8, 12, 26, 52, 104}

// athleteQuery is what the athlete page shows: how many weeks, up to which day, in which mass
// unit. All of it is in the URL (the unit also in a cookie), so the page works without
// JavaScript and a view can be bookmarked or sent to a colleague.
type athleteQuery struct {
	Weeks int
	// To is the last day shown (a civil date at UTC midnight); zero means the athlete's last
	// assessed day, or today without one.
	To   time.Time
	Unit chart.MassUnit
	// unitChosen is true when the URL chose the unit, which then becomes the preference.
	unitChosen bool
}

func (s *Server) athleteQueryOf(r *http.Request) athleteQuery {
	q := athleteQuery{Weeks: defaultAthleteWeeks}
	v := r.URL.Query()
	if n, err := strconv.Atoi(v.Get("weeks")); err == nil && n >= 1 {
		q.Weeks = min(n, maxAthleteWeeks)
	}
	if t, err := time.Parse(time.DateOnly, v.Get("to")); err == nil {
		q.To = t
	}
	if u, err := chart.ParseMassUnit(v.Get("unit")); err == nil && v.Get("unit") != "" {
		q.Unit, q.unitChosen = u, true
	} else {
		q.Unit = s.massUnit(r)
	}
	return q
}

// athleteData is everything the page reads, each part from one service call.
type athleteData struct {
	profile *programmingv1.AthleteProfile       // nil without a profile
	status  *fatiguev1.GetAthleteStatusResponse // nil when the athlete has no data
	explain *fatiguev1.ExplainAssessmentResponse
	deloads []*programmingv1.Deload
	// assessments are the range's, newest first.
	assessments []*fatiguev1.Assessment
	weekly      *trendsv1.GetTeamTrendsResponse
	daily       []*trendsv1.GetTeamTrendsResponse
	loc         *time.Location
	from, to    time.Time // civil days, inclusive
}

// notFound is true for a NotFound answer: the athlete (or its assessment) does not exist yet,
// which the page shows rather than failing.
func notFound(err error) bool { return status.Code(err) == codes.NotFound }

// loadAthlete reads the athlete in two rounds of parallel calls: first who they are (profile,
// status, explanation, deloads), which fixes the time zone and the last day of the range, then
// the series over that range.
func (s *Server) loadAthlete(ctx context.Context, sess *session, team, athlete string, q athleteQuery) (*athleteData, error) {
	d := &athleteData{}
	var g callGroup
	plain := ctx
	g.run(func() error {
		d.loc = s.teamLocation(plain, sess, team)
		return nil
	})
	ctx = withCredential(ctx, sess)
	g.run(func() error {
		resp, err := s.clients.Programming.GetAthleteProfile(ctx, &programmingv1.GetAthleteProfileRequest{TeamId: team, AthleteId: athlete})
		if notFound(err) {
			return nil
		}
		d.profile = resp.GetProfile()
		return wrap("athlete profile", err)
	})
	g.run(func() error {
		resp, err := s.clients.Fatigue.GetAthleteStatus(ctx, &fatiguev1.GetAthleteStatusRequest{TeamId: team, AthleteId: athlete})
		if notFound(err) {
			return nil
		}
		d.status = resp
		return wrap("athlete status", err)
	})
	g.run(func() error {
		resp, err := s.clients.Fatigue.ExplainAssessment(ctx, &fatiguev1.ExplainAssessmentRequest{TeamId: team, AthleteId: athlete})
		if notFound(err) {
			return nil
		}
		d.explain = resp
		return wrap("explain assessment", err)
	})
	g.run(func() error {
		// Every deload of the athlete: they are few, and the open one may lie after the range.
		req := &programmingv1.ListDeloadsRequest{TeamId: team, AthleteId: athlete, PageSize: 1000}
		for {
			resp, err := s.clients.Programming.ListDeloads(ctx, req)
			if err != nil {
				return wrap("list deloads", err)
			}
			d.deloads = append(d.deloads, resp.GetDeloads()...)
			if resp.GetNextPageToken() == "" {
				return nil
			}
			req.PageToken = resp.GetNextPageToken()
		}
	})
	if err := g.wait(); err != nil {
		return nil, err
	}

	d.to = q.To
	if d.to.IsZero() {
		// The weeks up to the last assessed day: an imported history ends months ago, and its
		// charts must not be an empty range up to today.
		if a := d.status.GetAssessment().GetResult().GetAsOf(); a != nil {
			d.to = civil(a)
		} else {
			y, m, dd := s.opts.Now().In(d.loc).Date()
			d.to = time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
		}
	}
	// Whole Monday-to-Sunday weeks, so the weekly bars are never cut.
	d.from = monday(d.to.AddDate(0, 0, -7*q.Weeks+1))
	rng := &commonv1.DateRange{Start: protoDate(d.from), End: protoDate(d.to)}

	g.run(func() error {
		req := &fatiguev1.ListAssessmentsRequest{TeamId: team, AthleteId: athlete, Range: rng, PageSize: assessmentsPage}
		for {
			resp, err := s.clients.Fatigue.ListAssessments(ctx, req)
			if err != nil {
				return wrap("list assessments", err)
			}
			d.assessments = append(d.assessments, resp.GetAssessments()...)
			if resp.GetNextPageToken() == "" {
				return nil
			}
			req.PageToken = resp.GetNextPageToken()
		}
	})
	g.run(func() error {
		resp, err := s.clients.Trends.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: team, AthleteIds: []string{athlete},
			Range: rng, Bucket: trendsv1.TrendBucket_TREND_BUCKET_WEEK, TimeZone: zoneName(d.loc),
			Metrics: []trendsv1.TrendMetric{trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD, trendsv1.TrendMetric_TREND_METRIC_HARD_SETS}})
		d.weekly = resp
		return wrap("weekly trends", err)
	})
	// Daily buckets cover at most a year per query; a longer range asks in parts.
	var mu sync.Mutex
	// Wellness starts a baseline window early, so the band is there from the range's first day.
	for start := d.from.AddDate(0, 0, -wellnessBaselineDays); !start.After(d.to); start = start.AddDate(0, 0, trendDayLimit) {
		end := start.AddDate(0, 0, trendDayLimit-1)
		if end.After(d.to) {
			end = d.to
		}
		part := &commonv1.DateRange{Start: protoDate(start), End: protoDate(end)}
		g.run(func() error {
			resp, err := s.clients.Trends.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: team, AthleteIds: []string{athlete},
				Range: part, Bucket: trendsv1.TrendBucket_TREND_BUCKET_DAY, TimeZone: zoneName(d.loc), Metrics: []trendsv1.TrendMetric{trendsv1.TrendMetric_TREND_METRIC_WELLNESS}})
			if err != nil {
				return wrap("daily wellness trends", err)
			}
			mu.Lock()
			d.daily = append(d.daily, resp)
			mu.Unlock()
			return nil
		})
	}
	if err := g.wait(); err != nil {
		return nil, err
	}
	return d, nil
}

// callGroup runs calls in parallel and keeps the first error.
type callGroup struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	first error
}

func (g *callGroup) run(call func() error) {
	g.wg.Go(func() {
		if err := call(); err != nil {
			g.mu.Lock()
			if g.first == nil {
				g.first = err
			}
			g.mu.Unlock()
		}
	})
}

func (g *callGroup) wait() error {
	g.wg.Wait()
	err := g.first
	g.first = nil
	return err
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// civil is a proto date as a time at UTC midnight: a calendar day, not an instant.
func civil(d *commonv1.Date) time.Time {
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

func protoDate(t time.Time) *commonv1.Date {
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func monday(t time.Time) time.Time {
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// athleteView is the page, every value already in words.
type athleteView struct {
	page
	Team, AthleteID, Name, Group string
	BoardURL, FormAction         string
	Light                        light
	Headline                     string
	Score, Confidence, AsOf      string
	LastData, LastDataAt         string
	Coverage                     string
	ConfidenceNote               string
	Lines                        []evidenceLine
	Missing                      []string
	RuleFired                    string
	Cooldown                     string
	Recommendation               *recommendationView
	UpcomingDeloads              []string
	// Range controls.
	Weeks      []option
	Units      []option
	To         string
	RangeWords string
	ZoneName   string
	// CheckinLinkURL is the athlete's check-in link page (checkinlink.go).
	CheckinLinkURL string
	Charts         []chartView
}

type evidenceLine struct {
	Family, Text, State, Class string
}

type recommendationView struct {
	Week, Status, Reason, Parameters string
}

// chartView is one chart with its text alternative, or the reason it is not drawn.
type chartView struct {
	ID, Heading, Source string
	SVG                 template.HTML
	Table               template.HTML
	// Unavailable says why there is no chart (no source for the series, or no data of that
	// kind); empty when the chart is drawn.
	Unavailable string
	ContextOnly bool
}

func (s *Server) athlete(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	team, athlete := r.PathValue("team"), r.PathValue("athlete")
	if !bus.ValidToken(team) || !bus.ValidToken(athlete) {
		s.renderMessage(w, r, sess, http.StatusNotFound, "Not found", "There is no athlete with that id.")
		return
	}
	if !sess.mayOpen(team) {
		s.renderMessage(w, r, sess, http.StatusForbidden, "No access",
			fmt.Sprintf("You are not granted team %q. Ask an admin for access.", team))
		return
	}
	q := s.athleteQueryOf(r)
	d, err := s.loadAthlete(r.Context(), sess, team, athlete, q)
	if err != nil {
		s.serviceError(w, r, err, "athlete page")
		return
	}
	if d.profile == nil && d.status == nil {
		s.renderMessage(w, r, sess, http.StatusNotFound, "Not found",
			fmt.Sprintf("Team %s has no athlete %q: no profile and no training data.", team, athlete))
		return
	}
	v, err := buildAthlete(team, athlete, q, d, s.opts.Now())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	v.page = s.pageOf(sess, v.Name)
	v.CheckinLinkURL = teamPath(team, "athletes", athlete, "checkin-link")
	if q.unitChosen {
		if err := s.rememberUnit(r.Context(), sess, q.Unit); err != nil {
			s.log.Warn("unit from the address not remembered", zap.Error(err)) // this page is in it anyway
		}
	}
	s.render(w, r, http.StatusOK, "athlete", v)
}

func buildAthlete(team, athlete string, q athleteQuery, d *athleteData, now time.Time) (*athleteView, error) {
	st := d.status
	latest := st.GetAssessment().GetResult()
	v := &athleteView{Team: team, AthleteID: athlete,
		Name:       cmp.Or(d.profile.GetDisplayName(), st.GetDisplayName(), athlete),
		Group:      cmp.Or(d.profile.GetPositionGroup(), st.GetPositionGroup(), "-"),
		BoardURL:   "/teams/" + url.PathEscape(team),
		FormAction: "/teams/" + url.PathEscape(team) + "/athletes/" + url.PathEscape(athlete),
		Light:      lightOf(latest.GetStatus()),
		Score:      "-", Confidence: "-", Coverage: coverageText(latest.GetCoverage()),
		ZoneName: d.loc.String(),
	}
	if latest != nil && latest.GetStatus() != commonv1.AthleteStatus_ATHLETE_STATUS_UNSPECIFIED {
		v.Score = fmt.Sprintf("%.0f", latest.GetScore())
		v.Confidence = fmt.Sprintf("%.0f%%", latest.GetConfidence()*100)
		v.AsOf = civil(latest.GetAsOf()).Format("Mon 2 Jan 2006")
	}
	if ts := st.GetLastDataAt(); ts != nil {
		v.LastDataAt = zonedText(ts.AsTime(), d.loc)
		v.LastData = agoText(ts.AsTime(), now)
	} else {
		v.LastData = "never"
	}
	if ex := d.explain; ex != nil {
		v.Headline = ex.GetHeadline()
		v.ConfidenceNote = ex.GetConfidenceNote()
		v.Missing = ex.GetMissing()
		for _, l := range ex.GetLines() {
			v.Lines = append(v.Lines, evidenceLineOf(l))
		}
		v.RuleFired = ruleWords[ex.GetAssessment().GetResult().GetRuleFired()]
		if c := ex.GetAssessment().GetResult().GetCooldownUntil(); c != nil {
			v.Cooldown = civil(c).Format("Mon 2 Jan 2006")
		}
	}
	v.Recommendation, v.UpcomingDeloads = recommendationOf(st.GetOpenRecommendationId(), d.deloads, d.to)

	for _, n := range weekChoices {
		v.Weeks = append(v.Weeks, option{Value: strconv.Itoa(n), Label: weeksLabel(n), Selected: n == q.Weeks})
	}
	if !slices.Contains(weekChoices, q.Weeks) {
		v.Weeks = append(v.Weeks, option{Value: strconv.Itoa(q.Weeks), Label: weeksLabel(q.Weeks), Selected: true})
	}
	for _, u := range []chart.MassUnit{chart.Kilograms, chart.Pounds} {
		v.Units = append(v.Units, option{Value: u.String(), Label: u.String(), Selected: u == q.Unit})
	}
	if !q.To.IsZero() {
		v.To = q.To.Format(time.DateOnly)
	}
	v.RangeWords = fmt.Sprintf("%s to %s", d.from.Format("Mon 2 Jan 2006"), d.to.Format("Mon 2 Jan 2006"))
	if q.To.IsZero() && latest.GetAsOf() != nil {
		v.RangeWords += " (the last day assessed)"
	}

	charts, err := athleteCharts(d, chart.View{Location: d.loc, Mass: q.Unit})
	if err != nil {
		return nil, err
	}
	v.Charts = charts
	return v, nil
}

func weeksLabel(n int) string {
	if n == 104 {
		return "2 years"
	}
	if n == 52 {
		return "1 year"
	}
	return fmt.Sprintf("%d weeks", n)
}

// ruleWords names the deload rule that fired.
var ruleWords = map[string]string{
	"two_families":            "two signal families abnormal on 6 of the last 7 days",
	"decline_plus_subjective": "strength declining together with a subjective signal",
	"lifting_decline":         "effort-adjusted e1RM falling short of each lift's trend over the last lifting days, and below its last level",
	"sustained_decline":       "e1RM down in every week of the last three vs the baseline",
	"missed_reps":             "sets short of their reps at a load made before, on two lifting days",
}

func evidenceLineOf(l *fatiguev1.ExplanationLine) evidenceLine {
	e := evidenceLine{Family: familyWords[l.GetFamily()], Text: l.GetText()}
	if e.Family == "" {
		e.Family = familiesText([]commonv1.SignalFamily{l.GetFamily()})
	}
	switch {
	case l.GetAbnormal() && l.GetContextOnly():
		e.State, e.Class = "High (context only)", "watch"
	case l.GetAbnormal():
		e.State, e.Class = "Abnormal", "deload"
	case l.GetInsufficientData():
		e.State, e.Class = "Not enough data", "none"
	case l.GetContextOnly():
		e.State, e.Class = "Normal (context only)", "ok"
	default:
		e.State, e.Class = "Normal", "ok"
	}
	// A capitalised family reads as the start of its line.
	e.Family = strings.ToUpper(e.Family[:1]) + e.Family[1:]
	return e
}

var deloadStatusWords = map[commonv1.DeloadStatus]string{
	commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL: "awaiting a coach's decision",
	commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED:        "scheduled",
	commonv1.DeloadStatus_DELOAD_STATUS_IN_PROGRESS:      "in progress",
	commonv1.DeloadStatus_DELOAD_STATUS_COMPLETED:        "completed",
	commonv1.DeloadStatus_DELOAD_STATUS_DISMISSED:        "dismissed",
	commonv1.DeloadStatus_DELOAD_STATUS_SKIPPED:          "skipped",
}

var deloadKindWords = map[commonv1.DeloadKind]string{
	commonv1.DeloadKind_DELOAD_KIND_PLANNED:  "planned",
	commonv1.DeloadKind_DELOAD_KIND_REACTIVE: "reactive",
	commonv1.DeloadKind_DELOAD_KIND_MANUAL:   "manual",
}

// recommendationOf finds the deload behind the open recommendation, and lists the deloads
// still ahead of the range's last day.
func recommendationOf(openID string, deloads []*programmingv1.Deload, to time.Time) (*recommendationView, []string) {
	var rec *recommendationView
	var upcoming []string
	for _, dl := range deloads {
		week := civil(dl.GetWeekStart())
		words := fmt.Sprintf("Week of %s: %s deload, %s", week.Format("Mon 2 Jan 2006"), deloadKindWords[dl.GetKind()], deloadStatusWords[dl.GetStatus()])
		if openID != "" && dl.GetRecommendationId() == openID {
			rec = &recommendationView{Week: week.Format("Mon 2 Jan 2006"), Status: deloadStatusWords[dl.GetStatus()], Reason: dl.GetReason(),
				Parameters: parametersText(dl.GetParameters())}
			continue
		}
		if live(dl.GetStatus()) && week.AddDate(0, 0, 6).After(to) {
			upcoming = append(upcoming, words)
		}
	}
	if rec == nil && openID != "" {
		rec = &recommendationView{Status: "awaiting a coach's decision", Reason: "The recommendation has no deload placed yet."}
	}
	return rec, upcoming
}

// live is a deload that happened or will: a dismissed, skipped or undecided one is no deload
// week, so it is not shaded.
func live(st commonv1.DeloadStatus) bool {
	switch st {
	case commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED, commonv1.DeloadStatus_DELOAD_STATUS_IN_PROGRESS, commonv1.DeloadStatus_DELOAD_STATUS_COMPLETED:
		return true
	}
	return false
}
