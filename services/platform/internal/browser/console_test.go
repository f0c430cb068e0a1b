package browser

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/supercomp/supercomp/pkg/config"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
	"github.com/supercomp/supercomp/services/platform/internal/cli"
	"github.com/supercomp/supercomp/services/platform/internal/platformtest"
)

const (
	adminKey = "browser-test-admin-key-0123456789abcdef"
	team     = "squad"
	// squadSeed is the e2e import test's squad: three overreachers with early onsets, so each
	// is flagged by the end of its Strong export.
	squadSeed = 34
	// settle bounds the wait for the imported squad to be assessed (a few seconds here).
	settle = 45 * time.Second
)

// TestConsoleInBrowser signs in to the console of a real all-in-one platform in chromium and
// checks each screen: the board flags the overreachers, opens a flagged athlete's page with
// evidence and charts, updates live without a reload, works on a phone; a sign-in link works; a coach of another team and a device key are refused.
func TestConsoleInBrowser(t *testing.T) {
	chromium := findChromium(t)
	dsn := storetest.FreshServerDSN(t, "sc_console")
	host, conn := platformtest.Start(t, config.Store{Backend: config.BackendClickHouse, DSN: dsn}, adminKey)
	base := "http://" + host.HTTP().Addr().String()
	grpcAddr := host.GRPC().Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	auth := authv1.NewAuthServiceClient(conn)
	coach := createKey(t, ctx, auth, "Head coach", commonv1.Role_ROLE_COACH, team)
	otherCoach := createKey(t, ctx, auth, "Coach of another team", commonv1.Role_ROLE_COACH, "other")
	device := createKey(t, ctx, auth, "force plates", commonv1.Role_ROLE_DEVICE, team)

	// The squad: names and groups in programming, twelve weeks of Strong exports imported.
	sim := simulate.Generate(simulate.Config{Team: team, Athletes: 8, Overreachers: 3, Weeks: 12, Seed: squadSeed,
		Shape: simulate.ShapeSetsRPE, SessionsPerWeek: 3})
	prog := programmingv1.NewProgrammingServiceClient(conn)
	overreachers := 0
	for i, tr := range sim.Truth {
		if tr.Overreacher {
			overreachers++
		}
		putProfile(t, ctx, prog, tr.AthleteID, fmt.Sprintf("Player %d", i+1), []string{"forwards", "backs"}[i%2])
	}
	follower, followerName := followProgram(t, ctx, prog, sim)
	dir := t.TempDir()
	for _, tr := range sim.Truth {
		var buf bytes.Buffer
		if err := simulate.WriteStrongCSV(&buf, sim, tr.AthleteID); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, tr.AthleteID+".csv")
		if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		sc(t, "--addr", grpcAddr, "--token", adminKey, "import", "strong", file, "--team", team, "--athlete", tr.AthleteID, "--quiet")
	}
	fatigue := fatiguev1.NewFatigueServiceClient(conn)
	waitFor(t, settle, fmt.Sprintf("%d athletes assessed, %d recommended a deload", len(sim.Truth), overreachers), func() bool {
		board, err := fatigue.ListTeamStatus(ctx, &fatiguev1.ListTeamStatusRequest{TeamId: team})
		if err != nil {
			t.Fatal(err)
		}
		deloads := 0
		for _, a := range board.GetAthletes() {
			if a.GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED {
				deloads++
			}
		}
		return len(board.GetAthletes()) == len(sim.Truth) && deloads == overreachers
	})

	b := newBrowser(t, ctx, chromium)
	board := base + "/teams/" + team

	t.Run("coach signs in with a key and sees the overreachers flagged", func(t *testing.T) {
		b.do(t, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("key")))
		b.screenshot(t, "signin")
		if code := b.signIn(t, coach); code != http.StatusOK {
			t.Fatalf("sign in answered %d", code)
		}
		b.do(t, chromedp.WaitVisible(chromedp.ID("board-rows")))
		if got := b.location(t); got != board {
			t.Errorf("after sign-in the browser is at %s, want the team board", got)
		}
		if n := b.count(t, `#board-rows tr[data-status="deload"]`); n != overreachers {
			t.Errorf("%d athletes flagged deload on the board, want %d", n, overreachers)
		}
		text := b.text(t, "#board-rows")
		for _, want := range []string{"Deload recommended", "Player 1", "sets with RPE", "deload awaiting decision"} {
			if !strings.Contains(text, want) {
				t.Errorf("board lacks %q", want)
			}
		}
		b.screenshot(t, "board")

		// Filter by position group: a plain GET form, no JavaScript needed.
		b.do(t, chromedp.SetValue(chromedp.ID("group"), "forwards"))
		b.navigateBy(t, chromedp.Submit(chromedp.ID("group")))
		if got := b.location(t); !strings.HasPrefix(got, board+"?") || !strings.Contains(got, "group=forwards") {
			t.Errorf("filtered board at %s", got)
		}
		if text := b.text(t, "#board-rows"); strings.Contains(text, "backs") || !strings.Contains(text, "forwards") {
			t.Errorf("forwards board shows backs or no forwards:\n%s", text)
		}
		b.screenshot(t, "board-forwards")
	})

	t.Run("a flagged athlete opens from the board with evidence and charts", func(t *testing.T) {
		openOverreacher(t, b, board)
	})

	t.Run("the coach approves a deload, sees its week and acknowledges an alert", func(t *testing.T) {
		checkInboxAndAlerts(t, ctx, b, conn, board, follower, followerName, overreachers)
	})

	t.Run("the board updates live without a reload", func(t *testing.T) {
		b.do(t, chromedp.Navigate(board), chromedp.WaitVisible(chromedp.ID("board-rows")))
		b.poll(t, `document.getElementById("live-status").textContent.startsWith("Live")`, 15*time.Second)
		b.eval(t, `window.notReloaded = true`)
		putProfile(t, ctx, prog, sim.Truth[0].AthleteID, "Renamed Live", "forwards")
		b.poll(t, `document.getElementById("board-rows").textContent.includes("Renamed Live")`, 20*time.Second)
		if same := b.eval(t, `window.notReloaded === true`); same != true {
			t.Error("the page reloaded to show the change")
		}
		b.screenshot(t, "board-live")
	})

	t.Run("the board works on a phone", func(t *testing.T) {
		b.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulatePortrait),
			chromedp.Navigate(board), chromedp.WaitVisible(chromedp.ID("board-rows")))
		if b.eval(t, `document.documentElement.scrollWidth > window.innerWidth`) != false {
			t.Error("the board scrolls sideways on a 390 px wide phone")
		}
		if d := b.eval(t, `getComputedStyle(document.querySelector("#board-rows tr")).display`); d != "block" {
			t.Errorf("board rows on a phone display as %v, want cards (block)", d)
		}
		b.screenshot(t, "board-phone")
		b.do(t, laptopViewport())
	})

	t.Run("squad trends compare a group, download as CSV and drill down to an athlete", func(t *testing.T) {
		checkTrends(t, b, board)
	})

	t.Run("screenshots for the README", func(t *testing.T) {
		docsScreenshots(t, b, board)
	})

	t.Run("an athlete checks in on a phone and the coach sees it", func(t *testing.T) {
		checkCheckin(t, ctx, b, conn, board, checkinAthleteOf(sim))
	})

	t.Run("a coach of another team is refused", func(t *testing.T) {
		b.signOut(t)
		b.signIn(t, otherCoach)
		code := b.navigateBy(t, chromedp.Navigate(board))
		if text := b.text(t, "main"); code != http.StatusForbidden || !strings.Contains(text, "No access") || strings.Contains(text, "Player 1") {
			t.Errorf("coach of another team gets %d:\n%s", code, text)
		}
		b.screenshot(t, "refused")
		b.signOut(t)
	})

	t.Run("a device key cannot sign in", func(t *testing.T) {
		if code := b.signIn(t, device); code != http.StatusForbidden {
			t.Errorf("device sign-in answered %d, want 403", code)
		}
		if text := b.text(t, "#signin-problem"); !strings.Contains(text, "device key") {
			t.Errorf("device sign-in says %q", text)
		}
		b.screenshot(t, "device-refused")
	})

	t.Run("a one-time link signs in once", func(t *testing.T) {
		out := sc(t, "--addr", grpcAddr, "--token", adminKey, "console", "link", "--team", team, "--role", "coach", "--url", base)
		link := regexp.MustCompile(`http://\S+/signin/link\?key=\S+`).FindString(out)
		if link == "" {
			t.Fatalf("no link in:\n%s", out)
		}
		b.do(t, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`form[action="/signin/link"] button`)))
		b.screenshot(t, "link")
		b.navigateBy(t, chromedp.Click(chromedp.CSS(`form[action="/signin/link"] button`)))
		b.do(t, chromedp.WaitVisible(chromedp.ID("board-rows")))
		if u := b.location(t); u != board {
			t.Errorf("after the link the browser is at %s, want the board (no key in the address)", u)
		}
		b.signOut(t)
		b.do(t, chromedp.Navigate(link))
		if code := b.navigateBy(t, chromedp.Click(chromedp.CSS(`form[action="/signin/link"] button`))); code != http.StatusUnauthorized {
			t.Errorf("second use of the link answered %d, want 401", code)
		}
		if text := b.text(t, "main"); !strings.Contains(text, "no longer works") {
			t.Errorf("second use of the link shows:\n%s", text)
		}
	})

	t.Run("an admin creates a key, sees it once and revokes it", func(t *testing.T) {
		checkAdmin(t, b, adminKey)
	})
}

// findChromium is the browser to drive: $SC_CHROMIUM (make test sets it after installing
// Debian's chromium), else chromium on PATH. Missing, the test fails: it is never skipped.
func findChromium(t *testing.T) string {
	if p := os.Getenv("SC_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: the console's browser tests need it. `make test` installs it (scripts/chromium.sh); " +
		"or set SC_CHROMIUM to a chromium binary")
	return ""
}

type browser struct {
	ctx       context.Context
	artifacts string
}

func newBrowser(t *testing.T, parent context.Context, chromium string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.WindowSize(laptopWidth, laptopHeight),
		// Tests run as root in CI containers, where chromium's sandbox cannot start.
		chromedp.NoSandbox, chromedp.DisableGPU)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser; it gets no deadline of its own (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", chromium, err)
	}
	dir := os.Getenv("SC_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), ".artifacts")
	}
	dir = filepath.Join(dir, "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{ctx: ctx, artifacts: dir}
}

// step bounds one browser step: every wait in these tests ends, and fails clearly.
const step = 30 * time.Second

func (b *browser) fail(t *testing.T, err error) {
	t.Helper()
	b.screenshot(t, "failed-"+strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()))
	t.Fatalf("browser: %v (at %s)", err, b.location(t))
}

// do runs actions in order.
func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(t, err)
	}
}

// navigateBy runs an action that loads a page (a submit, a click, a navigation), waits for
// the page, and returns its HTTP status.
func (b *browser) navigateBy(t *testing.T, action chromedp.Action[chromedp.Void]) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		b.fail(t, err)
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

func (b *browser) eval(t *testing.T, expr string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.fail(t, err)
	}
	return v
}

// poll waits until expr is true in the page, at most timeout.
func (b *browser) poll(t *testing.T, expr string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout))); err != nil {
		b.fail(t, fmt.Errorf("waiting for %s: %w", expr, err))
	}
}

// signIn submits the sign-in form with key and returns the HTTP status of the page it lands on.
func (b *browser) signIn(t *testing.T, key string) int {
	t.Helper()
	b.do(t, chromedp.Navigate(b.base(t)+"/signin"), chromedp.WaitVisible(chromedp.ID("key")), chromedp.SendKeys(chromedp.ID("key"), key))
	return b.navigateBy(t, chromedp.Submit(chromedp.ID("key")))
}

func (b *browser) signOut(t *testing.T) {
	t.Helper()
	b.navigateBy(t, chromedp.Click(chromedp.CSS(".signout button")))
	b.do(t, chromedp.WaitVisible(chromedp.ID("key")))
}

// base is the console's origin, taken from the current page.
func (b *browser) base(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(b.location(t))
	if err != nil || u.Host == "" {
		t.Fatalf("no console page open (at %q)", b.location(t))
	}
	return u.Scheme + "://" + u.Host
}

func (b *browser) location(t *testing.T) string {
	u, _ := chromedp.Run(b.ctx, chromedp.Location())
	return u
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fail(t, err)
	}
	return s
}

func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	n, _ := b.eval(t, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)).(float64)
	return int(n)
}

// screenshot saves the page as <artifacts>/<name>.png.
func (b *browser) screenshot(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(b.artifacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
	}
	t.Logf("screenshot %s", path)
}

func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
}

func createKey(t *testing.T, ctx context.Context, c authv1.AuthServiceClient, name string, role commonv1.Role, team string) string {
	t.Helper()
	resp, err := c.CreateApiKey(ctx, &authv1.CreateApiKeyRequest{Name: name, Role: role, Grants: []*authv1.TeamGrant{{TeamId: team}}})
	if err != nil {
		t.Fatalf("create %s key: %v", name, err)
	}
	return resp.GetSecret()
}

func putProfile(t *testing.T, ctx context.Context, c programmingv1.ProgrammingServiceClient, athlete, name, group string) {
	t.Helper()
	_, err := c.PutAthleteProfile(ctx, &programmingv1.PutAthleteProfileRequest{TeamId: team, AthleteId: athlete,
		Profile: &programmingv1.AthleteProfile{DisplayName: name, PositionGroup: group, TimeZone: "Europe/Oslo"}})
	if err != nil {
		t.Fatalf("profile of %s: %v", athlete, err)
	}
}

// sc runs the sc CLI in-process and returns what it printed.
func sc(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	root := cli.NewRoot(&out, &errOut)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("sc %s: %v\n%s%s", strings.Join(args[:min(len(args), 6)], " "), err, out.String(), errOut.String())
	}
	return out.String()
}

func waitFor(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The laptop viewport every test returns to after a phone step. chromedp.ResetViewport only
// clears the emulation's overrides, which in headless chromium left the page at the phone's
// width, so later screenshots were phone-sized.
const laptopWidth, laptopHeight = 1280, 900

func laptopViewport() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(laptopWidth, laptopHeight)
}
