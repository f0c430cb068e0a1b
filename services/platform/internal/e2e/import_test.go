package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/config"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
	"github.com/supercomp/supercomp/services/platform/internal/cli"
	"github.com/supercomp/supercomp/services/platform/internal/platformtest"
)

// squad is the team of the imported squad.
const squad = "squad"

// squadSeed is the simulated squad. Among seeds 1-40 it has the earliest overreaching onsets
// (days 42, 43 and 45 of 84), so each overreacher logs at least five weeks of overreaching
// before the files end: a detector that needs a few weeks of RPE drift still has them. It was
// chosen on the onsets alone, never on what the detector made of it.
const squadSeed = 34

// settleTimeout bounds the wait for the platform to finish with the imported files (about
// 1,650 sets and 260 sessions through fatigue, programming and notifications; a few seconds).
const settleTimeout = 45 * time.Second

// TestImportedSquadOnClickHouse imports a squad's Strong exports, sets with RPE and nothing
// else, the way a team without devices or questionnaires joins: `sc import strong` per athlete
// through the real importer and gRPC ingestion, then TRAINING -> fatigue -> ANALYSIS ->
// programming and notifications on the all-in-one platform. Each overreaching athlete ends with
// exactly one reactive deload awaiting the coach's approval and exactly one signed alert at
// the coach's webhook; healthy athletes get neither; importing a file again changes nothing.
//
// The store is the ClickHouse server, not chDB: chDB allows one engine per process and
// TestAllInOneOnChDB holds it in this package.
func TestImportedSquadOnClickHouse(t *testing.T) {
	dsn := storetest.FreshServerDSN(t, "sc_import")
	host, conn := startPlatformOn(t, config.Store{Backend: config.BackendClickHouse, DSN: dsn})
	addr := host.GRPC().Addr().String()
	js := host.Bus().JetStream()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The coach subscribes a webhook to deload recommendations: the one alert per overreacher.
	// (Without the kind filter the pending deload's own "awaits approval" alert arrives too.)
	rc := &receiver{t: t, keys: map[string]int{}}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	notify := notificationsv1.NewNotificationServiceClient(conn)
	sub, err := notify.Subscribe(ctx, &notificationsv1.SubscribeRequest{TeamId: squad,
		Subscription: &notificationsv1.Subscription{
			Name:     "Head S&C coach",
			Kinds:    []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED},
			Channels: []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_Webhook{Webhook: &notificationsv1.WebhookTarget{Url: hook.URL}}}},
		}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	rc.mu.Lock()
	rc.secret = sub.GetSigningSecret()
	rc.mu.Unlock()

	// Twelve weeks of an RPE-only squad, written as each athlete's Strong export.
	sim := simulate.Generate(simulate.Config{Team: squad, Athletes: 8, Overreachers: 3, Weeks: 12, Seed: squadSeed,
		Shape: simulate.ShapeSetsRPE, SessionsPerWeek: 3})
	logs := athleteLogs(sim)
	dir := t.TempDir()
	files := map[string]string{}
	for _, tr := range sim.Truth {
		var buf bytes.Buffer
		if err := simulate.WriteStrongCSV(&buf, sim, tr.AthleteID); err != nil {
			t.Fatal(err)
		}
		files[tr.AthleteID] = filepath.Join(dir, "strong-"+tr.AthleteID+".csv")
		if err := os.WriteFile(files[tr.AthleteID], buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// Each file through `sc import strong FILE --team T --athlete A`: every row a new set, and one
	// session per workout (Strong's Duration column).
	totalSets, totalRPE, totalSessions := 0, 0, 0
	for _, tr := range sim.Truth {
		l := logs[tr.AthleteID]
		got := scImport(t, addr, files[tr.AthleteID], tr.AthleteID)
		want := importSummary{total: l.sets, imported: l.sets, sets: recordCounts{accepted: l.sets}, sessions: recordCounts{accepted: l.sessions}}
		if got != want {
			t.Errorf("sc import %s: %+v, want %+v", tr.AthleteID, got, want)
		}
		totalSets += l.sets
		totalRPE += l.withRPE
		totalSessions += l.sessions
	}
	if t.Failed() {
		t.FailNow()
	}

	// Everything imported flows through every service; wait until nothing is left in flight.
	eventually(t, settleTimeout, "the platform to settle after the import", func() bool { return platformtest.Settled(t, ctx, js) })

	// The plumbing: ClickHouse holds every set once with its RPE, every session, and the fatigue
	// service assessed every athlete; nothing was dead-lettered.
	st := host.Store()
	if n := count(t, st, "SELECT count() FROM training_sets FINAL WHERE team_id = ? AND source = 'strong'", squad); n != uint64(totalSets) {
		t.Errorf("%d imported sets in ClickHouse, want %d", n, totalSets)
	}
	if n := count(t, st, "SELECT count(rpe) FROM training_sets FINAL WHERE team_id = ?", squad); n != uint64(totalRPE) {
		t.Errorf("%d sets with RPE in ClickHouse, want %d", n, totalRPE)
	}
	if n := count(t, st, "SELECT count() FROM training_sessions FINAL WHERE team_id = ?", squad); n != uint64(totalSessions) {
		t.Errorf("%d sessions in ClickHouse, want %d", n, totalSessions)
	}
	if n := count(t, st, "SELECT count(DISTINCT athlete_id) FROM fatigue_assessments WHERE team_id = ?", squad); n != uint64(len(sim.Truth)) {
		t.Errorf("%d athletes assessed, want %d", n, len(sim.Truth))
	}
	if n := streamMsgs(t, ctx, js, bus.StreamDLQ); n != 0 {
		t.Errorf("%d messages dead-lettered", n)
	}
	for _, tr := range sim.Truth {
		n := count(t, st, "SELECT count() FROM fatigue_assessments WHERE team_id = ? AND athlete_id = ?", squad, tr.AthleteID)
		t.Logf("%s overreacher=%v onset=%s sets=%d (RPE %d) sessions=%d assessments=%d", tr.AthleteID, tr.Overreacher,
			onsetDay(tr), logs[tr.AthleteID].sets, logs[tr.AthleteID].withRPE, logs[tr.AthleteID].sessions, n)
	}

	// The outcome: per overreacher one pending reactive deload after the onset and one signed
	// alert; nothing for the healthy.
	prog := programmingv1.NewProgrammingServiceClient(conn)
	reactive := reactiveDeloads(t, ctx, prog)
	alerts := rc.alertsByAthlete()
	for _, tr := range sim.Truth {
		deloads, got := reactive[tr.AthleteID], alerts[tr.AthleteID]
		if !tr.Overreacher {
			if len(deloads) > 0 || len(got) > 0 {
				t.Errorf("healthy %s: %d reactive deloads %v, %d alerts %v", tr.AthleteID, len(deloads), deloadWeeks(deloads), len(got), alertTitles(got))
			}
			continue
		}
		if len(deloads) != 1 || deloads[0].GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL {
			t.Errorf("overreacher %s (onset %s): reactive deloads %v, want exactly one pending approval", tr.AthleteID, onsetDay(tr), deloadWeeks(deloads))
		} else if week := dateOf(deloads[0].GetWeekStart()); !week.After(tr.Onset) {
			t.Errorf("overreacher %s: deload in the week of %s, before the onset %s", tr.AthleteID, week.Format(time.DateOnly), onsetDay(tr))
		}
		if len(got) != 1 {
			t.Errorf("overreacher %s (onset %s): %d alerts at the webhook %v, want 1; the notification service holds %v",
				tr.AthleteID, onsetDay(tr), len(got), alertTitles(got), heldAlerts(t, ctx, notify, tr.AthleteID))
		}
	}
	rc.checkKeys()

	// The same file again: every row already stored, nothing published, no second alert.
	again := sim.Truth[0].AthleteID // an overreacher: a repeat must not page the coach twice
	l := logs[again]
	trainingBefore := streamMsgs(t, ctx, js, bus.StreamTraining)
	callsBefore := rc.callCount()
	got := scImport(t, addr, files[again], again)
	want := importSummary{total: l.sets, already: l.sets, sets: recordCounts{duplicates: l.sets}, sessions: recordCounts{duplicates: l.sessions}}
	if got != want {
		t.Errorf("sc import %s again: %+v, want %+v", again, got, want)
	}
	if n := streamMsgs(t, ctx, js, bus.StreamTraining); n != trainingBefore {
		t.Errorf("re-import published %d training events", n-trainingBefore)
	}
	eventually(t, settleTimeout, "the platform to settle after the re-import", func() bool { return platformtest.Settled(t, ctx, js) })
	if n := rc.callCount(); n != callsBefore {
		t.Errorf("%d webhook calls after the re-import", n-callsBefore)
	}
	if n := count(t, st, "SELECT count() FROM training_sets FINAL WHERE team_id = ?", squad); n != uint64(totalSets) {
		t.Errorf("%d sets in ClickHouse after the re-import, want %d", n, totalSets)
	}
	if after := reactiveDeloads(t, ctx, prog); len(after[again]) != len(reactive[again]) {
		t.Errorf("%s: %d reactive deloads after the re-import, %d before", again, len(after[again]), len(reactive[again]))
	}
}

// athleteLog is what one athlete's export holds.
type athleteLog struct{ sets, withRPE, sessions int }

func athleteLogs(sim simulate.Team) map[string]athleteLog {
	out := map[string]athleteLog{}
	sessions := map[string]bool{}
	for _, ev := range sim.Events {
		s := ev.GetSetRecorded()
		if s == nil {
			continue
		}
		l := out[ev.GetAthleteId()]
		l.sets++
		if s.Rpe != nil {
			l.withRPE++
		}
		if !sessions[s.GetSessionId()] {
			sessions[s.GetSessionId()] = true
			l.sessions++
		}
		out[ev.GetAthleteId()] = l
	}
	return out
}

// importSummary is what `sc import` reported: its row counts and its per-kind record counts.
type importSummary struct {
	total, imported, already, skipped, rejected int
	sets, sessions                              recordCounts
}

type recordCounts struct{ accepted, duplicates, rejected int }

// scImport runs `sc import strong FILE --team squad --athlete A` against the platform, as a
// coach would, and reads back the summary it prints.
func scImport(t *testing.T, addr, file, athlete string) importSummary {
	t.Helper()
	var out, errOut bytes.Buffer
	root := cli.NewRoot(&out, &errOut)
	root.SetArgs([]string{"--addr", addr, "--token", adminKey, "import", "strong", file, "--team", squad, "--athlete", athlete, "--quiet"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("sc import %s: %v\n%s%s", athlete, err, out.String(), errOut.String())
	}
	text := out.String()
	row := func(label string) int {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + `\s+(\d+)\s*$`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("sc import printed no %q row:\n%s", label, text)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	records := func(kind string) recordCounts {
		m := regexp.MustCompile(`(?m)^` + kind + `\s+(\d+)\s+(\d+)\s+(\d+)\s*$`).FindStringSubmatch(text)
		if m == nil {
			return recordCounts{}
		}
		var c [3]int
		for i := range c {
			c[i], _ = strconv.Atoi(m[i+1])
		}
		return recordCounts{accepted: c[0], duplicates: c[1], rejected: c[2]}
	}
	return importSummary{total: row("total"), imported: row("imported"), already: row("already stored"), skipped: row("skipped"),
		rejected: row("rejected"), sets: records("sets"), sessions: records("sessions")}
}

func streamMsgs(t *testing.T, ctx context.Context, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	stream, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return info.State.Msgs
}

// reactiveDeloads lists the squad's reactive deloads (every status) by athlete.
func reactiveDeloads(t *testing.T, ctx context.Context, prog programmingv1.ProgrammingServiceClient) map[string][]*programmingv1.Deload {
	t.Helper()
	out := map[string][]*programmingv1.Deload{}
	token := ""
	for {
		resp, err := prog.ListDeloads(ctx, &programmingv1.ListDeloadsRequest{TeamId: squad, PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatalf("list deloads: %v", err)
		}
		for _, d := range resp.GetDeloads() {
			if d.GetKind() == commonv1.DeloadKind_DELOAD_KIND_REACTIVE {
				out[d.GetAthleteId()] = append(out[d.GetAthleteId()], d)
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// alertsByAthlete is every alert the webhook accepted, by athlete.
func (rc *receiver) alertsByAthlete() map[string][]webhookAlert {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string][]webhookAlert{}
	for _, a := range rc.alerts {
		out[a.AthleteID] = append(out[a.AthleteID], a)
	}
	return out
}

// checkKeys fails the test when an Idempotency-Key was missing or came twice.
func (rc *receiver) checkKeys() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for key, n := range rc.keys {
		if key == "" {
			rc.t.Errorf("%d webhook calls without an Idempotency-Key", n)
		} else if n > 1 {
			rc.t.Errorf("idempotency key %s delivered %d times", key, n)
		}
	}
}

func (rc *receiver) callCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.calls
}

// heldAlerts describes the deload recommendations the notification service raised for an
// athlete, whatever became of them: why a page is missing (never raised, or resolved before it
// went out) is then in the failure message.
func heldAlerts(t *testing.T, ctx context.Context, notify notificationsv1.NotificationServiceClient, athlete string) []string {
	t.Helper()
	resp, err := notify.ListAlerts(ctx, &notificationsv1.ListAlertsRequest{TeamId: squad, AthleteId: athlete,
		Kinds: []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED}, PageSize: 100})
	if err != nil {
		return []string{"list alerts: " + err.Error()}
	}
	var out []string
	for _, a := range resp.GetAlerts() {
		out = append(out, fmt.Sprintf("%q %s %s, %d deliveries", a.GetContent().GetTitle(),
			strings.ToLower(strings.TrimPrefix(a.GetState().String(), "ALERT_STATE_")),
			strings.ToLower(strings.TrimPrefix(a.GetResolution().String(), "ALERT_RESOLUTION_")), a.GetDeliveries()))
	}
	return out
}

func onsetDay(tr simulate.Truth) string {
	if tr.Onset.IsZero() {
		return "-"
	}
	return tr.Onset.Format(time.DateOnly)
}

func dateOf(d *commonv1.Date) time.Time {
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

func deloadWeeks(ds []*programmingv1.Deload) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s", dateOf(d.GetWeekStart()).Format(time.DateOnly),
			strings.ToLower(strings.TrimPrefix(d.GetStatus().String(), "DELOAD_STATUS_"))))
	}
	return out
}

func alertTitles(as []webhookAlert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Kind+": "+a.Title)
	}
	return out
}
