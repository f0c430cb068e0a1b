package deadletter_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/deadletter"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	deadletterv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/deadletter/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

var admin = &auth.Principal{Subject: "key-admin", Role: commonv1.Role_ROLE_ADMIN}

// rig is a real JetStream with TRAINING remembering message ids for dupWindow, and a consumer
// on it that dead-letters every event it is sent while rejecting, and counts the others.
type rig struct {
	b    *bus.Bus
	svc  *deadletter.Service
	ctx  context.Context
	mu   sync.Mutex
	seen map[string]int
	// rejecting is read by the handler; while true every message is poisoned.
	rejecting bool
}

const durable = "dlq-test-consumer"

func newRig(t *testing.T, dupWindow time.Duration) *rig {
	t.Helper()
	b, _ := bustest.New(t)
	ctx := context.Background()
	for _, cfg := range bus.DefaultStreams(1) {
		if cfg.Name == bus.StreamTraining {
			cfg.Duplicates = dupWindow
			if err := b.EnsureStreams(ctx, cfg); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := &rig{b: b, svc: deadletter.New(b), ctx: auth.WithPrincipal(ctx, admin), seen: map[string]int{}, rejecting: true}
	c, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: durable}, func(_ context.Context, m jetstream.Msg) error {
		ev, err := events.Decode(m.Data())
		if err != nil {
			return bus.Poison(err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.rejecting {
			return bus.Poison(errors.New("rejected by the test: load_kg out of range"))
		}
		r.seen[ev.GetId()]++
		return nil
	}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	t.Cleanup(func() {
		_ = c.Stop(context.Background())
		<-done
	})
	return r
}

func (r *rig) accept() {
	r.mu.Lock()
	r.rejecting = false
	r.mu.Unlock()
}

func (r *rig) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[id]
}

// publish sends one set of athlete on team; it returns the event id.
func (r *rig) publish(t *testing.T, team, athlete string) string {
	t.Helper()
	ev := &eventsv1.Event{Id: events.NewID(), TeamId: team, AthleteId: athlete, Source: "test",
		Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{Exercise: "back squat", Reps: 5, LoadKg: 100}}}
	if _, err := events.Publish(context.Background(), r.b, ev); err != nil {
		t.Fatal(err)
	}
	return ev.GetId()
}

// waitDeadLetters waits until the DLQ lists n dead letters and returns them.
func (r *rig) waitDeadLetters(t *testing.T, n int) []*deadletterv1.DeadLetter {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := r.svc.ListDeadLetters(r.ctx, &deadletterv1.ListDeadLettersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetDeadLetters()) == n {
			return resp.GetDeadLetters()
		}
		if time.Now().After(deadline) {
			t.Fatalf("DLQ lists %d dead letters, want %d", len(resp.GetDeadLetters()), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestListFiltersAndPages(t *testing.T) {
	r := newRig(t, bus.DefaultDuplicateWindow)
	ids := []string{r.publish(t, "t1", "a1"), r.publish(t, "t1", "a2"), r.publish(t, "t2", "a1")}
	r.waitDeadLetters(t, 3)
	// A dead letter of another stream and consumer, written as the bus writes them, after those.
	if _, err := r.b.Publish(context.Background(), bus.DeadLetterSubject(bus.StreamAudit, "audit-recorder"), "dlq.AUDIT.audit-recorder.7",
		[]byte{0xff}, map[string][]string{bus.HeaderDLQStream: {bus.StreamAudit}, bus.HeaderDLQSubject: {"sc.audit._platform._team.audit"},
			bus.HeaderDLQReason: {"cannot decode"}, bus.HeaderDLQConsumer: {"audit-recorder"}, bus.HeaderDLQSequence: {"7"}}); err != nil {
		t.Fatal(err)
	}
	all := r.waitDeadLetters(t, 4)
	first := all[0]
	if first.GetStream() != bus.StreamTraining || first.GetSubject() != "sc.training.t1.a1.set" || first.GetConsumer() != durable ||
		first.GetMessageId() != ids[0] || first.GetDeliveries() != 1 || !strings.Contains(first.GetReason(), "load_kg out of range") ||
		first.GetSize() == 0 || first.GetStreamSequence() != 1 || len(first.GetData()) != 0 {
		t.Errorf("first dead letter = %v", first)
	}

	list := func(f *deadletterv1.DeadLetterFilter) []string {
		t.Helper()
		resp, err := r.svc.ListDeadLetters(r.ctx, &deadletterv1.ListDeadLettersRequest{Filter: f})
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for _, dl := range resp.GetDeadLetters() {
			subjects = append(subjects, dl.GetSubject())
		}
		return subjects
	}
	for _, tc := range []struct {
		name string
		f    *deadletterv1.DeadLetterFilter
		want string
	}{
		{"stream, any case", &deadletterv1.DeadLetterFilter{Stream: "audit"}, "sc.audit._platform._team.audit"},
		{"subject wildcard", &deadletterv1.DeadLetterFilter{Subject: "sc.training.*.a1.>"}, "sc.training.t1.a1.set sc.training.t2.a1.set"},
		{"subject exact", &deadletterv1.DeadLetterFilter{Subject: "sc.training.t1.a2.set"}, "sc.training.t1.a2.set"},
		{"consumer", &deadletterv1.DeadLetterFilter{Consumer: "audit-recorder"}, "sc.audit._platform._team.audit"},
		{"reason, any case", &deadletterv1.DeadLetterFilter{Reason: "LOAD_KG", Subject: "sc.training.t2.>"}, "sc.training.t2.a1.set"},
		{"younger than an hour", &deadletterv1.DeadLetterFilter{MaxAge: durationpb.New(time.Hour), Stream: "TRAINING"},
			"sc.training.t1.a1.set sc.training.t1.a2.set sc.training.t2.a1.set"},
		{"older than an hour", &deadletterv1.DeadLetterFilter{MinAge: durationpb.New(time.Hour)}, ""},
	} {
		if got := strings.Join(list(tc.f), " "); got != tc.want {
			t.Errorf("%s: listed %q, want %q", tc.name, got, tc.want)
		}
	}

	// Pages of two: every dead letter once, in order, then no token.
	var paged []uint64
	req := &deadletterv1.ListDeadLettersRequest{PageSize: 2}
	for pages := 0; ; pages++ {
		resp, err := r.svc.ListDeadLetters(r.ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, dl := range resp.GetDeadLetters() {
			paged = append(paged, dl.GetSequence())
		}
		if resp.GetNextPageToken() == "" || pages > 3 {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if len(paged) != 4 || paged[0] != all[0].GetSequence() || paged[3] != all[3].GetSequence() {
		t.Errorf("paged through %v, want the 4 sequences of %v", paged, all)
	}

	// Show decodes the event and reports what is not one.
	got, err := r.svc.GetDeadLetter(r.ctx, &deadletterv1.GetDeadLetterRequest{Sequence: first.GetSequence()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetEvent().GetId() != ids[0] || got.GetEvent().GetSetRecorded().GetLoadKg() != 100 || len(got.GetDeadLetter().GetData()) == 0 ||
		len(got.GetDeadLetter().GetHeaders()) < 6 {
		t.Errorf("show = %v", got)
	}
	var auditSeq uint64
	for _, dl := range all {
		if dl.GetStream() == bus.StreamAudit {
			auditSeq = dl.GetSequence()
		}
	}
	garbage, err := r.svc.GetDeadLetter(r.ctx, &deadletterv1.GetDeadLetterRequest{Sequence: auditSeq})
	if err != nil || garbage.GetEvent() != nil || garbage.GetDecodeError() == "" {
		t.Errorf("show of a payload that is no event = %v, %v; want a decode error", garbage, err)
	}
	if _, err := r.svc.GetDeadLetter(r.ctx, &deadletterv1.GetDeadLetterRequest{Sequence: 999}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("show of a missing sequence: %v, want NotFound", err)
	}
}

func TestBadRequestsAreInvalidArgument(t *testing.T) {
	b, _ := bustest.New(t)
	svc := deadletter.New(b)
	ctx := auth.WithPrincipal(context.Background(), admin)
	for field, call := range map[string]func() error{
		"page_size": func() error {
			_, err := svc.ListDeadLetters(ctx, &deadletterv1.ListDeadLettersRequest{PageSize: 501})
			return err
		},
		"page_token": func() error {
			_, err := svc.ListDeadLetters(ctx, &deadletterv1.ListDeadLettersRequest{PageToken: "x"})
			return err
		},
		"filter.subject": func() error {
			_, err := svc.ListDeadLetters(ctx, &deadletterv1.ListDeadLettersRequest{Filter: &deadletterv1.DeadLetterFilter{Subject: "sc.>.x"}})
			return err
		},
		"filter.max_age": func() error {
			_, err := svc.ListDeadLetters(ctx, &deadletterv1.ListDeadLettersRequest{Filter: &deadletterv1.DeadLetterFilter{
				MinAge: durationpb.New(2 * time.Hour), MaxAge: durationpb.New(time.Hour)}})
			return err
		},
		"sequence": func() error {
			_, err := svc.GetDeadLetter(ctx, &deadletterv1.GetDeadLetterRequest{})
			return err
		},
		"sequences": func() error {
			_, err := svc.RedriveDeadLetters(ctx, &deadletterv1.RedriveDeadLettersRequest{})
			return err
		},
		"sequences[1]": func() error {
			_, err := svc.PurgeDeadLetters(ctx, &deadletterv1.PurgeDeadLettersRequest{Sequences: []uint64{3, 0}})
			return err
		},
	} {
		var inv *fault.Invalid
		if err := call(); !errors.As(err, &inv) || len(inv.Violations) != 1 || inv.Violations[0].Field != field {
			t.Errorf("%v, want one violation of %s", err, field)
		}
	}
	if _, err := svc.PurgeDeadLetters(context.Background(), &deadletterv1.PurgeDeadLettersRequest{Sequences: []uint64{1}}); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Errorf("purge without a principal: %v, want unauthenticated", err)
	}
}

// TestRedriveTooSoonKeepsTheDeadLetter: within the stream's duplicate window the republish would
// be dropped as a duplicate of the very message that failed, so the dead letter stays, with the
// time it can be redriven.
func TestRedriveTooSoonKeepsTheDeadLetter(t *testing.T) {
	r := newRig(t, bus.DefaultDuplicateWindow)
	id := r.publish(t, "t1", "a1")
	dl := r.waitDeadLetters(t, 1)[0]
	r.accept()
	resp, err := r.svc.RedriveDeadLetters(r.ctx, &deadletterv1.RedriveDeadLettersRequest{Sequences: []uint64{dl.GetSequence()}})
	if err != nil {
		t.Fatal(err)
	}
	res := resp.GetResults()[0]
	wait := time.Until(res.GetRetryAfter().AsTime())
	if res.GetOutcome() != deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_TOO_SOON || res.GetStreamSequence() != dl.GetStreamSequence() ||
		wait <= 0 || wait > bus.DefaultDuplicateWindow {
		t.Errorf("redrive within the window = %v (retry in %s), want TOO_SOON and a retry time within the window", res, wait)
	}
	r.waitDeadLetters(t, 1)
	if n := r.count(id); n != 0 {
		t.Errorf("the consumer saw the event %d times, want 0", n)
	}
}

// TestRedriveOfACopyAlreadyResent: the sender resent the event (same id) after the window; a
// redrive of the dead letter then finds that copy, publishes nothing and clears the DLQ.
func TestRedriveOfACopyAlreadyResent(t *testing.T) {
	const window = 2 * time.Second
	r := newRig(t, window)
	id := r.publish(t, "t1", "a1")
	dl := r.waitDeadLetters(t, 1)[0]
	r.accept()
	time.Sleep(window - time.Since(dl.GetDeadLetteredAt().AsTime()) + 100*time.Millisecond)
	resent := &eventsv1.Event{Id: id, TeamId: "t1", AthleteId: "a1", Source: "test",
		Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{Exercise: "back squat", Reps: 5, LoadKg: 100}}}
	ack, err := events.Publish(context.Background(), r.b, resent)
	if err != nil || ack.Duplicate {
		t.Fatalf("resend: %v, %v", ack, err)
	}
	resp, err := r.svc.RedriveDeadLetters(r.ctx, &deadletterv1.RedriveDeadLettersRequest{Sequences: []uint64{dl.GetSequence()}})
	if err != nil {
		t.Fatal(err)
	}
	if res := resp.GetResults()[0]; res.GetOutcome() != deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_ALREADY_PRESENT || res.GetStreamSequence() != ack.Sequence {
		t.Errorf("redrive after a resend = %v, want ALREADY_PRESENT at sequence %d", res, ack.Sequence)
	}
	r.waitDeadLetters(t, 0)
	deadline := time.Now().Add(10 * time.Second)
	for r.count(id) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := r.count(id); n != 1 {
		t.Errorf("the consumer saw the event %d times, want once (the resend)", n)
	}
}

// TestRedriveReachesOnlyTheConsumerThatGaveUp: the redrive goes back on TRAINING, where another
// consumer handled the original; that one acks the copy without handling it again.
func TestRedriveReachesOnlyTheConsumerThatGaveUp(t *testing.T) {
	const window = 500 * time.Millisecond
	r := newRig(t, window)
	var (
		mu        sync.Mutex
		bystander = map[string]int{}
	)
	ctx := context.Background()
	c, err := r.b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "bystander"}, func(_ context.Context, m jetstream.Msg) error {
		ev, err := events.Decode(m.Data())
		if err != nil {
			return bus.Poison(err)
		}
		mu.Lock()
		bystander[ev.GetId()]++
		mu.Unlock()
		return nil
	}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	defer func() {
		_ = c.Stop(context.Background())
		<-done
	}()

	id := r.publish(t, "t1", "a1")
	dl := r.waitDeadLetters(t, 1)[0]
	r.accept()
	time.Sleep(window - time.Since(dl.GetDeadLetteredAt().AsTime()) + 100*time.Millisecond)
	resp, err := r.svc.RedriveDeadLetters(r.ctx, &deadletterv1.RedriveDeadLettersRequest{Sequences: []uint64{dl.GetSequence()}})
	if err != nil || resp.GetResults()[0].GetOutcome() != deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_REDRIVEN {
		t.Fatalf("redrive = %v, %v", resp, err)
	}
	for _, durable := range []string{durable, "bystander"} {
		if err := settled(r.b, durable); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if n, m := r.count(id), bystander[id]; n != 1 || m != 1 {
		t.Errorf("the consumer that gave up handled the event %d times, the other %d; want once each", n, m)
	}
}

// settled waits until durable has handled and acked everything on TRAINING.
func settled(b *bus.Bus, durable string) error {
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

// TestRedriveThroughAPartitionedView: a partition consumer (fatigue's shape) gives up on a
// message it reads from a view sourced from TRAINING; the dead letter names TRAINING and the
// original subject, and the redrive reaches that partition's consumer again through the view.
func TestRedriveThroughAPartitionedView(t *testing.T) {
	const window = 500 * time.Millisecond
	r := newRig(t, window)
	var (
		mu        sync.Mutex
		rejecting = true
		handled   = map[string]int{}
	)
	cfg := bus.PartitionedConfig{
		View:       "DLQTEST_VIEW",
		Sources:    []bus.PartitionSource{{Stream: bus.StreamTraining, Subject: "sc.training.*.*.*", Key: []int{1, 2}}},
		Partitions: 2,
		Consumer:   bus.ConsumerConfig{Durable: "viewer", MaxDeliver: -1, AckWait: time.Second, Batch: 10, MaxWait: 100 * time.Millisecond},
		PinnedTTL:  2 * time.Second,
	}
	ctx := context.Background()
	pc, err := r.b.NewPartitionedBatchConsumer(ctx, cfg, func(_ context.Context, msgs []jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		poison := map[int]error{}
		for i, m := range msgs {
			ev, err := events.Decode(m.Data())
			if err != nil || rejecting {
				poison[i] = bus.Poison(errors.New("rejected by the partition consumer"))
				continue
			}
			handled[ev.GetId()]++
		}
		if len(poison) > 0 {
			return &bus.BatchError{Errs: poison}
		}
		return nil
	}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pc.Start(ctx) }()
	defer func() {
		_ = pc.Stop(context.Background())
		<-done
	}()

	r.accept() // the rig's own consumer takes everything; only the view's rejects
	id := r.publish(t, "t1", "a7")
	dl := r.waitDeadLetters(t, 1)[0]
	if dl.GetStream() != bus.StreamTraining || dl.GetSubject() != "sc.training.t1.a7.set" || !strings.HasPrefix(dl.GetConsumer(), "viewer-p") {
		t.Fatalf("dead letter from the view = %v, want TRAINING's subject and a partition durable", dl)
	}
	mu.Lock()
	rejecting = false
	mu.Unlock()
	time.Sleep(window - time.Since(dl.GetDeadLetteredAt().AsTime()) + 100*time.Millisecond)
	resp, err := r.svc.RedriveDeadLetters(r.ctx, &deadletterv1.RedriveDeadLettersRequest{Sequences: []uint64{dl.GetSequence()}})
	if err != nil || resp.GetResults()[0].GetOutcome() != deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_REDRIVEN {
		t.Fatalf("redrive = %v, %v", resp, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := handled[id]
		mu.Unlock()
		if n == 1 {
			break
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("the partition consumer handled the redriven event %d times, want once", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := settled(r.b, durable); err != nil {
		t.Fatal(err)
	}
	if n := r.count(id); n != 1 {
		t.Errorf("the rig's consumer, which had the original, handled the event %d times, want once", n)
	}
}
