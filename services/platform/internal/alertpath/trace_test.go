package alertpath

import (
	"context"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestOneSetOneTrace sends an overreaching athlete's history, then the one set that makes the
// deload rule fire under a client span, and checks that set's trace: one trace id from the
// gRPC call to the webhook, every span's parent in the trace, spans from ingestion, fatigue,
// programming, notifications and the webhook call, and a traceparent of that trace on the
// webhook request.
func TestOneSetOneTrace(t *testing.T) {
	p := startPlatform(t, sdktrace.AlwaysSample())
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ath := newOverreacher(t)
	const athlete = "traced"
	p.feed(t, ctx, as(athlete, ath.history...))
	p.settle(t, ctx)
	if _, early := p.hook.arrivalOf(athlete); early {
		t.Fatal("the deload alert came before the trigger set")
	}

	arrived := p.hook.expect(athlete)
	traceID := p.send(t, ctx, as(athlete, ath.trigger)[0])
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("no deload alert at the webhook")
	}
	hit, _ := p.hook.arrivalOf(athlete)
	if got := traceparentTrace(hit.traceparent); got != traceID.String() {
		t.Errorf("webhook traceparent %q, want trace %s", hit.traceparent, traceID)
	}

	// Programming and the recorders finish after the alert is out; wait for their spans too.
	p.settle(t, ctx)
	spans := spansOf(p.spans, traceID)
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	roots := 0
	for _, s := range spans {
		if !s.Parent.IsValid() {
			roots++
			continue
		}
		if _, ok := byID[s.Parent.SpanID()]; !ok {
			t.Errorf("span %q (%s) has parent %s, which is not in the trace", s.Name, consumerGroup(s), s.Parent.SpanID())
		}
	}
	if roots != 1 {
		t.Errorf("%d root spans in trace %s, want 1 (the client's)", roots, traceID)
	}

	// Every service and the webhook call are in the trace, and each consumer span descends
	// from the ingestion call.
	want := map[string]func(tracetest.SpanStub) bool{
		"ingestion gRPC call": func(s tracetest.SpanStub) bool {
			return s.SpanKind == trace.SpanKindServer && strings.Contains(s.Name, "IngestionService/RecordBatch")
		},
		"fatigue on TRAINING":       groupIs("fatigue"),
		"programming on ANALYSIS":   groupIs("programming"),
		"notifications on ANALYSIS": groupIs("notifications-analysis"),
		"notifications dispatch":    groupIs("notifications-dispatch"),
		"webhook call":              func(s tracetest.SpanStub) bool { return s.Name == "webhook POST" && s.SpanKind == trace.SpanKindClient },
	}
	found := map[string]tracetest.SpanStub{}
	for what, match := range want {
		for _, s := range spans {
			if match(s) {
				found[what] = s
				break
			}
		}
		if _, ok := found[what]; !ok {
			t.Errorf("trace %s has no span of the %s; it has %s", traceID, what, describe(spans))
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("trace %s: %d spans: %s", traceID, len(spans), describe(spans))
	ingest := found["ingestion gRPC call"].SpanContext.SpanID()
	for what, s := range found {
		if what != "ingestion gRPC call" && !descendsFrom(s, ingest, byID) {
			t.Errorf("the %s span does not descend from the ingestion call", what)
		}
	}
	if webhook := found["webhook call"]; webhook.SpanContext.SpanID().String() != traceparentSpan(hit.traceparent) {
		t.Errorf("webhook traceparent names span %s, want the webhook call's span %s", traceparentSpan(hit.traceparent), webhook.SpanContext.SpanID())
	}
}

// spansOf returns the recorded spans of one trace.
func spansOf(exp *tracetest.InMemoryExporter, id trace.TraceID) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID() == id {
			out = append(out, s)
		}
	}
	return out
}

func consumerGroup(s tracetest.SpanStub) string {
	for _, a := range s.Attributes {
		if a.Key == "messaging.consumer.group.name" {
			return a.Value.AsString()
		}
	}
	return ""
}

// groupIs matches the message spans of any of the durable consumers named.
func groupIs(durables ...string) func(tracetest.SpanStub) bool {
	return func(s tracetest.SpanStub) bool {
		g := consumerGroup(s)
		for _, d := range durables {
			if g == d && s.SpanKind == trace.SpanKindConsumer {
				return true
			}
		}
		return false
	}
}

func descendsFrom(s tracetest.SpanStub, ancestor trace.SpanID, byID map[trace.SpanID]tracetest.SpanStub) bool {
	for s.Parent.IsValid() {
		if s.Parent.SpanID() == ancestor {
			return true
		}
		next, ok := byID[s.Parent.SpanID()]
		if !ok {
			return false
		}
		s = next
	}
	return false
}

func describe(spans []tracetest.SpanStub) string {
	names := make([]string, 0, len(spans))
	for _, s := range spans {
		n := s.Name
		if g := consumerGroup(s); g != "" {
			n += " [" + g + "]"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// traceparentTrace and traceparentSpan read version-traceid-spanid-flags.
func traceparentTrace(h string) string {
	parts := strings.Split(h, "-")
	if len(parts) != 4 {
		return ""
	}
	return parts[1]
}

func traceparentSpan(h string) string {
	parts := strings.Split(h, "-")
	if len(parts) != 4 {
		return ""
	}
	return parts[2]
}
