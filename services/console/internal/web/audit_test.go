package web

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/audit"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// cannedAuditLog is the audit trail AuthService answers from: a canned page, and the queries
// it was asked.
type cannedAuditLog struct {
	mu    sync.Mutex
	page  audit.Page
	err   error
	asked []audit.Query
}

func (l *cannedAuditLog) List(_ context.Context, q audit.Query) (audit.Page, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, q)
	return l.page, l.err
}

func (l *cannedAuditLog) answer(page audit.Page, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.page, l.err, l.asked = page, err, nil
}

func (l *cannedAuditLog) queries() []audit.Query {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.asked)
}

var auditRows = regexp.MustCompile(`<tr id="audit-([^"]+)" data-action="([^"]+)">`)

func TestAdminShowsTheAuditLog(t *testing.T) {
	f := newFixture(t, Options{})
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	long := `{"team_id":"t1","deload_id":"d1","decision":"DECISION_APPROVE","note":"` + strings.Repeat("x", 200) + `"}`
	f.audit.answer(audit.Page{NextPageToken: "older-than-e1", Entries: []audit.Entry{
		{EventID: "e3", TeamID: "t1", ActorSubject: "coach-key", ActorRole: "coach", Action: "deload.decide", ResourceType: "deload",
			ResourceID: "d1", Detail: long, OccurredAt: at},
		{EventID: "e2", TeamID: "t1", ActorSubject: "programming", Action: "deload.schedule", ResourceType: "deload", ResourceID: "d1",
			Detail: "planned week", OccurredAt: at.Add(-time.Hour)},
		{EventID: "e1", TeamID: "t1", ActorSubject: "admin-key", ActorRole: "admin", Action: "apikey.revoke", ResourceType: "api_key",
			ResourceID: "k1", Detail: "reason: left the club", OccurredAt: at.Add(-2 * time.Hour)},
	}}, nil)
	admin := f.browser()
	admin.signIn(adminKey)

	page := admin.get("/admin")
	if page.code != http.StatusOK {
		t.Fatalf("admin page: %d", page.code)
	}
	if strings.Contains(page.body, "Not in the console yet") {
		t.Error("the page still says there is no audit API")
	}
	var order []string
	for _, m := range auditRows.FindAllStringSubmatch(page.body, -1) {
		order = append(order, m[1]+" "+m[2])
	}
	if want := []string{"e3 deload.decide", "e2 deload.schedule", "e1 apikey.revoke"}; !slices.Equal(order, want) {
		t.Errorf("audit rows %v, want %v (newest first)", order, want)
	}
	body := html.UnescapeString(page.body)
	for _, want := range []string{
		"2026-03-02 09:30:00 UTC", "reason: left the club",
		`<a href="/admin?audit_actor=coach-key#audit">coach-key</a> <span class="sub">coach</span>`,
		`<a href="/admin?audit_resource=k1#audit">api_key k1</a>`,
		`<a href="/admin?audit_action=apikey.revoke#audit">apikey.revoke</a>`,
		`<details><summary>{"team_id":"t1"`, // a long detail is folded, whole inside
		`id="audit-older" rel="next"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
	if strings.Contains(body, `id="audit-newest"`) {
		t.Error("the first page links to the newest records")
	}
	if q := f.audit.queries(); len(q) != 1 || !sameQuery(q[0], audit.Query{PageSize: auditPageSize}) {
		t.Errorf("the first page asked %+v, want every team, a page of %d", q, auditPageSize)
	}

	// The filters are a GET form: the page asks for them, keeps them, and the older page
	// carries them on with the token.
	f.audit.answer(audit.Page{NextPageToken: "tok-2", Entries: []audit.Entry{{EventID: "e9", TeamID: "t1", Action: "apikey.create", OccurredAt: at}}}, nil)
	filters := url.Values{"audit_team": {"t1"}, "audit_action": {"apikey.create, apikey.revoke"}, "audit_actor": {"admin-key"},
		"audit_resource": {"k1"}, "audit_since": {"2026-03-01"}, "audit_until": {"2026-03-02"}, "keys": {"all"}}
	page = admin.get("/admin?" + filters.Encode())
	want := audit.Query{Team: "t1", Actions: []string{"apikey.create", "apikey.revoke"}, Actor: "admin-key", Resource: "k1",
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), PageSize: auditPageSize}
	if q := f.audit.queries(); len(q) != 1 || !sameQuery(q[0], want) {
		t.Errorf("the filtered page asked %+v, want %+v", q, want)
	}
	for _, want := range []string{`value="2026-03-01"`, `value="admin-key"`, `<option value="_platform">`, `name="keys" value="all"`, "Clear the filters"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the filtered page lacks %q", want)
		}
	}
	older := regexp.MustCompile(`<a href="([^"]+)" id="audit-older"`).FindStringSubmatch(page.body)
	if older == nil {
		t.Fatalf("no link to older records:\n%s", page.body)
	}
	next := admin.get(html.UnescapeString(older[1]))
	want.PageToken = "tok-2"
	if q := f.audit.queries(); len(q) != 2 || !sameQuery(q[1], want) {
		t.Errorf("the older page asked %+v, want %+v", q, want)
	}
	if !strings.Contains(next.body, `id="audit-newest"`) || !strings.Contains(next.body, "Active keys only") {
		t.Error("the older page has no link back to the newest records, or lost ?keys=all")
	}

	// A day that is not one is said under its field and nothing is asked.
	f.audit.answer(audit.Page{}, nil)
	page = admin.get("/admin?audit_since=yesterday")
	if !strings.Contains(page.body, `id="audit_since-problem"`) || len(f.audit.queries()) != 0 {
		t.Errorf("a bad day: problem shown %v, queries %v", strings.Contains(page.body, `id="audit_since-problem"`), f.audit.queries())
	}
	// A stale page link and a trail that cannot be read leave the rest of the page working.
	f.audit.answer(audit.Page{}, audit.ErrBadPageToken)
	if page = admin.get("/admin?audit_page=forged"); page.code != http.StatusOK || !strings.Contains(page.body, "That page of the audit log no longer exists") {
		t.Errorf("a stale page token: %d", page.code)
	}
	f.audit.answer(audit.Page{}, errors.New("clickhouse is down"))
	if page = admin.get("/admin"); page.code != http.StatusOK || !strings.Contains(page.body, `id="audit-problem"`) || !strings.Contains(page.body, `id="key-list"`) {
		t.Errorf("an unreadable trail: %d, problem shown %v", page.code, strings.Contains(page.body, `id="audit-problem"`))
	}
	f.audit.answer(audit.Page{}, nil)
	if page = admin.get("/admin?audit_team=t1"); !strings.Contains(page.body, "No records match these filters.") {
		t.Error("an empty filtered trail does not say so")
	}

	// A coach has no admin page, and with it no audit log.
	coach := f.browser()
	coach.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	if p := coach.get("/admin?audit_team=t1"); p.code != http.StatusForbidden {
		t.Errorf("a coach opens the audit log: %d", p.code)
	}
}

func sameQuery(a, b audit.Query) bool {
	return a.Team == b.Team && a.Actor == b.Actor && a.Resource == b.Resource && slices.Equal(a.Actions, b.Actions) &&
		a.Since.Equal(b.Since) && a.Until.Equal(b.Until) && a.PageSize == b.PageSize && a.PageToken == b.PageToken
}

// A record reads in its own team's time zone, with the zone named; platform-wide ones in UTC.
func TestAuditRecordsInTheirTeamsZone(t *testing.T) {
	f := newFixture(t, Options{})
	f.team("t2", "America/New_York")
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	f.audit.answer(audit.Page{Entries: []audit.Entry{
		{EventID: "e2", TeamID: "t2", ActorSubject: "coach-key", Action: "deload.decide", OccurredAt: at},
		{EventID: "e1", TeamID: "_platform", ActorSubject: "admin-key", Action: "apikey.create", OccurredAt: at},
	}}, nil)
	admin := f.browser()
	admin.signIn(adminKey)
	body := html.UnescapeString(admin.get("/admin").body)
	for _, want := range []string{"2026-03-02 04:30:00 EST", "2026-03-02 09:30:00 UTC"} {
		if !strings.Contains(body, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
}
