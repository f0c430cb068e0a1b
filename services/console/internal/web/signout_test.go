package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// TestSignOutEndsEveryCopy: signing out revokes the session's token in the auth service, so a
// copy of the cookie taken before (on this console or on a second replica with the same key)
// is refused on its next page; the key still signs in afresh.
func TestSignOutEndsEveryCopy(t *testing.T) {
	key := []byte("console-test-session-key-0123456789abcdef")
	f := newFixture(t, Options{SessionKey: key})
	f.fatigue.set("t1", squad(4, f.now))
	coach := f.key(commonv1.Role_ROLE_COACH, "t1", 0)
	b := f.browser()
	b.signIn(coach)
	board := b.get("/teams/t1")
	if board.code != http.StatusOK {
		t.Fatalf("board: %d", board.code)
	}
	cookies := b.client.Jar.Cookies(mustURL(t, f.console.URL))
	here := f.browser()
	here.client.Jar.SetCookies(mustURL(t, here.base), cookies)
	replica := f.browser()
	replica.base = f.replica(key)
	replica.client.Jar.SetCookies(mustURL(t, replica.base), cookies)
	for name, copy := range map[string]*browser{"this console": here, "a second replica": replica} {
		if p := copy.get("/teams/t1"); p.code != http.StatusOK {
			t.Fatalf("the copied cookie on %s before sign-out: %d", name, p.code)
		}
	}

	if p := b.post("/signout", url.Values{"csrf": {formToken(t, board)}}); p.code != http.StatusSeeOther || p.location != "/signin" {
		t.Fatalf("sign out: %d to %q", p.code, p.location)
	}
	for name, base := range map[string]string{"this console": here.base, "a second replica": replica.base} {
		for _, path := range []string{"/teams/t1", "/", "/teams/t1/trends"} {
			copy := f.browser()
			copy.base = base
			copy.client.Jar.SetCookies(mustURL(t, base), cookies)
			if p := copy.get(path); p.code != http.StatusUnauthorized || !strings.Contains(p.body, "Signed out") {
				t.Errorf("the copied cookie on %s after sign-out, %s: %d, want 401 Signed out", name, path, p.code)
			}
			// The refusal clears the copy too: its next page asks to sign in.
			if p := copy.get(path); p.code != http.StatusSeeOther || !strings.HasPrefix(p.location, "/signin") {
				t.Errorf("the copied cookie on %s, %s again: %d to %q", name, path, p.code, p.location)
			}
		}
	}
	// Only that session ended: the key signs in again.
	again := f.browser()
	again.signIn(coach)
	if p := again.get("/teams/t1"); p.code != http.StatusOK {
		t.Errorf("signing in again after sign-out: %d", p.code)
	}
}

// TestSignOutWithoutAuthServiceKeepsTheSession: when the revocation cannot be recorded the
// person stays signed in and is told to try again, rather than shown a sign-out that would leave
// every copy of the cookie working.
func TestSignOutWithoutAuthServiceKeepsTheSession(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(4, f.now))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	board := b.get("/teams/t1")
	if board.code != http.StatusOK {
		t.Fatalf("board: %d", board.code)
	}
	f.nats.Shutdown() // the auth service's bucket is gone: RevokeToken cannot be recorded
	p := b.post("/signout", url.Values{"csrf": {formToken(t, board)}})
	if p.code != http.StatusServiceUnavailable || !strings.Contains(p.body, "Not signed out yet") {
		t.Errorf("sign out without the auth service: %d\n%s", p.code, p.body)
	}
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, sessionCookie+"=;") || strings.Contains(c, "Max-Age=0") && strings.HasPrefix(c, sessionCookie+"=") {
			t.Errorf("the session cookie was cleared although the sign-out was not recorded: %s", c)
		}
	}
	if len(b.client.Jar.Cookies(mustURL(t, f.console.URL))) == 0 {
		t.Error("the browser lost its session cookie")
	}
}

// TestUnitFollowsThePerson: kg or lb is kept per signed-in principal by the auth service, so a
// second browser of the same key (a coach's phone), already signed in, shows the choice on its
// next page; another person keeps kg; a page's ?unit= still overrides it.
func TestUnitFollowsThePerson(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(4, f.now))
	coach := f.key(commonv1.Role_ROLE_COACH, "t1", 0)
	laptop, phone, colleague := f.browser(), f.browser(), f.browser()
	laptop.signIn(coach)
	phone.signIn(coach)
	colleague.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	const lbSelected, kgSelected = `<option value="lb" selected>`, `<option value="kg" selected>`
	if p := phone.get("/teams/t1/trends"); !strings.Contains(p.body, kgSelected) || !strings.Contains(p.body, "Volume-load (kg)") {
		t.Fatalf("the phone's trends before any choice are not in kg (%d)", p.code)
	}
	page := laptop.get("/teams/t1")
	if p := laptop.post("/preferences/unit", url.Values{"csrf": {formToken(t, page)}, "unit": {"lb"}, "next": {"/teams/t1"}}); p.code != http.StatusSeeOther {
		t.Fatalf("choose lb: %d", p.code)
	}
	if p := phone.get("/teams/t1/trends"); !strings.Contains(p.body, lbSelected) || !strings.Contains(p.body, "Volume-load (lb)") {
		t.Errorf("the phone's next page after lb was chosen on the laptop is not in lb (%d)", p.code)
	}
	if p := colleague.get("/teams/t1/trends"); !strings.Contains(p.body, kgSelected) || strings.Contains(p.body, "Volume-load (lb)") {
		t.Errorf("another coach's page changed unit with this coach's choice (%d)", p.code)
	}
	// A new sign-in of the same key (the cookie jar emptied) finds the choice too.
	fresh := f.browser()
	fresh.signIn(coach)
	if p := fresh.get("/teams/t1"); !strings.Contains(p.body, lbSelected) {
		t.Errorf("a fresh sign-in of the same key is not in lb (%d)", p.code)
	}
}
