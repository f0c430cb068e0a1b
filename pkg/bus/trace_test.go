package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

// recordSpans installs a tracer provider that keeps every ended span in memory and the W3C
// propagator, as tracing.Setup does, for the rest of the test.
func recordSpans(t *testing.T) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	})
	return exp
}

// spanOf finds the ended span of a durable's consumer for one message id.
func spanOf(exp *tracetest.InMemoryExporter, durable, msgID string) (tracetest.SpanStub, bool) {
	for _, s := range exp.GetSpans() {
		var group, id string
		for _, a := range s.Attributes {
			switch a.Key {
			case "messaging.consumer.group.name":
				group = a.Value.AsString()
			case "messaging.message.id":
				id = a.Value.AsString()
			}
		}
		if group == durable && id == msgID {
			return s, true
		}
	}
	return tracetest.SpanStub{}, false
}

// TestTraceContextCrossesTheBus follows two traces through a batch consumer that republishes
// each message under MessageContext and a single-message consumer after it: every consumer
// span is the child of the span that published its message, the batch's messages keep their
// own traces, and the stored message carries traceparent.
func TestTraceContextCrossesTheBus(t *testing.T) {
	exp := recordSpans(t)
	b, _ := bustest.New(t)
	ctx := testContext(t)
	tracer := otel.Tracer("test")

	// Two requests, each with its own trace, publish one message each in one batch.
	reqCtx1, req1 := tracer.Start(ctx, "request 1")
	reqCtx2, req2 := tracer.Start(ctx, "request 2")
	in := []bus.OutMsg{
		{Subject: bus.Subject(bus.StreamTraining, "t1", "a1", "set"), MsgID: "in-1", Data: []byte("1")},
		{Subject: bus.Subject(bus.StreamTraining, "t1", "a2", "set"), MsgID: "in-2", Data: []byte("2"), Trace: reqCtx2},
	}
	if _, err := b.PublishBatch(reqCtx1, in); err != nil {
		t.Fatal(err)
	}
	req1.End()
	req2.End()

	raw, err := b.JetStream().Stream(ctx, bus.StreamTraining)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := raw.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stored.Header.Get("traceparent"), req1.SpanContext().TraceID().String(); len(got) != 55 || got[3:35] != want {
		t.Fatalf("stored traceparent %q, want one of trace %s", got, want)
	}

	// The batch consumer republishes each message on ANALYSIS under that message's span.
	batch, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "traced-batch", Batch: 10, MaxWait: 100 * time.Millisecond},
		func(ctx context.Context, msgs []jetstream.Msg) error {
			out := make([]bus.OutMsg, 0, len(msgs))
			for _, m := range msgs {
				id := m.Headers().Get(jetstream.MsgIDHeader)
				out = append(out, bus.OutMsg{Subject: bus.Subject(bus.StreamAnalysis, "t1", "a", "assessed"), MsgID: "out-" + id,
					Data: m.Data(), Trace: bus.MessageContext(ctx, m)})
			}
			_, err := b.PublishBatch(ctx, out)
			return err
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, batch)
	single, err := b.NewConsumer(ctx, bus.ConsumerConfig{Stream: bus.StreamAnalysis, Durable: "traced-single"},
		func(context.Context, jetstream.Msg) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	startConsumer(t, single)

	for i, req := range []trace.Span{req1, req2} {
		id := []string{"in-1", "in-2"}[i]
		var first, second tracetest.SpanStub
		eventually(t, "both consumers' spans of "+id, func() bool {
			var ok1, ok2 bool
			first, ok1 = spanOf(exp, "traced-batch", id)
			second, ok2 = spanOf(exp, "traced-single", "out-"+id)
			return ok1 && ok2
		})
		if first.Parent.SpanID() != req.SpanContext().SpanID() || first.SpanContext.TraceID() != req.SpanContext().TraceID() {
			t.Errorf("%s: batch consumer span's parent %s/%s, want the publishing request's %s/%s", id,
				first.Parent.TraceID(), first.Parent.SpanID(), req.SpanContext().TraceID(), req.SpanContext().SpanID())
		}
		if second.Parent.SpanID() != first.SpanContext.SpanID() || second.SpanContext.TraceID() != req.SpanContext().TraceID() {
			t.Errorf("%s: downstream span's parent %s, want the batch consumer's span %s in trace %s", id,
				second.Parent.SpanID(), first.SpanContext.SpanID(), req.SpanContext().TraceID())
		}
		if first.SpanKind != trace.SpanKindConsumer || first.Name != "process "+bus.StreamTraining {
			t.Errorf("%s: span %q of kind %s, want a consumer span named process %s", id, first.Name, first.SpanKind, bus.StreamTraining)
		}
	}
}

// TestUntracedPublishHasNoTraceHeader checks that without a span nothing is added: tracing off
// costs no header bytes.
func TestUntracedPublishHasNoTraceHeader(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := testContext(t)
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	if _, err := b.Publish(ctx, bus.Subject(bus.StreamTraining, "t1", "a1", "set"), "plain-1", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	raw, err := b.JetStream().Stream(ctx, bus.StreamTraining)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := raw.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.Header.Get("traceparent"); got != "" {
		t.Errorf("untraced publish stored traceparent %q", got)
	}
}
