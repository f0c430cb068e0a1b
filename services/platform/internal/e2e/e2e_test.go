// Package e2e runs the whole platform and follows data end to end: training data in through
// gRPC ingestion -> TRAINING -> fatigue -> ANALYSIS -> programming and notifications -> a real
// HTTP webhook; ClickHouse holds the rows and the assessment; the prescription shows the deload.
package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/config"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
	"github.com/supercomp/supercomp/services/platform/internal/cli"
	"github.com/supercomp/supercomp/services/platform/internal/demo"
	"github.com/supercomp/supercomp/services/platform/internal/platformtest"
)

const team = "e2e"

// adminKey is the platform's bootstrap admin key in this test; every call carries it.
const adminKey = "e2e-admin-key-0123456789abcdef0123456789"

// receiver is a coach's webhook endpoint: it checks every signature and keeps the alerts.
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	calls  int
	keys   map[string]int
	alerts []webhookAlert
}

type webhookAlert struct {
	AlertID   string `json:"alert_id"`
	AthleteID string `json:"athlete_id"`
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	Evidence  []struct {
		Family   string `json:"family"`
		Abnormal bool   `json:"abnormal"`
		Detail   string `json:"detail"`
	} `json:"evidence"`
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if !validSignature(rc.secret, r.Header.Get("Supercomp-Signature"), body) {
		rc.t.Errorf("webhook call with a bad signature: %q", r.Header.Get("Supercomp-Signature"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	rc.keys[r.Header.Get("Idempotency-Key")]++
	var payload struct {
		Type   string         `json:"type"`
		Alerts []webhookAlert `json:"alerts"`
	}
	if err := json.Unmarshal(body, &payload); err != nil {
		rc.t.Errorf("webhook body: %v", err)
	}
	if payload.Type == "alert" {
		rc.alerts = append(rc.alerts, payload.Alerts...)
	}
	w.WriteHeader(http.StatusNoContent)
}

// validSignature checks `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
func validSignature(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	return ts != "" && hmac.Equal([]byte(sig), []byte(want))
}

func (rc *receiver) deloadAlerts() []webhookAlert {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []webhookAlert
	for _, a := range rc.alerts {
		if a.Kind == "deload_recommended" {
			out = append(out, a)
		}
	}
	return out
}

// startPlatform runs `supercomp` on its default store, embedded ClickHouse (chDB).
func startPlatform(t *testing.T) (*service.Host, *grpc.ClientConn) {
	t.Helper()
	return startPlatformOn(t, config.Store{Backend: config.BackendCHDB})
}

// startPlatformOn runs `supercomp` (every service, embedded NATS) on the given store, and
// returns a connection that carries the admin key.
func startPlatformOn(t *testing.T, st config.Store) (*service.Host, *grpc.ClientConn) {
	t.Helper()
	return platformtest.Start(t, st, adminKey)
}

func count(t *testing.T, st store.Store, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := store.QueryRow(context.Background(), st, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func eventually(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// endpoints are where the scenario reaches the platform: one connection per service (the same
// one for the all-in-one) and the store it records to.
type endpoints struct {
	ingestion, fatigue, programming, notifications *grpc.ClientConn
	store                                          store.Store
}

// TestAllInOneOnChDB runs the scenario on `supercomp`: every service in one process, embedded
// NATS, embedded ClickHouse (chDB).
func TestAllInOneOnChDB(t *testing.T) {
	host, conn := startPlatform(t)
	overreachingAthlete(t, endpoints{ingestion: conn, fatigue: conn, programming: conn, notifications: conn, store: host.Store()})
	// chDB allows one engine per process, so the metrics test and the demo run on the same
	// platform.
	t.Run("metrics", func(t *testing.T) { metricsAfterWorkload(t, host, conn) })
	t.Run("sc demo", func(t *testing.T) { scDemo(t, host.GRPC().Addr().String()) })
}

// scDemo runs `sc demo` as `make demo` does and checks what it shows and the coach key it
// provisions: the key reads its own team and nothing else.
func scDemo(t *testing.T, addr string) {
	var out, errOut bytes.Buffer
	root := cli.NewRoot(&out, &errOut)
	root.SetArgs([]string{"--addr", addr, "--token", adminKey, "demo", "--team", "demo", "--athletes", "8",
		"--overreachers", "2", "--weeks", "10", "--wait", "20s"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("sc demo: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"week 10:", "Deload recommendations (fatigue):", "Deload weeks (programming):", "Alerts (notifications):", "bin/sc status --team demo"} {
		if !strings.Contains(text, want) {
			t.Errorf("sc demo output lacks %q:\n%s", want, text)
		}
	}
	_, after, found := strings.Cut(text, "export SC_TOKEN=")
	coachKey := strings.TrimSpace(strings.SplitN(after, "\n", 2)[0])
	if !found || !strings.HasPrefix(coachKey, "sck_") {
		t.Fatalf("sc demo printed no coach key:\n%s", text)
	}
	coach, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(platformtest.Bearer(coachKey)))
	if err != nil {
		t.Fatal(err)
	}
	defer coach.Close()
	board := fatiguev1.NewFatigueServiceClient(coach)
	if _, err := board.ListTeamStatus(context.Background(), &fatiguev1.ListTeamStatusRequest{TeamId: "demo"}); err != nil {
		t.Errorf("the demo coach key cannot read its team: %v", err)
	}
	if _, err := board.ListTeamStatus(context.Background(), &fatiguev1.ListTeamStatusRequest{TeamId: team}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("the demo coach key reading team %s: %v, want PermissionDenied", team, err)
	}
}

// overreachingAthlete follows one overreaching athlete's data from ingestion to the coach.
func overreachingAthlete(t *testing.T, ep endpoints) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// A coach subscribes a webhook to the team's alerts.
	rc := &receiver{t: t, keys: map[string]int{}}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	notify := notificationsv1.NewNotificationServiceClient(ep.notifications)
	sub, err := notify.Subscribe(ctx, &notificationsv1.SubscribeRequest{TeamId: team, Subscription: &notificationsv1.Subscription{
		Channels: []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_Webhook{Webhook: &notificationsv1.WebhookTarget{Url: hook.URL}}}},
	}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	rc.mu.Lock()
	rc.secret = sub.GetSigningSecret()
	rc.mu.Unlock()

	// A simulated squad: one athlete overreaches from a known day, two progress normally.
	sim := simulate.Generate(simulate.Config{Team: team, Athletes: 3, Overreachers: 1, Weeks: 12, Seed: 7})
	over := sim.Truth[0]
	if !over.Overreacher {
		t.Fatal("the simulator's first athlete should be the overreacher")
	}

	// The overreacher follows a program, so the deload has a normal week to be derived from.
	prog := programmingv1.NewProgrammingServiceClient(ep.programming)
	tm := 140.0
	if _, err := prog.PutAthleteProfile(ctx, &programmingv1.PutAthleteProfileRequest{TeamId: team, AthleteId: over.AthleteID, Profile: &programmingv1.AthleteProfile{
		DisplayName: "Overreacher", PositionGroup: "forwards", ExperienceLevel: commonv1.ExperienceLevel_EXPERIENCE_LEVEL_INTERMEDIATE,
		LiftMaxes: []*programmingv1.LiftMax{{LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, TrainingMaxKg: &tm}},
	}}); err != nil {
		t.Fatalf("profile: %v", err)
	}
	program, err := prog.CreateProgram(ctx, &programmingv1.CreateProgramRequest{TeamId: team, Name: "Linear squat",
		Source: &programmingv1.CreateProgramRequest_TemplateId{TemplateId: "linear_progression"},
		TemplateOptions: &programmingv1.TemplateOptions{Weeks: 12, Lifts: []*programmingv1.TemplateLift{
			{Exercise: "Squat (Barbell)", LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, Sets: 5, Reps: 5, StartPercent_1Rm: 70},
		}}})
	if err != nil {
		t.Fatalf("create program: %v", err)
	}
	start := sim.Events[0].GetOccurredAt().AsTime()
	if _, err := prog.AssignProgram(ctx, &programmingv1.AssignProgramRequest{TeamId: team, AthleteId: over.AthleteID,
		ProgramId: program.GetProgram().GetProgramId(), StartDate: date(start)}); err != nil {
		t.Fatalf("assign program: %v", err)
	}

	// Twelve weeks of sets, sessions, wellness and readiness in through gRPC ingestion.
	counts, err := demo.Feed(ctx, ingestionv1.NewIngestionServiceClient(ep.ingestion), team, sim.Events, 500)
	if err != nil {
		t.Fatalf("feed: %v", err)
	}
	if counts.Accepted != uint64(len(sim.Events)) || counts.Rejected != 0 {
		t.Fatalf("ingestion accepted %d of %d (rejected %d)", counts.Accepted, len(sim.Events), counts.Rejected)
	}
	sets := 0
	for _, ev := range sim.Events {
		if ev.GetSetRecorded() != nil {
			sets++
		}
	}

	// The coach's webhook receives exactly one signed alert for the overreacher, with evidence.
	eventually(t, 2*time.Minute, "a deload alert at the webhook", func() bool { return len(rc.deloadAlerts()) > 0 })
	alert := rc.deloadAlerts()[0]
	if alert.AthleteID != over.AthleteID {
		t.Errorf("alert for %s, want the overreacher %s", alert.AthleteID, over.AthleteID)
	}
	abnormal := 0
	for _, e := range alert.Evidence {
		if e.Abnormal {
			abnormal++
		}
	}
	if abnormal == 0 {
		t.Errorf("alert %q carries no abnormal evidence: %+v", alert.Title, alert.Evidence)
	}

	// ClickHouse holds every set once, and the assessments.
	st := ep.store
	eventually(t, time.Minute, "all sets recorded in ClickHouse", func() bool {
		return count(t, st, "SELECT count() FROM training_sets FINAL WHERE team_id = ?", team) == uint64(sets)
	})
	// Assessments come later than the sets (fatigue, ANALYSIS, then its own recorder's batch).
	eventually(t, 30*time.Second, "an assessment of the overreacher in ClickHouse", func() bool {
		return count(t, st, "SELECT count() FROM fatigue_assessments WHERE team_id = ? AND athlete_id = ?", team, over.AthleteID) > 0
	})
	// The fatigue service answers with the assessment history that fired, from ClickHouse (its
	// recorder batches, so the firing assessment lands within about a second).
	fatigue := fatiguev1.NewFatigueServiceClient(ep.fatigue)
	eventually(t, 30*time.Second, "the deload-recommended assessment in the history", func() bool {
		history, err := fatigue.ListAssessments(ctx, &fatiguev1.ListAssessmentsRequest{TeamId: team, AthleteId: over.AthleteID, PageSize: 500})
		if err != nil {
			t.Fatalf("assessment history: %v", err)
		}
		for _, a := range history.GetAssessments() {
			if a.GetResult().GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED {
				return true
			}
		}
		return false
	})

	// Programming holds a reactive deload waiting for the coach; approving it makes the deload
	// week's prescription lighter than the normal week.
	var pending *programmingv1.Deload
	eventually(t, time.Minute, "a pending reactive deload", func() bool {
		resp, err := prog.ListDeloads(ctx, &programmingv1.ListDeloadsRequest{TeamId: team, AthleteId: over.AthleteID,
			Statuses: []commonv1.DeloadStatus{commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL}})
		if err != nil {
			t.Fatalf("list deloads: %v", err)
		}
		for _, d := range resp.GetDeloads() {
			if d.GetKind() == commonv1.DeloadKind_DELOAD_KIND_REACTIVE {
				pending = d
				return true
			}
		}
		return false
	})
	if _, err := prog.DecideDeload(ctx, &programmingv1.DecideDeloadRequest{TeamId: team, DeloadId: pending.GetDeloadId(),
		Decision: commonv1.DeloadDecision_DELOAD_DECISION_APPROVE, DecidedBy: &commonv1.Actor{Subject: "coach-kim"}}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	pres, err := prog.GetPrescription(ctx, &programmingv1.GetPrescriptionRequest{TeamId: team, AthleteId: over.AthleteID,
		Date: pending.GetWeekStart(), WholeWeek: true})
	if err != nil {
		t.Fatalf("prescription: %v", err)
	}
	if !pres.GetPrescription().GetDeload() || len(pres.GetPrescription().GetSessions()) == 0 {
		t.Fatalf("prescription for the deload week is not a deload: %v", pres.GetPrescription())
	}
	for _, s := range pres.GetPrescription().GetSessions() {
		for _, ex := range s.GetExercises() {
			if ex.GetLoadKg() >= ex.GetNormalLoadKg() || ex.GetSets() >= ex.GetNormalSets() || ex.GetAllowFailure() {
				t.Errorf("deload exercise not reduced: %v", ex)
			}
		}
	}

	// Still one alert per key: the recommendation paged once.
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for key, n := range rc.keys {
		if n > 1 {
			t.Errorf("idempotency key %s delivered %d times", key, n)
		}
	}
	if got := len(rc.deloadAlerts0()); got != 1 {
		t.Errorf("%d deload alerts at the webhook, want 1", got)
	}
}

// deloadAlerts0 is deloadAlerts for a caller holding the lock.
func (rc *receiver) deloadAlerts0() []webhookAlert {
	var out []webhookAlert
	for _, a := range rc.alerts {
		if a.Kind == "deload_recommended" {
			out = append(out, a)
		}
	}
	return out
}

func date(t time.Time) *commonv1.Date {
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}
