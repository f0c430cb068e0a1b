package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// openOverreacher opens the first athlete the board flags for a deload, from the board's link,
// and checks the athlete page: the status and evidence in words, the charts drawn as SVG with
// their tables, and the phone layout (charts scale, no sideways scroll).
func openOverreacher(t *testing.T, b *browser, board string) {
	t.Helper()
	b.do(t, chromedp.Navigate(board), chromedp.WaitVisible(chromedp.ID("board-rows")))
	link := `#board-rows tr[data-status="deload"] a.name`
	name := b.text(t, link)
	b.navigateBy(t, chromedp.Click(chromedp.CSS(link)))
	b.do(t, chromedp.WaitVisible(chromedp.ID("evidence")))
	if got := b.location(t); !strings.HasPrefix(got, board+"/athletes/") {
		t.Errorf("the board's link opened %s", got)
	}
	if h1 := b.text(t, "h1"); !strings.Contains(h1, name) {
		t.Errorf("athlete page heading %q, want %q", h1, name)
	}
	if status := b.text(t, "#athlete-status"); !strings.Contains(status, "Deload recommended") {
		t.Errorf("athlete status says:\n%s", status)
	}
	if evidence := b.text(t, "#evidence"); !strings.Contains(evidence, "Abnormal") {
		t.Errorf("evidence has no abnormal family:\n%s", evidence)
	}
	charts := b.count(t, `#charts svg.sc-chart[role="img"]`)
	if charts < 4 { // e1RM of the logged lifts, RPE, volume-load, hard sets, load context
		t.Errorf("%d charts drawn, want at least 4", charts)
	}
	if tables := b.count(t, "#charts details table"); tables != charts {
		t.Errorf("%d data tables for %d charts", tables, charts)
	}
	// A Strong export has no wellness or devices: said, not drawn.
	if text := b.text(t, "#chart-wellness"); !strings.Contains(text, "Not available") {
		t.Errorf("wellness without reports shows:\n%s", text)
	}
	b.screenshot(t, "athlete")

	b.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("evidence")))
	if b.eval(t, `document.documentElement.scrollWidth > window.innerWidth`) != false {
		t.Error("the athlete page scrolls sideways on a 390 px wide phone")
	}
	if wide := b.eval(t, `[...document.querySelectorAll("svg.sc-chart")].every(s => s.getBoundingClientRect().width <= window.innerWidth)`); wide != true {
		t.Error("a chart is wider than the phone")
	}
	b.screenshot(t, "athlete-phone")
	b.do(t, laptopViewport())
}
