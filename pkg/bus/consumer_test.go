package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

// fastRetries keeps redeliveries quick in tests.
var fastRetries = []time.Duration{50 * time.Millisecond}

func TestRetriedMessageComesBack(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	tests := []struct {
		name    string
		failure error
	}{
		{"retry with delay", bus.Retry(errors.New("downstream busy"), 50*time.Millisecond)},
		{"plain error uses backoff", errors.New("database unavailable")},
		{"panic", nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			durable := fmt.Sprintf("retry%d", i)
			subject := bus.Subject(bus.StreamTraining, "t1", durable, "set")
			var rec recorder
			c, err := b.NewConsumer(ctx, bus.ConsumerConfig{
				Stream: bus.StreamTraining, Durable: durable, FilterSubjects: []string{subject}, BackOff: fastRetries,
			}, func(_ context.Context, m jetstream.Msg) error {
				rec.record(m)
				if rec.calls() == 1 {
					if tt.failure == nil {
						panic("handler bug")
					}
					return tt.failure
				}
				return nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			startConsumer(t, c)
			if _, err := b.Publish(ctx, subject, "evt-"+durable, []byte("x"), nil); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the redelivery", func() bool { return rec.calls() >= 2 })
			if got := rec.deliveriesSeen(); got[0] != 1 || got[1] != 2 {
				t.Errorf("deliveries %v, want [1 2]", got)
			}
			eventually(t, "the ack", func() bool {
				info, err := c.Info(ctx)
				return err == nil && info.NumAckPending == 0 && info.AckFloor.Stream > 0
			})
		})
	}
}

func TestMaxDeliverMovesMessageToDLQ(t *testing.T) {
	e := bustest.Server(t)
	b, reg := bustest.ConnectWithRegistry(t, e)
	ctx := testContext(t)
	if err := b.EnsureDefaultStreams(ctx); err != nil {
		t.Fatal(err)
	}
	const durable = "fatigue"
	var rec recorder
	c, err := b.NewConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamTraining, Durable: durable, MaxDeliver: 3, BackOff: fastRetries,
	}, func(_ context.Context, m jetstream.Msg) error {
		rec.record(m)
		return errors.New("athlete a42 has no profile\nsecond line")
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, c)
	subject := bus.Subject(bus.StreamTraining, "t1", "a42", "set")
	ack, err := b.Publish(ctx, subject, "evt-42", []byte("squat 180kg x3"), nats.Header{"Sc-Trace": []string{"abc"}})
	if err != nil {
		t.Fatal(err)
	}

	eventually(t, "the dead letter", func() bool { return streamMsgs(t, b, bus.StreamDLQ) == 1 })
	dl := lastDeadLetter(t, b, bus.StreamTraining, durable)
	if string(dl.Data) != "squat 180kg x3" {
		t.Errorf("dead letter data %q", dl.Data)
	}
	wantHeaders := map[string]string{
		bus.HeaderDLQReason:     "athlete a42 has no profile second line",
		bus.HeaderDLQStream:     bus.StreamTraining,
		bus.HeaderDLQSubject:    subject,
		bus.HeaderDLQSequence:   fmt.Sprint(ack.Sequence),
		bus.HeaderDLQDeliveries: "3",
		bus.HeaderDLQConsumer:   durable,
		bus.HeaderDLQMsgID:      "evt-42",
		"Sc-Trace":              "abc",
		jetstream.MsgIDHeader:   bus.DeadLetterMsgID(bus.StreamTraining, durable, ack.Sequence),
	}
	for k, want := range wantHeaders {
		if got := dl.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if got := rec.deliveriesSeen(); len(got) != 3 {
		t.Errorf("handler saw deliveries %v, want 3", got)
	}

	// The original is settled: nothing pending, nothing waiting for an ack.
	eventually(t, "the original to be terminated", func() bool {
		info, err := c.Info(ctx)
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0 && info.NumRedelivered == 0
	})
	// Dead-lettering it again (a crash between DLQ publish and Term) is
	// absorbed by the DLQ's duplicate window.
	again, err := b.Publish(ctx, dl.Subject, bus.DeadLetterMsgID(bus.StreamTraining, durable, ack.Sequence), dl.Data, nil)
	if err != nil || !again.Duplicate {
		t.Errorf("second dead letter: %+v, %v; want a duplicate", again, err)
	}

	if got := counterValue(t, reg, durable, "dead_lettered"); got != 1 {
		t.Errorf("dead_lettered counter %v, want 1", got)
	}
	if got := counterValue(t, reg, durable, "nakked"); got != 2 {
		t.Errorf("nakked counter %v, want 2", got)
	}
}

func TestPoisonGoesStraightToDLQ(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	var rec recorder
	c, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "ingest", BackOff: fastRetries},
		func(_ context.Context, m jetstream.Msg) error {
			rec.record(m)
			return bus.Poison(errors.New("payload does not decode"))
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, c)
	publishN(t, b, 1, "set")

	eventually(t, "the dead letter", func() bool { return streamMsgs(t, b, bus.StreamDLQ) == 1 })
	dl := lastDeadLetter(t, b, bus.StreamTraining, "ingest")
	if got := dl.Header.Get(bus.HeaderDLQDeliveries); got != "1" {
		t.Errorf("poison dead-lettered after %s deliveries, want 1", got)
	}
	if got := dl.Header.Get(bus.HeaderDLQReason); got != "payload does not decode" {
		t.Errorf("reason %q", got)
	}
	if rec.calls() != 1 {
		t.Errorf("handler called %d times, want 1", rec.calls())
	}
}

// A delivery that is never settled (the process died, or the handler ran
// past AckWait) still ends in the DLQ once MaxDeliver is used up; a
// server-side MaxDeliver would have dropped it silently.
func TestUnsettledDeliveriesEndInDLQ(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	const durable = "crashy"
	var rec recorder
	cfg := bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: durable, MaxDeliver: 2, BackOff: fastRetries, AckWait: 100 * time.Millisecond}
	c, err := b.NewConsumer(ctx, cfg, func(_ context.Context, m jetstream.Msg) error {
		rec.record(m)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	publishN(t, b, 1, "set")

	// Two deliveries that crash: pulled and never settled.
	raw, err := b.JetStream().Consumer(ctx, bus.StreamTraining, durable)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		batch, err := raw.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for range batch.Messages() {
			got++
		}
		if got != 1 {
			t.Fatalf("crashing delivery %d got %d messages", i+1, got)
		}
	}

	startConsumer(t, c)
	eventually(t, "the dead letter", func() bool { return streamMsgs(t, b, bus.StreamDLQ) == 1 })
	dl := lastDeadLetter(t, b, bus.StreamTraining, durable)
	if reason := dl.Header.Get(bus.HeaderDLQReason); !strings.Contains(reason, "not settled") {
		t.Errorf("reason %q", reason)
	}
	if rec.calls() != 0 {
		t.Errorf("handler ran %d times on a message past MaxDeliver", rec.calls())
	}
}

func TestBatchConsumerDeliversInBatches(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	const n = 2500
	publishN(t, b, n, "set")

	var mu sync.Mutex
	var sizes []int
	seen := map[string]bool{}
	c, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamTraining, Durable: "recorder", Batch: 1000, MaxWait: 200 * time.Millisecond, MaxDeliver: -1,
	}, func(_ context.Context, msgs []jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(msgs))
		for _, m := range msgs {
			seen[string(m.Data())] = true
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, c)

	eventually(t, "every message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == n
	})
	mu.Lock()
	total, largest := 0, 0
	for _, s := range sizes {
		total += s
		largest = max(largest, s)
	}
	batches := len(sizes)
	mu.Unlock()
	if largest > 1000 || batches < 3 || largest < 500 {
		t.Errorf("batch sizes %v: want batches of up to 1000 and more than one message", sizes)
	}
	if total != n {
		t.Errorf("handler got %d messages in total, want %d (no redeliveries)", total, n)
	}
	eventually(t, "all acks", func() bool {
		info, err := c.Info(ctx)
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0 && info.AckFloor.Stream == n
	})
}

func TestBatchConsumerSettlesMessagesIndividually(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	publishN(t, b, 10, "set")

	var mu sync.Mutex
	calls := 0
	handled := map[string]int{}
	c, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamTraining, Durable: "recorder", Batch: 10, MaxWait: 100 * time.Millisecond, BackOff: fastRetries,
	}, func(_ context.Context, msgs []jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return &bus.BatchError{Errs: map[int]error{
				3: bus.Poison(errors.New("row 3 does not decode")),
				5: errors.New("row 5 hit a transient error"),
			}}
		}
		for _, m := range msgs {
			handled[string(m.Data())]++
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, c)

	eventually(t, "the redelivered row", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return handled["payload 5"] == 1
	})
	eventually(t, "the dead letter", func() bool { return streamMsgs(t, b, bus.StreamDLQ) == 1 })
	if got := string(lastDeadLetter(t, b, bus.StreamTraining, "recorder").Data); got != "payload 3" {
		t.Errorf("dead letter %q, want payload 3", got)
	}
	mu.Lock()
	if len(handled) != 1 {
		t.Errorf("after the first batch, handler saw %v again; want only the retried row", handled)
	}
	mu.Unlock()
	eventually(t, "all settled", func() bool {
		info, err := c.Info(ctx)
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0
	})
}

func TestStopWaitsForInFlightHandler(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	started := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Bool
	c, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "slow"},
		func(hctx context.Context, m jetstream.Msg) error {
			close(started)
			<-release
			finished.Store(true)
			return hctx.Err()
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startCtx, cancelStart := context.WithCancel(context.Background())
	defer cancelStart()
	startErr := make(chan error, 1)
	go func() { startErr <- c.Start(startCtx) }()
	publishN(t, b, 1, "set")
	<-started

	// Cancelling Start's context is a shutdown too; neither it nor Stop may
	// abandon the handler.
	cancelStart()
	stopErr := make(chan error, 1)
	go func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		stopErr <- c.Stop(stopCtx)
	}()
	select {
	case err := <-stopErr:
		t.Fatalf("Stop returned %v while the handler was still running", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-stopErr; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !finished.Load() {
		t.Fatal("Stop returned before the handler finished")
	}
	if err := <-startErr; err != nil {
		t.Fatalf("Start: %v", err)
	}
	eventually(t, "the ack of the in-flight message", func() bool {
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream == 1 && info.NumAckPending == 0
	})
}

func TestStopGivesUpAtItsDeadline(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	started := make(chan struct{})
	var calls atomic.Int32
	c, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "stuck", BackOff: fastRetries},
		func(hctx context.Context, m jetstream.Msg) error {
			if calls.Add(1) == 1 {
				close(started)
				<-hctx.Done()
				return hctx.Err()
			}
			return nil
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startErr := make(chan error, 1)
	go func() { startErr <- c.Start(context.Background()) }()
	publishN(t, b, 1, "set")
	<-started

	stopCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.Stop(stopCtx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop past its deadline: %v", err)
	}
	if err := <-startErr; err != nil {
		t.Fatalf("Start: %v", err)
	}
	// The abandoned message was nakked, not acked: another instance gets it.
	next, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "stuck", BackOff: fastRetries},
		func(context.Context, jetstream.Msg) error { calls.Add(1); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, next)
	eventually(t, "the redelivery", func() bool { return calls.Load() >= 2 })
}

func TestStopBeforeStart(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	c, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "idle"},
		func(context.Context, jetstream.Msg) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if err := c.Start(ctx); err == nil {
		t.Fatal("second Start succeeded")
	}
}

// Messages pulled ahead but not handled when Stop comes are handed back at
// once, so the next instance does not wait AckWait (30s) for them.
func TestStopHandsBackPulledMessages(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	publishN(t, b, 20, "set")
	cfg := bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "handover", Batch: 50}
	started := make(chan struct{})
	release := make(chan struct{})
	var firstCalls atomic.Int32
	first, err := b.NewConsumer(ctx, cfg, func(context.Context, jetstream.Msg) error {
		if firstCalls.Add(1) == 1 {
			close(started)
			<-release
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startErr := make(chan error, 1)
	go func() { startErr <- first.Start(context.Background()) }()
	<-started
	stopErr := make(chan error, 1)
	go func() { stopErr <- first.Stop(ctx) }()
	// Let Stop interrupt the pulling before the handler returns.
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-stopErr; err != nil {
		t.Fatal(err)
	}
	if err := <-startErr; err != nil {
		t.Fatal(err)
	}

	var secondCalls atomic.Int32
	second, err := b.NewConsumer(ctx, cfg, func(context.Context, jetstream.Msg) error {
		secondCalls.Add(1)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, second)
	eventually(t, "the handed-back messages", func() bool {
		return int(firstCalls.Load()+secondCalls.Load()) >= 20
	})
	if firstCalls.Load() != 1 {
		t.Errorf("first instance handled %d messages after Stop, want only the in-flight one", firstCalls.Load())
	}
}

// A burst is handed over when its last message arrives, not when MaxWait
// runs out: with a minute's MaxWait, only EarlyFlush can finish in time.
func TestBatchConsumerEarlyFlushEndsABurst(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	const n = 1500
	publishN(t, b, n, "set")

	var mu sync.Mutex
	var sizes []int
	c, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamTraining, Durable: "recorder", Batch: 1000, MaxWait: time.Minute, EarlyFlush: 100, MaxDeliver: -1,
	}, func(_ context.Context, msgs []jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(msgs))
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, c)
	eventually(t, "the whole burst before MaxWait", func() bool {
		mu.Lock()
		defer mu.Unlock()
		total := 0
		for _, s := range sizes {
			total += s
		}
		return total == n
	})
	mu.Lock()
	defer mu.Unlock()
	if sizes[0] != 1000 {
		t.Errorf("batch sizes %v: the first batch should be full (1000)", sizes)
	}
}

// A trickle smaller than EarlyFlush still gathers for MaxWait, so a recorder
// does not insert message by message.
func TestBatchConsumerTrickleGathersUntilMaxWait(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)

	var mu sync.Mutex
	var sizes []int
	c, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamTraining, Durable: "recorder", Batch: 1000, MaxWait: 3 * time.Second, EarlyFlush: 100, MaxDeliver: -1,
	}, func(_ context.Context, msgs []jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(msgs))
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, c)
	for i := 0; i < 5; i++ {
		subject := bus.Subject(bus.StreamTraining, "t1", "a1", "set")
		if _, err := b.Publish(ctx, subject, fmt.Sprintf("trickle-%d", i), []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	eventually(t, "the gathered trickle", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(sizes) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 1 || sizes[0] != 5 {
		t.Errorf("batch sizes %v: want the 5 messages in one batch", sizes)
	}
}

// With Overlap the next batch is gathered while the handler runs, and
// handlers still run one at a time, in order.
func TestBatchConsumerOverlapGathersWhileHandling(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	const n = 300
	publishN(t, b, n, "set")

	var c *bus.Consumer
	var mu sync.Mutex
	var order []string
	running, calls := 0, 0
	c, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamTraining, Durable: "recorder", Batch: 100, MaxWait: 200 * time.Millisecond, MaxDeliver: -1, Overlap: true,
	}, func(_ context.Context, msgs []jetstream.Msg) error {
		mu.Lock()
		running++
		calls++
		first, concurrent := calls == 1, running > 1
		for _, m := range msgs {
			order = append(order, string(m.Data()))
		}
		mu.Unlock()
		defer func() {
			mu.Lock()
			running--
			mu.Unlock()
		}()
		if concurrent {
			t.Error("two batches handled at once")
		}
		if first {
			// The second batch is delivered while this one is still in hand.
			// (t.Error, not eventually: a Fatal off the test goroutine
			// would hang the consumer instead of failing.)
			deadline := time.Now().Add(10 * time.Second)
			for {
				if info, err := c.Info(ctx); err == nil && info.NumAckPending >= 200 {
					break
				}
				if time.Now().After(deadline) {
					t.Error("the next batch was not gathered while the first was handled")
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, c)
	eventually(t, "every message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order) == n
	})
	mu.Lock()
	defer mu.Unlock()
	for i, p := range order {
		if want := fmt.Sprintf("payload %d", i); p != want {
			t.Fatalf("message %d is %q, want %q: batches out of order", i, p, want)
		}
	}
}

// TestBatchConsumerCaughtUpHandsOverAtOnce checks that a CaughtUp batch consumer hands a lone
// message over when the server has nothing more pending, long before its MaxWait (a minute,
// beyond the test's wait), and still gathers what is pending into one batch.
func TestBatchConsumerCaughtUpHandsOverAtOnce(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	var mu sync.Mutex
	var sizes []int
	c, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "caught-up", Batch: 50,
		MaxWait: time.Minute, CaughtUp: true}, func(_ context.Context, msgs []jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(msgs))
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	handled := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range sizes {
			n += s
		}
		return n
	}
	publishN(t, b, 20, "backlog")
	startConsumer(t, c)
	eventually(t, "the backlog handled", func() bool { return handled() == 20 })
	mu.Lock()
	if len(sizes) > 2 {
		t.Errorf("backlog of 20 handed over in %d batches %v, want it gathered", len(sizes), sizes)
	}
	mu.Unlock()
	if _, err := b.Publish(ctx, bus.Subject(bus.StreamTraining, "t1", "a1", "set"), "lone-1", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lone message handled before MaxWait", func() bool { return handled() == 21 })
}
