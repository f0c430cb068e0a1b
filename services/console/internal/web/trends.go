package web

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/services/chart"
)

// navTrends marks the squad trends page in the team navigation.
const navTrends = "trends"

// The trends page's range. Daily buckets are limited by the trends service to a year per
// query, so a daily view shows at most 52 weeks.
const (
	defaultTrendWeeks = 12
	maxDailyWeeks     = 52
)

func init() {
	pageNames = append(pageNames, "trends")
}

// registerTrends adds the squad trends page and its CSV.
func (s *Server) registerTrends() {
	s.mux.HandleFunc("GET /teams/{team}/trends", s.trends)
	s.mux.HandleFunc("GET /teams/{team}/trends.csv", s.trendsCSV)
}

// trendsQuery is what the trends page shows. All of it is in the URL (a GET form), so the
// page works without JavaScript, a view can be bookmarked, and the CSV link carries the same
// query to the same loading code.
type trendsQuery struct {
	Weeks int
	// To is the last day shown (a civil date at UTC midnight); zero means the team's last
	// assessed day, so an imported history is not an empty range up to today.
	To    time.Time
	Daily bool
	// Group compares the squad with one position group; empty shows the squad alone.
	Group string
	// Unit is the reader's kg/lb preference for the charts (the CSV stays in kg, as stored).
	Unit chart.MassUnit
}

func (s *Server) trendsQueryOf(r *http.Request) trendsQuery {
	v := r.URL.Query()
	q := trendsQuery{Weeks: defaultTrendWeeks, Daily: v.Get("bucket") == "day", Group: strings.TrimSpace(v.Get("group")), Unit: s.massUnit(r)}
	if n, err := strconv.Atoi(v.Get("weeks")); err == nil && n >= 1 {
		q.Weeks = min(n, maxAthleteWeeks)
	}
	if q.Daily {
		q.Weeks = min(q.Weeks, maxDailyWeeks)
	}
	if t, err := time.Parse(time.DateOnly, v.Get("to")); err == nil {
		q.To = t
	}
	return q
}

// values is the query as URL parameters, with to as resolved, so a link (the CSV, an
// athlete) shows the same days even after the team's last assessed day moves on.
func (q trendsQuery) values(to time.Time) url.Values {
	v := url.Values{"weeks": {strconv.Itoa(q.Weeks)}, "to": {to.Format(time.DateOnly)}}
	if q.Daily {
		v.Set("bucket", "day")
	} else {
		v.Set("bucket", "week")
	}
	if q.Group != "" {
		v.Set("group", q.Group)
	}
	return v
}

// trendsData is everything the page reads, each part from one service call.
type trendsData struct {
	from, to time.Time // civil days, inclusive
	zone     string    // the IANA zone those days and weeks are in
	squad    *trendsv1.GetTeamTrendsResponse
	group    *trendsv1.GetTeamTrendsResponse // nil without a group to compare
	episodes []*trendsv1.TrendEpisode
	status   []*fatiguev1.AthleteStatusSummary
	profiles []*programmingv1.AthleteProfile
}

// loadTrends reads in two rounds of parallel calls: the team (status, profiles), which fixes
// the last day when the query leaves it open, then the series and the episodes of the range.
func (s *Server) loadTrends(ctx context.Context, sess *session, team string, q trendsQuery) (*trendsData, error) {
	d := &trendsData{}
	var g callGroup
	plain := ctx
	var loc *time.Location
	g.run(func() error {
		loc = s.teamLocation(plain, sess, team)
		return nil
	})
	ctx = withCredential(ctx, sess)
	g.run(func() error {
		resp, err := s.clients.Fatigue.ListTeamStatus(ctx, &fatiguev1.ListTeamStatusRequest{TeamId: team})
		d.status = resp.GetAthletes()
		return wrap("team status", err)
	})
	g.run(func() error {
		resp, err := s.clients.Programming.ListAthleteProfiles(ctx, &programmingv1.ListAthleteProfilesRequest{TeamId: team})
		d.profiles = resp.GetProfiles()
		return wrap("athlete profiles", err)
	})
	if err := g.wait(); err != nil {
		return nil, err
	}
	d.to = q.To
	if d.to.IsZero() {
		for _, a := range d.status {
			if day := a.GetAsOf(); day != nil && civil(day).After(d.to) {
				d.to = civil(day)
			}
		}
	}
	if d.to.IsZero() {
		y, m, dd := s.opts.Now().In(loc).Date()
		d.to = time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	// Days and weeks in the team's zone: a set at 23:30 in Sydney is on that Sydney day.
	zone := zoneName(loc)
	d.zone = cmp.Or(zone, "UTC")
	// Whole Monday-to-Sunday weeks, so no weekly bucket is cut.
	d.from = monday(d.to.AddDate(0, 0, -7*q.Weeks+1))
	rng := &commonv1.DateRange{Start: protoDate(d.from), End: protoDate(d.to)}
	bucket := trendsv1.TrendBucket_TREND_BUCKET_WEEK
	if q.Daily {
		bucket = trendsv1.TrendBucket_TREND_BUCKET_DAY
	}
	g.run(func() error {
		resp, err := s.clients.Trends.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: team, Range: rng, Bucket: bucket, TimeZone: zone})
		d.squad = resp
		return wrap("squad trends", err)
	})
	if q.Group != "" {
		g.run(func() error {
			resp, err := s.clients.Trends.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: team, PositionGroup: q.Group, Range: rng, Bucket: bucket,
				TimeZone: zone})
			d.group = resp
			return wrap("group trends", err)
		})
	}
	g.run(func() error {
		resp, err := s.clients.Trends.ListTrendEpisodes(ctx, &trendsv1.ListTrendEpisodesRequest{TeamId: team, Range: rng})
		d.episodes = resp.GetEpisodes()
		return wrap("trend episodes", err)
	})
	if err := g.wait(); err != nil {
		return nil, err
	}
	return d, nil
}

// trendValue is one bucket of a shown series, as the service gave it (or, for a total over
// lifts, as added up here).
type trendValue struct {
	Day   time.Time
	Value *float64
	// Athletes is how many athletes contributed; -1 when a total over lifts cannot know it
	// (the same athlete counts in several lifts).
	Athletes int
	Rows     uint64
}

// trendLine is one series of a chart: a scope (the squad or a group) and a statistic.
type trendLine struct {
	Scope, Label string
	Statistic    trendsv1.TrendStatistic
	Unit         string
	Values       []trendValue
	// Band lines are drawn as the low or high edge of a shaded range, not as a line.
	Band string // "", "low" or "high"
}

func (l trendLine) hasData() bool {
	return slices.ContainsFunc(l.Values, func(v trendValue) bool { return v.Value != nil })
}

// trendChart is one chart and, through its lines, one block of the CSV: the two are built
// from the same values, so the download holds exactly what the page draws.
type trendChart struct {
	ID, Heading, Desc, Source string
	Y                         chart.YAxis
	// Bars draws weekly totals as bars; otherwise lines.
	Bars bool
	// Display scales the values for the chart only (a 0-1 share drawn as %); the CSV keeps
	// the service's numbers.
	Display float64
	Lines   []trendLine
}

// trendScope is one of the compared populations.
type trendScope struct {
	name string
	resp *trendsv1.GetTeamTrendsResponse
}

type seriesKey struct {
	metric trendsv1.TrendMetric
	stat   trendsv1.TrendStatistic
	lift   commonv1.LiftCategory
	item   commonv1.WellnessItem
	status commonv1.AthleteStatus
}

func keyOf(s *trendsv1.TrendSeries) seriesKey {
	return seriesKey{s.GetMetric(), s.GetStatistic(), s.GetLiftCategory(), s.GetWellnessItem(), s.GetStatus()}
}

func (sc trendScope) find(k seriesKey) *trendsv1.TrendSeries {
	for _, s := range sc.resp.GetSeries() {
		if keyOf(s) == k {
			return s
		}
	}
	return nil
}

func (sc trendScope) line(k seriesKey, label string) trendLine {
	s := sc.find(k)
	l := trendLine{Scope: sc.name, Label: label, Statistic: k.stat, Unit: s.GetUnit()}
	for _, p := range s.GetPoints() {
		l.Values = append(l.Values, trendValue{Day: civil(p.GetBucketStart()), Value: p.Value, Athletes: int(p.GetAthletes()), Rows: p.GetRows()})
	}
	return l
}

// total adds a per-lift metric up over every lift, bucket by bucket.
func (sc trendScope) total(metric trendsv1.TrendMetric, label, unit string) trendLine {
	l := trendLine{Scope: sc.name, Label: label, Statistic: trendsv1.TrendStatistic_TREND_STATISTIC_SUM, Unit: unit}
	for _, b := range sc.resp.GetBuckets() {
		l.Values = append(l.Values, trendValue{Day: civil(b), Athletes: -1})
	}
	for _, s := range sc.resp.GetSeries() {
		if s.GetMetric() != metric || s.GetStatistic() != trendsv1.TrendStatistic_TREND_STATISTIC_SUM {
			continue
		}
		for i, p := range s.GetPoints() {
			if i >= len(l.Values) || p.Value == nil {
				continue
			}
			sum := p.GetValue()
			if prev := l.Values[i].Value; prev != nil {
				sum += *prev
			}
			l.Values[i].Value = &sum
			l.Values[i].Rows += p.GetRows()
		}
	}
	return l
}

var trendLifts = []struct {
	lift commonv1.LiftCategory
	id   string
	name string
}{
	{commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, "squat", "Squat"},
	{commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, "bench", "Bench press"},
	{commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT, "deadlift", "Deadlift"},
	{commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS, "ohp", "Overhead press"},
}

const (
	metricVolume   = trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD
	metricHardSets = trendsv1.TrendMetric_TREND_METRIC_HARD_SETS
	metricSession  = trendsv1.TrendMetric_TREND_METRIC_SESSION_LOAD
	metricACWR     = trendsv1.TrendMetric_TREND_METRIC_ACWR
	metricWellness = trendsv1.TrendMetric_TREND_METRIC_WELLNESS
	metricE1RM     = trendsv1.TrendMetric_TREND_METRIC_E1RM_CHANGE
	metricRPE      = trendsv1.TrendMetric_TREND_METRIC_RPE_AT_FAMILIAR_LOADS
	metricStatus   = trendsv1.TrendMetric_TREND_METRIC_STATUS_SHARE
	metricCheckins = trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE
	statSum        = trendsv1.TrendStatistic_TREND_STATISTIC_SUM
	statMean       = trendsv1.TrendStatistic_TREND_STATISTIC_MEAN
	statMedian     = trendsv1.TrendStatistic_TREND_STATISTIC_MEDIAN
	statP25        = trendsv1.TrendStatistic_TREND_STATISTIC_P25
	statP75        = trendsv1.TrendStatistic_TREND_STATISTIC_P75
	statShare      = trendsv1.TrendStatistic_TREND_STATISTIC_SHARE
)

// trendCharts turns the answers into the page's charts, in the order staff read them: load,
// then strength and effort, then recovery, then how many athletes are flagged. Medians are
// compared across scopes; the spread (p25 to p75) is shaded for the scope in focus (the
// group when one is chosen), since two overlapping bands would hide each other.
func trendCharts(d *trendsData, q trendsQuery) []trendChart {
	scopes := []trendScope{{"Squad", d.squad}}
	if d.group != nil {
		scopes = append(scopes, trendScope{q.Group, d.group})
	}
	focus := scopes[len(scopes)-1]
	weekly := !q.Daily
	per := "week"
	if q.Daily {
		per = "day"
	}
	var out []trendChart
	add := func(c trendChart) { out = append(out, c) }
	each := func(f func(sc trendScope) trendLine) []trendLine {
		var ls []trendLine
		for _, sc := range scopes {
			ls = append(ls, f(sc))
		}
		return ls
	}
	spread := func(metric trendsv1.TrendMetric, lift commonv1.LiftCategory) []trendLine {
		low := focus.line(seriesKey{metric: metric, stat: statP25, lift: lift}, "25th percentile")
		high := focus.line(seriesKey{metric: metric, stat: statP75, lift: lift}, "75th percentile")
		low.Band, high.Band = "low", "high"
		return []trendLine{low, high}
	}

	add(trendChart{ID: "volume-load", Heading: "Volume-load", Bars: weekly, Y: chart.YAxis{Title: "Volume-load", Mass: true},
		Desc:   "Load times reps of the working sets, every lift added up, per " + per + ".",
		Source: "volume-load, sum over lift categories",
		Lines:  each(func(sc trendScope) trendLine { return sc.total(metricVolume, "Volume-load, all lifts", "kg") })})
	add(trendChart{ID: "hard-sets", Heading: "Hard sets", Bars: weekly, Y: chart.YAxis{Title: "Hard sets", Unit: "sets"},
		Desc:   "Working sets at 3 or fewer reps in reserve, every lift added up, per " + per + ".",
		Source: "hard sets, sum over lift categories",
		Lines:  each(func(sc trendScope) trendLine { return sc.total(metricHardSets, "Hard sets, all lifts", "sets") })})
	add(trendChart{ID: "session-load", Heading: "Session load per athlete", Y: chart.YAxis{Title: "Session load", Unit: "au"},
		Desc:   "sRPE times minutes, the mean per athlete, so the squad and a group compare.",
		Source: "session load, mean per athlete",
		Lines: each(func(sc trendScope) trendLine {
			return sc.line(seriesKey{metric: metricSession, stat: statMean}, "Session load per athlete")
		})})
	acwr := trendChart{ID: "acwr", Heading: "ACWR (context only)", Y: chart.YAxis{Title: "ACWR", Unit: "ratio", Decimals: 2},
		Desc:   "Median acute:chronic workload ratio of the athletes with 28 days of history; the shaded range holds the middle half of " + focus.name + ".",
		Source: "ACWR median, p25 and p75 across athletes",
		Lines: each(func(sc trendScope) trendLine {
			return sc.line(seriesKey{metric: metricACWR, stat: statMedian}, "ACWR median")
		})}
	acwr.Lines = append(acwr.Lines, spread(metricACWR, 0)...)
	add(acwr)
	for _, l := range trendLifts {
		c := trendChart{ID: "e1rm-" + l.id, Heading: "e1RM change: " + l.name, Y: chart.YAxis{Title: "e1RM change", Unit: "%", Decimals: 1},
			Desc:   "Each athlete's estimated one-rep max against their own at the start of the range; the median, and the middle half of " + focus.name + " shaded.",
			Source: "e1RM change median, p25 and p75 across athletes",
			Lines: each(func(sc trendScope) trendLine {
				return sc.line(seriesKey{metric: metricE1RM, stat: statMedian, lift: l.lift}, "e1RM change "+strings.ToLower(l.name)+", median")
			})}
		c.Lines = append(c.Lines, spread(metricE1RM, l.lift)...)
		add(c)
	}
	add(trendChart{ID: "rpe-familiar", Heading: "RPE at familiar loads", Y: chart.YAxis{Title: "RPE vs baseline", Unit: "RPE", Decimals: 1},
		Desc:   "How much harder the same loads felt than in each athlete's baseline, the median athlete; above zero is harder.",
		Source: "RPE at familiar loads, median",
		Lines: each(func(sc trendScope) trendLine {
			return sc.line(seriesKey{metric: metricRPE, stat: statMedian}, "RPE vs baseline, median")
		})})
	for _, s := range d.squad.GetSeries() {
		if s.GetMetric() != metricWellness || s.GetStatistic() != statMean {
			continue
		}
		item := s.GetWellnessItem()
		id := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(item.String(), "WELLNESS_ITEM_"), "_", "-"))
		name := enumWord(item.String(), "WELLNESS_ITEM_")
		y := chart.YAxis{Unit: s.GetUnit(), Decimals: 1}
		for _, w := range wellnessNames {
			if w.item == item {
				id, name, y.Min, y.Max = w.id, w.name, w.min, w.max
			}
		}
		y.Title = name
		label := cmp.Or(s.GetLabel(), "Wellness "+name)
		add(trendChart{ID: "wellness-" + id, Heading: "Wellness: " + name, Y: y,
			Desc:   "The mean of the reports per " + per + ".",
			Source: "wellness mean per report",
			Lines: each(func(sc trendScope) trendLine {
				return sc.line(seriesKey{metric: metricWellness, stat: statMean, item: item}, label)
			})})
	}
	status := trendChart{ID: "status-share", Heading: "Athletes flagged", Display: 100, Y: chart.YAxis{Title: "Share of athletes", Unit: "%", Max: 100},
		Desc:   "The share of athletes on watch and recommended a deload; the CSV gives shares from 0 to 1.",
		Source: "status share"}
	for _, sc := range scopes {
		status.Lines = append(status.Lines,
			sc.line(seriesKey{metric: metricStatus, stat: statShare, status: commonv1.AthleteStatus_ATHLETE_STATUS_WATCH}, "Watch"),
			sc.line(seriesKey{metric: metricStatus, stat: statShare, status: commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED}, "Deload recommended"))
	}
	add(status)
	add(trendChart{ID: "checkin-compliance", Heading: "Check-in compliance", Display: 100, Y: chart.YAxis{Title: "Athletes who checked in", Unit: "%", Max: 100},
		Desc: "The share of athletes who reported wellness, per " + per + " (a week is the mean of its days), out of those with any data in the range; " +
			"the CSV gives shares from 0 to 1.",
		Source: "check-in compliance",
		Lines: each(func(sc trendScope) trendLine {
			return sc.line(seriesKey{metric: metricCheckins, stat: statShare}, "Checked in")
		})})
	return out
}

// drawnLines are the chart's lines with data: an empty series is neither drawn nor in the CSV.
func (c trendChart) drawnLines() []trendLine {
	var ls []trendLine
	for _, l := range c.Lines {
		if l.hasData() {
			ls = append(ls, l)
		}
	}
	return ls
}

// svg renders the chart and its table. Trend buckets are UTC days, so the view is UTC.
func (c trendChart) render(from, to time.Time, view chart.View, daily bool) (chartView, error) {
	at := func(day time.Time) time.Time { return day.Add(12 * time.Hour) }
	scale := cmp.Or(c.Display, 1)
	gap := 7
	if daily {
		gap = 1
	}
	ch := chart.Chart{ID: c.ID, Title: c.Heading, Desc: c.Desc, Y: c.Y, From: at(from), To: at(to)}
	var low, high *trendLine
	for _, l := range c.drawnLines() {
		label := l.Scope + ": " + l.Label
		switch {
		case l.Band == "low":
			low = &l
		case l.Band == "high":
			high = &l
		case c.Bars:
			bs := chart.BarSeries{Label: label}
			for _, v := range l.Values {
				if v.Value != nil {
					bs.Weeks = append(bs.Weeks, chart.Bar{WeekStart: at(v.Day), Value: *v.Value * scale})
				}
			}
			ch.Bars = append(ch.Bars, bs)
		default:
			ln := chart.Line{Label: label, MaxGapDays: gap, Markers: !daily}
			for _, v := range l.Values {
				if v.Value != nil {
					ln.Points = append(ln.Points, chart.Point{Time: at(v.Day), Value: *v.Value * scale})
				}
			}
			ch.Lines = append(ch.Lines, ln)
		}
	}
	if low != nil && high != nil {
		b := chart.Band{Label: low.Scope + ": middle half (p25 to p75)", MaxGapDays: gap}
		for i, v := range low.Values {
			if i < len(high.Values) && v.Value != nil && high.Values[i].Value != nil && *v.Value <= *high.Values[i].Value {
				b.Steps = append(b.Steps, chart.BandStep{Time: at(v.Day), Low: *v.Value * scale, High: *high.Values[i].Value * scale})
			}
		}
		if len(b.Steps) > 0 {
			ch.Bands = []chart.Band{b}
		}
	}
	if len(ch.Lines) == 0 && len(ch.Bars) == 0 {
		return chartView{ID: c.ID, Heading: c.Heading, Source: c.Source, Unavailable: "No data in this range."}, nil
	}
	svg, err := ch.SVG(view)
	if err != nil {
		return chartView{}, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	table, err := ch.Table(view)
	if err != nil {
		return chartView{}, fmt.Errorf("chart table %s: %w", c.ID, err)
	}
	html, err := table.HTML()
	if err != nil {
		return chartView{}, fmt.Errorf("chart table %s: %w", c.ID, err)
	}
	return chartView{ID: c.ID, Heading: c.Heading, Source: c.Source, SVG: svgHTML(svg), Table: html, ContextOnly: c.ID == "acwr"}, nil
}

// trendsView is the page, every value in words.
type trendsView struct {
	teamPage
	Weeks, Buckets, Groups []option
	To, RangeWords         string
	FormAction, CSVURL     string
	Scope                  string
	Coverage               string
	Zone                   string // the IANA zone of the days and weeks
	Charts                 []chartView
	// Empty names the charts without data in one sentence instead of a grid of empty boxes.
	Empty    []string
	Episodes []episodeView
	Athletes []trendAthleteView
}

type episodeView struct {
	Rule, Week, Scope, Flagged, Summary, State, Severity string
	Open, TeamDeload                                     bool
	Athletes                                             []athleteLink
}

type athleteLink struct{ Name, URL string }

type trendAthleteView struct {
	athleteLink
	ID, Group string
	Light     light
}

var trendRuleWords = map[commonv1.TeamTrendRule]string{
	commonv1.TeamTrendRule_TEAM_TREND_RULE_FLAGGED_SHARE:               "Many athletes flagged in the same week",
	commonv1.TeamTrendRule_TEAM_TREND_RULE_RPE_DRIFT:                   "The squad's RPE at familiar loads rising week after week",
	commonv1.TeamTrendRule_TEAM_TREND_RULE_LOAD_SPIKE_FALLING_WELLNESS: "A load spike with falling wellness",
}

func (s *Server) trends(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.openTeam(w, r)
	if !ok {
		return
	}
	q := s.trendsQueryOf(r)
	d, err := s.loadTrends(r.Context(), sess, team, q)
	if err != nil {
		s.serviceError(w, r, err, "squad trends")
		return
	}
	v, err := buildTrends(team, q, d)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	v.teamPage = s.teamPageOf(sess, team, "Squad trends · "+team, navTrends)
	s.render(w, r, http.StatusOK, "trends", v)
}

func buildTrends(team string, q trendsQuery, d *trendsData) (*trendsView, error) {
	query := q.values(d.to)
	v := &trendsView{FormAction: teamPath(team, "trends"), CSVURL: teamPath(team, "trends.csv") + "?" + query.Encode(),
		Scope: "the whole squad"}
	if !q.To.IsZero() {
		v.To = q.To.Format(time.DateOnly)
	}
	for _, n := range weekChoices {
		if q.Daily && n > maxDailyWeeks {
			continue
		}
		v.Weeks = append(v.Weeks, option{Value: strconv.Itoa(n), Label: weeksLabel(n), Selected: n == q.Weeks})
	}
	if !slices.Contains(weekChoices, q.Weeks) {
		v.Weeks = append(v.Weeks, option{Value: strconv.Itoa(q.Weeks), Label: weeksLabel(q.Weeks), Selected: true})
	}
	v.Buckets = []option{{Value: "week", Label: "Weeks", Selected: !q.Daily}, {Value: "day", Label: "Days", Selected: q.Daily}}
	v.Groups = []option{{Value: "", Label: "Squad only", Selected: q.Group == ""}}
	who := names{}
	groups := map[string]bool{}
	for _, p := range d.profiles {
		who[p.GetAthleteId()] = p.GetDisplayName()
		if g := p.GetPositionGroup(); g != "" {
			groups[g] = true
		}
	}
	for _, a := range d.status {
		if g := a.GetPositionGroup(); g != "" {
			groups[g] = true
		}
	}
	if q.Group != "" {
		groups[q.Group] = true
		v.Scope = "the whole squad and " + q.Group
	}
	for _, g := range slices.Sorted(func(yield func(string) bool) {
		for g := range groups {
			if !yield(g) {
				return
			}
		}
	}) {
		v.Groups = append(v.Groups, option{Value: g, Label: "Squad vs " + g, Selected: g == q.Group})
	}
	v.RangeWords = fmt.Sprintf("%s to %s, per %s", d.from.Format("Mon 2 Jan 2006"), d.to.Format("Mon 2 Jan 2006"),
		map[bool]string{true: "day", false: "week"}[q.Daily])
	if q.To.IsZero() {
		v.RangeWords += " (up to the team's last assessed day)"
	}
	v.Zone = d.zone
	v.Coverage = fmt.Sprintf("%d athletes and %d stored rows in the squad's numbers", d.squad.GetAthletesCovered(), d.squad.GetRowsCovered())
	if d.group != nil {
		v.Coverage += fmt.Sprintf("; %d athletes in %s", d.group.GetAthletesCovered(), q.Group)
	}

	view := chart.View{Location: time.UTC, Mass: q.Unit}
	for _, c := range trendCharts(d, q) {
		cv, err := c.render(d.from, d.to, view, q.Daily)
		if err != nil {
			return nil, err
		}
		if cv.Unavailable != "" {
			// Items of one kind (wellness items, lifts) are named once: a squad without
			// wellness reports would otherwise list every question there is.
			name := c.Heading
			if kind, _, found := strings.Cut(name, ": "); found {
				name = kind
			}
			if !slices.Contains(v.Empty, name) {
				v.Empty = append(v.Empty, name)
			}
			continue
		}
		v.Charts = append(v.Charts, cv)
	}

	athleteURL := func(id string) string {
		return teamPath(team, "athletes", id) + "?" + url.Values{"weeks": {strconv.Itoa(q.Weeks)}, "to": {d.to.Format(time.DateOnly)}}.Encode()
	}
	for _, e := range d.episodes {
		det := e.GetDetected()
		ev := episodeView{Rule: cmp.Or(trendRuleWords[det.GetRule()], enumWord(det.GetRule().String(), "TEAM_TREND_RULE_")),
			Week: weekdayDateText(det.GetWeekStart()), Scope: cmp.Or(det.GetPositionGroup(), "whole squad"),
			Summary: det.GetSummary(), Severity: enumWord(det.GetSeverity().String(), "SEVERITY_"), TeamDeload: det.GetSuggestsTeamDeload(),
			Open: e.GetEndedWeekStart() == nil}
		if det.GetSquadSize() > 0 {
			ev.Flagged = fmt.Sprintf("%d of %d athletes flagged (%.0f%%)", det.GetFlaggedCount(), det.GetSquadSize(), det.GetFlaggedShare()*100)
		}
		if ev.Open {
			ev.State = "Open"
		} else {
			ev.State = "Ended the week of " + weekdayDateText(e.GetEndedWeekStart())
		}
		for _, id := range det.GetAthleteIds() {
			ev.Athletes = append(ev.Athletes, athleteLink{Name: who.of(id), URL: athleteURL(id)})
		}
		v.Episodes = append(v.Episodes, ev)
	}

	// The drill-down: every athlete of the scope, with today's status, linked to their page
	// over the same range.
	seen := map[string]bool{}
	addAthlete := func(id, group string, st commonv1.AthleteStatus) {
		if seen[id] || (q.Group != "" && group != q.Group) {
			return
		}
		seen[id] = true
		v.Athletes = append(v.Athletes, trendAthleteView{athleteLink: athleteLink{Name: who.of(id), URL: athleteURL(id)},
			ID: id, Group: cmp.Or(group, "-"), Light: lightOf(st)})
	}
	groupOf := map[string]string{}
	for _, p := range d.profiles {
		groupOf[p.GetAthleteId()] = p.GetPositionGroup()
	}
	for _, a := range d.status {
		addAthlete(a.GetAthleteId(), cmp.Or(groupOf[a.GetAthleteId()], a.GetPositionGroup()), a.GetStatus())
	}
	for _, p := range d.profiles {
		addAthlete(p.GetAthleteId(), p.GetPositionGroup(), commonv1.AthleteStatus_ATHLETE_STATUS_UNSPECIFIED)
	}
	slices.SortFunc(v.Athletes, func(a, b trendAthleteView) int { return cmp.Compare(a.Name, b.Name) })
	return v, nil
}

// trendsCSV answers the page's query with the numbers of its charts: one row per bucket of
// every drawn series, raw values (kg, shares 0-1) as the trends service gives them.
func (s *Server) trendsCSV(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.openTeam(w, r)
	if !ok {
		return
	}
	q := s.trendsQueryOf(r)
	d, err := s.loadTrends(r.Context(), sess, team, q)
	if err != nil {
		s.serviceError(w, r, err, "squad trends csv")
		return
	}
	name := fmt.Sprintf("trends-%s-%s-%s.csv", team, d.from.Format(time.DateOnly), d.to.Format(time.DateOnly))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"chart", "scope", "series", "statistic", "unit", "bucket_start", "value", "athletes", "rows"})
	for _, c := range trendCharts(d, q) {
		for _, l := range c.drawnLines() {
			stat := enumWord(l.Statistic.String(), "TREND_STATISTIC_")
			for _, v := range l.Values {
				val, athletes := "", ""
				if v.Value != nil {
					val = strconv.FormatFloat(*v.Value, 'g', -1, 64)
				}
				if v.Athletes >= 0 {
					athletes = strconv.Itoa(v.Athletes)
				}
				_ = cw.Write([]string{c.ID, l.Scope, l.Label, stat, l.Unit, v.Day.Format(time.DateOnly), val, athletes, strconv.FormatUint(v.Rows, 10)})
			}
		}
	}
	cw.Flush() // a failed write means the browser went away
}
