package bus

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the bus's spans.
const tracerName = "github.com/supercomp/supercomp/pkg/bus"

// headerCarrier lets the propagator read and write NATS headers. nats.Header is not
// http.Header: its keys are not canonicalised, so the W3C names go in as written
// ("traceparent"), which is what other NATS clients look for.
type headerCarrier nats.Header

func (c headerCarrier) Get(key string) string { return nats.Header(c).Get(key) }
func (c headerCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }
func (c headerCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// injectTrace writes ctx's span context into hdr (traceparent, tracestate). Without a valid
// span in ctx the propagator writes nothing, so untraced publishes carry no extra bytes.
func injectTrace(ctx context.Context, hdr nats.Header) {
	if ctx == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	otel.GetTextMapPropagator().Inject(ctx, headerCarrier(hdr))
}

// messageSpan starts the span of one consumed message, as a child of the span that published
// it (from the message's headers), or a new root when it came without one.
func (c *Consumer) messageSpan(ctx context.Context, m jetstream.Msg) (context.Context, trace.Span) {
	if hdr := m.Headers(); len(hdr) > 0 {
		ctx = otel.GetTextMapPropagator().Extract(ctx, headerCarrier(hdr))
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, "process "+c.cfg.Stream, trace.WithSpanKind(trace.SpanKindConsumer))
	// Attributes only for a span that is kept: with tracing off (or sampled out) a message
	// costs no attribute allocations.
	if span.IsRecording() {
		span.SetAttributes(
			semconv.MessagingSystemKey.String("nats"),
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingDestinationName(m.Subject()),
			semconv.MessagingConsumerGroupName(c.cfg.Durable),
			attribute.String("messaging.nats.stream", c.cfg.Stream),
		)
		if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" {
			span.SetAttributes(semconv.MessagingMessageID(id))
		}
	}
	return ctx, span
}

// endMessageSpan records the handler's verdict on the span and ends it.
func endMessageSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// batchSpansKey finds the spans of a batch's messages in a BatchHandler's context.
type batchSpansKey struct{}

// MessageContext returns ctx carrying the span of message m of the batch being handled, so
// what the handler publishes because of m continues m's trace. Outside a batch handler, or
// for a message of another batch, it returns ctx unchanged.
func MessageContext(ctx context.Context, m jetstream.Msg) context.Context {
	spans, _ := ctx.Value(batchSpansKey{}).(map[jetstream.Msg]trace.Span)
	if span, ok := spans[m]; ok {
		return trace.ContextWithSpan(ctx, span)
	}
	return ctx
}

// headerCarrier is what the propagator reads from and writes to.
var _ propagation.TextMapCarrier = headerCarrier(nil)
