package chart

import (
	"bytes"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Table is a chart's values as text, for a screen reader or anyone who wants the numbers: one
// row per day (per week on a bar chart) with data, the date first, then one column per series.
// Cells hold display strings in the View's zone and unit; an empty cell is a day without a value.
type Table struct {
	Caption string
	Columns []string
	Rows    [][]string
}

// Table returns the chart's values as a table.
func (c Chart) Table(v View) (Table, error) {
	p, err := prepare(&c, v)
	if err != nil {
		return Table{}, err
	}
	return p.table(), nil
}

var tableTemplate = template.Must(template.New("table").Parse(
	`<table class="sc-chart-table">
<caption>{{.Caption}}</caption>
<thead><tr>{{range .Columns}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><th scope="row">{{.Head}}</th>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{else}}<tr><td colspan="{{len .Columns}}">No data</td></tr>
{{end}}</tbody>
</table>
`))

// HTML renders the table as an HTML fragment, escaped by html/template, with the date cells as
// row headers so a screen reader announces the date with each value.
func (t Table) HTML() (template.HTML, error) {
	type row struct {
		Head  string
		Cells []string
	}
	// Splitting off the date here keeps per-cell logic out of the template, where every call
	// goes through reflection: a two-year table has thousands of cells.
	view := struct {
		Caption string
		Columns []string
		Rows    []row
	}{Caption: t.Caption, Columns: t.Columns, Rows: make([]row, 0, len(t.Rows))}
	for _, r := range t.Rows {
		if len(r) > 0 {
			view.Rows = append(view.Rows, row{Head: r[0], Cells: r[1:]})
		}
	}
	var b bytes.Buffer
	b.Grow(256 + 24*len(t.Columns)*(len(t.Rows)+1))
	if err := tableTemplate.Execute(&b, view); err != nil {
		return "", err
	}
	// The template escaped every value; the result is safe to place in a page as is.
	return template.HTML(b.String()), nil
}

func (p *prepared) table() Table {
	t := Table{Caption: p.tableCaption()}
	barsOnly := len(p.bars) > 0 && len(p.lines) == 0
	if barsOnly {
		t.Columns = append(t.Columns, "Week from")
	} else {
		t.Columns = append(t.Columns, "Date")
	}
	unit := ""
	if p.unit != "" {
		unit = " (" + p.unit + ")"
	}
	for _, l := range p.lines {
		t.Columns = append(t.Columns, l.label+unit)
	}
	for _, b := range p.bars {
		h := b.label + unit
		if !barsOnly {
			h += ", week from the date"
		}
		t.Columns = append(t.Columns, h)
	}
	var moving []preparedBand
	for _, b := range p.bands {
		if !b.constant {
			moving = append(moving, b)
			t.Columns = append(t.Columns, b.label+" low"+unit, b.label+" high"+unit)
		}
	}
	if len(p.shades) > 0 {
		t.Columns = append(t.Columns, "Deload")
	}
	if p.empty {
		return t
	}

	// The rows are the days that have anything, in order.
	var days []day
	for _, l := range p.lines {
		for _, pt := range l.points {
			if !math.IsNaN(pt.v) {
				days = append(days, pt.d)
			}
		}
	}
	for _, b := range p.bars {
		for _, w := range b.weeks {
			if !math.IsNaN(w.v) {
				days = append(days, w.d)
			}
		}
	}
	for _, b := range moving {
		for _, s := range b.steps {
			if !math.IsNaN(s.low) && !math.IsNaN(s.high) {
				days = append(days, s.d)
			}
		}
	}
	slices.Sort(days)
	days = slices.Compact(days)

	t.Rows = make([][]string, len(days))
	cells := make([]string, len(days)*len(t.Columns))
	for i, d := range days {
		t.Rows[i] = cells[i*len(t.Columns) : (i+1)*len(t.Columns) : (i+1)*len(t.Columns)]
		if barsOnly {
			t.Rows[i][0] = d.long()
		} else {
			t.Rows[i][0] = d.withWeekday()
		}
	}
	row := func(d day) int { i, _ := slices.BinarySearch(days, d); return i }
	col := 1
	for _, l := range p.lines {
		for _, pt := range l.points {
			// Several values on one day: the table keeps the last, as the line ends there.
			if !math.IsNaN(pt.v) {
				t.Rows[row(pt.d)][col] = p.withUnit(pt.v)
			}
		}
		col++
	}
	for _, b := range p.bars {
		for _, w := range b.weeks {
			if !math.IsNaN(w.v) {
				t.Rows[row(w.d)][col] = p.withUnit(w.v)
			}
		}
		col++
	}
	for _, b := range moving {
		for _, s := range b.steps {
			if !math.IsNaN(s.low) && !math.IsNaN(s.high) {
				r := row(s.d)
				t.Rows[r][col] = p.withUnit(s.low)
				t.Rows[r][col+1] = p.withUnit(s.high)
			}
		}
		col += 2
	}
	if len(p.shades) > 0 {
		// A bar row stands for its whole week, so it is marked when any day of it was a deload.
		length := day(1)
		if barsOnly {
			length = 7
		}
		for i, d := range days {
			var names []string
			for _, s := range p.shades {
				if s.from <= d+length-1 && s.to >= d {
					name := s.kind.String()
					if s.label != "" {
						name += ": " + s.label
					}
					names = append(names, name)
				}
			}
			t.Rows[i][col] = strings.Join(names, "; ")
		}
	}
	return t
}

// tableCaption names the chart and what has no column: the range, constant bands and
// thresholds.
func (p *prepared) tableCaption() string {
	var b strings.Builder
	b.WriteString(p.c.Title)
	if at := p.axisTitle(); at != "" && at != p.c.Title {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(at)
	}
	if p.hasRange {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(span(p.first, p.last))
	}
	b.WriteString(".")
	for _, band := range p.bands {
		if band.constant {
			b.WriteString(" " + band.label + ": " + p.withUnit(band.low) + " to " + p.withUnit(band.high) + ".")
		}
	}
	for _, th := range p.thresholds {
		b.WriteString(" " + th.label + ": " + p.withUnit(th.value) + ".")
	}
	return b.String()
}

// description is the SVG's <desc>: the caller's text, then what a sighted reader takes in at a
// glance (range, each series' count, extremes and last value, the shaded weeks).
func (p *prepared) description() string {
	var b strings.Builder
	if d := strings.TrimSpace(p.c.Desc); d != "" {
		b.WriteString(d)
		if !strings.HasSuffix(d, ".") {
			b.WriteString(".")
		}
		b.WriteString(" ")
	}
	if p.empty {
		b.WriteString("No data")
		if p.hasRange {
			b.WriteString(" for " + span(p.first, p.last))
		}
		b.WriteString(".")
		return b.String()
	}
	kind := "Chart"
	switch {
	case len(p.bars) == 0:
		kind = "Line chart"
	case len(p.lines) == 0:
		kind = "Bar chart"
	}
	b.WriteString(kind)
	if at := p.axisTitle(); at != "" {
		b.WriteString(" of " + at)
	}
	b.WriteString(", " + span(p.first, p.last) + ".")
	for _, l := range p.lines {
		b.WriteString(" " + l.label + ": ")
		p.writeSeriesSummary(&b, l.points, "value", "on ", func(d day) string { return d.long() })
	}
	for _, bs := range p.bars {
		b.WriteString(" " + bs.label + ": ")
		p.writeSeriesSummary(&b, bs.weeks, "week", "in the week from ", func(d day) string { return d.long() })
	}
	for _, band := range p.bands {
		switch {
		case band.constant:
			b.WriteString(" " + band.label + ": " + p.withUnit(band.low) + " to " + p.withUnit(band.high) + ".")
		case len(band.steps) > 0:
			s := band.steps[len(band.steps)-1]
			b.WriteString(" " + band.label + ": moves with time, last " + p.withUnit(s.low) + " to " + p.withUnit(s.high) + " on " + s.d.long() + ".")
		}
	}
	for _, th := range p.thresholds {
		b.WriteString(" Line at " + p.withUnit(th.value) + ": " + th.label + ".")
	}
	for _, k := range []ShadeKind{PlannedDeload, ReactiveDeload} {
		var spans []string
		for _, s := range p.shades {
			if s.kind == k {
				spans = append(spans, span(s.fullFrom, s.fullTo))
			}
		}
		if len(spans) == 0 {
			continue
		}
		name := strings.ToLower(k.String())
		if len(spans) > 1 {
			name += "s"
		}
		b.WriteString(" Shaded: " + strconv.Itoa(len(spans)) + " " + name + ", " + strings.Join(spans, "; ") + ".")
	}
	return b.String()
}

func (p *prepared) writeSeriesSummary(b *strings.Builder, vs []dayValue, noun, lastPrefix string, when func(day) string) {
	n := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	var last dayValue
	for _, v := range vs {
		if math.IsNaN(v.v) {
			continue
		}
		n++
		lo, hi = math.Min(lo, v.v), math.Max(hi, v.v)
		last = v
	}
	switch n {
	case 0:
		b.WriteString("no " + noun + "s in this range.")
	case 1:
		b.WriteString("one " + noun + ", " + p.withUnit(last.v) + " " + lastPrefix + when(last.d) + ".")
	default:
		b.WriteString(strconv.Itoa(n) + " " + noun + "s from " + p.withUnit(lo) + " to " + p.withUnit(hi) +
			", last " + p.withUnit(last.v) + " " + lastPrefix + when(last.d) + ".")
	}
}
