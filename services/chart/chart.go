// Package chart renders the console's time-series charts as SVG on the server, with a text
// table holding the same values for readers who cannot see the picture.
//
// A Chart is plain data: line series, weekly bars, baseline bands, thresholds and shaded date
// ranges (planned and reactive deload weeks). The View says whose eyes it is for: the team's time
// zone, which decides what calendar day an instant falls on, and the user's mass unit. The x
// axis counts calendar days in that zone rather than instants, so a daylight-saving change does
// not make one day 23 hours wide and a point logged at 23:30 lands on the day the athlete lived.
//
// The SVG is safe to place inline in a page served with a strict Content-Security-Policy: every
// text is escaped, there is no script and no event handler, and styling is done with
// presentation attributes (which `style-src 'self'` allows) plus class names a stylesheet can
// override. The same Chart and View always give the same bytes.
package chart

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Chart is everything one chart shows. Its zero value is an empty chart, which renders as a
// "no data" picture rather than failing.
type Chart struct {
	// ID prefixes the ids inside the SVG (title, description, clip path, hatch pattern). Two
	// charts on one page need different IDs; when empty it is derived from Title.
	ID string
	// Title is shown above the chart and read first by screen readers.
	Title string
	// Desc is read after the title; a summary of the data (range, each series' last value and
	// extremes, the shaded weeks) is always appended to it.
	Desc string
	// Width and Height are the SVG's size in pixels; zero means 720 by 320. The picture scales
	// with its viewBox, so these set the aspect ratio and the text size relative to the plot.
	Width, Height int

	// From and To bound the x axis, both calendar days inclusive in the View's zone. A zero
	// value takes the first or last day of the data. Points outside are not drawn.
	From, To time.Time

	Y YAxis

	Lines      []Line
	Bars       []BarSeries
	Bands      []Band
	Thresholds []Threshold
	Shades     []Shade
}

// YAxis describes the values. All values of a chart share the axis, and with it the unit.
type YAxis struct {
	// Title names the quantity, e.g. "e1RM" or "Weekly volume-load"; the unit is added to it.
	Title string
	// Unit is shown after the title for quantities that are not masses, e.g. "ms" or "AU".
	Unit string
	// Mass says every value on the chart (lines, bars, bands, thresholds) is in kilograms and is
	// shown in the View's mass unit. Volume-load is a mass too (kilograms lifted times reps).
	Mass bool
	// Decimals is how many digits after the point the table and the description give values.
	Decimals int
	// Min and Max fix the axis when Max > Min (e.g. a 1 to 5 wellness scale); otherwise the axis
	// fits the data on round numbers.
	Min, Max float64
}

// Point is one value at one instant. A NaN value is a known gap: the line breaks there.
type Point struct {
	Time  time.Time
	Value float64
}

// Line is a series drawn as a line.
type Line struct {
	Label  string
	Points []Point
	// MaxGapDays is how many calendar days apart two points may be and still be joined; zero
	// means 1, so a daily series breaks on every missing day. A series measured on lifting
	// days only (e1RM) wants a week or so, or every rest day would break it.
	MaxGapDays int
	// Markers draws a dot on every point, when the points are far enough apart to tell the dots
	// apart (8 px on average). Points with no neighbour to join always get one, so a
	// lone measurement is never invisible.
	Markers bool
	// ContextOnly marks a series shown for context that no decision is based on (ACWR,
	// monotony): it is dashed and labelled "(context only)" in the legend, table and description.
	ContextOnly bool
	// Color is a "#rrggbb" colour; empty takes the next colour of a palette that stays
	// distinguishable for the common colour-vision deficiencies.
	Color string
}

// BarSeries is a weekly quantity drawn as bars, one per week. Several series share each week's
// slot side by side.
type BarSeries struct {
	Label string
	Weeks []Bar
	Color string
}

// Bar is one week's value. The bar covers the seven calendar days from WeekStart's day.
type Bar struct {
	WeekStart time.Time
	Value     float64
}

// Band is a horizontal range of normal values: an athlete's baseline mean plus and minus one
// SD, or a sweet spot such as ACWR 0.8 to 1.3.
type Band struct {
	Label string
	// Low and High give a band constant over the whole chart; they are used when Steps is empty.
	Low, High float64
	// Steps give a band that moves with time, such as a rolling baseline: each step holds from
	// its day until the next step's day, and a step more than MaxGapDays (default 1) before the
	// next ends after its own day, leaving a gap.
	Steps      []BandStep
	MaxGapDays int
	Color      string
}

// BandStep is a band's range from one day on.
type BandStep struct {
	Time      time.Time
	Low, High float64
}

// Threshold is a horizontal reference line, such as ACWR 1.5.
type Threshold struct {
	Label string
	Value float64
}

// ShadeKind says why a date range is shaded; each kind looks different (colour and texture,
// so the difference survives greyscale printing) and has its own legend entry.
type ShadeKind int

const (
	// PlannedDeload is a deload week that was on the program.
	PlannedDeload ShadeKind = iota
	// ReactiveDeload is a deload week prescribed because the athlete showed fatigue.
	ReactiveDeload
)

// String is the kind's name as the legend and the table show it.
func (k ShadeKind) String() string {
	switch k {
	case PlannedDeload:
		return "Planned deload"
	case ReactiveDeload:
		return "Reactive deload"
	}
	return fmt.Sprintf("ShadeKind(%d)", int(k))
}

// Shade is a shaded range of calendar days, From and To inclusive.
type Shade struct {
	Kind     ShadeKind
	From, To time.Time
	// Label adds detail, e.g. "after 3 high-RPE weeks"; it is shown when the range is wide
	// enough, as the shaded area's tooltip and in the table.
	Label string
}

// MassUnit is the unit masses are shown in. Values are always given in kilograms.
type MassUnit int

const (
	Kilograms MassUnit = iota
	Pounds
)

// kilogramsPerPound is exact by the international yard and pound agreement of 1959.
const kilogramsPerPound = 0.45359237

// String is the unit's symbol.
func (u MassUnit) String() string {
	if u == Pounds {
		return "lb"
	}
	return "kg"
}

// FromKilograms converts a mass in kilograms to the unit.
func (u MassUnit) FromKilograms(kg float64) float64 {
	if u == Pounds {
		return kg / kilogramsPerPound
	}
	return kg
}

// ParseMassUnit reads a user's preference: "kg" or "lb" (also "lbs").
func ParseMassUnit(s string) (MassUnit, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "kg":
		return Kilograms, nil
	case "lb", "lbs":
		return Pounds, nil
	}
	return Kilograms, fmt.Errorf("mass unit %q: want kg or lb", s)
}

// View is what differs between readers of the same chart.
type View struct {
	// Location is the team's time zone: it decides each instant's calendar day. Required, so a
	// forgotten zone is an error rather than quietly showing UTC days.
	Location *time.Location
	Mass     MassUnit
}

const (
	defaultWidth  = 720
	defaultHeight = 320
	minWidth      = 240
	minHeight     = 160
	maxSide       = 4096
)

var errNoLocation = errors.New("chart: View.Location is required (the team's time zone)")

// validate rejects what would draw something wrong rather than something ugly. Missing data
// is never an error; impossible data is.
func (c *Chart) validate(v View) error {
	if v.Location == nil {
		return errNoLocation
	}
	if v.Mass != Kilograms && v.Mass != Pounds {
		return fmt.Errorf("chart: unknown mass unit %d", int(v.Mass))
	}
	if c.ID != "" && !validID(c.ID) {
		return fmt.Errorf("chart: ID %q: use letters, digits, '-' and '_', starting with a letter", c.ID)
	}
	if c.Width != 0 && (c.Width < minWidth || c.Width > maxSide) {
		return fmt.Errorf("chart: Width %d outside %d..%d", c.Width, minWidth, maxSide)
	}
	if c.Height != 0 && (c.Height < minHeight || c.Height > maxSide) {
		return fmt.Errorf("chart: Height %d outside %d..%d", c.Height, minHeight, maxSide)
	}
	if !c.From.IsZero() && !c.To.IsZero() && dayOf(c.From, v.Location) > dayOf(c.To, v.Location) {
		return errors.New("chart: From is after To")
	}
	if c.Y.Decimals < 0 || c.Y.Decimals > 6 {
		return fmt.Errorf("chart: Y.Decimals %d outside 0..6", c.Y.Decimals)
	}
	if !finite(c.Y.Min) || !finite(c.Y.Max) {
		return errors.New("chart: Y.Min and Y.Max must be finite")
	}
	for i, l := range c.Lines {
		if err := checkColor(l.Color); err != nil {
			return fmt.Errorf("chart: line %d %q: %w", i, l.Label, err)
		}
		if l.MaxGapDays < 0 {
			return fmt.Errorf("chart: line %d %q: negative MaxGapDays", i, l.Label)
		}
		for _, p := range l.Points {
			if math.IsInf(p.Value, 0) {
				return fmt.Errorf("chart: line %d %q: infinite value on %s", i, l.Label, p.Time.Format(time.DateOnly))
			}
		}
	}
	for i, b := range c.Bars {
		if err := checkColor(b.Color); err != nil {
			return fmt.Errorf("chart: bars %d %q: %w", i, b.Label, err)
		}
		for _, w := range b.Weeks {
			if math.IsInf(w.Value, 0) {
				return fmt.Errorf("chart: bars %d %q: infinite value in week of %s", i, b.Label, w.WeekStart.Format(time.DateOnly))
			}
		}
	}
	for i, b := range c.Bands {
		if err := checkColor(b.Color); err != nil {
			return fmt.Errorf("chart: band %d %q: %w", i, b.Label, err)
		}
		if b.MaxGapDays < 0 {
			return fmt.Errorf("chart: band %d %q: negative MaxGapDays", i, b.Label)
		}
		if len(b.Steps) == 0 {
			if !finite(b.Low) || !finite(b.High) || b.Low > b.High {
				return fmt.Errorf("chart: band %d %q: want finite Low <= High, got %g..%g", i, b.Label, b.Low, b.High)
			}
			continue
		}
		for _, s := range b.Steps {
			if math.IsInf(s.Low, 0) || math.IsInf(s.High, 0) || s.Low > s.High {
				return fmt.Errorf("chart: band %d %q: want Low <= High on %s, got %g..%g", i, b.Label, s.Time.Format(time.DateOnly), s.Low, s.High)
			}
		}
	}
	for i, t := range c.Thresholds {
		if !finite(t.Value) {
			return fmt.Errorf("chart: threshold %d %q: value must be finite", i, t.Label)
		}
	}
	for i, s := range c.Shades {
		if s.Kind != PlannedDeload && s.Kind != ReactiveDeload {
			return fmt.Errorf("chart: shade %d: unknown kind %d", i, int(s.Kind))
		}
		if dayOf(s.From, v.Location) > dayOf(s.To, v.Location) {
			return fmt.Errorf("chart: shade %d %q: From is after To", i, s.Label)
		}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// validID keeps IDs to characters that need no escaping in an id attribute, in url(#...)
// references and in CSS selectors.
func validID(id string) bool {
	for i, r := range id {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		digit := r >= '0' && r <= '9'
		if i == 0 && !letter {
			return false
		}
		if !letter && !digit && r != '-' && r != '_' {
			return false
		}
	}
	return id != ""
}

// checkColor accepts only "#rrggbb", so a colour can never carry anything into an attribute.
func checkColor(c string) error {
	if c == "" {
		return nil
	}
	if len(c) != 7 || c[0] != '#' {
		return fmt.Errorf("colour %q: want #rrggbb", c)
	}
	for _, r := range c[1:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return fmt.Errorf("colour %q: want #rrggbb", c)
		}
	}
	return nil
}
