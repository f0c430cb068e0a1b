package chart

import (
	"cmp"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"time"
)

// dayValue is a value placed on its calendar day, already in the unit shown.
type dayValue struct {
	d day
	v float64
}

type preparedLine struct {
	src    *Line
	label  string // with "(context only)" where it applies
	color  string
	maxGap day
	points []dayValue // in the x range, by day; NaN values are gaps
}

type preparedBars struct {
	label string
	color string
	weeks []dayValue // week start days that overlap the x range, by day
}

type preparedBand struct {
	label    string
	color    string
	constant bool
	low      float64 // constant bands
	high     float64
	maxGap   day
	steps    []bandStep // moving bands, in the x range, by day
}

type bandStep struct {
	d         day
	low, high float64
}

type preparedThreshold struct {
	label string
	value float64
}

type preparedShade struct {
	kind     ShadeKind
	label    string
	from, to day // clipped to the x range
	fullFrom day // unclipped, for the text that names the week
	fullTo   day
}

// prepared is a Chart read through a View: days in the team's zone, values in the reader's
// unit, and the axes fitted. The SVG, the table and the description all come from it, so they
// cannot disagree.
type prepared struct {
	c           *Chart
	id          string
	unit        string // "kg", "lb", "ms", or ""
	first, last day
	hasRange    bool // a range is known, from the chart or the data
	empty       bool // nothing to draw: no line value and no bar in range
	lines       []preparedLine
	bars        []preparedBars
	bands       []preparedBand
	thresholds  []preparedThreshold
	shades      []preparedShade
}

// palette is Okabe and Ito's, ordered so the first colours are the most distinct from each
// other and from the white background (the yellow is left out: too little contrast).
var palette = [...]string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}

const defaultBandColor = "#009E73"

func prepare(c *Chart, v View) (*prepared, error) {
	if err := c.validate(v); err != nil {
		return nil, err
	}
	p := &prepared{c: c, id: c.ID}
	if p.id == "" {
		h := fnv.New32a()
		h.Write([]byte(c.Title))
		p.id = "chart-" + strconv.FormatUint(uint64(h.Sum32()), 16)
	}
	conv := func(f float64) float64 { return f }
	switch {
	case c.Y.Mass:
		p.unit = v.Mass.String()
		conv = v.Mass.FromKilograms
	default:
		p.unit = c.Y.Unit
	}
	p.placeSeries(c, conv, v.Location)
	p.clipSeries()
	p.placeBands(c, conv, v.Location)
	p.placeMarks(c, conv, v.Location)
	return p, nil
}

// placeSeries puts every line point and weekly bar on its day, in the lines' and bars' colours,
// and sets the range: the data's unless the chart fixes an end.
func (p *prepared) placeSeries(c *Chart, conv func(float64) float64, loc *time.Location) {
	colorIndex := 0
	nextColor := func(own string) string {
		if own != "" {
			return own
		}
		col := palette[colorIndex%len(palette)]
		colorIndex++
		return col
	}
	var lo, hi day
	seen := false
	extend := func(a, b day) {
		if !seen || a < lo {
			lo = a
		}
		if !seen || b > hi {
			hi = b
		}
		seen = true
	}
	p.lines = make([]preparedLine, len(c.Lines))
	for i := range c.Lines {
		l := &c.Lines[i]
		pl := preparedLine{src: l, label: l.Label, color: nextColor(l.Color), maxGap: day(max(l.MaxGapDays, 1))}
		if pl.label == "" {
			pl.label = "Series " + strconv.Itoa(i+1)
		}
		if l.ContextOnly {
			pl.label += " (context only)"
		}
		pl.points = make([]dayValue, len(l.Points))
		for j, pt := range l.Points {
			pl.points[j] = dayValue{d: dayOf(pt.Time, loc), v: conv(pt.Value)}
			if !math.IsNaN(pt.Value) {
				extend(pl.points[j].d, pl.points[j].d)
			}
		}
		sortByDay(pl.points)
		p.lines[i] = pl
	}
	p.bars = make([]preparedBars, len(c.Bars))
	for i := range c.Bars {
		b := &c.Bars[i]
		pb := preparedBars{label: b.Label, color: nextColor(b.Color)}
		if pb.label == "" {
			pb.label = "Bars " + strconv.Itoa(i+1)
		}
		pb.weeks = make([]dayValue, len(b.Weeks))
		for j, w := range b.Weeks {
			pb.weeks[j] = dayValue{d: dayOf(w.WeekStart, loc), v: conv(w.Value)}
			if !math.IsNaN(w.Value) {
				extend(pb.weeks[j].d, pb.weeks[j].d+6)
			}
		}
		sortByDay(pb.weeks)
		p.bars[i] = pb
	}
	if !c.From.IsZero() {
		lo = dayOf(c.From, loc)
	}
	if !c.To.IsZero() {
		hi = dayOf(c.To, loc)
	}
	switch {
	case !c.From.IsZero() && !c.To.IsZero():
		p.hasRange = true
	case seen && hi >= lo:
		p.hasRange = true
	case !c.From.IsZero() || !c.To.IsZero():
		// One end fixed and no data on the right side of it: show that day alone.
		if c.From.IsZero() {
			lo = hi
		} else {
			hi = lo
		}
		p.hasRange = true
	}
	p.first, p.last = lo, hi
}

// clipSeries keeps the points and bars inside the range; a chart with no value left is empty.
func (p *prepared) clipSeries() {
	p.empty = true
	for i := range p.lines {
		pl := &p.lines[i]
		pl.points = clipDays(pl.points, p.first, p.last, 0)
		for _, pt := range pl.points {
			if !math.IsNaN(pt.v) {
				p.empty = false
			}
		}
	}
	for i := range p.bars {
		pb := &p.bars[i]
		pb.weeks = clipDays(pb.weeks, p.first, p.last, 6)
		for _, w := range pb.weeks {
			if !math.IsNaN(w.v) {
				p.empty = false
			}
		}
	}
	if !p.hasRange {
		p.empty = true
	}
}

// placeBands converts the bands, constant or stepped, and clips the steps to the range.
func (p *prepared) placeBands(c *Chart, conv func(float64) float64, loc *time.Location) {
	p.bands = make([]preparedBand, len(c.Bands))
	for i := range c.Bands {
		b := &c.Bands[i]
		pb := preparedBand{label: b.Label, color: b.Color, maxGap: day(max(b.MaxGapDays, 1))}
		if pb.color == "" {
			pb.color = defaultBandColor
		}
		if pb.label == "" {
			pb.label = "Band " + strconv.Itoa(i+1)
		}
		if len(b.Steps) == 0 {
			pb.constant, pb.low, pb.high = true, conv(b.Low), conv(b.High)
		} else {
			steps := make([]bandStep, len(b.Steps))
			for j, s := range b.Steps {
				steps[j] = bandStep{d: dayOf(s.Time, loc), low: conv(s.Low), high: conv(s.High)}
			}
			slices.SortStableFunc(steps, func(a, b bandStep) int { return cmp.Compare(a.d, b.d) })
			start, end := clipRange(len(steps), func(k int) day { return steps[k].d }, p.first, p.last, 0)
			pb.steps = steps[start:end]
		}
		p.bands[i] = pb
	}
}

// placeMarks converts the threshold lines and keeps the shaded periods that meet the range.
func (p *prepared) placeMarks(c *Chart, conv func(float64) float64, loc *time.Location) {
	p.thresholds = make([]preparedThreshold, len(c.Thresholds))
	for i, t := range c.Thresholds {
		pt := preparedThreshold{label: t.Label, value: conv(t.Value)}
		if pt.label == "" {
			pt.label = formatNumber(pt.value, c.Y.Decimals)
		}
		p.thresholds[i] = pt
	}
	for _, s := range c.Shades {
		from, to := dayOf(s.From, loc), dayOf(s.To, loc)
		if !p.hasRange || to < p.first || from > p.last {
			continue
		}
		p.shades = append(p.shades, preparedShade{
			kind: s.Kind, label: s.Label,
			from: max(from, p.first), to: min(to, p.last),
			fullFrom: from, fullTo: to,
		})
	}
	slices.SortStableFunc(p.shades, func(a, b preparedShade) int { return cmp.Compare(a.from, b.from) })
}

// sortByDay sorts in place unless already sorted, which callers' data nearly always is.
func sortByDay(vs []dayValue) {
	less := func(a, b dayValue) int { return cmp.Compare(a.d, b.d) }
	if !slices.IsSortedFunc(vs, less) {
		slices.SortStableFunc(vs, less)
	}
}

// clipDays keeps the values whose span (day .. day+extra) overlaps [first, last]; vs is sorted.
func clipDays(vs []dayValue, first, last, extra day) []dayValue {
	start, end := clipRange(len(vs), func(k int) day { return vs[k].d }, first, last, extra)
	return vs[start:end]
}

func clipRange(n int, at func(int) day, first, last, extra day) (int, int) {
	return searchDay(n, at, first-extra), searchDay(n, at, last+1)
}

// searchDay is the first index whose day is >= d.
func searchDay(n int, at func(int) day, d day) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if at(m) < d {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// yAxis fits the value axis to everything drawn: values, bars from zero, bands and thresholds
// (a threshold off the axis would silently say "nowhere near it").
func (p *prepared) yAxis(maxIntervals int) valueAxis {
	if p.c.Y.Max > p.c.Y.Min {
		return fixedAxis(p.c.Y.Min, p.c.Y.Max, maxIntervals)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	add := func(v float64) {
		if math.IsNaN(v) {
			return
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	for _, l := range p.lines {
		for _, pt := range l.points {
			add(pt.v)
		}
	}
	if len(p.bars) > 0 {
		add(0)
	}
	for _, b := range p.bars {
		for _, w := range b.weeks {
			add(w.v)
		}
	}
	for _, b := range p.bands {
		if b.constant {
			add(b.low)
			add(b.high)
		}
		for _, s := range b.steps {
			add(s.low)
			add(s.high)
		}
	}
	for _, t := range p.thresholds {
		add(t.value)
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	return fitAxis(lo, hi, maxIntervals)
}

// withUnit is a value as the table and the description give it: "182.5 kg".
func (p *prepared) withUnit(v float64) string {
	s := formatNumber(v, p.c.Y.Decimals)
	if p.unit != "" {
		s += " " + p.unit
	}
	return s
}

// axisTitle is "e1RM (kg)".
func (p *prepared) axisTitle() string {
	switch {
	case p.c.Y.Title != "" && p.unit != "":
		return p.c.Y.Title + " (" + p.unit + ")"
	case p.c.Y.Title != "":
		return p.c.Y.Title
	}
	return p.unit
}
