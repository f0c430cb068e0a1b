// Package tracing sets up OpenTelemetry tracing for a Supercomp process from the standard
// OTEL_* environment variables, and carries W3C trace context through NATS headers.
//
// Tracing is off unless the environment asks for it: with no exporter configured the global
// tracer provider stays the API's no-op one, so instrumented code pays for a context lookup and
// nothing else. The W3C propagator is installed either way, so a process that does not export
// still passes its callers' trace context on to the events it publishes.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Environment variables read by Setup, as the OpenTelemetry specification names them. The
// exporter itself also reads the rest of OTEL_EXPORTER_OTLP_* (headers, TLS, timeouts), the SDK
// reads OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_*, and the resource OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES.
const (
	EnvExporter        = "OTEL_TRACES_EXPORTER"
	EnvEndpoint        = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint  = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvProtocol        = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol  = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvSDKDisabled     = "OTEL_SDK_DISABLED"
	protocolGRPC       = "grpc"
	protocolHTTP       = "http/protobuf"
	exporterOTLP       = "otlp"
	exporterNone       = "none"
	defaultServiceName = "supercomp"
)

// Shutdown flushes the spans still buffered and stops the exporter.
type Shutdown func(context.Context) error

// Setup installs the W3C trace-context propagator and, when the environment configures an
// exporter, a tracer provider that batches spans to it. service names the process in the
// resource unless OTEL_SERVICE_NAME does. An exporter is configured by OTEL_TRACES_EXPORTER=otlp,
// or by an OTLP endpoint with OTEL_TRACES_EXPORTER unset; OTEL_TRACES_EXPORTER=none or
// OTEL_SDK_DISABLED=true keeps tracing off. enabled says which it was, for the start-up log.
func Setup(ctx context.Context, service string) (shutdown Shutdown, enabled bool, err error) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	noop := func(context.Context) error { return nil }
	on, err := exporterWanted()
	if err != nil || !on {
		return noop, false, err
	}
	exp, err := newExporter(ctx)
	if err != nil {
		return noop, false, err
	}
	if service == "" {
		service = defaultServiceName
	}
	// WithFromEnv comes after the default name, so OTEL_SERVICE_NAME wins.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return noop, false, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, true, nil
}

// exporterWanted reads the switches; an exporter other than otlp or none is an error rather
// than silence, so a typo does not quietly lose every trace.
func exporterWanted() (bool, error) {
	if strings.EqualFold(strings.TrimSpace(os.Getenv(EnvSDKDisabled)), "true") {
		return false, nil
	}
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvExporter))); v {
	case exporterNone:
		return false, nil
	case exporterOTLP:
		return true, nil
	case "":
		return os.Getenv(EnvEndpoint) != "" || os.Getenv(EnvTracesEndpoint) != "", nil
	default:
		return false, fmt.Errorf("%s=%q: only %q and %q are supported", EnvExporter, v, exporterOTLP, exporterNone)
	}
}

// newExporter picks the OTLP transport by the protocol variables (the specification's default
// is http/protobuf); both exporters read their endpoint and options from the environment.
func newExporter(ctx context.Context) (*otlptrace.Exporter, error) {
	protocol := os.Getenv(EnvTracesProtocol)
	if protocol == "" {
		protocol = os.Getenv(EnvProtocol)
	}
	var (
		exp *otlptrace.Exporter
		err error
	)
	switch strings.ToLower(strings.TrimSpace(protocol)) {
	case "", protocolHTTP:
		exp, err = otlptracehttp.New(ctx)
	case protocolGRPC:
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("%s=%q: want %q or %q", EnvProtocol, protocol, protocolGRPC, protocolHTTP)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	return exp, nil
}
