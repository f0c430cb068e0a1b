package browser

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// followProgram gives the squad's first overreacher a squat program from the first day of the
// import, so its reactive deload has a normal week to reduce, and returns the athlete's id and
// name. The profile keeps the name and group the squad's other athletes get.
func followProgram(t *testing.T, ctx context.Context, prog programmingv1.ProgrammingServiceClient, sim simulate.Team) (string, string) {
	t.Helper()
	var athlete, name, group string
	for i, tr := range sim.Truth {
		if tr.Overreacher {
			athlete, name, group = tr.AthleteID, fmt.Sprintf("Player %d", i+1), []string{"forwards", "backs"}[i%2]
			break
		}
	}
	tm := 140.0
	if _, err := prog.PutAthleteProfile(ctx, &programmingv1.PutAthleteProfileRequest{TeamId: team, AthleteId: athlete, Profile: &programmingv1.AthleteProfile{
		DisplayName: name, PositionGroup: group, TimeZone: "Europe/Oslo",
		ExperienceLevel: commonv1.ExperienceLevel_EXPERIENCE_LEVEL_INTERMEDIATE,
		LiftMaxes:       []*programmingv1.LiftMax{{LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, TrainingMaxKg: &tm}},
	}}); err != nil {
		t.Fatalf("profile: %v", err)
	}
	program, err := prog.CreateProgram(ctx, &programmingv1.CreateProgramRequest{TeamId: team, Name: "Linear squat",
		Source: &programmingv1.CreateProgramRequest_TemplateId{TemplateId: "linear_progression"},
		TemplateOptions: &programmingv1.TemplateOptions{Weeks: 16, Lifts: []*programmingv1.TemplateLift{
			{Exercise: "Squat (Barbell)", LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, Sets: 5, Reps: 5, StartPercent_1Rm: 70},
		}}})
	if err != nil {
		t.Fatalf("create program: %v", err)
	}
	start := sim.Events[0].GetOccurredAt().AsTime()
	if _, err := prog.AssignProgram(ctx, &programmingv1.AssignProgramRequest{TeamId: team, AthleteId: athlete, ProgramId: program.GetProgram().GetProgramId(),
		StartDate: &commonv1.Date{Year: int32(start.Year()), Month: int32(start.Month()), Day: int32(start.Day())}}); err != nil {
		t.Fatalf("assign program: %v", err)
	}
	return athlete, name
}

// checkInboxAndAlerts approves the program follower's deload in the inbox, reads the week's
// prescription, and acknowledges an alert, all through the board's navigation.
func checkInboxAndAlerts(t *testing.T, ctx context.Context, b *browser, conn *grpc.ClientConn, board, follower, followerName string, overreachers int) {
	prog := programmingv1.NewProgrammingServiceClient(conn)
	notify := notificationsv1.NewNotificationServiceClient(conn)
	var deloadID string
	// The reactive deloads and their alerts follow the assessments through the bus.
	waitFor(t, 20*time.Second, "a pending deload per overreacher and an open alert", func() bool {
		pending, err := prog.ListDeloads(ctx, &programmingv1.ListDeloadsRequest{TeamId: team,
			Statuses: []commonv1.DeloadStatus{commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range pending.GetDeloads() {
			if d.GetAthleteId() == follower {
				deloadID = d.GetDeloadId()
			}
		}
		open, err := notify.ListAlerts(ctx, &notificationsv1.ListAlertsRequest{TeamId: team, States: []commonv1.AlertState{commonv1.AlertState_ALERT_STATE_OPEN}})
		if err != nil {
			t.Fatal(err)
		}
		return len(pending.GetDeloads()) == overreachers && deloadID != "" && len(open.GetAlerts()) > 0
	})

	b.do(t, chromedp.Navigate(board), chromedp.WaitVisible(chromedp.ID("board-rows")))
	b.navigateBy(t, chromedp.Click(chromedp.CSS(`.team-nav a[href$="/deloads"]`)))
	b.do(t, chromedp.WaitVisible(chromedp.CSS(".deload-card")))
	if n := b.count(t, ".deload-card"); n != overreachers {
		t.Errorf("%d deloads waiting in the inbox, want %d", n, overreachers)
	}
	card := b.text(t, "#deload-"+deloadID)
	for _, want := range []string{followerName, "reactive deload", "Evidence", "strength declining"} {
		if !strings.Contains(card, want) {
			t.Errorf("the follower's card lacks %q:\n%s", want, card)
		}
	}
	b.screenshot(t, "inbox")

	if code := b.navigateBy(t, chromedp.Click(chromedp.ID("approve-"+deloadID))); code != http.StatusOK {
		t.Fatalf("approving answered %d", code)
	}
	if got := b.location(t); !strings.HasSuffix(got, "/deloads/"+deloadID) {
		t.Errorf("after approving the browser is at %s, want the deload's page", got)
	}
	b.do(t, chromedp.WaitVisible(chromedp.ID("prescription")))
	if text := b.text(t, "#notice"); !strings.Contains(text, "deload approved") {
		t.Errorf("after approving the page says %q", text)
	}
	table := b.text(t, "#prescription")
	for _, want := range []string{"Deload week", "Squat (Barbell)", "kg", "RPE ≤"} {
		if !strings.Contains(table, want) {
			t.Errorf("the deload week's prescription lacks %q:\n%s", want, table)
		}
	}
	b.screenshot(t, "deload-prescription")

	b.navigateBy(t, chromedp.Click(chromedp.CSS(`.team-nav a[href$="/alerts"]`)))
	b.do(t, chromedp.WaitVisible(chromedp.ID("alerts")))
	b.screenshot(t, "alerts")
	before := b.count(t, "button.ack")
	if before == 0 {
		t.Fatal("no alert to acknowledge")
	}
	if code := b.navigateBy(t, chromedp.Click(chromedp.CSS("button.ack"))); code != http.StatusOK {
		t.Fatalf("acknowledging answered %d", code)
	}
	if text := b.text(t, "#notice"); !strings.Contains(text, "It is now acknowledged") {
		t.Errorf("after acknowledging the page says %q", text)
	}
	if after := b.count(t, "button.ack"); after != before-1 {
		t.Errorf("%d alerts to acknowledge after acknowledging one of %d", after, before)
	}
	b.screenshot(t, "alerts-acknowledged")

	// The inbox on a phone: cards and forms, no sideways scrolling.
	b.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(board+"/deloads"), chromedp.WaitVisible(chromedp.CSS(".deload-card")))
	if b.eval(t, `document.documentElement.scrollWidth > window.innerWidth`) != false {
		t.Error("the inbox scrolls sideways on a 390 px wide phone")
	}
	b.screenshot(t, "inbox-phone")
	b.do(t, laptopViewport())
}
