package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// lastDay is the canned athletes' last assessed day: months before the fixture's clock, like
// an imported history, so the page must range up to it and not to today.
var lastDay = time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)

func TestAthletePageShowsEvidenceStatusAndCharts(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(5, f.now))
	f.fatigue.setAthlete("t1", "a05", cannedHistory("t1", "a05", "Athlete 5", 200, lastDay, historyShape{wellness: true, devices: true}))
	f.team("t1", "America/Chicago") // the athlete's profile says Europe/Oslo
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))

	board := b.get("/teams/t1")
	if !strings.Contains(board.body, `href="/teams/t1/athletes/a05">Athlete 5</a>`) {
		t.Fatalf("the board does not link Athlete 5 to its page:\n%s", board.body)
	}
	p := b.get("/teams/t1/athletes/a05")
	if p.code != http.StatusOK {
		t.Fatalf("athlete page: %d\n%s", p.code, p.body)
	}
	for _, want := range []string{
		"<h1>Athlete 5 <span", "Deload recommended", "strength decline &#43; poor sleep", "Score</dt><dd>78", "80%: no HRV data; e1RM from RPE",
		"Strength declining", "Squat e1RM 142.5 kg is 3.1% below", "Abnormal", "Normal (context only)", "Not enough data",
		"strength declining together with a subjective signal",
		// The open recommendation with its prescription; the dismissed deload is nowhere.
		"Deload awaiting a coach&#39;s decision", "for the week of Mon 30 Mar 2026", "load 60% of normal", "RPE at most 7",
		// Twelve weeks up to the last assessed day, not up to today.
		"Mon 5 Jan 2026 to Sun 29 Mar 2026 (the last day assessed)", "Dates and times in America/Chicago", `href="/teams/t1/athletes/a05/checkin-link">Check-in link</a>`,
		"e1RM: Squat", "e1RM: Bench press", "RPE at familiar loads", "Weekly volume-load", "Weekly hard sets",
		"ACWR and monotony (context only)", "(context only)", "Wellness: Sleep quality", "Baseline ± 1 SD", "HRV", "Normal band (baseline ± 0.5 SD)",
		"Bar speed vs usual at the same load", "Planned deload", "every fourth week",
		"<details><summary>Data table", "Source: FatigueService.ListAssessments",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("athlete page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "dismissed one") {
		t.Error("a dismissed deload is shaded")
	}
	if i, j := strings.Index(p.body, "Strength declining"), strings.Index(p.body, "Not enough data"); i < 0 || j < i {
		t.Error("the abnormal family is not listed before the insufficient one")
	}
	svgs := regexp.MustCompile(`<svg[^>]*role="img"`).FindAllString(p.body, -1)
	if len(svgs) != 9 {
		t.Errorf("%d charts with role=img, want 9 (2 e1RM, RPE, volume, hard sets, load context, wellness, HRV, bar speed)", len(svgs))
	}
	if n := strings.Count(p.body, "<table"); n != len(svgs) {
		t.Errorf("%d tables for %d charts: every chart needs its text alternative", n, len(svgs))
	}
	if !strings.Contains(p.body, "kg") || strings.Contains(p.body, "e1RM (lb)") {
		t.Error("the default mass unit is not kg")
	}
	if csp := p.header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || strings.Contains(p.body, "<script>") ||
		strings.Contains(p.body, " style=") {
		t.Error("the athlete page needs inline script or style")
	}

	// Pounds: chosen in the URL, then remembered.
	lb := b.get("/teams/t1/athletes/a05?unit=lb&weeks=4")
	if !strings.Contains(lb.body, "(lb)") || !strings.Contains(lb.body, "Mon 2 Mar 2026 to Sun 29 Mar 2026") {
		t.Errorf("weeks=4 in lb: no lb axis or wrong range")
	}
	if again := b.get("/teams/t1/athletes/a05"); !strings.Contains(again.body, "(lb)") {
		t.Error("the lb preference is not remembered")
	}
	// An explicit end day.
	if p := b.get("/teams/t1/athletes/a05?to=2026-02-01&weeks=4&unit=kg"); !strings.Contains(p.body, "Mon 5 Jan 2026 to Sun 1 Feb 2026") ||
		strings.Contains(p.body, "(the last day assessed)") {
		t.Error("to=2026-02-01 is not the range's last day")
	}
}

func TestAthletePageSaysWhatIsNotAvailable(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(2, f.now))
	f.fatigue.setAthlete("t1", "a01", cannedHistory("t1", "a01", "Athlete 1", 30, lastDay, historyShape{}))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	p := b.get("/teams/t1/athletes/a01")
	if p.code != http.StatusOK {
		t.Fatalf("athlete page: %d", p.code)
	}
	for _, want := range []string{"Not available: no wellness reports", "Not available: no HRV", "Not available: no bar-speed"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if !strings.Contains(p.body, "e1RM: Squat") {
		t.Error("the e1RM chart is missing")
	}

	// a02 is on the board, but neither the profile nor the fatigue service knows it: not found.
	if p := b.get("/teams/t1/athletes/a02"); p.code != http.StatusNotFound {
		t.Errorf("athlete without profile or data: %d", p.code)
	}
}

func TestAthletePageGrants(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.setAthlete("t2", "b01", cannedHistory("t2", "b01", "Other Team Player", 30, lastDay, historyShape{}))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	if p := b.get("/teams/t2/athletes/b01"); p.code != http.StatusForbidden || strings.Contains(p.body, "Other Team Player") {
		t.Errorf("coach of t1 opening an athlete of t2: %d", p.code)
	}
	if p := b.get("/teams/t1/athletes/nobody"); p.code != http.StatusNotFound {
		t.Errorf("unknown athlete: %d", p.code)
	}
	if p := b.get("/teams/t1/athletes/bad.id"); p.code != http.StatusNotFound {
		t.Errorf("invalid athlete id: %d", p.code)
	}
	anon := f.browser()
	if p := anon.get("/teams/t2/athletes/b01"); p.code != http.StatusSeeOther {
		t.Errorf("athlete page before sign-in: %d", p.code)
	}
}

// TestAthletePageTwoYears asks for the longest range: the daily wellness query must be split
// (the trends service serves at most 366 daily buckets per query), and every chart drawn.
func TestAthletePageTwoYears(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.setAthlete("t1", "a01", cannedHistory("t1", "a01", "Athlete 1", 2*365, lastDay, historyShape{wellness: true, devices: true}))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	p := b.get("/teams/t1/athletes/a01?weeks=104")
	if p.code != http.StatusOK {
		t.Fatalf("two years: %d\n%s", p.code, p.body)
	}
	if n := strings.Count(p.body, `role="img"`); n != 9 {
		t.Errorf("%d charts over two years, want 9", n)
	}
	if !strings.Contains(p.body, "Mon 1 Apr 2024 to Sun 29 Mar 2026") {
		t.Errorf("two years do not end on the last day assessed: %s", regexpFind(t, `<p class="hint">([^<]*assessed[^<]*)</p>`, p.body))
	}
}
