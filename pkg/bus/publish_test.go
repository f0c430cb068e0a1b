package bus_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

func TestPublishDuplicateMsgIDIsDropped(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	subject := bus.Subject(bus.StreamTraining, "t1", "a1", "set")
	hdr := nats.Header{"X-Source": []string{"test"}}

	first, err := b.Publish(ctx, subject, "evt-1", []byte("100kg x5"), hdr)
	if err != nil {
		t.Fatalf("first publish: %v", err)
	}
	if first.Duplicate {
		t.Fatal("first publish reported as duplicate")
	}
	second, err := b.Publish(ctx, subject, "evt-1", []byte("100kg x5"), hdr)
	if err != nil {
		t.Fatalf("second publish: %v", err)
	}
	if !second.Duplicate || second.Sequence != first.Sequence {
		t.Errorf("second publish: duplicate=%v seq=%d, want duplicate of seq %d", second.Duplicate, second.Sequence, first.Sequence)
	}
	if got := streamMsgs(t, b, bus.StreamTraining); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
	if _, ok := hdr[jetstream.MsgIDHeader]; ok {
		t.Error("Publish wrote Nats-Msg-Id into the caller's header")
	}
}

func TestPublishRequiresMsgID(t *testing.T) {
	b, _ := bustest.New(t)
	_, err := b.Publish(testContext(t), bus.Subject(bus.StreamTraining, "t1", "a1", "set"), "", nil, nil)
	if !errors.Is(err, bus.ErrNoMsgID) {
		t.Fatalf("publish without id: %v, want ErrNoMsgID", err)
	}
}

func TestPublishBatchAcksEveryMessage(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	const n = 3000
	msgs := make([]bus.OutMsg, n)
	for i := range msgs {
		msgs[i] = bus.OutMsg{
			Subject: bus.Subject(bus.StreamTraining, "t1", fmt.Sprintf("a%d", i%30), "set"),
			MsgID:   fmt.Sprintf("evt-%d", i),
			Data:    []byte(fmt.Sprintf("set %d", i)),
		}
	}
	results, err := b.PublishBatch(ctx, msgs)
	if err != nil {
		t.Fatalf("publish batch: %v", err)
	}
	seqs := map[uint64]bool{}
	for i, r := range results {
		if r.Err != nil || r.Ack == nil || r.Duplicate() {
			t.Fatalf("message %d: ack %+v err %v", i, r.Ack, r.Err)
		}
		seqs[r.Ack.Sequence] = true
	}
	if len(seqs) != n {
		t.Errorf("%d distinct sequences, want %d", len(seqs), n)
	}

	// A retried batch is absorbed by the duplicate window.
	results, err = b.PublishBatch(ctx, msgs[:500])
	if err != nil {
		t.Fatalf("republish: %v", err)
	}
	for i, r := range results {
		if !r.Duplicate() {
			t.Fatalf("republished message %d not reported as duplicate", i)
		}
	}
	if got := streamMsgs(t, b, bus.StreamTraining); got != n {
		t.Errorf("stream holds %d messages, want %d", got, n)
	}
}

func TestPublishBatchReportsEachFailure(t *testing.T) {
	e := bustest.Server(t)
	ctx := testContext(t)
	// A tiny in-flight window makes the batch wait for acks to go on.
	b, err := bus.Connect(ctx, bus.Config{URL: e.ClientURL(), PublishMaxPending: 4}, bustest.Logger(t),
		bus.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if err := b.EnsureDefaultStreams(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := make([]bus.OutMsg, 200)
	for i := range msgs {
		msgs[i] = bus.OutMsg{Subject: bus.Subject(bus.StreamTraining, "t1", "a1", "set"), MsgID: fmt.Sprintf("evt-%d", i)}
	}
	msgs[7].MsgID = ""
	msgs[9].Subject = "no.stream.here"

	results, err := b.PublishBatch(ctx, msgs)
	if err == nil {
		t.Fatal("batch with bad messages returned no error")
	}
	for i, r := range results {
		bad := i == 7 || i == 9
		if bad != (r.Err != nil) {
			t.Errorf("message %d: err %v", i, r.Err)
		}
	}
	if !errors.Is(results[7].Err, bus.ErrNoMsgID) {
		t.Errorf("message without id: %v", results[7].Err)
	}
	if got := streamMsgs(t, b, bus.StreamTraining); got != 198 {
		t.Errorf("stream holds %d messages, want 198", got)
	}
}

func TestConnectInProcess(t *testing.T) {
	e := bustest.Server(t)
	ctx := testContext(t)
	b, err := bus.Connect(ctx, bus.Config{}, bustest.Logger(t), bus.WithInProcess(e), bus.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		t.Fatalf("connect in process: %v", err)
	}
	t.Cleanup(b.Close)
	if err := b.EnsureDefaultStreams(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(ctx, bus.Subject(bus.StreamNotify, "t1", "a1", "alert_raised"), "evt-1", nil, nil); err != nil {
		t.Fatalf("publish in process: %v", err)
	}
}
