package chart

import (
	"math"
	"testing"
	"time"
)

// The fixtures are built from formulas, not a random source, so the golden files depend on
// nothing but this code.

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// at is 07:30 on a calendar day in loc, when a morning wellness form is filled in.
func at(loc *time.Location, y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 7, 30, 0, 0, loc)
}

// e1RMChart is an athlete's squat and bench e1RM over twelve weeks, lifting two or three days a
// week, with a planned and a reactive deload.
func e1RMChart(loc *time.Location) Chart {
	var squat, bench []Point
	start := at(loc, 2025, time.January, 6)
	for i := range 84 {
		t := start.AddDate(0, 0, i)
		switch t.Weekday() {
		case time.Monday, time.Friday:
			squat = append(squat, Point{t, 160 + 0.3*float64(i) + 4*math.Sin(float64(i)/5)})
		case time.Wednesday:
			bench = append(bench, Point{t, 110 + 0.15*float64(i) + 3*math.Cos(float64(i)/4)})
		}
	}
	// A missed fortnight of bench: the line must not bridge it.
	bench = append(bench[:5:5], bench[7:]...)
	return Chart{
		ID:    "e1rm",
		Title: "e1RM per main lift",
		Y:     YAxis{Title: "e1RM", Mass: true, Decimals: 1},
		Lines: []Line{
			{Label: "Squat", Points: squat, MaxGapDays: 7, Markers: true},
			{Label: "Bench press", Points: bench, MaxGapDays: 7, Markers: true},
		},
		Shades: []Shade{
			{Kind: PlannedDeload, From: at(loc, 2025, time.February, 3), To: at(loc, 2025, time.February, 9)},
			{Kind: ReactiveDeload, From: at(loc, 2025, time.March, 10), To: at(loc, 2025, time.March, 16), Label: "RPE up at familiar loads"},
		},
	}
}

// wellnessChart is a daily sleep-quality score against the athlete's moving baseline band, with
// missed days.
func wellnessChart(loc *time.Location) Chart {
	var pts []Point
	var band []BandStep
	start := at(loc, 2025, time.March, 1)
	for i := range 42 {
		t := start.AddDate(0, 0, i)
		mean := 3.6 - 0.01*float64(i)
		band = append(band, BandStep{Time: t, Low: mean - 0.5, High: mean + 0.5})
		if i%9 == 4 || i == 20 {
			continue // no form that day
		}
		pts = append(pts, Point{t, math.Round((mean+0.8*math.Sin(float64(i)*1.7))*2) / 2})
	}
	return Chart{
		ID:     "sleep",
		Title:  "Sleep quality",
		Y:      YAxis{Title: "Sleep quality", Unit: "1–5", Decimals: 1, Min: 1, Max: 5},
		Lines:  []Line{{Label: "Sleep quality", Points: pts}},
		Bands:  []Band{{Label: "Baseline ± 1 SD", Steps: band}},
		Shades: []Shade{{Kind: ReactiveDeload, From: at(loc, 2025, time.March, 24), To: at(loc, 2025, time.March, 30)}},
	}
}

// acwrChart is context only: ACWR with its sweet spot and the 1.5 line.
func acwrChart(loc *time.Location) Chart {
	var pts []Point
	start := at(loc, 2025, time.April, 1)
	for i := range 56 {
		pts = append(pts, Point{start.AddDate(0, 0, i), 1.0 + 0.45*math.Sin(float64(i)/6)})
	}
	return Chart{
		ID:         "acwr",
		Title:      "Acute:chronic workload ratio",
		Desc:       "Shown for context; no deload rule reads it",
		Y:          YAxis{Title: "ACWR", Decimals: 2},
		Lines:      []Line{{Label: "ACWR", Points: pts, ContextOnly: true}},
		Bands:      []Band{{Label: "Sweet spot 0.8–1.3", Low: 0.8, High: 1.3}},
		Thresholds: []Threshold{{Label: "1.5", Value: 1.5}},
		Shades:     []Shade{{Kind: PlannedDeload, From: at(loc, 2025, time.May, 5), To: at(loc, 2025, time.May, 11)}},
	}
}

// volumeChart is weekly volume-load and a second squad series, as bars.
func volumeChart(loc *time.Location) Chart {
	var mine, squad []Bar
	start := at(loc, 2025, time.January, 6)
	for i := range 12 {
		w := start.AddDate(0, 0, 7*i)
		v := 21000 + 900*float64(i%4)
		if i == 4 || i == 9 {
			v *= 0.55 // deload weeks
		}
		mine = append(mine, Bar{WeekStart: w, Value: v})
		squad = append(squad, Bar{WeekStart: w, Value: 20000 + 300*float64(i)})
	}
	return Chart{
		ID:    "volume",
		Title: "Weekly volume-load",
		Y:     YAxis{Title: "Volume-load", Mass: true},
		Bars:  []BarSeries{{Label: "Athlete", Weeks: mine}, {Label: "Squad median", Weeks: squad}},
		Shades: []Shade{
			{Kind: PlannedDeload, From: start.AddDate(0, 0, 28), To: start.AddDate(0, 0, 34)},
			{Kind: ReactiveDeload, From: start.AddDate(0, 0, 63), To: start.AddDate(0, 0, 69)},
		},
	}
}

// twoYearChart is the benchmark's size: two years of daily values in four series, ten shaded
// weeks, a moving band.
func twoYearChart(loc *time.Location) Chart {
	start := at(loc, 2024, time.January, 1)
	const days = 731
	lines := make([]Line, 4)
	for s := range lines {
		pts := make([]Point, 0, days)
		for i := range days {
			v := 100 + 10*float64(s) + 8*math.Sin(float64(i)/(9+float64(s)))
			if (i+s)%37 == 0 {
				v = math.NaN() // a missed day now and then
			}
			pts = append(pts, Point{start.AddDate(0, 0, i), v})
		}
		lines[s] = Line{Label: "Series " + string(rune('A'+s)), Points: pts, Markers: s == 0}
	}
	steps := make([]BandStep, days)
	for i := range steps {
		steps[i] = BandStep{Time: start.AddDate(0, 0, i), Low: 95, High: 105 + float64(i%30)/10}
	}
	var shades []Shade
	for k := range 10 {
		from := start.AddDate(0, 0, 70*k+14)
		kind := PlannedDeload
		if k%3 == 2 {
			kind = ReactiveDeload
		}
		shades = append(shades, Shade{Kind: kind, From: from, To: from.AddDate(0, 0, 6)})
	}
	return Chart{
		ID:     "two-years",
		Title:  "Two years",
		Y:      YAxis{Title: "e1RM", Mass: true, Decimals: 1},
		Lines:  lines,
		Bands:  []Band{{Label: "Baseline", Steps: steps}},
		Shades: shades,
	}
}
