package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func pendingDeload(id, athlete string, revision uint64) *programmingv1.Deload {
	value, threshold := -3.1, -2.5
	return &programmingv1.Deload{DeloadId: id, TeamId: "t1", AthleteId: athlete, Kind: commonv1.DeloadKind_DELOAD_KIND_REACTIVE,
		Status: commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL, WeekStart: &commonv1.Date{Year: 2026, Month: 3, Day: 16},
		Reason: "reactive: strength declining, harder at familiar loads (score 78)", RequiresApproval: true, Revision: revision,
		Parameters: &eventsv1.DeloadParameters{LoadPercent: 60, SetsFactor: 0.5, MinSets: 1, RepsFactor: 0.67, RpeCap: 7, DurationDays: 7},
		Evidence: []*eventsv1.Evidence{
			{Family: commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP, Metric: "sleep_z", Detail: "Sleep quality within the usual band"},
			{Family: commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE, Metric: "e1rm_change_pct", Value: &value, Threshold: &threshold, Unit: "%", Abnormal: true,
				Detail: "Squat e1RM 142.5 kg is 3.1% below the previous 3 weeks (150.0 kg)"},
		}}
}

// decide posts a decision form as the page at from shows it.
func (b *browser) decide(from response, path string, fields url.Values) response {
	b.t.Helper()
	fields.Set("csrf", formToken(b.t, from))
	return b.post(path, fields)
}

func TestDeloadInboxApproveThenConflict(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(10, f.now))
	f.decisions.put(pendingDeload("d5", "a05", 3))
	coach := f.key(commonv1.Role_ROLE_COACH, "t1", 0)

	ana, ben := f.browser(), f.browser()
	ana.signIn(coach)
	ben.signIn(coach)
	if board := ana.get("/teams/t1"); !strings.Contains(board.body, `href="/teams/t1/deloads"`) {
		t.Error("the board has no link to the deload inbox")
	}
	inbox := ana.get("/teams/t1/deloads")
	if inbox.code != http.StatusOK {
		t.Fatalf("inbox: %d\n%s", inbox.code, inbox.body)
	}
	for _, want := range []string{"Athlete 5", "Squat e1RM 142.5 kg is 3.1% below", "load 60% of normal", `name="revision" value="3"`,
		`aria-current="page">Deload inbox`, "Waiting for your decision (1)"} {
		if !strings.Contains(inbox.body, want) {
			t.Errorf("inbox lacks %q", want)
		}
	}
	if i, j := strings.Index(inbox.body, "Squat e1RM"), strings.Index(inbox.body, "Sleep quality"); i > j {
		t.Error("abnormal evidence is not listed first")
	}
	benInbox := ben.get("/teams/t1/deloads")

	// Ana approves; she lands on the deload's page with the reduced week.
	p := ana.decide(inbox, "/teams/t1/deloads/d5", url.Values{"decision": {"approve"}, "revision": {"3"}, "return": {"inbox"}})
	if p.code != http.StatusSeeOther || p.location != "/teams/t1/deloads/d5" {
		t.Fatalf("approve: %d to %q\n%s", p.code, p.location, p.body)
	}
	page := ana.get(p.location)
	for _, want := range []string{"Athlete 5: deload approved (scheduled, week of 2026-03-16)", "Deload week for Athlete 5",
		"84.0 kg", "5 × 5 at 140.0 kg", "RPE ≤ 7", "approved by"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("deload page after approval lacks %q", want)
		}
	}
	if again := ana.get(p.location); strings.Contains(again.body, "deload approved") {
		t.Error("the notice shows again on reload")
	}
	// Ana prefers pounds: the header's form on any page changes every load shown after it.
	if !strings.Contains(page.body, `<form class="units" method="post" action="/preferences/unit">`) {
		t.Error("the page has no kg/lb choice in its header")
	}
	back := ana.post("/preferences/unit", url.Values{"csrf": {formToken(t, page)}, "unit": {"lb"}, "next": {p.location}})
	if back.code != http.StatusSeeOther || back.location != p.location {
		t.Fatalf("unit preference: %d to %q", back.code, back.location)
	}
	inLb := ana.get(p.location)
	for _, want := range []string{"185.2 lb", "5 × 5 at 308.6 lb", `<option value="lb" selected>`} {
		if !strings.Contains(inLb.body, want) {
			t.Errorf("deload page in pounds lacks %q", want)
		}
	}
	if strings.Contains(inLb.body, "140.0 kg") {
		t.Error("a load is still in kg after choosing lb")
	}
	if bad := ana.post("/preferences/unit", url.Values{"csrf": {formToken(t, page)}, "unit": {"stone"}}); bad.code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown unit: %d", bad.code)
	}
	if d := f.decisions.get("d5"); d.GetDecisions()[0].GetDecided().GetDecidedBy().GetSubject() == "" {
		t.Error("the decision does not say who decided")
	}

	// Ben, on the page he opened before, dismisses: a conflict, explained, nothing changed.
	p = ben.decide(benInbox, "/teams/t1/deloads/d5", url.Values{"decision": {"dismiss"}, "revision": {"3"}, "reason": {"travelling"}, "return": {"inbox"}})
	if p.code != http.StatusSeeOther || p.location != "/teams/t1/deloads/d5" {
		t.Fatalf("stale dismiss: %d to %q\n%s", p.code, p.location, p.body)
	}
	conflict := ben.get(p.location)
	for _, want := range []string{"Nothing was changed", "It is now scheduled", "approved by"} {
		if !strings.Contains(conflict.body, want) {
			t.Errorf("conflict page lacks %q\n%s", want, conflict.body)
		}
	}
	if st := f.decisions.get("d5").GetStatus(); st != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED {
		t.Errorf("after the stale dismiss the deload is %s, want still scheduled", st)
	}

	// Without the form token nothing is decided.
	if p := ben.post("/teams/t1/deloads/d5", url.Values{"decision": {"dismiss"}, "revision": {"4"}, "reason": {"x"}}); p.code != http.StatusForbidden {
		t.Errorf("decision without the form token: %d", p.code)
	}
	// A coach of another team cannot even open it.
	other := f.browser()
	other.signIn(f.key(commonv1.Role_ROLE_COACH, "t2", 0))
	if p := other.get("/teams/t1/deloads"); p.code != http.StatusForbidden {
		t.Errorf("coach of t2 opening t1's inbox: %d", p.code)
	}
}

func TestDeloadFormProblemsShownNextToFields(t *testing.T) {
	f := newFixture(t, Options{})
	f.fatigue.set("t1", squad(10, f.now))
	f.decisions.put(pendingDeload("d5", "a05", 1))
	b := f.browser()
	b.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0))
	inbox := b.get("/teams/t1/deloads")

	tests := []struct {
		name   string
		fields url.Values
		field  string
		says   string
	}{
		{"edit refused by the service", url.Values{"decision": {"edit"}, "load_percent": {"80"}, "rpe_cap": {"7"}}, "load_percent", "must be between 50 and 70, got 80"},
		{"postpone without a date", url.Values{"decision": {"postpone"}, "postpone_to": {"next week"}}, "postpone_to", "YYYY-MM-DD"},
		{"dismiss without a reason", url.Values{"decision": {"dismiss"}}, "reason", "Say why"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fields.Set("revision", "1")
			tt.fields.Set("return", "inbox")
			p := b.decide(inbox, "/teams/t1/deloads/d5", tt.fields)
			if p.code != http.StatusUnprocessableEntity {
				t.Fatalf("%d, want 422\n%s", p.code, p.body)
			}
			problem := `<p class="field-problem" id="` + tt.field + `-d5-problem">`
			i := strings.Index(p.body, problem)
			if i < 0 || !strings.Contains(p.body[i:], tt.says) {
				t.Errorf("no problem %q under field %s", tt.says, tt.field)
			}
			if !strings.Contains(p.body, `aria-describedby="`+tt.field+`-d5-problem"`) {
				t.Errorf("field %s does not point at its problem", tt.field)
			}
			if !strings.Contains(p.body, "<details open>") {
				t.Error("the refused form is not left open")
			}
		})
	}
	if st := f.decisions.get("d5").GetStatus(); st != commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL {
		t.Errorf("refused forms changed the deload to %s", st)
	}
	// The value typed is kept for correcting.
	p := b.decide(inbox, "/teams/t1/deloads/d5", url.Values{"decision": {"edit"}, "load_percent": {"80"}, "revision": {"1"}, "return": {"deload"}})
	if !strings.Contains(p.body, `value="80"`) || !strings.Contains(p.body, "Prescription for the week") {
		t.Errorf("refused edit from the deload page does not show that page with the typed value")
	}
}
