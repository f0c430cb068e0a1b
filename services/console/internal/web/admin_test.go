package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

var newKeySecret = regexp.MustCompile(`<code class="secret" id="new-key">([^<]+)</code>`)

func TestAdminOnlyForAdmins(t *testing.T) {
	f := newFixture(t, Options{})
	for _, role := range []commonv1.Role{commonv1.Role_ROLE_COACH, commonv1.Role_ROLE_STAFF} {
		b := f.browser()
		b.signIn(f.key(role, "t1", 0))
		if p := b.get("/admin"); p.code != http.StatusForbidden || !strings.Contains(p.body, "Only admins") {
			t.Errorf("%s opens /admin: %d", role, p.code)
		}
		if p := b.get("/admin/keys/x/revoke"); p.code != http.StatusForbidden {
			t.Errorf("%s opens a revocation: %d", role, p.code)
		}
		if strings.Contains(b.get("/teams/t1").body, `href="/admin"`) {
			t.Errorf("%s sees the Admin link", role)
		}
	}
	// A coach's form with a valid token of their own still changes nothing.
	coach := f.browser()
	coach.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	token := formToken(t, coach.get("/teams/t1"))
	if p := coach.post("/admin/keys", url.Values{"csrf": {token}, "key_name": {"mine"}, "role": {"admin"}}); p.code != http.StatusForbidden {
		t.Errorf("a coach creating an admin key: %d", p.code)
	}
	if p := f.browser().get("/admin"); p.code != http.StatusSeeOther || !strings.HasPrefix(p.location, "/signin") {
		t.Errorf("signed out /admin: %d to %q", p.code, p.location)
	}
}

func TestAdminCreatesAKeyShownOnceAndRevokesIt(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(4, f.now))
	admin := f.browser()
	admin.signIn(adminKey)
	page := admin.get("/admin")
	if page.code != http.StatusOK || !strings.Contains(page.body, `class="admin-link" href="/admin"`) {
		t.Fatalf("admin page: %d", page.code)
	}
	token := formToken(t, page)

	// A team first, so the key form offers it.
	p := admin.post("/admin/teams", url.Values{"csrf": {token}, "team_id": {"t1"}, "team_name": {"First team"}})
	if p.code != http.StatusSeeOther || p.location != "/admin" {
		t.Fatalf("create team: %d to %q\n%s", p.code, p.location, p.body)
	}
	page = admin.get("/admin")
	for _, want := range []string{"Team t1 (First team, time zone UTC) created", `<a href="/teams/t1">t1</a>`, `<option value="t1">t1 (First team)</option>`,
		`id="team_zone-t1" name="team_zone" value="UTC"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("after creating a team the page lacks %q", want)
		}
	}

	// The team's time zone: a name that is not an IANA zone is refused under the team's field.
	p = admin.post("/admin/teams/t1/zone", url.Values{"csrf": {token}, "team_zone": {"Europe/Londn"}})
	if p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="team_zone-t1-problem"`) ||
		!strings.Contains(p.body, "is not an IANA time zone name") || !strings.Contains(p.body, `value="Europe/Londn"`) {
		t.Errorf("a misspelt zone: %d\n%s", p.code, p.body)
	}
	p = admin.post("/admin/teams/t1/zone", url.Values{"csrf": {token}, "team_zone": {"Europe/London"}})
	if p.code != http.StatusSeeOther {
		t.Fatalf("set zone: %d\n%s", p.code, p.body)
	}
	page = admin.get("/admin")
	if !strings.Contains(page.body, "Team t1 now counts its days in Europe/London.") || !strings.Contains(page.body, `value="Europe/London"`) {
		t.Error("the admin page does not show the new zone")
	}

	p = admin.post("/admin/keys", url.Values{"csrf": {token}, "key_name": {"Ana (S&C)"}, "role": {"coach"}, "key_team": {"t1"}, "valid_days": {"30"}})
	if p.code != http.StatusSeeOther || p.location != "/admin" {
		t.Fatalf("create key: %d to %q\n%s", p.code, p.location, p.body)
	}
	shown := admin.get("/admin")
	m := newKeySecret.FindStringSubmatch(shown.body)
	if m == nil {
		t.Fatalf("the new key is not on the page after creating it:\n%s", shown.body)
	}
	secret := m[1]
	if strings.Contains(p.location, secret) || strings.Contains(p.header.Get("Set-Cookie"), secret) {
		t.Error("the new key travels in the redirect")
	}
	if again := admin.get("/admin"); strings.Contains(again.body, secret) || strings.Contains(again.body, `id="new-key"`) {
		t.Error("the new key is shown a second time")
	}
	if all := admin.get("/admin?keys=all"); strings.Contains(all.body, secret) {
		t.Error("the key list shows a secret")
	}

	// The key works: its owner signs in and opens the team.
	ana := f.browser()
	if p := ana.signIn(secret); p.code != http.StatusSeeOther {
		t.Fatalf("signing in with the new key: %d", p.code)
	}
	if p := ana.get("/teams/t1"); p.code != http.StatusOK || !strings.Contains(p.body, "Ana (S&amp;C)") {
		t.Fatalf("the new key's board: %d", p.code)
	}

	// Revoke it: a confirmation page first, then the form.
	id := regexp.MustCompile(`Key id (\S+)\.`).FindStringSubmatch(shown.body)[1]
	confirm := admin.get("/admin/keys/" + id + "/revoke")
	if confirm.code != http.StatusOK || !strings.Contains(confirm.body, "Revoke this key?") || !strings.Contains(confirm.body, `id="confirm-revoke"`) {
		t.Fatalf("confirmation: %d\n%s", confirm.code, confirm.body)
	}
	if p := admin.post("/admin/keys/"+id+"/revoke", url.Values{"reason": {"left the club"}}); p.code != http.StatusForbidden {
		t.Errorf("a revocation without the form token: %d", p.code)
	}
	p = admin.post("/admin/keys/"+id+"/revoke", url.Values{"csrf": {formToken(t, confirm)}, "reason": {"left the club"}})
	if p.code != http.StatusSeeOther || p.location != "/admin" {
		t.Fatalf("revoke: %d to %q\n%s", p.code, p.location, p.body)
	}
	if after := admin.get("/admin"); !strings.Contains(after.body, "revoked. Everything signed in with it stops working") || strings.Contains(after.body, `id="key-`+id+`"`) {
		t.Error("after revoking, the page does not say so or still lists the key as active")
	}
	if all := admin.get("/admin?keys=all"); !strings.Contains(all.body, `id="key-`+id+`" data-state="inactive"`) {
		t.Error("the revoked key is not listed as inactive with all keys")
	}
	if p := ana.get("/teams/t1"); p.code != http.StatusUnauthorized {
		t.Errorf("the revoked key's session still opens the board: %d", p.code)
	}
}

func TestAdminFieldProblemsNextToFields(t *testing.T) {
	f := newFixture(t, Options{})
	admin := f.browser()
	admin.signIn(adminKey)
	token := formToken(t, admin.get("/admin"))

	p := admin.post("/admin/teams", url.Values{"csrf": {token}, "team_id": {"_bad id"}, "team_name": {""}, "team_zone": {"Moon/Base"}})
	if p.code != http.StatusUnprocessableEntity {
		t.Fatalf("an invalid team: %d", p.code)
	}
	for _, want := range []string{`id="team_id-problem"`, "is not a team id", `id="team_name-problem"`, "is required", `value="_bad id"`,
		`id="team_zone-problem"`, `&#34;Moon/Base&#34; is not an IANA time zone name`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the refused team form lacks %q", want)
		}
	}

	// The service refuses an athlete key without its athlete: said under the athletes field.
	p = admin.post("/admin/keys", url.Values{"csrf": {token}, "key_name": {"Player 7"}, "role": {"athlete"}, "key_team": {"t1"}})
	if p.code != http.StatusUnprocessableEntity {
		t.Fatalf("an athlete key without athletes: %d", p.code)
	}
	if !regexp.MustCompile(`id="athletes"[^>]*aria-invalid="true"`).MatchString(p.body) ||
		!strings.Contains(p.body, `<p class="field-problem" id="athletes-problem">an athlete key must list its athlete</p>`) {
		t.Errorf("the athletes field does not carry the service's refusal:\n%s", p.body)
	}
	if !strings.Contains(p.body, `<option value="athlete" selected>`) || !strings.Contains(p.body, `value="Player 7"`) {
		t.Error("the refused key form lost what was typed")
	}
	p = admin.post("/admin/keys", url.Values{"csrf": {token}, "key_name": {""}, "role": {"coach"}, "key_team": {""}, "valid_days": {"forever"}})
	for _, want := range []string{`id="valid_days-problem"`} {
		if p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, want) {
			t.Errorf("an invalid validity: %d, lacks %q", p.code, want)
		}
	}
	p = admin.post("/admin/keys", url.Values{"csrf": {token}, "key_name": {""}, "role": {"coach"}, "key_team": {""}})
	for _, want := range []string{`id="key_name-problem"`, `id="key_team-problem"`, "are required for every role but admin"} {
		if p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, want) {
			t.Errorf("a coach key without name or team: %d, lacks %q", p.code, want)
		}
	}
}
