package channels

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/supercomp/supercomp/services/notifications/internal/app"
)

const tracerName = "github.com/supercomp/supercomp/services/notifications/channels"

// startPostSpan starts the client span of one webhook call. It is written here rather than
// with otelhttp because the span records the URL: a webhook URL often holds its secret in the
// path (Slack's do), so only the redacted form may leave the process.
func startPostSpan(ctx context.Context, url string) (context.Context, trace.Span) {
	ctx, span := otel.Tracer(tracerName).Start(ctx, "webhook POST", trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		span.SetAttributes(semconv.HTTPRequestMethodKey.String(http.MethodPost), semconv.URLFull(app.Redact(url)))
	}
	return ctx, span
}

// endPostSpan records the answer: the status code, and an error for anything but delivered.
func endPostSpan(span trace.Span, res app.Result) {
	if res.Status != 0 {
		span.SetAttributes(semconv.HTTPResponseStatusCode(res.Status))
	}
	if res.Err != nil {
		span.RecordError(res.Err)
		span.SetStatus(codes.Error, res.Err.Error())
	}
	span.End()
}
