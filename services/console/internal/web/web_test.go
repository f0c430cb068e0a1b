package web

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/auth"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func TestSignInWithKeyShowsOnlyGrantedTeams(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(10, f.now))
	f.fatigue.set("t2", squad(3, f.now))
	coach := f.key(commonv1.Role_ROLE_COACH, "t1", 0)

	b := f.browser()
	if p := b.get("/teams/t1"); p.code != http.StatusSeeOther || p.location != "/signin?next=%2Fteams%2Ft1" {
		t.Fatalf("board before sign-in: %d to %q, want the sign-in page", p.code, p.location)
	}
	p := b.signIn(coach)
	if p.code != http.StatusSeeOther || p.location != "/" {
		t.Fatalf("sign in: %d to %q\n%s", p.code, p.location, p.body)
	}
	if p := b.get("/"); p.location != "/teams/t1" {
		t.Fatalf("home of a one-team coach goes to %q, want /teams/t1", p.location)
	}
	board := b.get("/teams/t1")
	for _, want := range []string{"Athlete 5", "Deload recommended", "strength declining, harder at familiar loads",
		"sets with RPE; no wellness or devices", "New Signing", "deload awaiting decision", "2 Deload recommended"} {
		if !strings.Contains(board.body, want) {
			t.Errorf("board lacks %q", want)
		}
	}
	// The other team: refused by the console, and by the services if the console were wrong.
	if p := b.get("/teams/t2"); p.code != http.StatusForbidden || !strings.Contains(p.body, "not granted team") {
		t.Errorf("coach of t1 opening t2: %d\n%s", p.code, p.body)
	}
	if p := b.get("/teams/t2/live"); p.code != http.StatusForbidden {
		t.Errorf("coach of t1 streaming t2: %d", p.code)
	}

	// Sign out makes the browser forget the session.
	p = b.post("/signout", url.Values{"csrf": {formToken(t, board)}})
	if p.code != http.StatusSeeOther || p.location != "/signin" {
		t.Fatalf("sign out: %d to %q", p.code, p.location)
	}
	if p := b.get("/teams/t1"); p.code != http.StatusSeeOther {
		t.Errorf("board after sign-out: %d, want a redirect to sign in", p.code)
	}
}

// TestSessionsSurviveRestartsAndReplicas: the session is sealed into the cookie with the
// configured key, so a restarted console or another replica with the same key serves it, one
// with another key does not, a changed cookie is refused, and revoking the key behind the
// session signs the browser out on its next page on every replica.
func TestSessionsSurviveRestartsAndReplicas(t *testing.T) {
	key := []byte("console-test-session-key-0123456789abcdef")
	f := newFixture(t, Options{SessionKey: key})
	f.fatigue.set("t1", squad(4, f.now))
	coach := f.key(commonv1.Role_ROLE_COACH, "t1", 0)
	b := f.browser()
	b.signIn(coach)
	if p := b.get("/teams/t1"); p.code != http.StatusOK {
		t.Fatalf("board: %d", p.code)
	}
	cookies := b.client.Jar.Cookies(mustURL(t, f.console.URL))

	// The same browser on a second replica (or the console after a restart).
	other := f.browser()
	other.base = f.replica(key)
	other.client.Jar.SetCookies(mustURL(t, other.base), cookies)
	if p := other.get("/teams/t1"); p.code != http.StatusOK || !strings.Contains(p.body, "Athlete 4") {
		t.Fatalf("board on a replica with the same key: %d", p.code)
	}
	// A form rendered by one replica posts to the other: the CSRF token is in the session.
	page := b.get("/teams/t1/deloads")
	if p := other.post("/preferences/unit", url.Values{"csrf": {formToken(t, page)}, "unit": {"lb"}, "next": {"/teams/t1"}}); p.code != http.StatusSeeOther {
		t.Errorf("a form of replica 1 posted to replica 2: %d", p.code)
	}

	stranger := f.browser()
	stranger.base = f.replica([]byte("another-console-key-with-enough-bytes-0123"))
	stranger.client.Jar.SetCookies(mustURL(t, stranger.base), cookies)
	if p := stranger.get("/teams/t1"); p.code != http.StatusSeeOther {
		t.Errorf("a console with another key: %d, want a redirect to sign in", p.code)
	}

	// A cookie changed by the browser (one character of the sealed value) opens nothing.
	tampered := f.browser()
	var forged []*http.Cookie
	for _, c := range cookies {
		if c.Name == sessionCookie {
			v := []byte(c.Value)
			v[len(v)/2] ^= 1
			c = &http.Cookie{Name: c.Name, Value: string(v)}
		}
		forged = append(forged, c)
	}
	tampered.client.Jar.SetCookies(mustURL(t, f.console.URL), forged)
	if p := tampered.get("/teams/t1"); p.code != http.StatusSeeOther {
		t.Errorf("a tampered session cookie: %d, want a redirect to sign in", p.code)
	}

	// Revoking the key: the next page on either replica refuses the session's token.
	if _, err := f.authn.Store().RevokeKey(context.Background(), auth.KeyIDOf(coach), time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, br := range []*browser{b, other} {
		if p := br.get("/teams/t1"); p.code != http.StatusUnauthorized || !strings.Contains(p.body, "Signed out") {
			t.Errorf("%s after the key was revoked: %d", br.base, p.code)
		}
	}
}

func TestSessionKeyTooShort(t *testing.T) {
	f := newFixture(t, Options{})
	opts := f.opts
	opts.SessionKey = []byte("short")
	if _, err := New(f.clients, opts, zap.NewNop()); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("a 5-byte session key: %v, want a refusal", err)
	}
}

func TestSignInRefusals(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, key string
		code      int
		says      string
	}{
		{"device key", f.key(commonv1.Role_ROLE_DEVICE, "t1", 0), http.StatusForbidden, "devices upload training data and cannot sign in"},
		{"athlete key", f.key(commonv1.Role_ROLE_ATHLETE, "t1", 0), http.StatusForbidden, "athlete key"},
		{"unknown key", "sck_0000000000000000_nope", http.StatusUnauthorized, "not valid"},
		{"empty key", "", http.StatusUnprocessableEntity, "Enter your API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := f.browser()
			p := b.signIn(tt.key)
			if p.code != tt.code || !strings.Contains(p.body, tt.says) {
				t.Errorf("sign in: %d, want %d saying %q\n%s", p.code, tt.code, tt.says, p.body)
			}
			if p := b.get("/"); p.code != http.StatusSeeOther || !strings.HasPrefix(p.location, "/signin") {
				t.Errorf("after a refused sign-in / is %d to %q", p.code, p.location)
			}
		})
	}

	// A form without its token, or from another site, is refused.
	b := f.browser()
	coach := f.key(commonv1.Role_ROLE_COACH, "t1", 0)
	b.get("/signin")
	if p := b.post("/signin", url.Values{"key": {coach}}); p.code != http.StatusForbidden {
		t.Errorf("sign-in without the form token: %d", p.code)
	}
	form := b.get("/signin")
	req, _ := http.NewRequest(http.MethodPost, f.console.URL+"/signin",
		strings.NewReader(url.Values{"csrf": {formToken(t, form)}, "key": {coach}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if p := b.do(req); p.code != http.StatusForbidden {
		t.Errorf("sign-in posted from another origin: %d", p.code)
	}
}

func TestSignInLinkWorksOnce(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(4, f.now))
	link := f.key(commonv1.Role_ROLE_COACH, "t1", 15*time.Minute)

	b := f.browser()
	// Opening the link spends nothing (link previews fetch it); the form does.
	open := b.get("/signin/link?key=" + url.QueryEscape(link))
	if open.code != http.StatusOK || !strings.Contains(open.body, "Continue and sign in") {
		t.Fatalf("link page: %d\n%s", open.code, open.body)
	}
	b.get("/signin/link?key=" + url.QueryEscape(link))
	p := b.post("/signin/link", url.Values{"csrf": {formToken(t, open)}, "key": {link}})
	if p.code != http.StatusSeeOther || p.location != "/" {
		t.Fatalf("redeem link: %d to %q\n%s", p.code, p.location, p.body)
	}
	if p := b.get("/teams/t1"); p.code != http.StatusOK || strings.Contains(p.body, link) {
		t.Fatalf("board after link sign-in: %d (the key must not appear in the page)", p.code)
	}

	other := f.browser()
	again := other.get("/signin/link?key=" + url.QueryEscape(link))
	if p := other.post("/signin/link", url.Values{"csrf": {formToken(t, again)}, "key": {link}}); p.code != http.StatusUnauthorized ||
		!strings.Contains(p.body, "works once") {
		t.Errorf("second use of the link: %d\n%s", p.code, p.body)
	}

	device := f.key(commonv1.Role_ROLE_DEVICE, "t1", 15*time.Minute)
	d := f.browser()
	form := d.get("/signin/link?key=" + url.QueryEscape(device))
	if p := d.post("/signin/link", url.Values{"csrf": {formToken(t, form)}, "key": {device}}); p.code != http.StatusForbidden ||
		!strings.Contains(p.body, "cannot sign in") {
		t.Errorf("device link: %d\n%s", p.code, p.body)
	}
}

func TestSecurityHeadersAndCookies(t *testing.T) {
	f := newFixture(t, Options{})
	b := f.browser()
	for _, path := range []string{"/signin", "/static/console.css", "/nope"} {
		h := b.get(path).header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: nosniff %q, referrer policy %q", path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
	form := b.get("/signin")
	p := b.post("/signin", url.Values{"csrf": {formToken(t, form)}, "key": {f.key(commonv1.Role_ROLE_COACH, "t1", 0)}})
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == sessionCookie && c.MaxAge > 0 {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/", session)
	}
	if strings.Contains(p.location, "key") {
		t.Errorf("redirect after sign-in %q carries a secret", p.location)
	}
}

func TestSessionIdlesOut(t *testing.T) {
	clock := time.Now()
	f := newFixture(t, Options{SessionIdle: time.Minute, SessionMax: time.Hour, LiveInterval: time.Second, Now: func() time.Time { return clock }})
	f.fatigue.set("t1", squad(2, f.now))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	if p := b.get("/teams/t1"); p.code != http.StatusOK {
		t.Fatalf("board: %d", p.code)
	}
	clock = clock.Add(2 * time.Minute)
	if p := b.get("/teams/t1"); p.code != http.StatusSeeOther {
		t.Errorf("board after idling: %d, want a redirect to sign in", p.code)
	}
}

func TestBoardFiltersAndSorts(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(10, f.now))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))

	forwards := b.get("/teams/t1?group=forwards").body
	if strings.Contains(forwards, "Athlete 5<") || !strings.Contains(forwards, "Athlete 10<") {
		t.Errorf("forwards board shows a back, or misses a forward")
	}
	byName := b.get("/teams/t1?sort=name").body
	if i, j := strings.Index(byName, "Athlete 1<"), strings.Index(byName, "New Signing"); i < 0 || j < 0 || i > j {
		t.Errorf("sorted by name: Athlete 1 at %d, New Signing at %d", i, j)
	}
	concern := b.get("/teams/t1").body
	if i, j := strings.Index(concern, "Athlete 10<"), strings.Index(concern, "Athlete 1<"); i < 0 || i > j {
		t.Errorf("by concern the deload (Athlete 10) is not above an OK athlete (Athlete 1)")
	}
}

// TestLiveStreamSendsChanges reads the board's event stream: nothing while the board is as the
// page showed it, then the re-rendered rows when an athlete's status changes.
func TestLiveStreamSendsChanges(t *testing.T) {
	f := newFixture(t, Options{})
	data := squad(3, f.now)
	f.fatigue.set("t1", data)
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	board := b.get("/teams/t1")
	live := regexpFind(t, `data-live="([^"]+)"`, board.body)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.console.URL+strings.ReplaceAll(live, "&amp;", "&"), nil)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	for lines.Scan() {
		line := lines.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
			if event == "board" && f.fatigue.teams["t1"].rows[0].Status != commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED {
				t.Fatal("board event before anything changed")
			}
			continue
		}
		if event == "live" {
			// The stream has its baseline: now an athlete's status changes and one arrives.
			changed := squad(3, f.now)
			changed.rows[0].Status = commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED
			changed.profiles = append(changed.profiles, &programmingv1.AthleteProfile{AthleteId: "late", DisplayName: "Late Arrival"})
			f.fatigue.set("t1", changed)
			event = ""
			continue
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok && event == "board" {
			if !strings.Contains(d, "Late Arrival") || !strings.Contains(d, "Athlete 1: Deload recommended") {
				t.Fatalf("board event without the change: %s", d)
			}
			return
		}
	}
	t.Fatalf("stream ended without a board event: %v", lines.Err())
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func regexpFind(t testing.TB, pattern, s string) string {
	t.Helper()
	m := regexpMust(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", pattern, s)
	}
	return m[1]
}
