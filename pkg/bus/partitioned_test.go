package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

func partitionedConfig(view string, n int) bus.PartitionedConfig {
	return bus.PartitionedConfig{
		View: view,
		Sources: []bus.PartitionSource{{
			Stream: bus.StreamTraining, Subject: "sc.training.*.*.*", Key: []int{1, 2},
		}},
		Partitions: n,
		Consumer: bus.ConsumerConfig{
			Durable: strings.ToLower(view), MaxDeliver: -1, BackOff: fastRetries,
			AckWait: time.Second, Batch: 7, MaxWait: 100 * time.Millisecond,
		},
		PinnedTTL: 2 * time.Second,
	}
}

func TestPartitionOfMatchesTheServerMapping(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	cfg := partitionedConfig("PARTMAP", 5)
	if err := b.EnsurePartitionedView(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	const athletes = 40
	seqs := map[string]uint64{}
	for i := range athletes {
		subject := bus.Subject(bus.StreamTraining, "tm", fmt.Sprintf("ath%d", i), "set")
		ack, err := b.Publish(ctx, subject, "partmap-"+strconv.Itoa(i), []byte("x"), nil)
		if err != nil {
			t.Fatal(err)
		}
		seqs[subject] = ack.Sequence
	}
	eventually(t, "the view to source every message", func() bool { return streamMsgs(t, b, "PARTMAP") == athletes })
	view, err := b.JetStream().Stream(ctx, "PARTMAP")
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= athletes; seq++ {
		raw, err := view.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		toks := strings.SplitN(raw.Subject, ".", 3)
		orig := toks[2]
		parts := strings.Split(orig, ".")
		if want := strconv.Itoa(bus.PartitionOf(5, parts[2], parts[3])); toks[0] != "partmap" || toks[1] != want {
			t.Errorf("stored as %s, want partmap.%s.%s", raw.Subject, want, orig)
		}
		o, ok := bus.SourceOf(&headerMsg{jetstream.Msg(nil), raw})
		if !ok || o.Stream != bus.StreamTraining || o.Subject != orig || o.Sequence != seqs[orig] {
			t.Errorf("source of %s = %+v %v, want TRAINING seq %d", raw.Subject, o, ok, seqs[orig])
		}
	}
}

// headerMsg lets SourceOf read a stored message's headers.
type headerMsg struct {
	jetstream.Msg
	raw *jetstream.RawStreamMsg
}

func (m *headerMsg) Headers() nats.Header { return m.raw.Header }

func TestPartitionedConfigRejectsWhatCannotWork(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	tests := []struct {
		name   string
		change func(*bus.PartitionedConfig)
		want   string
	}{
		{"no partitions", func(c *bus.PartitionedConfig) { c.Partitions = 0 }, "partitions 0"},
		{"too many partitions", func(c *bus.PartitionedConfig) { c.Partitions = bus.MaxPartitions + 1 }, "must be between"},
		{"full wildcard", func(c *bus.PartitionedConfig) { c.Sources[0].Subject = "sc.training.>" }, "only literal tokens"},
		{"key beyond wildcards", func(c *bus.PartitionedConfig) { c.Sources[0].Key = []int{1, 4} }, "has 3 wildcards"},
		{"no key", func(c *bus.PartitionedConfig) { c.Sources[0].Key = nil }, "no key"},
		{"bad view name", func(c *bus.PartitionedConfig) { c.View = "A.B" }, "not a valid stream name"},
		{"bad durable", func(c *bus.PartitionedConfig) { c.Consumer.Durable = "" }, "not a valid consumer name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := partitionedConfig("REJECT", 2)
			tt.change(&cfg)
			_, err := b.NewPartitionedBatchConsumer(ctx, cfg, func(context.Context, []jetstream.Msg) error { return nil }, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// ledger is the durable effect of the test's handler: per athlete, the
// last applied source sequence and payload index. Like the fatigue
// processor, it skips what it already applied, so a redelivery after a lost
// ack is harmless, and it flags an event applied out of turn or while
// another instance works on the same athlete.
type ledger struct {
	mu       sync.Mutex
	lastSeq  map[string]uint64
	next     map[string]int
	busy     map[string]string
	applied  map[string]int // per instance
	skipped  int
	problems []string
}

func newLedger() *ledger {
	return &ledger{lastSeq: map[string]uint64{}, next: map[string]int{}, busy: map[string]string{}, applied: map[string]int{}}
}

func (l *ledger) handler(instance string) bus.BatchHandler {
	return func(_ context.Context, msgs []jetstream.Msg) error {
		for _, m := range msgs {
			o, ok := bus.SourceOf(m)
			if !ok {
				l.problem("message %s without source", m.Subject())
				continue
			}
			athlete := strings.Split(o.Subject, ".")[3]
			l.mu.Lock()
			if other, ok := l.busy[athlete]; ok && other != instance {
				l.problems = append(l.problems, fmt.Sprintf("%s handled by %s while %s was on it", athlete, instance, other))
			}
			l.busy[athlete] = instance
			l.mu.Unlock()
			time.Sleep(100 * time.Microsecond) // widen the window an overlap would show in

			l.mu.Lock()
			delete(l.busy, athlete)
			if o.Sequence <= l.lastSeq[athlete] {
				l.skipped++
				l.mu.Unlock()
				continue
			}
			idx, _ := strconv.Atoi(string(m.Data()))
			if idx != l.next[athlete] {
				l.problems = append(l.problems, fmt.Sprintf("%s: got event %d, want %d (by %s)", athlete, idx, l.next[athlete], instance))
			}
			l.next[athlete] = idx + 1
			l.lastSeq[athlete] = o.Sequence
			l.applied[instance]++
			l.mu.Unlock()
		}
		return nil
	}
}

func (l *ledger) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

func (l *ledger) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.applied {
		n += a
	}
	return n
}

func (l *ledger) check(t *testing.T, athletes, perAthlete int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.problems {
		t.Error(p)
	}
	for i := range athletes {
		a := fmt.Sprintf("a%d", i)
		if l.next[a] != perAthlete {
			t.Errorf("%s: %d events applied, want %d", a, l.next[a], perAthlete)
		}
	}
	t.Logf("applied per instance %v, redeliveries skipped %d", l.applied, l.skipped)
}

// publishRound publishes perAthlete events for each athlete, interleaved,
// with payload = the athlete's event index (from offset).
func publishRound(t *testing.T, b *bus.Bus, athletes, from, to int) {
	t.Helper()
	var msgs []bus.OutMsg
	for idx := from; idx < to; idx++ {
		for a := range athletes {
			msgs = append(msgs, bus.OutMsg{
				Subject: bus.Subject(bus.StreamTraining, "t1", fmt.Sprintf("a%d", a), "set"),
				MsgID:   fmt.Sprintf("part-%d-%d", a, idx),
				Data:    []byte(strconv.Itoa(idx)),
			})
		}
	}
	if _, err := b.PublishBatch(testContext(t), msgs); err != nil {
		t.Fatal(err)
	}
}

type instance struct {
	name string
	bus  *bus.Bus
	pc   *bus.PartitionedConsumer
	errc chan error
}

func startInstance(t *testing.T, e *bus.Embedded, cfg bus.PartitionedConfig, name string, l *ledger) *instance {
	t.Helper()
	return startWithHandler(t, e, cfg, name, l.handler(name))
}

func startWithHandler(t *testing.T, e *bus.Embedded, cfg bus.PartitionedConfig, name string, h bus.BatchHandler) *instance {
	t.Helper()
	b := bustest.Connect(t, e)
	pc, err := b.NewPartitionedBatchConsumer(testContext(t), cfg, h, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{name: name, bus: b, pc: pc, errc: make(chan error, 1)}
	go func() { in.errc <- pc.Start(context.Background()) }()
	return in
}

func (in *instance) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := in.pc.Stop(ctx); err != nil {
		t.Errorf("stop %s: %v", in.name, err)
	}
	if err := <-in.errc; err != nil {
		t.Errorf("%s returned %v", in.name, err)
	}
}

func TestPartitionedInstancesHandOverOnStop(t *testing.T) {
	setup, e := bustest.New(t)
	const athletes, partitions = 12, 4
	cfg := partitionedConfig("HANDOVER", partitions)
	l := newLedger()
	a := startInstance(t, e, cfg, "A", l)
	// A starts alone and holds every partition; B waits its turn.
	publishRound(t, setup, athletes, 0, 20)
	eventually(t, "A's round", func() bool { return l.total() == athletes*20 })
	b := startInstance(t, e, cfg, "B", l)
	publishRound(t, setup, athletes, 20, 40)
	eventually(t, "the shared round", func() bool { return l.total() == athletes*40 })

	a.stop(t)
	publishRound(t, setup, athletes, 40, 60)
	eventually(t, "B's round", func() bool { return l.total() == athletes*60 })
	b.stop(t)

	l.mu.Lock()
	if l.applied["A"] < athletes*20 || l.applied["B"] == 0 {
		t.Errorf("applied %v: want A to hold every partition first and B to take them over", l.applied)
	}
	l.mu.Unlock()
	l.check(t, athletes, 60)
	if got := streamMsgs(t, setup, "HANDOVER"); got != 0 {
		t.Errorf("view holds %d messages after everything was acked, want 0", got)
	}
}

func TestPartitionedInstanceCrashIsTakenOver(t *testing.T) {
	// The crashed instance leaves unacknowledged deliveries behind. The server puts a
	// redelivery that no waiting request may take (the survivor waits unpinned) back at the
	// tail of its queue, so it would hand them over out of order; the survivor must still
	// apply every athlete's events in order (the ledger checks it).
	setup, e := bustest.New(t)
	const athletes, partitions = 12, 3
	cfg := partitionedConfig("CRASH", partitions)
	l := newLedger()
	a := startInstance(t, e, cfg, "A", l)
	// A is alone, so it holds every partition before B arrives.
	publishRound(t, setup, athletes, 0, 10)
	eventually(t, "A's round", func() bool { return l.total() == athletes*10 })
	b := startInstance(t, e, cfg, "B", l)

	publishRound(t, setup, athletes, 10, 40)
	// Crash A mid-stream: its connection goes without acks or unpinning.
	a.bus.Conn().Close()
	<-a.errc
	publishRound(t, setup, athletes, 40, 60)
	eventually(t, "B to take over A's partitions", func() bool { return l.total() == athletes*60 })
	b.stop(t)

	l.check(t, athletes, 60)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.applied["B"] == 0 {
		t.Error("B applied nothing: the partitions never moved")
	}
}

// failingEvery fails every n-th call before it reaches h, as a handler whose store is briefly
// unavailable does.
func failingEvery(n int, h bus.BatchHandler) bus.BatchHandler {
	var mu sync.Mutex
	calls := 0
	return func(ctx context.Context, msgs []jetstream.Msg) error {
		mu.Lock()
		calls++
		fail := calls%n == 0
		mu.Unlock()
		if fail {
			return errors.New("store unavailable")
		}
		return h(ctx, msgs)
	}
}

func TestPartitionedFailedBatchesAreRetriedInOrder(t *testing.T) {
	// A failed batch comes back while the other instances wait unpinned: the state in which the
	// server rotates its redeliveries. Every athlete's events must still be applied in order.
	setup, e := bustest.New(t)
	const athletes, partitions = 12, 3
	cfg := partitionedConfig("RETRIED", partitions)
	l := newLedger()
	var instances []*instance
	for i, name := range []string{"A", "B", "C"} {
		instances = append(instances, startWithHandler(t, e, cfg, name, failingEvery(3+i, l.handler(name))))
	}
	publishRound(t, setup, athletes, 0, 30)
	eventually(t, "every event applied", func() bool { return l.total() == athletes*30 })
	for _, in := range instances {
		in.stop(t)
	}
	l.check(t, athletes, 30)
	if got := streamMsgs(t, setup, "RETRIED"); got != 0 {
		t.Errorf("view holds %d messages after everything was acked, want 0", got)
	}
}

func TestPartitionedRestartIgnoresAnAckFloorNothingWasHandledFor(t *testing.T) {
	// A consumer leader elected after a server loss can count its predecessor's last
	// deliveries as acknowledged although the instance they went to crashed before handling
	// them. Here another client acks every message the handler never saw: the partitions must
	// still start from their checkpoints and apply everything, in order.
	setup, e := bustest.New(t)
	const athletes, partitions = 12, 3
	cfg := partitionedConfig("FLOOR", partitions)
	pc, err := setup.NewPartitionedBatchConsumer(testContext(t), cfg, func(context.Context, []jetstream.Msg) error {
		return errors.New("never started")
	}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	publishRound(t, setup, athletes, 0, 10)
	eventually(t, "the view to source every message", func() bool { return streamMsgs(t, setup, "FLOOR") == athletes*10 })
	view, err := setup.JetStream().Stream(testContext(t), "FLOOR")
	if err != nil {
		t.Fatal(err)
	}
	acked := 0
	for _, c := range pc.Consumers() {
		durable := c.Config().Durable
		cons, err := setup.JetStream().Consumer(testContext(t), "FLOOR", durable)
		if err != nil {
			t.Fatal(err)
		}
		batch, err := cons.Fetch(athletes*10, jetstream.FetchMaxWait(time.Second), jetstream.FetchPriorityGroup(durable))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			if err := m.DoubleAck(testContext(t)); err != nil {
				t.Fatal(err)
			}
			acked++
		}
		if err := view.UnpinConsumer(testContext(t), durable, durable); err != nil {
			t.Fatal(err)
		}
	}
	if acked != athletes*10 {
		t.Fatalf("acked %d messages outside the handler, want %d", acked, athletes*10)
	}

	l := newLedger()
	a := startInstance(t, e, cfg, "A", l)
	publishRound(t, setup, athletes, 10, 20)
	eventually(t, "every event applied", func() bool { return l.total() == athletes*20 })
	a.stop(t)
	l.check(t, athletes, 20)
	if got := streamMsgs(t, setup, "FLOOR"); got != 0 {
		t.Errorf("view holds %d messages after everything was handled, want 0 (purged up to the checkpoints)", got)
	}
}

func TestPartitionedViewCreatedAsAWorkQueueIsReplaced(t *testing.T) {
	// Views were work queues before checkpoints; the server cannot change that retention.
	b, _ := bustest.New(t)
	ctx := testContext(t)
	if _, err := b.JetStream().CreateStream(ctx, jetstream.StreamConfig{
		Name: "LEGACY", Subjects: []string{"legacy.>"}, Retention: jetstream.WorkQueuePolicy,
	}); err != nil {
		t.Fatal(err)
	}
	cfg := partitionedConfig("LEGACY", 2)
	if err := b.EnsurePartitionedView(ctx, cfg); err != nil {
		t.Fatalf("ensure a view over a work-queue one: %v", err)
	}
	s, err := b.JetStream().Stream(ctx, "LEGACY")
	if err != nil {
		t.Fatal(err)
	}
	if c := s.CachedInfo().Config; c.Retention != jetstream.LimitsPolicy || c.MaxAge != bus.DefaultViewMaxAge || len(c.Sources) != 1 {
		t.Errorf("view retention %s, max age %s, %d sources; want limits, %s, 1", c.Retention, c.MaxAge, len(c.Sources), bus.DefaultViewMaxAge)
	}
	if _, err := b.JetStream().KeyValue(ctx, bus.CheckpointBucket("LEGACY")); err != nil {
		t.Errorf("checkpoint bucket: %v", err)
	}
}
