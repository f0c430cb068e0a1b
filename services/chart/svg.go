package chart

import (
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// Colours for text and furniture. Text on white is above the WCAG AA 4.5:1 contrast ratio.
const (
	inkColor    = "#1f2933" // titles, tick labels, legend
	mutedColor  = "#52606d" // axis title, shade labels
	gridColor   = "#e4e7eb"
	axisColor   = "#9aa5b1"
	plannedFill = "#56B4E9" // a solid tint
	hatchStroke = "#D55E00" // reactive deloads: diagonal hatching, which survives greyscale
	fontFamily  = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
)

// Vertical layout in pixels. Text sizes are fixed so labels stay readable when the picture is
// wide; the plot takes what is left.
const (
	pad           = 12.0
	titleBaseline = 22.0
	axisBaseline  = 42.0
	plotTop       = 54.0
	xLabelGap     = 16.0 // from the plot's bottom to the date labels' baseline
	legendGap     = 26.0 // from the plot's bottom to the legend's first row
	legendRow     = 18.0
	minPlotHeight = 100.0
	tickFont      = 11.0
	legendFont    = 12.0
	minDateGap    = 80.0 // room for "29 Dec 2024" between date ticks
	minValueGap   = 36.0 // pixels between value grid lines
)

// SVG renders the chart as a standalone SVG document that can also be placed inline in HTML.
func (c Chart) SVG(v View) ([]byte, error) {
	p, err := prepare(&c, v)
	if err != nil {
		return nil, err
	}
	return p.render(), nil
}

// WriteSVG writes what SVG returns.
func (c Chart) WriteSVG(w io.Writer, v View) error {
	b, err := c.SVG(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

type legendKind int

const (
	legendLine legendKind = iota
	legendContextLine
	legendBar
	legendBand
	legendThreshold
	legendPlanned
	legendReactive
)

type legendItem struct {
	kind  legendKind
	label string
	color string
	x     float64
	row   int
}

type layout struct {
	width, height            float64
	left, right, top, bottom float64
	dayW                     float64
	first                    day
	axis                     valueAxis
	legend                   []legendItem
	legendRows               int
}

func (l *layout) xEdge(d day) float64 { return l.left + float64(d-l.first)*l.dayW }
func (l *layout) xMid(d day) float64  { return l.xEdge(d) + l.dayW/2 }
func (l *layout) y(v float64) float64 {
	return l.bottom - (v-l.axis.lo)/(l.axis.hi-l.axis.lo)*(l.bottom-l.top)
}

// textWidth guesses a label's width without font metrics: 0.6 em per character is a little
// wider than the average proportional glyph, so estimates err towards more room.
func textWidth(s string, size float64) float64 {
	return float64(utf8.RuneCountInString(s)) * size * 0.6
}

func (p *prepared) layout() *layout {
	l := &layout{width: defaultWidth, height: defaultHeight, first: p.first}
	if p.c.Width != 0 {
		l.width = float64(p.c.Width)
	}
	if p.c.Height != 0 {
		l.height = float64(p.c.Height)
	}
	l.legend, l.legendRows = p.legendItems(l.width - 2*pad)
	l.top = plotTop
	l.bottom = l.height - 6 - float64(l.legendRows)*legendRow - legendGap
	if l.bottom-l.top < minPlotHeight {
		// Many legend rows on a short chart: grow the picture rather than squash the data.
		l.height += minPlotHeight - (l.bottom - l.top)
		l.bottom = l.top + minPlotHeight
	}
	l.axis = p.yAxis(min(max(int((l.bottom-l.top)/minValueGap), 2), 8))
	widest := 0.0
	for _, t := range l.axis.ticks {
		widest = math.Max(widest, textWidth(l.axis.label(t), tickFont))
	}
	l.left = math.Max(40, pad+widest+8)
	l.right = l.width - 16
	if p.hasRange {
		l.dayW = (l.right - l.left) / float64(p.last-p.first+1)
	}
	return l
}

// legendItems lays the legend out in rows that fit width. Shades get an entry per kind shown.
func (p *prepared) legendItems(width float64) ([]legendItem, int) {
	if p.empty {
		return nil, 0
	}
	var items []legendItem
	for _, l := range p.lines {
		k := legendLine
		if l.src.ContextOnly {
			k = legendContextLine
		}
		items = append(items, legendItem{kind: k, label: l.label, color: l.color})
	}
	for _, b := range p.bars {
		items = append(items, legendItem{kind: legendBar, label: b.label, color: b.color})
	}
	for _, b := range p.bands {
		items = append(items, legendItem{kind: legendBand, label: b.label, color: b.color})
	}
	for _, t := range p.thresholds {
		items = append(items, legendItem{kind: legendThreshold, label: t.label, color: hatchStroke})
	}
	var planned, reactive bool
	for _, s := range p.shades {
		planned = planned || s.kind == PlannedDeload
		reactive = reactive || s.kind == ReactiveDeload
	}
	if planned {
		items = append(items, legendItem{kind: legendPlanned, label: PlannedDeload.String()})
	}
	if reactive {
		items = append(items, legendItem{kind: legendReactive, label: ReactiveDeload.String()})
	}
	x, row := pad, 0
	for i := range items {
		w := 24 + textWidth(items[i].label, legendFont) + 16
		if x > pad && x+w > pad+width {
			x, row = pad, row+1
		}
		items[i].x, items[i].row = x, row
		x += w
	}
	if len(items) == 0 {
		return nil, 0
	}
	return items, row + 1
}

// svgWriter appends to one buffer; the whole document is built in memory and written once.
type svgWriter struct{ b []byte }

func (w *svgWriter) raw(s string)  { w.b = append(w.b, s...) }
func (w *svgWriter) text(s string) { w.b = appendEscaped(w.b, s) }
func (w *svgWriter) num(v float64) { w.b = appendCoord(w.b, v) }
func (w *svgWriter) attr(name string, v float64) {
	w.b = append(w.b, ' ')
	w.b = append(w.b, name...)
	w.b = append(w.b, '=', '"')
	w.b = appendCoord(w.b, v)
	w.b = append(w.b, '"')
}
func (w *svgWriter) attrText(name, v string) {
	w.b = append(w.b, ' ')
	w.b = append(w.b, name...)
	w.b = append(w.b, '=', '"')
	w.b = appendEscaped(w.b, v)
	w.b = append(w.b, '"')
}

// textEl writes <text> with the given position, anchor and extra attributes (a fixed string).
func (w *svgWriter) textEl(x, y float64, anchor, attrs, s string) {
	w.raw("<text")
	w.attr("x", x)
	w.attr("y", y)
	if anchor != "" {
		w.raw(` text-anchor="`)
		w.raw(anchor)
		w.raw(`"`)
	}
	w.raw(attrs)
	w.raw(">")
	w.text(s)
	w.raw("</text>\n")
}

func (p *prepared) render() []byte {
	l := p.layout()
	w := &svgWriter{b: make([]byte, 0, p.sizeHint())}
	w.raw(`<svg xmlns="http://www.w3.org/2000/svg" class="sc-chart"`)
	w.attr("width", l.width)
	w.attr("height", l.height)
	w.raw(` viewBox="0 0 `)
	w.num(l.width)
	w.raw(" ")
	w.num(l.height)
	w.raw(`" role="img"`)
	w.attrText("aria-labelledby", p.id+"-title "+p.id+"-desc")
	w.attrText("font-family", fontFamily)
	w.raw(` font-size="12">` + "\n")
	w.raw("<title")
	w.attrText("id", p.id+"-title")
	w.raw(">")
	w.text(p.c.Title)
	w.raw("</title>\n<desc")
	w.attrText("id", p.id+"-desc")
	w.raw(">")
	w.text(p.description())
	w.raw("</desc>\n")

	w.raw(`<rect class="sc-bg" width="100%" height="100%" fill="#ffffff"/>` + "\n")
	w.textEl(pad, titleBaseline, "", ` class="sc-title" font-size="15" font-weight="600" fill="`+inkColor+`"`, p.c.Title)
	if t := p.axisTitle(); t != "" {
		w.textEl(pad, axisBaseline, "", ` class="sc-axis-title" fill="`+mutedColor+`"`, t)
	}
	if p.empty {
		p.renderNoData(w, l)
		w.raw("</svg>\n")
		return w.b
	}

	w.raw("<defs>\n<clipPath")
	w.attrText("id", p.id+"-plot")
	w.raw("><rect")
	w.attr("x", l.left)
	w.attr("y", l.top)
	w.attr("width", l.right-l.left)
	w.attr("height", l.bottom-l.top)
	w.raw("/></clipPath>\n")
	if p.hasShade(ReactiveDeload) {
		// Diagonal hatching drawn in user space so neighbouring weeks' stripes line up.
		w.raw("<pattern")
		w.attrText("id", p.id+"-hatch")
		w.raw(` width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
			`<rect width="6" height="6" fill="` + hatchStroke + `" fill-opacity="0.08"/>` +
			`<line x1="0" y1="0" x2="0" y2="6" stroke="` + hatchStroke + `" stroke-width="2" stroke-opacity="0.45"/>` +
			"</pattern>\n")
	}
	w.raw("</defs>\n")

	p.renderGrid(w, l)
	w.raw("<g")
	w.attrText("clip-path", "url(#"+p.id+"-plot)")
	w.raw(">\n")
	p.renderShades(w, l)
	p.renderBands(w, l)
	p.renderBars(w, l)
	p.renderThresholds(w, l)
	p.renderLines(w, l)
	w.raw("</g>\n")
	p.renderAxes(w, l)
	p.renderLegend(w, l)
	w.raw("</svg>\n")
	return w.b
}

// sizeHint preallocates roughly what a chart of this much data takes, so the buffer grows once
// or not at all.
func (p *prepared) sizeHint() int {
	n := 4096
	for _, l := range p.lines {
		n += 16 * len(l.points)
		if l.src.Markers && len(l.points) < defaultWidth/int(minMarkerGap) {
			n += 90 * len(l.points)
		}
	}
	for _, b := range p.bars {
		n += 160 * len(b.weeks)
	}
	for _, b := range p.bands {
		n += 32 * len(b.steps)
	}
	return n + 200*len(p.shades)
}

func (p *prepared) hasShade(k ShadeKind) bool {
	for _, s := range p.shades {
		if s.kind == k {
			return true
		}
	}
	return false
}

func (p *prepared) renderNoData(w *svgWriter, l *layout) {
	bottom := l.height - pad
	w.raw(`<rect class="sc-frame" fill="none" stroke="` + axisColor + `" stroke-dasharray="4 4"`)
	w.attr("x", pad)
	w.attr("y", plotTop)
	w.attr("width", l.width-2*pad)
	w.attr("height", bottom-plotTop)
	w.raw("/>\n")
	msg := "No data"
	if p.hasRange {
		msg += " for " + span(p.first, p.last)
	}
	w.textEl(l.width/2, (plotTop+bottom)/2+5, "middle", ` class="sc-no-data" font-size="14" fill="`+mutedColor+`"`, msg)
}

func (p *prepared) renderGrid(w *svgWriter, l *layout) {
	w.raw(`<path class="sc-grid" fill="none" stroke="` + gridColor + `" d="`)
	for _, t := range l.axis.ticks {
		w.raw("M")
		w.num(l.left)
		w.raw(" ")
		w.num(l.y(t))
		w.raw("H")
		w.num(l.right)
	}
	w.raw(`"/>` + "\n")
}

func (p *prepared) renderShades(w *svgWriter, l *layout) {
	if len(p.shades) == 0 {
		return
	}
	w.raw(`<g class="sc-shades">` + "\n")
	for _, s := range p.shades {
		x0, x1 := l.xEdge(s.from), l.xEdge(s.to+1)
		w.raw("<rect")
		if s.kind == PlannedDeload {
			w.raw(` class="sc-shade sc-shade-planned" fill="` + plannedFill + `" fill-opacity="0.22"`)
		} else {
			w.raw(` class="sc-shade sc-shade-reactive"`)
			w.attrText("fill", "url(#"+p.id+"-hatch)")
		}
		w.attr("x", x0)
		w.attr("y", l.top)
		w.attr("width", x1-x0)
		w.attr("height", l.bottom-l.top)
		w.raw("><title>")
		w.text(s.describe())
		w.raw("</title></rect>\n")
		label := s.label
		if label == "" {
			label = s.kind.String()
		}
		if textWidth(label, 10)+6 <= x1-x0 {
			w.textEl(x0+3, l.top+12, "", ` class="sc-shade-label" font-size="10" fill="`+mutedColor+`"`, label)
		}
	}
	w.raw("</g>\n")
}

// describe is "Planned deload, 3–9 Mar 2025: label", naming the whole week even where the
// chart shows only part of it.
func (s preparedShade) describe() string {
	d := s.kind.String() + ", " + span(s.fullFrom, s.fullTo)
	if s.label != "" {
		d += ": " + s.label
	}
	return d
}

func (p *prepared) renderBands(w *svgWriter, l *layout) {
	for _, b := range p.bands {
		w.raw(`<path class="sc-band"`)
		w.attrText("fill", b.color)
		w.raw(` fill-opacity="0.16" stroke="none" d="`)
		if b.constant {
			y0, y1 := l.y(b.high), l.y(b.low)
			w.raw("M")
			w.num(l.left)
			w.raw(" ")
			w.num(y0)
			w.raw("H")
			w.num(l.right)
			w.raw("V")
			w.num(y1)
			w.raw("H")
			w.num(l.left)
			w.raw("Z")
		} else {
			forEachRun(len(b.steps), func(i int) bool { return !math.IsNaN(b.steps[i].low) && !math.IsNaN(b.steps[i].high) },
				func(i int) day { return b.steps[i].d }, b.maxGap,
				func(from, to int) { writeBandRun(w, l, b.steps[from:to]) })
		}
		w.raw(`"/>` + "\n")
	}
}

// writeBandRun outlines a run of steps: along the highs through each day's middle, back along
// the lows, widened half a day at both ends so a run covers its whole first and last day.
func writeBandRun(w *svgWriter, l *layout, steps []bandStep) {
	first, last := steps[0], steps[len(steps)-1]
	w.raw("M")
	w.num(l.xEdge(first.d))
	w.raw(" ")
	w.num(l.y(first.high))
	for _, s := range steps {
		w.raw("L")
		w.num(l.xMid(s.d))
		w.raw(" ")
		w.num(l.y(s.high))
	}
	w.raw("L")
	w.num(l.xEdge(last.d + 1))
	w.raw(" ")
	w.num(l.y(last.high))
	w.raw("L")
	w.num(l.xEdge(last.d + 1))
	w.raw(" ")
	w.num(l.y(last.low))
	for i := len(steps) - 1; i >= 0; i-- {
		w.raw("L")
		w.num(l.xMid(steps[i].d))
		w.raw(" ")
		w.num(l.y(steps[i].low))
	}
	w.raw("L")
	w.num(l.xEdge(first.d))
	w.raw(" ")
	w.num(l.y(first.low))
	w.raw("Z")
}

// forEachRun calls run for each maximal run [from, to) of present items whose consecutive days
// are at most maxGap apart. It is how a line or a band breaks at missing days.
func forEachRun(n int, present func(int) bool, at func(int) day, maxGap day, run func(from, to int)) {
	from := -1
	for i := 0; i < n; i++ {
		if !present(i) {
			if from >= 0 {
				run(from, i)
				from = -1
			}
			continue
		}
		if from >= 0 && at(i)-at(i-1) > maxGap {
			run(from, i)
			from = -1
		}
		if from < 0 {
			from = i
		}
	}
	if from >= 0 {
		run(from, n)
	}
}

func (p *prepared) renderBars(w *svgWriter, l *layout) {
	if len(p.bars) == 0 {
		return
	}
	base := l.y(math.Min(math.Max(0, l.axis.lo), l.axis.hi))
	// A week's slot holds every series side by side, with a tenth of the slot free either side
	// so neighbouring weeks stay apart.
	slot := 7 * l.dayW
	inner := slot * 0.8
	barW := inner / float64(len(p.bars))
	w.raw(`<g class="sc-bars">` + "\n")
	for i, b := range p.bars {
		w.raw(`<g class="sc-series-` + strconv.Itoa(i) + `"`)
		w.attrText("fill", b.color)
		w.raw(">\n")
		for _, wk := range b.weeks {
			if math.IsNaN(wk.v) {
				continue
			}
			x := l.xEdge(wk.d) + slot*0.1 + float64(i)*barW
			y := l.y(wk.v)
			w.raw("<rect")
			w.attr("x", x)
			w.attr("y", math.Min(y, base))
			w.attr("width", barW)
			w.attr("height", math.Abs(base-y))
			w.raw("><title>")
			w.text(b.label + ", week from " + wk.d.long() + ": " + p.withUnit(wk.v))
			w.raw("</title></rect>\n")
		}
		w.raw("</g>\n")
	}
	w.raw("</g>\n")
}

func (p *prepared) renderThresholds(w *svgWriter, l *layout) {
	for _, t := range p.thresholds {
		y := l.y(t.value)
		w.raw(`<path class="sc-threshold" stroke="` + hatchStroke + `" stroke-width="1.5" stroke-dasharray="6 3" d="M`)
		w.num(l.left)
		w.raw(" ")
		w.num(y)
		w.raw("H")
		w.num(l.right)
		w.raw(`"/>` + "\n")
		w.textEl(l.right-4, y-4, "end", ` class="sc-threshold-label" font-size="10" fill="`+inkColor+`"`, t.label)
	}
}

func (p *prepared) renderLines(w *svgWriter, l *layout) {
	for i, pl := range p.lines {
		pts := pl.points
		present := func(k int) bool { return !math.IsNaN(pts[k].v) }
		at := func(k int) day { return pts[k].d }
		// Runs of one point have nothing to join; they are drawn as markers instead.
		var lone []int
		var joined [][2]int
		forEachRun(len(pts), present, at, pl.maxGap, func(from, to int) {
			if to-from == 1 {
				lone = append(lone, from)
			} else {
				joined = append(joined, [2]int{from, to})
			}
		})
		if len(joined) > 0 {
			w.raw(`<path class="sc-line sc-series-` + strconv.Itoa(i) + `" fill="none"`)
			w.attrText("stroke", pl.color)
			w.raw(` stroke-width="2" stroke-linejoin="round" stroke-linecap="round"`)
			if pl.src.ContextOnly {
				w.raw(` stroke-dasharray="6 4"`)
			}
			w.raw(` d="`)
			for _, run := range joined {
				for k := run[0]; k < run[1]; k++ {
					if k == run[0] {
						w.raw("M")
					} else {
						w.raw("L")
					}
					w.num(l.xMid(pts[k].d))
					w.raw(" ")
					w.num(l.y(pts[k].v))
				}
			}
			w.raw(`"/>` + "\n")
		}
		every := pl.src.Markers && l.markersFit(pts)
		if !every && len(lone) == 0 {
			continue
		}
		w.raw(`<g class="sc-markers sc-series-` + strconv.Itoa(i) + `"`)
		w.attrText("fill", pl.color)
		w.raw(">\n")
		marker := func(k int) {
			w.raw("<circle")
			w.attr("cx", l.xMid(pts[k].d))
			w.attr("cy", l.y(pts[k].v))
			w.raw(` r="3"><title>`)
			w.text(pl.label + ", " + pts[k].d.withWeekday() + ": " + p.withUnit(pts[k].v))
			w.raw("</title></circle>\n")
		}
		if every {
			for k := range pts {
				if present(k) {
					marker(k)
				}
			}
		} else {
			for _, k := range lone {
				marker(k)
			}
		}
		w.raw("</g>\n")
	}
}

// minMarkerGap is how far apart, on average, markers must be to be told apart: at two years
// on a laptop's width they would merge into a thick line that hides its own shape.
const minMarkerGap = 8.0

func (l *layout) markersFit(pts []dayValue) bool {
	return len(pts) < 2 || (l.right-l.left)/float64(len(pts)) >= minMarkerGap
}

func (p *prepared) renderAxes(w *svgWriter, l *layout) {
	w.raw(`<g class="sc-axes" font-size="11"` + ` fill="` + inkColor + `">` + "\n")
	for _, t := range l.axis.ticks {
		w.textEl(l.left-6, l.y(t)+4, "end", "", l.axis.label(t))
	}
	w.raw(`<path class="sc-axis" fill="none" stroke="` + axisColor + `" d="M`)
	w.num(l.left)
	w.raw(" ")
	w.num(l.bottom)
	w.raw("H")
	w.num(l.right)
	ticks := dateTicks(p.first, p.last, int((l.right-l.left)/minDateGap))
	for _, t := range ticks {
		w.raw("M")
		w.num(l.xMid(t.at))
		w.raw(" ")
		w.num(l.bottom)
		w.raw("v4")
	}
	w.raw(`"/>` + "\n")
	for _, t := range ticks {
		x, anchor := l.xMid(t.at), "middle"
		// Keep the end labels inside the picture.
		half := textWidth(t.label, tickFont) / 2
		switch {
		case x-half < 2:
			x, anchor = math.Max(x-4, 2), "start"
		case x+half > l.width-2:
			x, anchor = math.Min(x+4, l.width-2), "end"
		}
		w.textEl(x, l.bottom+xLabelGap, anchor, "", t.label)
	}
	w.raw("</g>\n")
}

func (p *prepared) renderLegend(w *svgWriter, l *layout) {
	if len(l.legend) == 0 {
		return
	}
	w.raw(`<g class="sc-legend" font-size="12" fill="` + inkColor + `">` + "\n")
	for _, it := range l.legend {
		mid := l.bottom + legendGap + float64(it.row)*legendRow + legendRow/2
		x := it.x
		switch it.kind {
		case legendLine, legendContextLine, legendThreshold:
			w.raw(`<path fill="none" stroke-width="2"`)
			w.attrText("stroke", it.color)
			switch it.kind {
			case legendContextLine:
				w.raw(` stroke-dasharray="6 4"`)
			case legendThreshold:
				w.raw(` stroke-dasharray="6 3"`)
			}
			w.raw(` d="M`)
			w.num(x)
			w.raw(" ")
			w.num(mid)
			w.raw(`h18"/>` + "\n")
		case legendBar:
			w.raw("<rect")
			w.attrText("fill", it.color)
			w.attr("x", x+3)
			w.attr("y", mid-6)
			w.raw(` width="12" height="12"/>` + "\n")
		case legendBand:
			w.raw("<rect")
			w.attrText("fill", it.color)
			w.raw(` fill-opacity="0.3"`)
			w.attr("x", x)
			w.attr("y", mid-6)
			w.raw(` width="18" height="12"/>` + "\n")
		case legendPlanned, legendReactive:
			w.raw("<rect")
			if it.kind == legendPlanned {
				w.raw(` fill="` + plannedFill + `" fill-opacity="0.22"`)
			} else {
				w.attrText("fill", "url(#"+p.id+"-hatch)")
			}
			w.raw(` stroke="` + axisColor + `"`)
			w.attr("x", x)
			w.attr("y", mid-6)
			w.raw(` width="18" height="12"/>` + "\n")
		}
		w.textEl(x+24, mid+4, "", "", it.label)
	}
	w.raw("</g>\n")
}

// appendEscaped writes s as XML character data that is also safe inside a double- or
// single-quoted attribute. Bytes that are not UTF-8, and characters XML forbids (most
// control characters), become U+FFFD so the document always parses.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c == '"':
				b = append(b, "&#34;"...)
			case c == '\'':
				b = append(b, "&#39;"...)
			case c == '\t' || c == '\n' || c == '\r':
				// In an attribute a raw newline would be normalised to a space; keep it.
				b = append(b, "&#"...)
				b = strconv.AppendInt(b, int64(c), 10)
				b = append(b, ';')
			case c < 0x20 || c == 0x7f:
				b = append(b, "\uFFFD"...)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !xmlChar(r) {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// xmlChar reports whether XML 1.0 allows r (non-ASCII part of the Char production).
func xmlChar(r rune) bool {
	return r >= 0x80 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
