package deadletter_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/deadletter"
	deadletterv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/deadletter/v1"
)

// BenchmarkListDeadLetters scans a DLQ of 10,000 dead letters (200-byte payloads) with a
// filter that matches none of them, the slowest page: every header read, nothing returned.
// dead_letters/s is the scan rate.
func BenchmarkListDeadLetters(b *testing.B) {
	const n = 10000
	bb, _ := bustest.New(b)
	ctx := context.Background()
	fillDLQ(b, bb, 0, n)
	svc := deadletter.New(bb)
	actx := auth.WithPrincipal(ctx, admin)
	req := &deadletterv1.ListDeadLettersRequest{Filter: &deadletterv1.DeadLetterFilter{Reason: "no such reason"}}
	b.ResetTimer()
	for b.Loop() {
		resp, err := svc.ListDeadLetters(actx, req)
		if err != nil || len(resp.GetDeadLetters()) != 0 || resp.GetNextPageToken() != "" {
			b.Fatalf("list = %d dead letters, token %q, %v", len(resp.GetDeadLetters()), resp.GetNextPageToken(), err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "dead_letters/s")
}

// BenchmarkRedrive redrives 1,000 dead letters per iteration, in one call: each is read,
// republished to TRAINING, audited and deleted. redrives/s is the rate.
func BenchmarkRedrive(b *testing.B) {
	const n = 1000
	bb, _ := bustest.New(b)
	svc := deadletter.New(bb)
	actx := auth.WithPrincipal(context.Background(), admin)
	filled := 0
	for b.Loop() {
		b.StopTimer()
		seqs := fillDLQ(b, bb, filled, n)
		filled += n
		b.StartTimer()
		resp, err := svc.RedriveDeadLetters(actx, &deadletterv1.RedriveDeadLettersRequest{Sequences: seqs})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range resp.GetResults() {
			if r.GetOutcome() != deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_REDRIVEN {
				b.Fatalf("redrive = %v", r)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "redrives/s")
}

// fillDLQ writes n dead letters of distinct TRAINING events, numbered from first, as a consumer
// would, and returns their DLQ sequences.
func fillDLQ(b *testing.B, bb *bus.Bus, first, n int) []uint64 {
	b.Helper()
	msgs := make([]bus.OutMsg, n)
	payload := make([]byte, 200)
	for j := range msgs {
		i := first + j
		msgs[j] = bus.OutMsg{Subject: bus.DeadLetterSubject(bus.StreamTraining, "recorder"), MsgID: fmt.Sprintf("dlq.TRAINING.recorder.%d", i+1),
			Data: payload, Header: map[string][]string{
				bus.HeaderDLQStream: {bus.StreamTraining}, bus.HeaderDLQSubject: {fmt.Sprintf("sc.training.t1.a%d.set", i%50)},
				bus.HeaderDLQSequence: {fmt.Sprint(i + 1)}, bus.HeaderDLQConsumer: {"recorder"}, bus.HeaderDLQDeliveries: {"5"},
				bus.HeaderDLQReason: {"insert training_sets: code 241, memory limit exceeded"}, bus.HeaderDLQMsgID: {fmt.Sprintf("ev-%d", i)}}}
	}
	results, err := bb.PublishBatch(context.Background(), msgs)
	if err != nil {
		b.Fatal(err)
	}
	seqs := make([]uint64, len(results))
	for i, r := range results {
		seqs[i] = r.Ack.Sequence
	}
	return seqs
}
