package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// checkinAthlete is who reports in the check-in test: one athlete of the squad.
type checkinAthlete struct {
	id, name string
	// squad is how many athletes the board lists, the compliance line's total.
	squad int
	// absent is another athlete, who checked in yesterday and not today: the one reminded.
	absent string
}

// The morning answers the athlete taps in. Joint pain 4 is above the platform's flag (3), so
// the coach is alerted.
var (
	morningAnswers = map[string]string{"sleep_quality": "4", "fatigue": "3", "soreness": "3", "mood": "4", "motivation": "4",
		"stress": "3", "joint_pain": "4"}
	painfulJoint = "left knee"
)

const (
	wellnessForm = `form[action="/checkin/wellness"]`
	sessionForm  = `form[action="/checkin/session"]`
	// checkinSettle bounds the wait for a record to be stored and for the alert and the
	// assessment it causes (a second or two here).
	checkinSettle = 20 * time.Second
)

// checkCheckin is an athlete's morning on a phone, from the coach's console to the coach's
// board: the coach creates the athlete's link on the console (its QR code on a phone-sized
// screen), the link signs the phone in, the questionnaire (with joint pain at a location) and a
// session RPE are saved, a resent form is stored once, the coach is alerted to the joint pain
// and the board shows the report and the day's compliance, the check-in reminder reaches a
// local webhook for the athlete who did not report and not for this one, and the link revoked
// on the console is refused on the next request. It leaves the browser on the board, signed in
// as before, at the default size.
func checkCheckin(t *testing.T, ctx context.Context, b *browser, conn *grpc.ClientConn, board string, who checkinAthlete) {
	t.Helper()
	base := strings.TrimSuffix(board, "/teams/"+team)
	onPhone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateTouch)
	b.do(t, onPhone)
	// A failure on the way leaves the phone's size to the tests after this one otherwise.
	defer func() { _ = chromedp.Do(b.ctx, laptopViewport()) }()

	linkPage := board + "/athletes/" + who.id + "/checkin-link"
	b.do(t, chromedp.Navigate(linkPage), chromedp.WaitVisible(chromedp.CSS(`form[action$="/checkin-link"] button`)))
	b.screenshot(t, "checkin-link-phone")
	b.do(t, chromedp.SendKeys(chromedp.ID("link-name"), who.name))
	if code := b.navigateBy(t, chromedp.Click(chromedp.CSS(`form[action$="/checkin-link"] button`))); code != http.StatusOK {
		t.Fatalf("creating the check-in link answered %d:\n%s", code, b.text(t, "main"))
	}
	link := b.text(t, "#checkin-link")
	if !strings.HasPrefix(link, base+"/checkin/link?key=") || b.count(t, ".new-link svg path") != 1 {
		t.Fatalf("the new link %q (want one on %s) or its QR code is missing", link, base)
	}
	if b.eval(t, `document.documentElement.scrollWidth > window.innerWidth`) != false {
		t.Error("the check-in link page scrolls sideways on a 390 px wide phone")
	}
	b.screenshot(t, "checkin-link-created")

	if code := b.navigateBy(t, chromedp.Navigate(link)); code != http.StatusOK {
		t.Fatalf("the check-in link answered %d", code)
	}
	b.do(t, chromedp.WaitVisible(chromedp.CSS(wellnessForm)))
	if got := b.location(t); got != base+"/checkin" {
		t.Errorf("after the link the phone is at %s, want %s/checkin (no key in the address)", got, base)
	}
	if text := b.text(t, "header.hello"); !strings.Contains(text, who.name) {
		t.Errorf("the check-in greets %q, want %s", text, who.name)
	}
	if b.eval(t, `document.documentElement.scrollWidth > window.innerWidth`) != false {
		t.Error("the check-in scrolls sideways on a 390 px wide phone")
	}
	b.screenshot(t, "checkin-phone")

	for name, value := range morningAnswers {
		b.do(t, chromedp.Tap(chromedp.CSS(fmt.Sprintf(`input[name=%q][value=%q]`, name, value))))
	}
	b.do(t, chromedp.SendKeys(chromedp.ID("sleep_hours"), "7.5"),
		chromedp.Tap(chromedp.CSS(`input[name="soreness_area"][value="hamstrings"]`)),
		chromedp.SetValue(chromedp.ID("joint_location"), painfulJoint))
	b.screenshot(t, "checkin-morning-filled")
	// The form as the phone sends it, to send again later as a retry after a dropped
	// connection would: the same submission id.
	sent, _ := b.eval(t, fmt.Sprintf(`JSON.stringify([...new FormData(document.querySelector(%q))])`, wellnessForm)).(string)
	submissionID, _ := b.eval(t, fmt.Sprintf(`document.querySelector(%q).elements.submission_id.value`, wellnessForm)).(string)
	if code := b.navigateBy(t, chromedp.Click(chromedp.CSS(wellnessForm+" button"))); code != http.StatusOK {
		t.Fatalf("sending the morning check-in answered %d:\n%s", code, b.text(t, "main"))
	}
	if text := b.text(t, "main"); !strings.Contains(text, "Morning check-in saved") {
		t.Fatalf("after the morning check-in the page says:\n%s", text)
	}

	b.eval(t, fmt.Sprintf(`(() => {
		const form = Object.assign(document.createElement("form"), {method: "post", action: "/checkin/wellness", id: "resent"});
		for (const [name, value] of JSON.parse(%q)) form.append(Object.assign(document.createElement("input"), {type: "hidden", name, value}));
		document.body.append(form);
		return true;
	})()`, sent))
	if code := b.navigateBy(t, chromedp.Submit(chromedp.ID("resent"))); code != http.StatusOK {
		t.Fatalf("sending the morning check-in again answered %d", code)
	}
	if text := b.text(t, "main"); !strings.Contains(text, "Already saved") {
		t.Errorf("after sending the same form again the page says:\n%s", text)
	}
	b.screenshot(t, "checkin-resent")

	b.do(t, chromedp.Tap(chromedp.CSS(`input[name="session_rpe"][value="7"]`)), chromedp.SendKeys(chromedp.ID("duration_minutes"), "60"))
	if code := b.navigateBy(t, chromedp.Click(chromedp.CSS(sessionForm+" button"))); code != http.StatusOK {
		t.Fatalf("sending the session answered %d:\n%s", code, b.text(t, "main"))
	}
	if text := b.text(t, "main"); !strings.Contains(text, "Session saved") {
		t.Fatalf("after the session the page says:\n%s", text)
	}

	// Stored once: the session was sent after the resent form, so once it is stored the
	// resent form would be too, had it been taken as a new report.
	ingestion := ingestionv1.NewIngestionServiceClient(conn)
	var wellness []*eventsv1.Event
	waitFor(t, checkinSettle, "the check-in's wellness report and session stored", func() bool {
		wellness = exportCheckins(t, ctx, ingestion, who.id, ingestionv1.RecordKind_RECORD_KIND_WELLNESS)
		return len(wellness) > 0 && len(exportCheckins(t, ctx, ingestion, who.id, ingestionv1.RecordKind_RECORD_KIND_SESSIONS)) == 1
	})
	if len(wellness) != 1 || wellness[0].GetId() != submissionID {
		t.Errorf("%d check-in wellness reports stored for one form sent twice, want 1 with the form's id %s", len(wellness), submissionID)
	} else if pain := wellness[0].GetWellnessReported().GetJointPain(); len(pain) != 1 || pain[0].GetLocation() != painfulJoint || pain[0].GetScore() != 4 {
		t.Errorf("the stored report's joint pain is %v, want %s 4/5", pain, painfulJoint)
	}

	b.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(wellnessForm)))
	history := b.text(t, `section[aria-labelledby="history"]`)
	for _, want := range []string{painfulJoint + " 4/5", "4/5 (7.5 h)", "RPE 7 × 60 min = 420 AU"} {
		if !strings.Contains(history, want) {
			t.Errorf("the athlete's last two weeks lack %q:\n%s", want, history)
		}
	}
	b.screenshot(t, "checkin-history")

	checkJointPainAlert(t, ctx, conn, who.id)
	reminders := expectReminder(t, ctx, conn, who)

	// The coach's board, in the coach's session of this browser.
	b.do(t, laptopViewport(), chromedp.Navigate(board), chromedp.WaitVisible(chromedp.ID("board-rows")))
	if text := b.text(t, "#compliance-line"); !strings.Contains(text, fmt.Sprintf("1 of %d reported today", who.squad)) {
		t.Errorf("the compliance line says %q, want 1 of %d", text, who.squad)
	}
	missing, _ := b.eval(t, `[...document.querySelectorAll("#compliance li")].map(li => li.textContent)`).([]any)
	if len(missing) != who.squad-1 || slices.Contains(missing, any(who.name)) {
		t.Errorf("not reported today: %v, want the %d others than %s", missing, who.squad-1, who.name)
	}
	// The joint pain makes soreness and joint discomfort abnormal once the report is assessed;
	// the board shows it live.
	b.poll(t, fmt.Sprintf(`document.getElementById("athlete-%s").textContent.includes("soreness or joint discomfort")`, who.id), checkinSettle)
	b.screenshot(t, "checkin-board")

	reminders.check(t, ctx, conn, who)
	checkComplianceTrend(t, b, board)

	// The coach revokes the link on the console, on the phone-sized screen.
	b.do(t, onPhone, chromedp.Navigate(linkPage), chromedp.WaitVisible(chromedp.CSS(`form[action$="/revoke"] button`)))
	if code := b.navigateBy(t, chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button`))); code != http.StatusOK {
		t.Fatalf("revoking the link answered %d", code)
	}
	if text := b.text(t, "main"); !strings.Contains(text, "revoked") || !strings.Contains(text, "No link yet.") {
		t.Errorf("after revoking the link page says:\n%s", text)
	}
	b.screenshot(t, "checkin-link-revoked")
	if code := b.navigateBy(t, chromedp.Navigate(base+"/checkin")); code != http.StatusUnauthorized {
		t.Errorf("the check-in after revoking its link answered %d, want 401", code)
	}
	if text := b.text(t, "main"); !strings.Contains(text, "no longer works") || strings.Contains(text, "Morning questionnaire") {
		t.Errorf("the check-in after revoking its link shows:\n%s", text)
	}
	b.screenshot(t, "checkin-revoked")
	if code := b.navigateBy(t, chromedp.Navigate(link)); code != http.StatusUnauthorized {
		t.Errorf("the revoked link answered %d, want 401", code)
	}
	b.do(t, laptopViewport(), chromedp.Navigate(board), chromedp.WaitVisible(chromedp.ID("board-rows")))
}

// exportCheckins is the athlete's records of one kind that came from the check-in, read back
// through the ingestion service as an export would.
func exportCheckins(t *testing.T, ctx context.Context, c ingestionv1.IngestionServiceClient, athlete string, kind ingestionv1.RecordKind) []*eventsv1.Event {
	t.Helper()
	stream, err := c.Export(ctx, &ingestionv1.ExportRequest{TeamId: team, AthleteId: athlete, Kind: kind})
	if err != nil {
		t.Fatalf("export %s: %v", kind, err)
	}
	var out []*eventsv1.Event
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("export %s: %v", kind, err)
		}
		for _, ev := range resp.GetEvents() {
			if ev.GetSource() == "checkin" {
				out = append(out, ev)
			}
		}
	}
}

// checkJointPainAlert waits for the JointPainFlagged alert the check-in's joint pain raises:
// fatigue flags the report, notifications raises the alert for the team's coach, naming the
// location.
func checkJointPainAlert(t *testing.T, ctx context.Context, conn *grpc.ClientConn, athlete string) {
	t.Helper()
	notify := notificationsv1.NewNotificationServiceClient(conn)
	var alert *notificationsv1.Alert
	waitFor(t, checkinSettle, "the joint pain alert", func() bool {
		resp, err := notify.ListAlerts(ctx, &notificationsv1.ListAlertsRequest{TeamId: team, AthleteId: athlete,
			Kinds: []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_JOINT_PAIN}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetAlerts()) > 0 {
			alert = resp.GetAlerts()[0]
		}
		return alert != nil
	})
	c := alert.GetContent()
	if !strings.Contains(c.GetTitle(), painfulJoint) || c.GetSeverity() != commonv1.Severity_SEVERITY_CRITICAL ||
		alert.GetState() != commonv1.AlertState_ALERT_STATE_OPEN {
		t.Errorf("joint pain alert %q, severity %s, state %s: want open, critical, naming the %s", c.GetTitle(), c.GetSeverity(), alert.GetState(), painfulJoint)
	}
	var detail string
	for _, e := range c.GetEvidence() {
		detail += e.GetDetail() + "\n"
	}
	if !strings.Contains(detail, painfulJoint+" 4/5") {
		t.Errorf("the joint pain alert's evidence lacks %s 4/5:\n%s", painfulJoint, detail)
	}
}

// checkinAthleteOf picks the squad's last athlete who is not overreaching, so the check-in's
// report is the only concern it raises (and not the first, which the live test renames).
func checkinAthleteOf(sim simulate.Team) checkinAthlete {
	for i := len(sim.Truth) - 1; i >= 0; i-- {
		if tr := sim.Truth[i]; !tr.Overreacher {
			who := checkinAthlete{id: tr.AthleteID, name: fmt.Sprintf("Player %d", i+1), squad: len(sim.Truth)}
			for j := i - 1; j >= 0; j-- {
				if !sim.Truth[j].Overreacher {
					who.absent = sim.Truth[j].AthleteID
					return who
				}
			}
		}
	}
	panic("the simulated squad has not two athletes who are not overreaching")
}
