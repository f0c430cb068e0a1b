package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

var newCheckinLink = regexp.MustCompile(`<code class="secret" id="checkin-link">([^<]+)</code>`)

// TestCoachHandsOutAndRevokesACheckinLink: a coach creates an athlete's link on the console,
// sees it once with its QR code, the link signs the athlete's phone in to the check-in, and
// revoking it on the same page stops it. Staff see the page without acting; another team's
// coach is refused.
func TestCoachHandsOutAndRevokesACheckinLink(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(4, f.now))
	coach := f.browser()
	coach.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))

	page := coach.get("/teams/t1/athletes/a01/checkin-link")
	if page.code != http.StatusOK || !strings.Contains(page.body, "Check-in link for Athlete 1") || !strings.Contains(page.body, "No link yet.") {
		t.Fatalf("check-in link page: %d\n%s", page.code, page.body)
	}
	created := coach.post("/teams/t1/athletes/a01/checkin-link", url.Values{"csrf": {formToken(t, page)}, "name": {"Athlete 1, new phone"}})
	if created.code != http.StatusSeeOther || created.location != "/teams/t1/athletes/a01/checkin-link" {
		t.Fatalf("create link: %d to %q\n%s", created.code, created.location, created.body)
	}
	shown := coach.get(created.location)
	m := newCheckinLink.FindStringSubmatch(shown.body)
	if m == nil {
		t.Fatalf("the new link is not shown:\n%s", shown.body)
	}
	link, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil || link.Path != "/checkin/link" || link.Query().Get("key") == "" || link.Host != strings.TrimPrefix(f.console.URL, "http://") {
		t.Fatalf("link %q: want this console's /checkin/link with a key", m[1])
	}
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, `aria-label="QR code of the check-in link"`, `<path fill="#000" d="M`,
		"Athlete 1, new phone", "Revoke "} {
		if !strings.Contains(shown.body, want) {
			t.Errorf("page after creating a link lacks %q", want)
		}
	}
	if again := coach.get(created.location); newCheckinLink.MatchString(again.body) || strings.Contains(again.body, "<svg") {
		t.Error("the link is shown again on reload")
	}

	// The link is the athlete's: it opens the check-in on a phone.
	phone, checkin := f.openCheckin(link.Query().Get("key"))
	if checkin.code != http.StatusOK || !strings.Contains(checkin.body, "Morning questionnaire") {
		t.Fatalf("the link does not open the check-in: %d", checkin.code)
	}

	// Staff see the page but no links or forms; another team's coach is refused.
	staff := f.browser()
	staff.signIn(f.key(commonv1.Role_ROLE_STAFF, "t1", 0))
	if p := staff.get("/teams/t1/athletes/a01/checkin-link"); p.code != http.StatusOK || strings.Contains(p.body, "Revoke ") ||
		!strings.Contains(p.body, "Coaches and admins create and revoke") {
		t.Errorf("staff view: %d", p.code)
	}
	other := f.browser()
	other.signIn(f.key(commonv1.Role_ROLE_COACH, "t2", 0))
	if p := other.get("/teams/t1/athletes/a01/checkin-link"); p.code != http.StatusForbidden {
		t.Errorf("coach of t2: %d, want 403", p.code)
	}

	// Revoking stops the phone at once.
	list := coach.get(created.location)
	revoke := regexp.MustCompile(`action="(/teams/t1/athletes/a01/checkin-link/[^"/]+/revoke)"`).FindStringSubmatch(list.body)
	if revoke == nil {
		t.Fatalf("no revoke form:\n%s", list.body)
	}
	if p := coach.post(revoke[1], url.Values{"csrf": {formToken(t, list)}}); p.code != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", p.code, p.body)
	}
	if after := coach.get(created.location); !strings.Contains(after.body, "revoked: it and every phone signed in with it stop working now") ||
		!strings.Contains(after.body, "No link yet.") {
		t.Errorf("after revoking the page says:\n%s", after.body)
	}
	if res := phone.get("/checkin"); res.code != http.StatusUnauthorized {
		t.Errorf("the phone after revoking: %d, want 401", res.code)
	}
}
