package web

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
)

// squadTrends answers team-wide trend queries with numbers derived from the request, so a test
// knows every value the page and the CSV must show: the squad's, and half of it for a group.
type squadTrends struct {
	mu       sync.Mutex
	requests []*trendsv1.GetTeamTrendsRequest
	episodes []*trendsv1.TrendEpisode
}

func (c *squadTrends) answer(_ context.Context, req *trendsv1.GetTeamTrendsRequest) (*trendsv1.GetTeamTrendsResponse, error) {
	c.mu.Lock()
	c.requests = append(c.requests, req)
	c.mu.Unlock()
	step := 7
	if req.GetBucket() == trendsv1.TrendBucket_TREND_BUCKET_DAY {
		step = 1
	}
	scale := 1.0
	athletes := uint32(10)
	if req.GetPositionGroup() != "" {
		scale, athletes = 0.5, 5
	}
	resp := &trendsv1.GetTeamTrendsResponse{Range: req.GetRange(), Bucket: req.GetBucket(), AthletesCovered: athletes, RowsCovered: 1234}
	for day := civil(req.GetRange().GetStart()); !day.After(civil(req.GetRange().GetEnd())); day = day.AddDate(0, 0, step) {
		resp.Buckets = append(resp.Buckets, dateOf(day))
	}
	series := func(metric trendsv1.TrendMetric, stat trendsv1.TrendStatistic, unit, label string, value float64) *trendsv1.TrendSeries {
		s := &trendsv1.TrendSeries{Metric: metric, Statistic: stat, Unit: unit, Label: label}
		for i, b := range resp.Buckets {
			p := &trendsv1.TrendPoint{BucketStart: b, Athletes: athletes, Rows: 10}
			if i != 1 { // the second bucket has no data: a gap, an empty CSV value
				p.Value = ptr(value)
			}
			s.Points = append(s.Points, p)
		}
		return s
	}
	squat := series(metricVolume, statSum, "kg", "Volume-load squat (kg)", 4000*scale)
	squat.LiftCategory = commonv1.LiftCategory_LIFT_CATEGORY_SQUAT
	bench := series(metricVolume, statSum, "kg", "Volume-load bench (kg)", 2500*scale)
	bench.LiftCategory = commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS
	hard := series(metricHardSets, statSum, "sets", "Hard sets squat", 30*scale)
	hard.LiftCategory = commonv1.LiftCategory_LIFT_CATEGORY_SQUAT
	median := series(metricACWR, statMedian, "ratio", "ACWR median", 1.1)
	p25 := series(metricACWR, statP25, "ratio", "ACWR p25", 0.9)
	p75 := series(metricACWR, statP75, "ratio", "ACWR p75", 1.3)
	sleep := series(metricWellness, statMean, "1-5", "Wellness sleep quality", 3.5)
	sleep.WellnessItem = commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_QUALITY
	watch := series(metricStatus, statShare, "share", "Share watch", 0.3)
	watch.Status = commonv1.AthleteStatus_ATHLETE_STATUS_WATCH
	deload := series(metricStatus, statShare, "share", "Share deload recommended", 0.2)
	deload.Status = commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED
	// A metric nobody logged: every point empty, so it is neither drawn nor in the CSV.
	session := &trendsv1.TrendSeries{Metric: metricSession, Statistic: statMean, Unit: "au", Label: "Session load per athlete (au)"}
	checkins := series(metricCheckins, statShare, "share", "Check-in compliance", 0.75)
	resp.Series = []*trendsv1.TrendSeries{squat, bench, hard, median, p25, p75, sleep, watch, deload, session, checkins}
	return resp, nil
}

func (c *cannedTrends) ListTrendEpisodes(context.Context, *trendsv1.ListTrendEpisodesRequest) (*trendsv1.ListTrendEpisodesResponse, error) {
	c.squadTrends.mu.Lock()
	defer c.squadTrends.mu.Unlock()
	return &trendsv1.ListTrendEpisodesResponse{Episodes: c.squadTrends.episodes}, nil
}

func (c *squadTrends) lastRequests(n int) []*trendsv1.GetTeamTrendsRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests[len(c.requests)-n:]
}

var csvLink = regexp.MustCompile(`id="trends-csv" href="([^"]+)"`)

func TestSquadTrendsPageAndCSV(t *testing.T) {
	f := newFixture(t, Options{})
	f.team("t1", "Australia/Sydney")
	f.fatigue.set("t1", squad(10, f.now))
	monday := monday(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	f.trends.episodes = []*trendsv1.TrendEpisode{{Detected: &eventsv1.TeamTrendDetected{EpisodeId: "ep1",
		Rule: commonv1.TeamTrendRule_TEAM_TREND_RULE_FLAGGED_SHARE, WeekStart: dateOf(monday), AthleteIds: []string{"a05", "a10"},
		SquadSize: 10, FlaggedCount: 3, FlaggedShare: 0.3, Summary: "Three of ten flagged this week.", Severity: commonv1.Severity_SEVERITY_WARNING}}}
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_STAFF, "t1", 0))

	page := b.get("/teams/t1/trends?weeks=4&to=2026-03-15&group=forwards")
	if page.code != http.StatusOK {
		t.Fatalf("trends page: %d\n%s", page.code, page.body)
	}
	reqs := f.trends.lastRequests(2)
	var groups []string
	for _, r := range reqs {
		groups = append(groups, r.GetPositionGroup())
		if r.GetTimeZone() != "Australia/Sydney" {
			t.Errorf("asked for days in %q, want the team's Australia/Sydney", r.GetTimeZone())
		}
		if dateText(r.GetRange().GetStart()) != "2026-02-16" || dateText(r.GetRange().GetEnd()) != "2026-03-15" {
			t.Errorf("asked for %s to %s, want the four whole weeks up to 2026-03-15", dateText(r.GetRange().GetStart()), dateText(r.GetRange().GetEnd()))
		}
	}
	if !(groups[0] == "" && groups[1] == "forwards" || groups[0] == "forwards" && groups[1] == "") {
		t.Errorf("trend queries for groups %q, want the squad and forwards", groups)
	}
	for _, want := range []string{
		`aria-current="page">Trends`, `<option value="forwards" selected>Squad vs forwards`,
		`id="chart-volume-load"`, `id="chart-hard-sets"`, `id="chart-acwr"`, `id="chart-wellness-sleep-quality"`, `id="chart-status-share"`,
		`id="chart-checkin-compliance"`, "Check-in compliance", "Days are the team's days in Australia/Sydney",
		`class="sc-chart"`, "Many athletes flagged in the same week", "3 of 10 athletes flagged (30%)", "Three of ten flagged this week.",
		`href="/teams/t1/athletes/a05?to=2026-03-15&amp;weeks=4">Athlete 5</a>`,
		"No data in this range for: Session load per athlete",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("trends page lacks %q", want)
		}
	}
	// The volume-load chart follows the reader's kg/lb preference (the CSV below stays in kg).
	if !strings.Contains(page.body, "Volume-load (kg)") {
		t.Error("the volume-load chart is not in kg by default")
	}
	b.post("/preferences/unit", url.Values{"csrf": {formToken(t, page)}, "unit": {"lb"}})
	if inLb := b.get("/teams/t1/trends?weeks=4&to=2026-03-15&group=forwards"); !strings.Contains(inLb.body, "Volume-load (lb)") || strings.Contains(inLb.body, "Volume-load (kg)") {
		t.Error("the volume-load chart is not in lb after choosing lb")
	}
	// The drill-down lists the group's athletes only (even-numbered athletes are forwards).
	if athletes := page.body[strings.Index(page.body, `id="trend-athletes"`):]; !strings.Contains(athletes, "Athlete 2<") || strings.Contains(athletes, "Athlete 1<") {
		t.Error("the athletes of a forwards view are not the forwards")
	}

	m := csvLink.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no CSV link on the page")
	}
	link := html.UnescapeString(m[1])
	if !strings.HasPrefix(link, "/teams/t1/trends.csv?") || !strings.Contains(link, "to=2026-03-15") || !strings.Contains(link, "group=forwards") {
		t.Errorf("CSV link %q does not carry the page's query", link)
	}
	dl := b.get(link)
	if dl.code != http.StatusOK || !strings.HasPrefix(dl.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(dl.header.Get("Content-Disposition"), `filename="trends-t1-2026-02-16-2026-03-15.csv"`) {
		t.Fatalf("CSV: %d %q %q", dl.code, dl.header.Get("Content-Type"), dl.header.Get("Content-Disposition"))
	}
	for _, r := range f.trends.lastRequests(2) {
		if r.GetTimeZone() != "Australia/Sydney" {
			t.Errorf("the CSV asked for days in %q, want the team's Australia/Sydney", r.GetTimeZone())
		}
	}
	rows, err := csv.NewReader(strings.NewReader(dl.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "chart,scope,series,statistic,unit,bucket_start,value,athletes,rows" {
		t.Errorf("CSV header %s", got)
	}
	byKey := map[string][]string{}
	charts := map[string]bool{}
	for _, r := range rows[1:] {
		byKey[r[0]+"|"+r[1]+"|"+r[2]+"|"+r[5]] = r
		charts[r[0]] = true
	}
	for key, want := range map[string]string{
		// Raw numbers: the total over lifts in kg, no unit or thousands separator; a share 0-1.
		"volume-load|Squad|Volume-load, all lifts|2026-02-16":            "6500",
		"volume-load|forwards|Volume-load, all lifts|2026-02-16":         "3250",
		"volume-load|Squad|Volume-load, all lifts|2026-02-23":            "",
		"status-share|Squad|Deload recommended|2026-03-09":               "0.2",
		"acwr|forwards|25th percentile|2026-03-02":                       "0.9",
		"wellness-sleep-quality|Squad|Wellness sleep quality|2026-03-09": "3.5",
		"checkin-compliance|forwards|Checked in|2026-03-09":              "0.75",
	} {
		r, ok := byKey[key]
		if !ok {
			t.Errorf("CSV has no row %s", key)
			continue
		}
		if r[6] != want {
			t.Errorf("CSV %s = %q, want %q", key, r[6], want)
		}
	}
	if r := byKey["status-share|Squad|Deload recommended|2026-03-09"]; r != nil && (r[7] != "10" || r[8] != "10" || r[4] != "share") {
		t.Errorf("a service series' row %q lacks its athletes, rows or unit", r)
	}
	if r := byKey["volume-load|Squad|Volume-load, all lifts|2026-02-16"]; r != nil && (r[7] != "" || r[8] != "20") {
		t.Errorf("a total over lifts %q must not invent its athletes; its rows add up", r)
	}
	// Exactly what is drawn: the charts on the page, and no empty series.
	for c := range charts {
		if !strings.Contains(page.body, `id="chart-`+c+`"`) {
			t.Errorf("CSV holds chart %s, which the page does not draw", c)
		}
	}
	if charts["session-load"] {
		t.Error("CSV holds the empty session-load series")
	}
	// 4 weekly buckets per drawn series: volume, hard sets (2 scopes each), ACWR median (2) and
	// the group's p25 and p75, e1RM none, wellness (2), status shares (2 x 2), check-ins (2).
	if want := 1 + 4*(2+2+2+2+2+4+2); len(rows) != want {
		t.Errorf("CSV has %d lines, want %d", len(rows), want)
	}
}

func TestSquadTrendsDailyAndAccess(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(6, f.now))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	page := b.get("/teams/t1/trends?bucket=day&weeks=104&to=2026-03-15")
	if page.code != http.StatusOK {
		t.Fatalf("daily trends: %d", page.code)
	}
	req := f.trends.lastRequests(1)[0]
	if req.GetBucket() != trendsv1.TrendBucket_TREND_BUCKET_DAY || dateText(req.GetRange().GetStart()) != "2025-03-17" {
		t.Errorf("daily query %v from %s, want days over 52 weeks (the service's daily limit)", req.GetBucket(), dateText(req.GetRange().GetStart()))
	}
	if !strings.Contains(page.body, `<option value="day" selected>Days`) || !strings.Contains(page.body, "per day") {
		t.Error("the daily view does not say it is daily")
	}
	// The CSV link of a daily view stays daily.
	if m := csvLink.FindStringSubmatch(page.body); m == nil || !strings.Contains(html.UnescapeString(m[1]), "bucket=day") {
		t.Error("the daily view's CSV link is not daily")
	}

	other := f.browser()
	other.signIn(f.key(commonv1.Role_ROLE_COACH, "t2", 0))
	for _, path := range []string{"/teams/t1/trends", "/teams/t1/trends.csv"} {
		if p := other.get(path); p.code != http.StatusForbidden || strings.Contains(p.body, "Volume-load") {
			t.Errorf("coach of another team gets %s: %d", path, p.code)
		}
	}
	if p := f.browser().get("/teams/t1/trends.csv"); p.code != http.StatusSeeOther || !strings.HasPrefix(p.location, "/signin") {
		t.Errorf("signed-out CSV download: %d to %q", p.code, p.location)
	}
}
