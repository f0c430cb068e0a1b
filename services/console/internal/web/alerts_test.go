package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

func cannedAlert(id, athlete, title string, state commonv1.AlertState, raised time.Time) *notificationsv1.Alert {
	return &notificationsv1.Alert{AlertId: id, TeamId: "t1", AthleteId: athlete, State: state, Occurrences: 1, RaisedAt: timestamppb.New(raised),
		Content: &eventsv1.AlertContent{Kind: commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED, Severity: commonv1.Severity_SEVERITY_WARNING,
			Title: title, Summary: "Strength declining for 3 weeks."}}
}

func TestAlertsAcknowledgeAndResolve(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(10, f.now))
	f.alerts.alerts = []*notificationsv1.Alert{
		cannedAlert("al1", "a05", "Deload recommended for a05 (score 78)", commonv1.AlertState_ALERT_STATE_OPEN, f.now.Add(-3*time.Hour)),
		cannedAlert("al2", "a10", "Deload recommended for a10 (score 71)", commonv1.AlertState_ALERT_STATE_ACKNOWLEDGED, f.now.Add(-26*time.Hour)),
		cannedAlert("al3", "a03", "Old alert", commonv1.AlertState_ALERT_STATE_RESOLVED, f.now.Add(-200*time.Hour)),
	}
	// The athletes' profiles say Europe/Oslo; the page dates in the team's zone.
	f.team("t1", "Asia/Tokyo")
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))

	list := b.get("/teams/t1/alerts")
	if strings.Contains(list.body, "CET") {
		t.Error("alert list dates in the athlete's zone, not the team's")
	}
	for _, want := range []string{"Deload recommended for a05", "Athlete 5", "warning", "3 hours ago", "JST",
		`action="/teams/t1/alerts/al1/acknowledge"`, `action="/teams/t1/alerts/al2/resolve"`} {
		if !strings.Contains(list.body, want) {
			t.Errorf("alert list lacks %q", want)
		}
	}
	if strings.Contains(list.body, "Old alert") || strings.Contains(list.body, "/alerts/al2/acknowledge") {
		t.Error("the active list shows a resolved alert, or offers to acknowledge an acknowledged one")
	}

	p := b.post("/teams/t1/alerts/al1/acknowledge", url.Values{"csrf": {formToken(t, list)}, "show": {"active"}})
	if p.code != http.StatusSeeOther || p.location != "/teams/t1/alerts?show=active" {
		t.Fatalf("acknowledge: %d to %q\n%s", p.code, p.location, p.body)
	}
	after := b.get(p.location)
	if !strings.Contains(after.body, "acknowledged. It is now acknowledged") || strings.Contains(after.body, "/alerts/al1/acknowledge") {
		t.Errorf("after acknowledging, the list does not say so or still offers it")
	}
	p = b.post("/teams/t1/alerts/al2/resolve", url.Values{"csrf": {formToken(t, list)}, "show": {"all"}})
	if p.code != http.StatusSeeOther || p.location != "/teams/t1/alerts?show=all" {
		t.Fatalf("resolve: %d to %q", p.code, p.location)
	}
	if all := b.get(p.location); !strings.Contains(all.body, "Old alert") || !strings.Contains(all.body, `data-state="resolved"`) {
		t.Error("the list of all alerts lacks the resolved ones")
	}

	other := f.browser()
	other.signIn(f.key(commonv1.Role_ROLE_COACH, "t2", 0))
	otherPage := other.get("/teams/t2")
	if p := other.post("/teams/t1/alerts/al1/resolve", url.Values{"csrf": {formToken(t, otherPage)}}); p.code != http.StatusForbidden {
		t.Errorf("coach of t2 resolving t1's alert: %d", p.code)
	}
}

func TestSubscriptionsFieldProblemsSecretOnceAndTest(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(3, f.now))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	page := b.get("/teams/t1/subscriptions")
	token := formToken(t, page)

	// A webhook to an internal address: the service's field violation under the webhook field.
	p := b.post("/teams/t1/subscriptions", url.Values{"csrf": {token}, "name": {"Head coach"}, "webhook": {"http://127.0.0.1:9/hook"}})
	if p.code != http.StatusUnprocessableEntity {
		t.Fatalf("internal webhook: %d\n%s", p.code, p.body)
	}
	i := strings.Index(p.body, `id="webhook-problem"`)
	if i < 0 || !strings.Contains(p.body[i:i+300], "loopback or private address") {
		t.Errorf("the refusal is not shown under the webhook field")
	}
	if !strings.Contains(p.body, `value="http://127.0.0.1:9/hook"`) || !strings.Contains(p.body, `aria-invalid="true" aria-describedby="webhook-problem`) {
		t.Error("the refused URL is not kept, or the field does not point at its problem")
	}
	// Problems found before any call: no channel, quiet hours not a time.
	p = b.post("/teams/t1/subscriptions", url.Values{"csrf": {token}, "name": {"Nobody"}, "quiet_start": {"late"}, "quiet_end": {"07:00"}})
	if p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Enter at least one of") || !strings.Contains(p.body, "Enter the start as HH:MM") {
		t.Errorf("empty subscription: %d", p.code)
	}

	p = b.post("/teams/t1/subscriptions", url.Values{"csrf": {token}, "name": {"Head coach"}, "webhook": {"https://hooks.example.com/sc"},
		"emails": {"kim@club.org"}, "min_severity": {"warning"}, "quiet_start": {"22:00"}, "quiet_end": {"07:00"}, "quiet_tz": {"Europe/Oslo"}, "quiet_bypass": {"critical"}})
	if p.code != http.StatusSeeOther || p.location != "/teams/t1/subscriptions" {
		t.Fatalf("create: %d to %q\n%s", p.code, p.location, p.body)
	}
	created := b.get(p.location)
	for _, want := range []string{"whsec_canned_secret_0123456789", "shown only now", "Webhook https://hooks.example.com/sc", "Email kim@club.org",
		"Warning and above", "22:00 to 07:00 Europe/Oslo, critical and above still delivered"} {
		if !strings.Contains(created.body, want) {
			t.Errorf("after creating, the page lacks %q", want)
		}
	}
	if again := b.get("/teams/t1/subscriptions"); strings.Contains(again.body, "whsec_") {
		t.Error("the signing secret is shown a second time")
	}
	sub := f.alerts.subs["sub1"]
	if q := sub.GetQuietHours(); q.GetStartMinute() != 22*60 || q.GetEndMinute() != 7*60 || sub.GetMinSeverity() != commonv1.Severity_SEVERITY_WARNING {
		t.Errorf("stored subscription %v", sub)
	}

	p = b.post("/teams/t1/subscriptions/sub1/test", url.Values{"csrf": {token}, "name": {"Head coach"}})
	tested := b.get(p.location)
	for _, want := range []string{"not every channel delivered", "webhook https://hooks.example.com/…: delivered (status 200, 12 ms)",
		"email k***@club.org: failed: no SMTP relay configured"} {
		if !strings.Contains(tested.body, want) {
			t.Errorf("test outcome lacks %q", want)
		}
	}

	// Edit: a stale revision is a conflict, explained; the current one saves.
	edit := b.get("/teams/t1/subscriptions/sub1")
	if !strings.Contains(edit.body, `name="revision" value="1"`) || !strings.Contains(edit.body, `value="22:00"`) || strings.Contains(edit.body, "whsec_") {
		t.Fatalf("edit form:\n%s", edit.body)
	}
	form := url.Values{"csrf": {token}, "name": {"Head coach phone"}, "webhook": {"https://hooks.example.com/sc"}, "revision": {"0"}}
	if p := b.post("/teams/t1/subscriptions/sub1", form); p.code != http.StatusSeeOther || p.location != "/teams/t1/subscriptions/sub1" ||
		!strings.Contains(b.get(p.location).body, "Nothing was saved") {
		t.Errorf("stale edit: %d to %q", p.code, p.location)
	}
	form.Set("revision", "1")
	form.Set("webhook", "http://10.0.0.8/hook")
	if p := b.post("/teams/t1/subscriptions/sub1", form); p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="webhook-sub1-problem"`) {
		t.Errorf("edit to an internal webhook: %d", p.code)
	}
	form.Set("webhook", "https://hooks.example.com/sc2")
	if p := b.post("/teams/t1/subscriptions/sub1", form); p.code != http.StatusSeeOther || !strings.Contains(b.get(p.location).body, "Head coach phone&#34; saved") {
		t.Errorf("edit: %d", p.code)
	}

	if p := b.post("/teams/t1/subscriptions/sub1/delete", url.Values{"csrf": {token}, "name": {"Head coach phone"}}); p.code != http.StatusSeeOther {
		t.Errorf("remove: %d", p.code)
	}
	if list := b.get("/teams/t1/subscriptions"); !strings.Contains(list.body, "removed") || strings.Contains(list.body, "Webhook https") {
		t.Error("the removed subscription is still listed")
	}
}
