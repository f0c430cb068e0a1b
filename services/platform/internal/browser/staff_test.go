package browser

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// checkTrends opens squad trends from the board's navigation: charts drawn from the imported
// squad with their tables, the squad compared with a position group through the GET form, the
// CSV download holding raw numbers, and an athlete opened from the drill-down.
func checkTrends(t *testing.T, b *browser, board string) {
	t.Helper()
	b.do(t, chromedp.Navigate(board), chromedp.WaitVisible(chromedp.ID("board-rows")))
	if code := b.navigateBy(t, chromedp.Click(chromedp.CSS(`.team-nav a[href$="/trends"]`))); code != http.StatusOK {
		t.Fatalf("trends answered %d", code)
	}
	b.do(t, chromedp.WaitVisible(chromedp.ID("charts")))
	// A Strong export logs sets with RPE: volume-load, hard sets, e1RM change and the flagged share at least.
	charts := b.count(t, `#charts svg.sc-chart[role="img"]`)
	if charts < 4 {
		t.Errorf("%d trend charts drawn, want at least 4", charts)
	}
	if tables := b.count(t, "#charts details table"); tables != charts {
		t.Errorf("%d data tables for %d trend charts", tables, charts)
	}
	if text := b.text(t, "#chart-volume-load"); !strings.Contains(text, "Squad") {
		t.Errorf("the volume-load chart does not name the squad:\n%s", text)
	}
	b.screenshot(t, "trends")

	b.do(t, chromedp.SetValue(chromedp.ID("group"), "forwards"))
	b.navigateBy(t, chromedp.Submit(chromedp.ID("group")))
	if got := b.location(t); !strings.Contains(got, "/trends?") || !strings.Contains(got, "group=forwards") {
		t.Errorf("the comparison is at %s", got)
	}
	if text := b.text(t, "#chart-volume-load"); !strings.Contains(text, "forwards") {
		t.Errorf("the compared volume-load chart lacks the forwards:\n%s", text)
	}
	if text := b.text(t, "#trend-athletes tbody"); strings.Contains(text, "backs") || !strings.Contains(text, "forwards") {
		t.Errorf("the forwards' drill-down lists backs or no forwards:\n%s", text)
	}
	b.screenshot(t, "trends-forwards")

	// The download, fetched by the page itself so it carries the session cookie.
	body, _ := b.evalAwait(t, `fetch(document.getElementById("trends-csv").href).then(r => r.text())`).(string)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("trends CSV (%v):\n%s", err, body)
	}
	scopes := map[string]bool{}
	for _, r := range rows[1:] {
		scopes[r[1]] = true
		if r[6] != "" && !regexp.MustCompile(`^-?[0-9.e+-]+$`).MatchString(r[6]) {
			t.Errorf("CSV value %q is not a raw number", r[6])
			break
		}
	}
	if !scopes["Squad"] || !scopes["forwards"] {
		t.Errorf("CSV scopes %v, want the squad and the forwards", scopes)
	}

	name := b.text(t, "#trend-athletes tbody th a")
	b.navigateBy(t, chromedp.Click(chromedp.CSS("#trend-athletes tbody th a")))
	b.do(t, chromedp.WaitVisible(chromedp.ID("evidence")))
	if h1 := b.text(t, "h1"); !strings.Contains(h1, name) {
		t.Errorf("the drill-down opened %q, want %q", h1, name)
	}

	b.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(board+"/trends"), chromedp.WaitVisible(chromedp.ID("charts")))
	if b.eval(t, `document.documentElement.scrollWidth > window.innerWidth`) != false {
		t.Error("squad trends scroll sideways on a 390 px wide phone")
	}
	b.screenshot(t, "trends-phone")
	b.do(t, laptopViewport())
}

// checkAdmin signs in as the admin, creates a team and a coach key for it, sees the key once,
// and revokes it after the confirmation page.
func checkAdmin(t *testing.T, b *browser, adminKey string) {
	t.Helper()
	b.signIn(t, adminKey)
	if code := b.navigateBy(t, chromedp.Click(chromedp.CSS(".admin-link"))); code != http.StatusOK {
		t.Fatalf("admin page answered %d", code)
	}
	b.do(t, chromedp.WaitVisible(chromedp.ID("teams")),
		chromedp.SendKeys(chromedp.ID("team_id"), "u21"), chromedp.SendKeys(chromedp.ID("team_name"), "Under 21"),
		chromedp.SendKeys(chromedp.ID("team_zone"), "Europe/Londn"))
	// A misspelt zone is refused under its field, the typed values kept.
	if code := b.navigateBy(t, chromedp.Submit(chromedp.ID("team_id"))); code != http.StatusUnprocessableEntity {
		t.Errorf("a misspelt time zone answered %d, want 422", code)
	}
	if text := b.text(t, "#team_zone-problem"); !strings.Contains(text, "is not an IANA time zone name") {
		t.Errorf("the time zone field says %q", text)
	}
	b.do(t, chromedp.SetValue(chromedp.ID("team_zone"), "Europe/London"))
	b.navigateBy(t, chromedp.Submit(chromedp.ID("team_id")))
	if text := b.text(t, "#notice"); !strings.Contains(text, "Team u21 (Under 21, time zone Europe/London) created") {
		t.Errorf("after creating a team the page says %q", text)
	}
	// The zone changes in the team's row.
	b.do(t, chromedp.SetValue(chromedp.ID("team_zone-u21"), "Australia/Sydney"))
	b.navigateBy(t, chromedp.Submit(chromedp.ID("team_zone-u21")))
	if text := b.text(t, "#notice"); !strings.Contains(text, "Team u21 now counts its days in Australia/Sydney.") {
		t.Errorf("after changing the zone the page says %q", text)
	}

	b.do(t, chromedp.SendKeys(chromedp.ID("key_name"), "U21 head coach"), chromedp.SetValue(chromedp.ID("role"), "coach"),
		chromedp.SetValue(chromedp.ID("key_team"), "u21"))
	b.navigateBy(t, chromedp.Submit(chromedp.ID("key_name")))
	secret := b.text(t, "#new-key")
	if len(secret) < 20 {
		t.Fatalf("the new key shown is %q", secret)
	}
	if strings.Contains(b.location(t), secret) {
		t.Error("the new key is in the address")
	}
	id := strings.TrimSuffix(strings.TrimPrefix(b.text(t, ".new-key .hint"), "Key id "), ".")
	b.screenshot(t, "admin-key-created")

	b.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("keys")))
	if n := b.count(t, "#new-key"); n != 0 || strings.Contains(b.text(t, "main"), secret) {
		t.Error("the new key is shown again after a reload")
	}
	if state := b.text(t, "#key-"+id); !strings.Contains(state, "U21 head coach") || !strings.Contains(state, "u21") {
		t.Errorf("the new key's row says:\n%s", state)
	}

	b.navigateBy(t, chromedp.Click(chromedp.CSS("#key-"+id+" a.revoke-link")))
	b.do(t, chromedp.WaitVisible(chromedp.ID("confirm-revoke")), chromedp.SendKeys(chromedp.ID("reason"), "browser test"))
	b.screenshot(t, "admin-revoke")
	if code := b.navigateBy(t, chromedp.Click(chromedp.ID("confirm-revoke"))); code != http.StatusOK {
		t.Fatalf("revoking answered %d", code)
	}
	if text := b.text(t, "#notice"); !strings.Contains(text, "revoked") {
		t.Errorf("after revoking the page says %q", text)
	}
	if n := b.count(t, "#key-"+id); n != 0 {
		t.Error("the revoked key is still listed as active")
	}
	b.screenshot(t, "admin")

	// The audit log, filtered to the key with its GET form, shows its creation and revocation.
	// The recorder stores audit events in batches about a second apart, so the page is reloaded
	// until both are there.
	b.do(t, chromedp.SetValue(chromedp.ID("audit_resource"), id))
	b.navigateBy(t, chromedp.Submit(chromedp.ID("audit_resource")))
	const rows = `Array.from(document.querySelectorAll('#audit-log tr[data-action]'), r => r.dataset.action).join(' ')`
	for deadline := time.Now().Add(30 * time.Second); ; {
		got, _ := b.eval(t, rows).(string)
		if got == "apikey.revoke apikey.create" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the audit log of key %s lists %q, want its revocation and creation, newest first", id, got)
		}
		time.Sleep(300 * time.Millisecond)
		b.navigateBy(t, chromedp.Reload())
	}
	if text := b.text(t, "#audit-log"); !strings.Contains(text, "reason: browser test") || !strings.Contains(text, "admin") {
		t.Errorf("the key's audit records say:\n%s", text)
	}
	b.screenshot(t, "admin-audit")
}

// docsScreenshots saves small pictures of the coach's main screens for the README (docs/console)
// when SC_DOCS_SCREENSHOTS=1: the viewport only, at device scale 1, laptop and phone.
func docsScreenshots(t *testing.T, b *browser, board string) {
	t.Helper()
	if os.Getenv("SC_DOCS_SCREENSHOTS") != "1" {
		t.Log("SC_DOCS_SCREENSHOTS is not 1: the README's screenshots are left as they are")
		return
	}
	b.do(t, chromedp.Navigate(board), chromedp.WaitVisible(chromedp.ID("board-rows")))
	athlete, _ := b.eval(t, `document.querySelector('#board-rows tr[data-status="deload"] a.name').href`).(string)
	dir := filepath.Join(repoRoot(t), "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// ready is what the picture shows: the page is scrolled to it.
	screens := []struct{ name, url, ready string }{
		{"board", board, "main"},
		{"athlete", athlete, "main"},
		{"inbox", board + "/deloads", "main"},
		{"trends", board + "/trends", "#charts"},
	}
	devices := []struct {
		name          string
		width, height int64
		phone         bool
	}{{"laptop", 1024, 576, false}, {"phone", 390, 760, true}}
	const maxBytes = 150 << 10
	for _, s := range screens {
		for _, d := range devices {
			opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
			if d.phone {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
			}
			b.do(t, chromedp.EmulateViewport(d.width, d.height, opts...), chromedp.Navigate(s.url), chromedp.WaitVisible(chromedp.CSS(s.ready)))
			if s.ready != "main" {
				b.eval(t, fmt.Sprintf(`document.querySelector(%q).scrollIntoView()`, s.ready))
			}
			ctx, cancel := context.WithTimeout(b.ctx, step)
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			cancel()
			if err != nil {
				t.Fatalf("screenshot %s: %v", s.name, err)
			}
			if len(png) > maxBytes {
				t.Errorf("%s-%s.png is %d KB, over the README's 150 KB", s.name, d.name, len(png)>>10)
			}
			if err := os.WriteFile(filepath.Join(dir, s.name+"-"+d.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.do(t, laptopViewport())
}

// evalAwait evaluates expr in the page and waits for the promise it returns.
func (b *browser) evalAwait(t *testing.T, expr string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(t, err)
	}
	return v
}
