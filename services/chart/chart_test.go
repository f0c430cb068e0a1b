package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata/")

// goldenCharts are the pictures a reviewer looks at: open testdata/*.svg in a browser after
// `go test -run TestGolden -update`.
func goldenCharts(tb testing.TB) []struct {
	name  string
	chart Chart
	view  View
} {
	london := mustLoad(tb, "Europe/London")
	chicago := mustLoad(tb, "America/Chicago")
	return []struct {
		name  string
		chart Chart
		view  View
	}{
		{"e1rm_lb", e1RMChart(chicago), View{Location: chicago, Mass: Pounds}},
		{"wellness_band", wellnessChart(london), View{Location: london}},
		{"acwr_context", acwrChart(london), View{Location: london}},
		{"volume_bars", volumeChart(london), View{Location: london, Mass: Kilograms}},
		{"empty", Chart{ID: "hrv", Title: "HRV (rMSSD)", Y: YAxis{Title: "rMSSD", Unit: "ms"},
			From: at(london, 2025, 6, 1), To: at(london, 2025, 6, 30)}, View{Location: london}},
		{"single_point", Chart{ID: "speed", Title: "Bar speed at 80% 1RM", Y: YAxis{Title: "Mean velocity", Unit: "m/s", Decimals: 2},
			Lines: []Line{{Label: "Squat", Points: []Point{{at(london, 2025, 6, 3), 0.61}}}}}, View{Location: london}},
	}
}

func TestGolden(t *testing.T) {
	for _, g := range goldenCharts(t) {
		t.Run(g.name, func(t *testing.T) {
			got, err := g.chart.SVG(g.view)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", g.name+".svg")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendering; look at both and run go test -update if the change is meant", path)
			}
		})
	}
}

// TestWellFormed parses every golden chart as XML and checks the accessibility wiring: the
// root is an image labelled by its own title and description.
func TestWellFormed(t *testing.T) {
	for _, g := range goldenCharts(t) {
		t.Run(g.name, func(t *testing.T) {
			svg, err := g.chart.SVG(g.view)
			if err != nil {
				t.Fatal(err)
			}
			doc := parseSVG(t, svg)
			if doc.root.Name.Local != "svg" || attr(doc.root, "role") != "img" {
				t.Fatalf("root <%s role=%q>, want <svg role=img>", doc.root.Name.Local, attr(doc.root, "role"))
			}
			for _, id := range strings.Fields(attr(doc.root, "aria-labelledby")) {
				el, ok := doc.ids[id]
				if !ok {
					t.Errorf("aria-labelledby names %q, which is not in the document", id)
					continue
				}
				if el.Name.Local != "title" && el.Name.Local != "desc" {
					t.Errorf("aria-labelledby names <%s>", el.Name.Local)
				}
			}
			if doc.text["title"] != g.chart.Title {
				t.Errorf("<title> = %q, want %q", doc.text["title"], g.chart.Title)
			}
			if doc.text["desc"] == "" {
				t.Error("empty <desc>")
			}
			if bytes.Contains(svg, []byte("NaN")) || bytes.Contains(svg, []byte("Inf")) {
				t.Error("a coordinate is NaN or Inf")
			}
		})
	}
}

type parsedSVG struct {
	root     xml.StartElement
	elements []xml.StartElement
	ids      map[string]xml.StartElement
	text     map[string]string // concatenated character data per element name
}

func parseSVG(t *testing.T, svg []byte) parsedSVG {
	t.Helper()
	doc := parsedSVG{ids: map[string]xml.StartElement{}, text: map[string]string{}}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	dec.Strict = true
	var stack []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(doc.elements) == 0 {
				doc.root = tok.Copy()
			}
			doc.elements = append(doc.elements, tok.Copy())
			if id := attr(tok, "id"); id != "" {
				if _, dup := doc.ids[id]; dup {
					t.Errorf("id %q used twice", id)
				}
				doc.ids[id] = tok.Copy()
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && len(stack) <= 2 {
				doc.text[stack[len(stack)-1]] += string(tok)
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements %v", stack)
	}
	return doc
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// hostile is text a coach or an import could put in a name: markup, attribute breakouts,
// entities, a bad UTF-8 byte and control characters.
var hostile = []string{
	`<script>alert(1)</script>`,
	`" onload="alert(1)`,
	`' onmouseover='alert(1)`,
	`]]><svg onload=alert(1)>`,
	"Tom & Jerry <b>",
	"bad\xffbyte\x00nul\x1bescape",
	`</title><script>alert(1)</script>`,
	`javascript:alert(1)`,
}

func TestHostileTextIsEscaped(t *testing.T) {
	loc := time.UTC
	for _, s := range hostile {
		c := Chart{
			Title: s,
			Desc:  s,
			Y:     YAxis{Title: s, Unit: s},
			Lines: []Line{{Label: s, Markers: true, Points: []Point{
				{at(loc, 2025, 1, 1), 1}, {at(loc, 2025, 1, 2), 2}, {at(loc, 2025, 1, 4), 3},
			}}},
			Bars:       []BarSeries{{Label: s, Weeks: []Bar{{at(loc, 2024, 12, 30), 2}}}},
			Bands:      []Band{{Label: s, Low: 1, High: 2}},
			Thresholds: []Threshold{{Label: s, Value: 2.5}},
			Shades: []Shade{
				{Kind: PlannedDeload, From: at(loc, 2025, 1, 1), To: at(loc, 2025, 1, 3), Label: s},
				{Kind: ReactiveDeload, From: at(loc, 2025, 1, 4), To: at(loc, 2025, 1, 4), Label: s},
			},
			Width: 2000, // wide enough that the shade labels are drawn too
		}
		svg, err := c.SVG(View{Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		checkSafe(t, svg)
		doc := parseSVG(t, svg)
		// Everything valid in the input comes back as text, unchanged.
		want := strings.Map(func(r rune) rune {
			if r == 0xFFFD || r < 0x20 {
				return 0xFFFD
			}
			return r
		}, strings.ToValidUTF8(s, "\uFFFD"))
		if got := doc.text["title"]; got != want {
			t.Errorf("title %q came back as %q", want, got)
		}

		table, err := c.Table(View{Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		html, err := table.HTML()
		if err != nil {
			t.Fatal(err)
		}
		checkSafe(t, []byte(html))
	}
}

// checkSafe fails on anything that would run script or need 'unsafe-inline' styles.
func checkSafe(t *testing.T, doc []byte) {
	t.Helper()
	lower := bytes.ToLower(doc)
	for _, bad := range []string{"<script", "<style", " style=", "<foreignobject", "<svg onload", "<b>"} {
		if bytes.Contains(lower, []byte(bad)) {
			t.Errorf("output contains %q:\n%s", bad, doc)
		}
	}
	// An escaped label may read "onload=" as text; what must never appear is an attribute.
	// Scan the markup outside of text: any ` on...=` inside a tag.
	inTag := false
	for i := 0; i < len(lower); i++ {
		switch lower[i] {
		case '<':
			inTag = true
		case '>':
			inTag = false
		case ' ', '\n', '\t':
			if inTag && i+3 < len(lower) && lower[i+1] == 'o' && lower[i+2] == 'n' {
				j := i + 3
				for j < len(lower) && lower[j] >= 'a' && lower[j] <= 'z' {
					j++
				}
				if j < len(lower) && lower[j] == '=' {
					t.Errorf("event handler attribute at byte %d: %q", i, lower[i:j+1])
				}
			}
		}
	}
}

func TestNoEventHandlersOrStyleInGolden(t *testing.T) {
	for _, g := range goldenCharts(t) {
		svg, err := g.chart.SVG(g.view)
		if err != nil {
			t.Fatal(err)
		}
		checkSafe(t, svg)
		for _, el := range parseSVG(t, svg).elements {
			if el.Name.Local == "script" || el.Name.Local == "style" || el.Name.Local == "foreignObject" {
				t.Errorf("%s: <%s> element", g.name, el.Name.Local)
			}
			for _, a := range el.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || a.Name.Local == "style" || a.Name.Local == "href" {
					t.Errorf("%s: <%s %s=%q>", g.name, el.Name.Local, a.Name.Local, a.Value)
				}
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	london := mustLoad(t, "Europe/London")
	c := twoYearChart(london)
	first, err := c.SVG(View{Location: london})
	if err != nil {
		t.Fatal(err)
	}
	// The same data in another order draws the same picture.
	shuffled := c
	shuffled.Lines = slices.Clone(c.Lines)
	for i := range shuffled.Lines {
		pts := slices.Clone(c.Lines[i].Points)
		slices.Reverse(pts)
		shuffled.Lines[i].Points = pts
	}
	for range 3 {
		again, err := shuffled.SVG(View{Location: london})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("same chart, different bytes")
		}
	}
}

// linePaths returns the d attribute of each series' line, in order.
func linePaths(t *testing.T, svg []byte) []string {
	t.Helper()
	var ds []string
	for _, el := range parseSVG(t, svg).elements {
		if el.Name.Local == "path" && strings.Contains(attr(el, "class"), "sc-line") {
			ds = append(ds, attr(el, "d"))
		}
	}
	return ds
}

func countMarkers(t *testing.T, svg []byte) int {
	t.Helper()
	n := 0
	for _, el := range parseSVG(t, svg).elements {
		if el.Name.Local == "circle" {
			n++
		}
	}
	return n
}

func TestGaps(t *testing.T) {
	loc := time.UTC
	pts := func(days ...int) []Point {
		var out []Point
		for _, d := range days {
			out = append(out, Point{at(loc, 2025, 1, d), float64(d)})
		}
		return out
	}
	nan := Point{at(loc, 2025, 1, 3), math.NaN()}
	tests := []struct {
		name     string
		line     Line
		segments int // "M" commands in the line's path
		lone     int // markers for points with no neighbour
	}{
		{"daily with two missing stretches", Line{Points: pts(1, 2, 3, 5, 6, 9)}, 2, 1},
		{"gap allowance bridges them", Line{Points: pts(1, 2, 3, 5, 6, 9), MaxGapDays: 3}, 1, 0},
		{"NaN breaks an otherwise daily line", Line{Points: append(pts(1, 2, 4, 5), nan)}, 2, 0},
		{"NaN at the only joint leaves two lone points", Line{Points: []Point{{at(loc, 2025, 1, 1), 1}, nan, {at(loc, 2025, 1, 3), 1}}, MaxGapDays: 7}, 0, 2},
		{"all alone", Line{Points: pts(1, 3, 5)}, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The NaN points come last, out of order on purpose; in one case a NaN shares its
			// day with a value.
			c := Chart{Lines: []Line{tt.line}}
			svg, err := c.SVG(View{Location: loc})
			if err != nil {
				t.Fatal(err)
			}
			ds := strings.Join(linePaths(t, svg), "")
			if got := strings.Count(ds, "M"); got != tt.segments {
				t.Errorf("segments = %d, want %d (d=%q)", got, tt.segments, ds)
			}
			if got := countMarkers(t, svg); got != tt.lone {
				t.Errorf("markers = %d, want %d", got, tt.lone)
			}
		})
	}
}

func TestSinglePointAndFlatSeries(t *testing.T) {
	loc := time.UTC
	c := Chart{Y: YAxis{Title: "Load", Mass: true}, Lines: []Line{{Label: "Squat", Points: []Point{{at(loc, 2025, 5, 5), 100}}}}}
	svg, err := c.SVG(View{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	if countMarkers(t, svg) != 1 {
		t.Error("a single point must be drawn as a marker")
	}
	// The axis is padded around 100 (90..110) rather than collapsing to nothing.
	for _, want := range []string{">90<", ">100<", ">110<", ">5 May 2025<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("missing label %s", want)
		}
	}
}

func TestEmptyChart(t *testing.T) {
	loc := time.UTC
	for _, c := range []Chart{
		{Title: "Nothing at all"},
		{Title: "Only furniture", Bands: []Band{{Low: 1, High: 2}}, Thresholds: []Threshold{{Value: 3}}},
		{Title: "All NaN", Lines: []Line{{Points: []Point{{at(loc, 2025, 1, 1), math.NaN()}}}}},
		{Title: "Out of range", From: at(loc, 2025, 2, 1), To: at(loc, 2025, 2, 28),
			Lines: []Line{{Points: []Point{{at(loc, 2025, 1, 1), 1}}}}},
	} {
		t.Run(c.Title, func(t *testing.T) {
			svg, err := c.SVG(View{Location: loc})
			if err != nil {
				t.Fatal(err)
			}
			doc := parseSVG(t, svg)
			if !bytes.Contains(svg, []byte("No data")) || !strings.HasPrefix(doc.text["desc"], "No data") {
				t.Errorf("no 'No data' message:\n%s", svg)
			}
			if c.Title == "Out of range" && !bytes.Contains(svg, []byte("No data for 1–28 Feb 2025")) {
				t.Error("the message should name the range asked for")
			}
			table, err := c.Table(View{Location: loc})
			if err != nil {
				t.Fatal(err)
			}
			if len(table.Rows) != 0 {
				t.Errorf("rows %v", table.Rows)
			}
			html, _ := table.HTML()
			if !strings.Contains(string(html), "No data") {
				t.Errorf("table html without 'No data':\n%s", html)
			}
		})
	}
}

func TestTable(t *testing.T) {
	chicago := mustLoad(t, "America/Chicago")
	c := Chart{
		Title: "Squat",
		Y:     YAxis{Title: "e1RM", Mass: true, Decimals: 1},
		Lines: []Line{
			{Label: "Squat", Points: []Point{
				// 23:30 on Monday in Chicago is Tuesday in UTC; the table must say Monday.
				{time.Date(2025, 3, 4, 5, 30, 0, 0, time.UTC), 100},
				{time.Date(2025, 3, 7, 12, 0, 0, 0, time.UTC), 102.5},
			}},
			{Label: "ACWR", ContextOnly: true, Points: []Point{{time.Date(2025, 3, 7, 12, 0, 0, 0, time.UTC), math.NaN()}}},
		},
		Bands: []Band{
			{Label: "Baseline", Low: 95, High: 105},
			{Label: "Rolling", Steps: []BandStep{{Time: time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC), Low: 90, High: 110}}},
		},
		Thresholds: []Threshold{{Label: "Target", Value: 110}},
		Shades:     []Shade{{Kind: ReactiveDeload, From: time.Date(2025, 3, 6, 12, 0, 0, 0, chicago), To: time.Date(2025, 3, 12, 12, 0, 0, 0, chicago), Label: "RPE drift"}},
	}
	got, err := c.Table(View{Location: chicago, Mass: Pounds})
	if err != nil {
		t.Fatal(err)
	}
	// 100 kg = 220.46 lb, 102.5 kg = 225.97 lb, 95/105 kg = 209.44/231.49 lb, 110 kg = 242.51 lb.
	want := Table{
		Caption: "Squat: e1RM (lb), 3–7 Mar 2025. Baseline: 209.4 lb to 231.5 lb. Target: 242.5 lb.",
		Columns: []string{"Date", "Squat (lb)", "ACWR (context only) (lb)", "Rolling low (lb)", "Rolling high (lb)", "Deload"},
		Rows: [][]string{
			{"Mon 3 Mar 2025", "220.5 lb", "", "", "", ""},
			{"Wed 5 Mar 2025", "", "", "198.4 lb", "242.5 lb", ""},
			{"Fri 7 Mar 2025", "226.0 lb", "", "", "", "Reactive deload: RPE drift"},
		},
	}
	if got.Caption != want.Caption {
		t.Errorf("caption\n got %q\nwant %q", got.Caption, want.Caption)
	}
	if !slices.Equal(got.Columns, want.Columns) {
		t.Errorf("columns\n got %q\nwant %q", got.Columns, want.Columns)
	}
	if !slices.EqualFunc(got.Rows, want.Rows, slices.Equal) {
		t.Errorf("rows\n got %q\nwant %q", got.Rows, want.Rows)
	}

	html, err := got.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`<caption>Squat: e1RM (lb)`, `<th scope="col">Squat (lb)</th>`, `<th scope="row">Mon 3 Mar 2025</th>`, `<td>220.5 lb</td>`} {
		if !strings.Contains(string(html), s) {
			t.Errorf("html lacks %s:\n%s", s, html)
		}
	}
}

func TestBarTableMarksDeloadWeeks(t *testing.T) {
	london := mustLoad(t, "Europe/London")
	c := volumeChart(london)
	table, err := c.Table(View{Location: london})
	if err != nil {
		t.Fatal(err)
	}
	if table.Columns[0] != "Week from" || len(table.Rows) != 12 {
		t.Fatalf("columns %q, %d rows", table.Columns, len(table.Rows))
	}
	var deloads []string
	for _, r := range table.Rows {
		if r[len(r)-1] != "" {
			deloads = append(deloads, r[0]+" "+r[len(r)-1])
		}
	}
	want := []string{"3 Feb 2025 Planned deload", "10 Mar 2025 Reactive deload"}
	if !slices.Equal(deloads, want) {
		t.Errorf("deload rows %q, want %q", deloads, want)
	}
	if table.Rows[4][1] != "11550 kg" { // 21000 * 0.55
		t.Errorf("deload week volume %q", table.Rows[4][1])
	}
}

func TestDescription(t *testing.T) {
	london := mustLoad(t, "Europe/London")
	c := acwrChart(london)
	svg, err := c.SVG(View{Location: london})
	if err != nil {
		t.Fatal(err)
	}
	desc := parseSVG(t, svg).text["desc"]
	for _, want := range []string{
		"Shown for context; no deload rule reads it. Line chart of ACWR, 1 Apr – 26 May 2025.",
		"ACWR (context only): 56 values from ",
		"Sweet spot 0.8–1.3: 0.80 to 1.30.",
		"Line at 1.50: 1.5.",
		"Shaded: 1 planned deload, 5–11 May 2025.",
	} {
		if !strings.Contains(desc, want) {
			t.Errorf("desc lacks %q:\n%s", want, desc)
		}
	}
	legend := string(svg[bytes.Index(svg, []byte(`class="sc-legend"`)):])
	for _, want := range []string{"ACWR (context only)", "Planned deload", "Sweet spot"} {
		if !strings.Contains(legend, want) {
			t.Errorf("legend lacks %q", want)
		}
	}
	if strings.Contains(legend, "Reactive deload") {
		t.Error("legend shows a kind of shade the chart does not have")
	}
}

func TestUnitsOnTheAxis(t *testing.T) {
	loc := time.UTC
	c := Chart{Y: YAxis{Title: "Weekly volume-load", Mass: true}, Bars: []BarSeries{{Weeks: []Bar{{at(loc, 2025, 1, 6), 1000}}}}}
	for unit, want := range map[MassUnit]string{Kilograms: "Weekly volume-load (kg)", Pounds: "Weekly volume-load (lb)"} {
		svg, err := c.SVG(View{Location: loc, Mass: unit})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(svg, []byte(">"+want+"<")) {
			t.Errorf("%v: axis title %q missing", unit, want)
		}
	}
	// 1000 kg is 2204.6 lb: the top tick follows the converted value.
	svg, _ := c.SVG(View{Location: loc, Mass: Pounds})
	if !bytes.Contains(svg, []byte(">2500<")) {
		t.Errorf("no 2500 tick on the lb axis")
	}
}

func TestInvalid(t *testing.T) {
	loc := time.UTC
	day1, day2 := at(loc, 2025, 1, 1), at(loc, 2025, 1, 2)
	tests := []struct {
		name  string
		chart Chart
		view  View
	}{
		{"no location", Chart{}, View{}},
		{"unknown unit", Chart{}, View{Location: loc, Mass: 7}},
		{"id with a quote", Chart{ID: `a"b`}, View{Location: loc}},
		{"id starting with a digit", Chart{ID: "1a"}, View{Location: loc}},
		{"colour that is not a colour", Chart{Lines: []Line{{Color: "red\" onload=\"x"}}}, View{Location: loc}},
		{"band upside down", Chart{Bands: []Band{{Low: 2, High: 1}}}, View{Location: loc}},
		{"band step upside down", Chart{Bands: []Band{{Steps: []BandStep{{day1, 2, 1}}}}}, View{Location: loc}},
		{"infinite value", Chart{Lines: []Line{{Points: []Point{{day1, math.Inf(1)}}}}}, View{Location: loc}},
		{"threshold NaN", Chart{Thresholds: []Threshold{{Value: math.NaN()}}}, View{Location: loc}},
		{"shade backwards", Chart{Shades: []Shade{{From: day2, To: day1}}}, View{Location: loc}},
		{"shade kind", Chart{Shades: []Shade{{Kind: 9, From: day1, To: day1}}}, View{Location: loc}},
		{"range backwards", Chart{From: day2, To: day1}, View{Location: loc}},
		{"tiny", Chart{Width: 10}, View{Location: loc}},
	}
	for _, tt := range tests {
		if _, err := tt.chart.SVG(tt.view); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
		if _, err := tt.chart.Table(tt.view); err == nil {
			t.Errorf("%s: Table gave no error", tt.name)
		}
	}
}

func TestIDsAreScopedPerChart(t *testing.T) {
	loc := time.UTC
	pts := []Point{{at(loc, 2025, 1, 1), 1}, {at(loc, 2025, 1, 2), 2}}
	shade := []Shade{{Kind: ReactiveDeload, From: at(loc, 2025, 1, 1), To: at(loc, 2025, 1, 1)}}
	a, _ := (&Chart{ID: "squat", Lines: []Line{{Points: pts}}, Shades: shade}).SVG(View{Location: loc})
	b, _ := (&Chart{ID: "bench", Lines: []Line{{Points: pts}}, Shades: shade}).SVG(View{Location: loc})
	// Two charts inline on one page: their ids must not collide.
	page := append(bytes.Clone(a), b...)
	for _, id := range []string{"squat-title", "squat-hatch", "bench-title", "bench-hatch"} {
		if bytes.Count(page, []byte(`id="`+id+`"`)) != 1 {
			t.Errorf("id %s not exactly once", id)
		}
	}
	if !bytes.Contains(b, []byte(`fill="url(#bench-hatch)"`)) {
		t.Error("the hatch is not referenced by the chart's own id")
	}
}

func TestWriteSVG(t *testing.T) {
	loc := time.UTC
	c := Chart{Lines: []Line{{Points: []Point{{at(loc, 2025, 1, 1), 1}}}}}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf, View{Location: loc}); err != nil {
		t.Fatal(err)
	}
	direct, _ := c.SVG(View{Location: loc})
	if !bytes.Equal(buf.Bytes(), direct) {
		t.Error("WriteSVG and SVG differ")
	}
}

func BenchmarkTwoYearsDaily(b *testing.B) {
	london := mustLoad(b, "Europe/London")
	c := twoYearChart(london)
	v := View{Location: london, Mass: Pounds}
	b.Run("SVG", func(b *testing.B) {
		b.ReportAllocs()
		var size int
		for b.Loop() {
			svg, err := c.SVG(v)
			if err != nil {
				b.Fatal(err)
			}
			size = len(svg)
		}
		b.ReportMetric(float64(size)/1024, "KiB")
	})
	b.Run("Table", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := c.Table(v)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := t.HTML(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
