package browser

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// reminderSettle bounds the wait for the check-in reminder: the all-in-one's scheduler ticks
// every 15 s.
const reminderSettle = 40 * time.Second

// reminderWebhook is a local receiver of a team's check-in reminders.
type reminderWebhook struct {
	srv *httptest.Server
	mu  sync.Mutex
	// athletes are the reminded athletes, in arrival order, by the reminders' idempotency keys.
	keys, athletes []string
	// types are the types of every body received (alerts too), for a failure's message.
	types []string
}

func (r *reminderWebhook) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var p struct {
		Type      string `json:"type"`
		AthleteID string `json:"athlete_id"`
	}
	// The same subscription also receives the team's alerts (the joint pain): only reminders count.
	_ = json.Unmarshal(body, &p)
	r.mu.Lock()
	r.types = append(r.types, p.Type)
	if p.Type == "checkin_reminder" {
		r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
		r.athletes = append(r.athletes, p.AthleteID)
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *reminderWebhook) snapshot() (keys, athletes []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...), append([]string(nil), r.athletes...)
}

// expectReminder sets the team's reminders up once who's check-in is stored: the absent athlete
// reported yesterday (so is on the reminder roster) and not today, and a webhook subscription
// reminds from midnight UTC. Call check on the result later: the scheduler's tick comes while
// the rest of the check-in test runs.
func expectReminder(t *testing.T, ctx context.Context, conn *grpc.ClientConn, who checkinAthlete) *reminderWebhook {
	t.Helper()
	rcv := &reminderWebhook{}
	rcv.srv = httptest.NewServer(http.HandlerFunc(rcv.serve))
	t.Cleanup(rcv.srv.Close)

	fatigue := uint32(3)
	if _, err := ingestionv1.NewIngestionServiceClient(conn).RecordWellness(ctx, &ingestionv1.RecordWellnessRequest{TeamId: team,
		Meta:     &ingestionv1.RecordMeta{AthleteId: who.absent, OccurredAt: timestamppb.New(time.Now().Add(-24 * time.Hour)), Source: "checkin"},
		Wellness: &eventsv1.WellnessReported{Fatigue: &fatigue}}); err != nil {
		t.Fatalf("yesterday's report of %s: %v", who.absent, err)
	}
	if _, err := notificationsv1.NewNotificationServiceClient(conn).Subscribe(ctx, &notificationsv1.SubscribeRequest{TeamId: team,
		Subscription: &notificationsv1.Subscription{Name: "Athletes' app",
			Channels: []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_Webhook{
				Webhook: &notificationsv1.WebhookTarget{Url: rcv.srv.URL}}}},
			CheckinReminder: &notificationsv1.CheckinReminder{Enabled: true, SendMinute: 0, TimeZone: "UTC"}}}); err != nil {
		t.Fatalf("subscribe to reminders: %v", err)
	}
	return rcv
}

// checkComplianceTrend reads the squad trends per day up to today: check-in compliance is
// above zero yesterday (the absent athlete's report) and today (the check-in), as the page's
// CSV gives it. The trends service may take a moment to see the newest reports, so the page is
// read again until it does.
func checkComplianceTrend(t *testing.T, b *browser, board string) {
	t.Helper()
	today := time.Now().UTC()
	page := board + "/trends?bucket=day&weeks=1&to=" + today.Format(time.DateOnly)
	days := []string{today.AddDate(0, 0, -1).Format(time.DateOnly), today.Format(time.DateOnly)}
	b.do(t, laptopViewport())
	var shares map[string]float64
	deadline := time.Now().Add(checkinSettle)
	for {
		if code := b.navigateBy(t, chromedp.Navigate(page)); code != http.StatusOK {
			t.Fatalf("the trends page answered %d:\n%s", code, b.text(t, "main"))
		}
		shares = complianceShares(t, b)
		if shares[days[0]] > 0 && shares[days[1]] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("check-in compliance on %v: %v, want a share above 0 on both days", days, shares)
		}
		time.Sleep(time.Second)
	}
	for d, v := range shares {
		if v < 0 || v > 1 {
			t.Errorf("check-in compliance on %s = %v, not a share", d, v)
		}
	}
	if b.count(t, "#chart-checkin-compliance svg") != 1 {
		t.Error("the trends page draws no check-in compliance chart")
	}
	b.screenshot(t, "trends-compliance")
}

// complianceShares is the squad's check-in compliance per day from the page's CSV download.
func complianceShares(t *testing.T, b *browser) map[string]float64 {
	t.Helper()
	body, _ := b.evalAwait(t, `fetch(document.getElementById("trends-csv").href).then(r => r.text())`).(string)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("trends CSV (%v):\n%s", err, body)
	}
	shares := map[string]float64{}
	for _, r := range rows[1:] {
		if r[0] == "checkin-compliance" && r[1] == "Squad" && r[6] != "" {
			v, err := strconv.ParseFloat(r[6], 64)
			if err != nil {
				t.Fatalf("compliance value %q: %v", r[6], err)
			}
			shares[r[5]] = v
		}
	}
	return shares
}

// check waits for the reminder: it reaches the webhook for the absent athlete only, once, and
// its attempt is in the delivery log.
func (r *reminderWebhook) check(t *testing.T, ctx context.Context, conn *grpc.ClientConn, who checkinAthlete) {
	t.Helper()
	deadline := time.Now().Add(reminderSettle)
	for _, athletes := r.snapshot(); len(athletes) == 0; _, athletes = r.snapshot() {
		if time.Now().After(deadline) {
			r.mu.Lock()
			types := r.types
			r.mu.Unlock()
			t.Fatalf("no check-in reminder within %s; the webhook received %d bodies of types %v", reminderSettle, len(types), types)
		}
		time.Sleep(200 * time.Millisecond)
	}
	keys, athletes := r.snapshot()
	day := time.Now().UTC().Format(time.DateOnly)
	if len(athletes) != 1 || athletes[0] != who.absent || keys[0] != team+"/"+who.absent+"/"+day {
		t.Fatalf("reminders went to %v (keys %v), want %s alone (%s checked in today)", athletes, keys, who.absent, who.id)
	}
	notify := notificationsv1.NewNotificationServiceClient(conn)
	waitFor(t, reminderSettle, "the reminder in the delivery log", func() bool {
		resp, err := notify.ListDeliveries(ctx, &notificationsv1.ListDeliveriesRequest{TeamId: team, AlertId: "reminder/" + keys[0]})
		return err == nil && len(resp.GetAttempts()) == 1 && resp.GetAttempts()[0].GetDelivered()
	})
}
