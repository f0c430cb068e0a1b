package web

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/services/chart"
)

// The athlete page's charts are built from what the services already serve: the assessment
// history (one per assessed day, the day's last), the athlete's own weekly and daily trend
// buckets, and the deload list. Nothing here recomputes a fatigue signal; the only arithmetic
// is the wellness baseline band, which the assessments carry as a z-score only.

const (
	sourceAssessments = "FatigueService.ListAssessments"
	sourceWeekly      = "TrendsService.GetTeamTrends (this athlete, weekly buckets)"
	sourceDaily       = "TrendsService.GetTeamTrends (this athlete, daily buckets)"
	// wellnessBaselineDays and wellnessBaselineReports match the fatigue service's default
	// wellness baseline (28 days; a band from 7 reports on).
	wellnessBaselineDays    = 28
	wellnessBaselineReports = 7
	// liftingGapDays joins points of series measured on lifting days only.
	liftingGapDays = 8
)

var mainLiftNames = []struct {
	lift commonv1.LiftCategory
	id   string
	name string
}{
	{commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, "squat", "Squat"},
	{commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, "bench", "Bench press"},
	{commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT, "deadlift", "Deadlift"},
	{commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS, "ohp", "Overhead press"},
	{commonv1.LiftCategory_LIFT_CATEGORY_ROW, "row", "Row"},
	{commonv1.LiftCategory_LIFT_CATEGORY_PULL_UP, "pullup", "Pull-up"},
}

var wellnessNames = []struct {
	item     commonv1.WellnessItem
	id, name string
	min, max float64 // the answer scale; max 0 fits the data
}{
	{commonv1.WellnessItem_WELLNESS_ITEM_FATIGUE, "fatigue", "Fatigue (5 = very fresh)", 1, 5},
	{commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_QUALITY, "sleep-quality", "Sleep quality (5 = very restful)", 1, 5},
	{commonv1.WellnessItem_WELLNESS_ITEM_SORENESS, "soreness", "Soreness (5 = feeling great)", 1, 5},
	{commonv1.WellnessItem_WELLNESS_ITEM_STRESS, "stress", "Stress (5 = very relaxed)", 1, 5},
	{commonv1.WellnessItem_WELLNESS_ITEM_MOOD, "mood", "Mood (5 = very positive)", 1, 5},
	{commonv1.WellnessItem_WELLNESS_ITEM_MOTIVATION, "motivation", "Motivation (5 = highly motivated)", 1, 5},
	{commonv1.WellnessItem_WELLNESS_ITEM_READINESS, "readiness", "Readiness", 1, 5},
	{commonv1.WellnessItem_WELLNESS_ITEM_JOINT_PAIN, "joint-pain", "Joint pain (0 = none)", 0, 5},
	{commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_HOURS, "sleep-hours", "Sleep hours", 0, 0},
}

// assessedDay is the last assessment of one day.
type assessedDay struct {
	day time.Time // civil, UTC midnight
	a   *eventsv1.AthleteAssessed
}

// assessedDays keeps each day's last assessment (the list is newest first), oldest day first.
func assessedDays(d *athleteData) []assessedDay {
	seen := map[time.Time]bool{}
	var out []assessedDay
	for _, a := range d.assessments {
		r := a.GetResult()
		if r.GetAsOf() == nil {
			continue
		}
		day := civil(r.GetAsOf())
		if seen[day] || day.Before(d.from) || day.After(d.to) {
			continue
		}
		seen[day] = true
		out = append(out, assessedDay{day, r})
	}
	slices.SortFunc(out, func(a, b assessedDay) int { return a.day.Compare(b.day) })
	return out
}

// chartBuilder carries what every chart of the page shares.
type chartBuilder struct {
	view     chart.View
	from, to time.Time // in the view's zone
	shades   []chart.Shade
	charts   []chartView
}

// at is a civil day as an instant the chart puts on that day in the view's zone.
func (b *chartBuilder) at(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, b.view.Location)
}

func (b *chartBuilder) add(c chart.Chart, heading, source string, contextOnly bool) error {
	c.From, c.To, c.Shades = b.from, b.to, b.shades
	svg, err := c.SVG(b.view)
	if err != nil {
		return fmt.Errorf("chart %s: %w", c.ID, err)
	}
	table, err := c.Table(b.view)
	if err != nil {
		return fmt.Errorf("chart table %s: %w", c.ID, err)
	}
	html, err := table.HTML()
	if err != nil {
		return fmt.Errorf("chart table %s: %w", c.ID, err)
	}
	b.charts = append(b.charts, chartView{ID: c.ID, Heading: heading, Source: source, SVG: svgHTML(svg), Table: html, ContextOnly: contextOnly})
	return nil
}

func (b *chartBuilder) unavailable(id, heading, why, source string) {
	b.charts = append(b.charts, chartView{ID: id, Heading: heading, Unavailable: why, Source: source})
}

func athleteCharts(d *athleteData, view chart.View) ([]chartView, error) {
	b := &chartBuilder{view: view}
	b.from, b.to = b.at(d.from), b.at(d.to)
	for _, dl := range d.deloads {
		if !live(dl.GetStatus()) || dl.GetWeekStart() == nil {
			continue
		}
		start := civil(dl.GetWeekStart())
		days := int(dl.GetParameters().GetDurationDays())
		if days <= 0 {
			days = 7
		}
		end := start.AddDate(0, 0, days-1)
		if end.Before(d.from) || start.After(d.to) {
			continue
		}
		sh := chart.Shade{Kind: chart.PlannedDeload, From: b.at(start), To: b.at(end), Label: dl.GetReason()}
		switch dl.GetKind() {
		case commonv1.DeloadKind_DELOAD_KIND_REACTIVE:
			sh.Kind = chart.ReactiveDeload
		case commonv1.DeloadKind_DELOAD_KIND_MANUAL:
			sh.Label = "Manual deload: " + dl.GetReason()
		}
		b.shades = append(b.shades, sh)
	}
	days := assessedDays(d)
	// In the order a coach reads them: strength and effort, then load, then recovery.
	for _, draw := range []func() error{
		func() error { return b.e1rmCharts(days) },
		func() error { return b.rpeChart(days) },
		func() error { return b.weeklyCharts(d.weekly) },
		func() error { return b.loadContextChart(days) },
		func() error { return b.wellnessCharts(d) },
		func() error { return b.hrvChart(days) },
		func() error { return b.barSpeedChart(days) },
	} {
		if err := draw(); err != nil {
			return nil, err
		}
	}
	return b.charts, nil
}

func (b *chartBuilder) e1rmCharts(days []assessedDay) error {
	drawn := false
	for _, l := range mainLiftNames {
		var pts []chart.Point
		lowConfidence := false
		for _, ad := range days {
			for _, ls := range ad.a.GetLifts() {
				if ls.GetLiftCategory() == l.lift && ls.E1RmKg != nil {
					pts = append(pts, chart.Point{Time: b.at(ad.day), Value: ls.GetE1RmKg()})
					lowConfidence = lowConfidence || ls.GetLowConfidence()
				}
			}
		}
		if len(pts) == 0 {
			continue
		}
		drawn = true
		desc := "Best estimated one-rep max of the recent two to three weeks, as each day's assessment saw it."
		if lowConfidence {
			desc += " Some estimates come from sets without RPE (Epley), so they are less certain."
		}
		c := chart.Chart{ID: "e1rm-" + l.id, Title: "e1RM, " + l.name, Desc: desc,
			Y:     chart.YAxis{Title: "e1RM", Mass: true, Decimals: 1},
			Lines: []chart.Line{{Label: l.name, Points: pts, MaxGapDays: liftingGapDays, Markers: true}}}
		if err := b.add(c, "e1RM: "+l.name, sourceAssessments+": lifts[].e1rm_kg", false); err != nil {
			return err
		}
	}
	if !drawn {
		b.unavailable("e1rm", "e1RM per main lift", "No e1RM in this range: no working sets of a main lift were assessed.", sourceAssessments)
	}
	return nil
}

// evidenceOf is the assessment's evidence for metric, when it was judged (not too sparse).
func evidenceOf(a *eventsv1.AthleteAssessed, metric string) *eventsv1.Evidence {
	for _, e := range a.GetEvidence() {
		if e.GetMetric() == metric && !e.GetInsufficientData() && e.Value != nil {
			return e
		}
	}
	return nil
}

func (b *chartBuilder) rpeChart(days []assessedDay) error {
	var pts []chart.Point
	var threshold *float64
	for _, ad := range days {
		if e := evidenceOf(ad.a, "rpe_drift"); e != nil {
			pts = append(pts, chart.Point{Time: b.at(ad.day), Value: e.GetValue()})
			threshold = e.Threshold
		}
	}
	const heading = "RPE at familiar loads"
	if len(pts) == 0 {
		b.unavailable("rpe-familiar", heading, "Not available: no sets with RPE at loads the athlete has lifted before in this range.", sourceAssessments)
		return nil
	}
	c := chart.Chart{ID: "rpe-familiar", Title: "RPE at familiar loads vs baseline",
		Desc:  "How much harder the same load felt than in the athlete's baseline (RPE points; above zero is harder).",
		Y:     chart.YAxis{Title: "RPE vs baseline", Unit: "RPE", Decimals: 1},
		Lines: []chart.Line{{Label: "RPE vs baseline", Points: pts, MaxGapDays: liftingGapDays, Markers: true}}}
	if threshold != nil {
		c.Thresholds = []chart.Threshold{{Label: fmt.Sprintf("Harder at +%.1f", *threshold), Value: *threshold}}
	}
	return b.add(c, heading, sourceAssessments+": evidence rpe_drift", false)
}

// weeklySums adds a weekly metric's lift categories up per week.
func weeklySums(resp *trendsv1.GetTeamTrendsResponse, metric trendsv1.TrendMetric) map[time.Time]float64 {
	sums := map[time.Time]float64{}
	for _, s := range resp.GetSeries() {
		if s.GetMetric() != metric || s.GetStatistic() != trendsv1.TrendStatistic_TREND_STATISTIC_SUM {
			continue
		}
		for _, p := range s.GetPoints() {
			if p.Value != nil {
				sums[civil(p.GetBucketStart())] += p.GetValue()
			}
		}
	}
	return sums
}

func (b *chartBuilder) bars(sums map[time.Time]float64) []chart.Bar {
	weeks := make([]time.Time, 0, len(sums))
	for w := range sums {
		weeks = append(weeks, w)
	}
	slices.SortFunc(weeks, time.Time.Compare)
	bars := make([]chart.Bar, 0, len(weeks))
	for _, w := range weeks {
		bars = append(bars, chart.Bar{WeekStart: b.at(w), Value: sums[w]})
	}
	return bars
}

func (b *chartBuilder) weeklyCharts(resp *trendsv1.GetTeamTrendsResponse) error {
	volume := weeklySums(resp, trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD)
	if len(volume) == 0 {
		b.unavailable("volume-load", "Weekly volume-load", "No working sets in this range.", sourceWeekly)
	} else {
		c := chart.Chart{ID: "volume-load", Title: "Weekly volume-load",
			Desc: "Load times reps of the working sets, every lift, per Monday-to-Sunday week.",
			Y:    chart.YAxis{Title: "Volume-load", Mass: true, Decimals: 0},
			Bars: []chart.BarSeries{{Label: "Volume-load", Weeks: b.bars(volume)}}}
		if err := b.add(c, "Weekly volume-load", sourceWeekly+": volume-load, all lifts", false); err != nil {
			return err
		}
	}
	hard := weeklySums(resp, trendsv1.TrendMetric_TREND_METRIC_HARD_SETS)
	if len(hard) == 0 {
		b.unavailable("hard-sets", "Weekly hard sets", "No working sets in this range.", sourceWeekly)
		return nil
	}
	c := chart.Chart{ID: "hard-sets", Title: "Weekly hard sets",
		Desc: "Working sets at 3 or fewer reps in reserve, every lift, per Monday-to-Sunday week.",
		Y:    chart.YAxis{Title: "Hard sets", Unit: "sets", Decimals: 0},
		Bars: []chart.BarSeries{{Label: "Hard sets", Weeks: b.bars(hard)}}}
	return b.add(c, "Weekly hard sets", sourceWeekly+": hard sets, all lifts", false)
}

func (b *chartBuilder) loadContextChart(days []assessedDay) error {
	var acwr, monotony []chart.Point
	acwrHigh, monotonyHigh := math.NaN(), math.NaN()
	for _, ad := range days {
		l := ad.a.GetLoad()
		if l.Acwr != nil {
			acwr = append(acwr, chart.Point{Time: b.at(ad.day), Value: l.GetAcwr()})
		}
		if l.Monotony != nil {
			monotony = append(monotony, chart.Point{Time: b.at(ad.day), Value: l.GetMonotony()})
		}
		for _, e := range ad.a.GetEvidence() {
			switch {
			case e.GetMetric() == "acwr" && e.Threshold != nil:
				acwrHigh = e.GetThreshold()
			case e.GetMetric() == "monotony" && e.Threshold != nil:
				monotonyHigh = e.GetThreshold()
			}
		}
	}
	const heading = "ACWR and monotony (context only)"
	if len(acwr) == 0 && len(monotony) == 0 {
		b.unavailable("load-context", heading,
			"Not available: ACWR needs 28 days of history with session load, monotony a week of it.", sourceAssessments)
		return nil
	}
	c := chart.Chart{ID: "load-context", Title: "ACWR and monotony",
		Desc: "Context only: these raise or lower confidence in a concern but never recommend a deload on their own.",
		Y:    chart.YAxis{Title: "Ratio", Decimals: 2}}
	if len(acwr) > 0 {
		c.Lines = append(c.Lines, chart.Line{Label: "ACWR", Points: acwr, MaxGapDays: liftingGapDays, ContextOnly: true})
	}
	if len(monotony) > 0 {
		c.Lines = append(c.Lines, chart.Line{Label: "Monotony", Points: monotony, MaxGapDays: liftingGapDays, ContextOnly: true})
	}
	if !math.IsNaN(acwrHigh) {
		c.Thresholds = append(c.Thresholds, chart.Threshold{Label: fmt.Sprintf("ACWR high (%.1f)", acwrHigh), Value: acwrHigh})
	}
	if !math.IsNaN(monotonyHigh) {
		c.Thresholds = append(c.Thresholds, chart.Threshold{Label: fmt.Sprintf("Monotony high (%.1f)", monotonyHigh), Value: monotonyHigh})
	}
	return b.add(c, heading, sourceAssessments+": load.acwr, load.monotony", true)
}

// wellnessCharts draws each answered item with the athlete's own baseline band: the mean plus
// and minus one SD of the item over the 28 days before each day (from 7 reports on), as the
// fatigue service judges it. Daily buckets are UTC days.
func (b *chartBuilder) wellnessCharts(d *athleteData) error {
	values := map[commonv1.WellnessItem]map[time.Time]float64{}
	units := map[commonv1.WellnessItem]string{}
	for _, resp := range d.daily {
		for _, s := range resp.GetSeries() {
			if s.GetMetric() != trendsv1.TrendMetric_TREND_METRIC_WELLNESS || s.GetStatistic() != trendsv1.TrendStatistic_TREND_STATISTIC_MEAN {
				continue
			}
			item := s.GetWellnessItem()
			units[item] = s.GetUnit()
			for _, p := range s.GetPoints() {
				if p.Value == nil {
					continue
				}
				if values[item] == nil {
					values[item] = map[time.Time]float64{}
				}
				values[item][civil(p.GetBucketStart())] = p.GetValue()
			}
		}
	}
	drawn := false
	for _, w := range wellnessNames {
		byDay := values[w.item]
		if len(byDay) == 0 {
			continue
		}
		days := make([]time.Time, 0, len(byDay))
		for day := range byDay {
			days = append(days, day)
		}
		slices.SortFunc(days, time.Time.Compare)
		var pts []chart.Point
		var steps []chart.BandStep
		for i, day := range days {
			if day.Before(d.from) || day.After(d.to) {
				continue // the days before the range only feed the baseline
			}
			pts = append(pts, chart.Point{Time: b.at(day), Value: byDay[day]})
			var base []float64
			for j := i - 1; j >= 0 && days[j].After(day.AddDate(0, 0, -wellnessBaselineDays-1)); j-- {
				base = append(base, byDay[days[j]])
			}
			if len(base) >= wellnessBaselineReports {
				mean, sd := meanSD(base)
				steps = append(steps, chart.BandStep{Time: b.at(day), Low: mean - sd, High: mean + sd})
			}
		}
		if len(pts) == 0 {
			continue
		}
		drawn = true
		c := chart.Chart{ID: "wellness-" + w.id, Title: "Wellness: " + w.name,
			Desc:  "Daily answers against the athlete's own baseline (mean ± 1 SD of the previous 28 days).",
			Y:     chart.YAxis{Title: w.name, Unit: units[w.item], Decimals: 1, Min: w.min, Max: w.max},
			Lines: []chart.Line{{Label: w.name, Points: pts, MaxGapDays: 3, Markers: true}}}
		if len(steps) > 0 {
			c.Bands = []chart.Band{{Label: "Baseline ± 1 SD", Steps: steps, MaxGapDays: 3}}
		}
		if err := b.add(c, "Wellness: "+w.name, sourceDaily+": wellness mean per day", false); err != nil {
			return err
		}
	}
	if !drawn {
		b.unavailable("wellness", "Wellness", "Not available: no wellness reports in this range.", sourceDaily)
	}
	return nil
}

// svgHTML marks a chart's SVG safe for the page: the chart package escapes every text it
// writes and emits no script, event handler or style.
func svgHTML(svg []byte) template.HTML { return template.HTML(svg) } //nolint:gosec // see above

func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

func (b *chartBuilder) hrvChart(days []assessedDay) error {
	var pts []chart.Point
	var steps []chart.BandStep
	for _, ad := range days {
		e := evidenceOf(ad.a, "hrv_ln_rmssd_7d")
		if e == nil {
			continue
		}
		pts = append(pts, chart.Point{Time: b.at(ad.day), Value: e.GetValue()})
		if e.Baseline != nil && e.Threshold != nil {
			// The evidence gives the band's floor (baseline - 0.5 SD); the band is symmetric.
			steps = append(steps, chart.BandStep{Time: b.at(ad.day), Low: e.GetThreshold(), High: 2*e.GetBaseline() - e.GetThreshold()})
		}
	}
	const heading = "HRV"
	if len(pts) == 0 {
		b.unavailable("hrv", heading, "Not available: no HRV in this range, or too few mornings for a baseline.", sourceAssessments)
		return nil
	}
	c := chart.Chart{ID: "hrv", Title: "HRV, 7-day mean of ln(rMSSD)",
		Desc:  "The rolling mean against the athlete's normal band (baseline ± 0.5 SD, the smallest worthwhile change).",
		Y:     chart.YAxis{Title: "ln(rMSSD)", Unit: "ln(ms)", Decimals: 2},
		Lines: []chart.Line{{Label: "7-day mean", Points: pts, MaxGapDays: 3}}}
	if len(steps) > 0 {
		c.Bands = []chart.Band{{Label: "Normal band (baseline ± 0.5 SD)", Steps: steps, MaxGapDays: 3}}
	}
	return b.add(c, heading, sourceAssessments+": evidence hrv_ln_rmssd_7d", false)
}

func (b *chartBuilder) barSpeedChart(days []assessedDay) error {
	var pts []chart.Point
	var threshold *float64
	for _, ad := range days {
		if e := evidenceOf(ad.a, "velocity_drop_pct"); e != nil {
			// The evidence counts a drop as positive; the chart shows slower as down.
			pts = append(pts, chart.Point{Time: b.at(ad.day), Value: -e.GetValue()})
			threshold = e.Threshold
		}
	}
	const heading = "Bar speed"
	if len(pts) == 0 {
		b.unavailable("bar-speed", heading, "Not available: no bar-speed measurements with a baseline at the same load in this range.", sourceAssessments)
		return nil
	}
	c := chart.Chart{ID: "bar-speed", Title: "Bar speed vs usual at the same load",
		Desc:  "Mean velocity of the most telling main lift compared with the athlete's usual speed at that load; below zero is slower.",
		Y:     chart.YAxis{Title: "Bar speed change", Unit: "%", Decimals: 1},
		Lines: []chart.Line{{Label: "Bar speed change", Points: pts, MaxGapDays: liftingGapDays, Markers: true}}}
	if threshold != nil {
		c.Thresholds = []chart.Threshold{{Label: fmt.Sprintf("Slower by %.0f%%", *threshold), Value: -*threshold}}
	}
	return b.add(c, heading, sourceAssessments+": evidence velocity_drop_pct", false)
}
