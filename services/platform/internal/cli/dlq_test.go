package cli

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/auth/authservice"
	"github.com/supercomp/supercomp/pkg/auth/authtest"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/deadletter"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/server/servertest"
)

// dlqDupWindow is TRAINING's duplicate window in this test: short, so a dead letter can be
// redriven (the stream has forgotten the id of the message that failed) a moment later.
const dlqDupWindow = time.Second

// pickyConsumer is a TRAINING consumer that dead-letters every set heavier than maxLoad and
// counts, per event id, the ones it accepted.
type pickyConsumer struct {
	mu       sync.Mutex
	maxLoad  float64
	accepted map[string]int
}

func (c *pickyConsumer) handle(_ context.Context, m jetstream.Msg) error {
	ev, err := events.Decode(m.Data())
	if err != nil {
		return bus.Poison(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if load := ev.GetSetRecorded().GetLoadKg(); load > c.maxLoad {
		return bus.Poison(errors.New("load_kg " + strconv.FormatFloat(load, 'f', -1, 64) + " above the plausible maximum"))
	}
	c.accepted[ev.GetId()]++
	return nil
}

func (c *pickyConsumer) setMaxLoad(kg float64) {
	c.mu.Lock()
	c.maxLoad = kg
	c.mu.Unlock()
}

func (c *pickyConsumer) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted[id]
}

// startDLQServer runs the guard, AuthService and DeadLetterService on real JetStream, with a
// picky consumer on TRAINING.
func startDLQServer(t *testing.T) (addr, adminKey string, b *bus.Bus, picky *pickyConsumer) {
	t.Helper()
	ctx := context.Background()
	b, _ = bustest.New(t)
	for _, cfg := range bus.DefaultStreams(1) {
		if cfg.Name == bus.StreamTraining {
			cfg.Duplicates = dlqDupWindow
			if err := b.EnsureStreams(ctx, cfg); err != nil {
				t.Fatal(err)
			}
		}
	}
	adminKey = "cli-dlq-admin-key-0123456789abcdef"
	authn := authtest.WithAdmin(t, b, adminKey)
	guard := auth.NewGuard(authn)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, zap.NewNop(),
		server.WithUnaryInterceptors(guard.Unary()), server.WithStreamInterceptors(guard.Stream()))
	if err != nil {
		t.Fatal(err)
	}
	authservice.New(authn, b).Register(srv.GRPC())
	deadletter.New(b).Register(srv.GRPC())
	servertest.Serve(t, srv)

	picky = &pickyConsumer{maxLoad: 500, accepted: map[string]int{}}
	c, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "picky-recorder"}, picky.handle, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	t.Cleanup(func() {
		_ = c.Stop(context.Background())
		<-done
	})
	return srv.Addr().String(), adminKey, b, picky
}

func publishSet(t *testing.T, b *bus.Bus, team, athlete string, loadKg float64) string {
	t.Helper()
	ev := &eventsv1.Event{Id: events.NewID(), TeamId: team, AthleteId: athlete, Source: "test",
		Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{Exercise: "deadlift", Reps: 3, LoadKg: loadKg}}}
	if _, err := events.Publish(context.Background(), b, ev); err != nil {
		t.Fatal(err)
	}
	return ev.GetId()
}

// dlqRow finds the list row of the dead letter first sent on subject: its SEQ.
func dlqRow(out, subject string) (seq string, ok bool) {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[5] == subject {
			return f[0], true
		}
	}
	return "", false
}

// TestDLQPoisonListShowRedrivePurge is the DLQ scenario through sc: a set the consumer
// rejects is dead-lettered, shows up in `sc dlq list` and `show` with its reason, comes back
// exactly once after the fix with `sc dlq redrive` (a second redrive changes nothing), another is
// purged, a coach is refused, and every act is in the audit trail.
func TestDLQPoisonListShowRedrivePurge(t *testing.T) {
	addr, admin, b, picky := startDLQServer(t)
	t.Setenv("SC_TOKEN", "")
	sc := func(args ...string) (string, error) {
		t.Helper()
		return runSC(t, append(args, "--addr", addr, "--token", admin)...)
	}

	heavy := publishSet(t, b, "t1", "ana", 900)
	publishSet(t, b, "t1", "ana", 120)
	other := publishSet(t, b, "t2", "ben", 1200)

	var out string
	deadline := time.Now().Add(15 * time.Second)
	for {
		var err error
		if out, err = sc("dlq", "list"); err != nil {
			t.Fatalf("sc dlq list: %v", err)
		}
		if strings.Count(out, "picky-recorder") == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	heavySeq, ok := dlqRow(out, "sc.training.t1.ana.set")
	otherSeq, ok2 := dlqRow(out, "sc.training.t2.ben.set")
	if !ok || !ok2 || !strings.HasPrefix(out, "SEQ") || !strings.Contains(out, "load_kg 900 above the plausible maximum") {
		t.Fatalf("sc dlq list does not show both rejected sets:\n%s", out)
	}
	out, err := sc("dlq", "list", "--subject", "sc.training.t2.>", "--reason", "PLAUSIBLE", "--newer-than", "1h", "-o", "json")
	var listed struct {
		DeadLetters []struct {
			MessageID string `json:"message_id"`
		} `json:"dead_letters"`
	}
	if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed.DeadLetters) != 1 || listed.DeadLetters[0].MessageID != other {
		t.Errorf("filtered list -o json = %v\n%s", err, out)
	}
	if out, err := sc("dlq", "list", "--older-than", "1d"); err != nil || !strings.Contains(out, "(no dead letters)") {
		t.Errorf("list --older-than 1d = %v\n%s", err, out)
	}

	out, err = sc("dlq", "show", heavySeq)
	// protojson varies its spacing on purpose, hence the \s+ after a JSON key.
	if err != nil || !regexp.MustCompile(`given up by:\s+picky-recorder after 1 deliveries`).MatchString(out) ||
		!regexp.MustCompile(`message id:\s+`+heavy).MatchString(out) ||
		!regexp.MustCompile(`"load_kg":\s+900`).MatchString(out) || !strings.Contains(out, "Sc-Dlq-Reason: load_kg 900") {
		t.Errorf("sc dlq show %s = %v\n%s", heavySeq, err, out)
	}

	// A coach may not look into, redrive or purge the DLQ: it holds every team's data.
	out, err = sc("keys", "create", "--name", "t1 coach", "--role", "coach", "--team", "t1")
	coach := regexp.MustCompile(`secret \(shown only now\): (\S+)`).FindStringSubmatch(out)
	if err != nil || coach == nil {
		t.Fatalf("keys create: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"dlq", "list"}, {"dlq", "show", heavySeq}, {"dlq", "redrive", heavySeq}, {"dlq", "purge", heavySeq}} {
		if _, err := runSC(t, append(args, "--addr", addr, "--token", coach[1])...); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("coach: sc %s = %v, want permission denied", strings.Join(args, " "), err)
		}
	}

	// The cause is fixed (the limit was wrong); once TRAINING has forgotten the failed message's
	// id, the redrive brings it back.
	picky.setMaxLoad(1000)
	time.Sleep(dlqDupWindow + 200*time.Millisecond)
	out, err = sc("dlq", "redrive", heavySeq)
	if err != nil || !strings.Contains(out, "redriven 1, already present 0, too soon 0, not found 0, failed 0") {
		t.Fatalf("sc dlq redrive %s = %v\n%s", heavySeq, err, out)
	}
	deadline = time.Now().Add(10 * time.Second)
	for picky.count(heavy) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out, err = sc("dlq", "redrive", heavySeq)
	if err != nil || !strings.Contains(out, "redriven 0, already present 0, too soon 0, not found 1, failed 0") {
		t.Errorf("second redrive = %v\n%s", err, out)
	}
	// By filter: nothing else matches t1, so nothing is republished.
	if out, err := sc("dlq", "redrive", "--subject", "sc.training.t1.>"); err != nil || !strings.Contains(out, "no dead letters to redrive") {
		t.Errorf("redrive by filter = %v\n%s", err, out)
	}
	if _, err := sc("dlq", "redrive"); err == nil || !strings.Contains(err.Error(), "--all") {
		t.Errorf("redrive without a selection = %v, want a hint at --all", err)
	}
	if err := waitSettled(b, "picky-recorder"); err != nil {
		t.Fatal(err)
	}
	if n := picky.count(heavy); n != 1 {
		t.Errorf("the redriven set reached the consumer %d times, want exactly once", n)
	}

	// The other one is purged: gone from the list, never delivered.
	if out, err := sc("dlq", "purge", "--stream", "training", "--consumer", "picky-recorder"); err != nil || !strings.Contains(out, "purged 1 dead letters: "+otherSeq) {
		t.Errorf("purge = %v\n%s", err, out)
	}
	if out, err := sc("dlq", "list"); err != nil || !strings.Contains(out, "(no dead letters)") {
		t.Errorf("list after redrive and purge = %v\n%s", err, out)
	}
	if n := picky.count(other); n != 0 {
		t.Errorf("the purged set reached the consumer %d times", n)
	}

	// Each act is audited under the team whose data it was, by the admin key.
	audited := map[string]string{}
	for _, ev := range auditEvents(t, b) {
		a := ev.GetAuditRecorded()
		if a.GetActor().GetSubject() == "" || a.GetResourceType() != "dead_letter" {
			continue
		}
		audited[a.GetAction()+" "+a.GetResourceId()] = ev.GetTeamId() + " " + a.GetDetail()
	}
	if got := audited["dlq.redrive "+heavySeq]; !strings.HasPrefix(got, "t1 republished to sc.training.t1.ana.set") {
		t.Errorf("redrive audit = %q (all: %v)", got, audited)
	}
	if got := audited["dlq.purge "+otherSeq]; !strings.HasPrefix(got, "t2 deleted unreplayed") {
		t.Errorf("purge audit = %q (all: %v)", got, audited)
	}
	if len(audited) != 2 {
		t.Errorf("audited %v, want one redrive and one purge", audited)
	}
}

// waitSettled waits until the durable has nothing pending or unacknowledged.
func waitSettled(b *bus.Bus, durable string) error {
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := b.JetStream().Consumer(ctx, bus.StreamTraining, durable)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New(durable + " did not settle")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func auditEvents(t *testing.T, b *bus.Bus) []*eventsv1.Event {
	t.Helper()
	ctx := context.Background()
	c, err := b.JetStream().OrderedConsumer(ctx, bus.StreamAudit, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := c.FetchNoWait(100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*eventsv1.Event
	for m := range batch.Messages() {
		ev, err := events.Decode(m.Data())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// TestDLQElsewhere: a process without DeadLetterService (fatigue, when the services run apart)
// gets a hint where to go instead of a bare Unimplemented.
func TestDLQElsewhere(t *testing.T) {
	addr := startServer(t)
	if _, err := runSC(t, "dlq", "list", "--addr", addr, "--token", "any"); err == nil || !strings.Contains(err.Error(), "does not serve dead letters") {
		t.Errorf("dlq list on a server without the service = %v", err)
	}
}
