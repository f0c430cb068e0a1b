package server_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/fault"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/server"
)

const testService = "grpc.testing.TestService"

var (
	_ lifecycle.Component = (*server.Server)(nil)
	_ lifecycle.Component = (*server.HTTPServer)(nil)
)

// service is the grpc.testing.TestService with per-test behaviour.
type service struct {
	testpb.UnimplementedTestServiceServer
	unary  func(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error)
	stream func(req *testpb.StreamingOutputCallRequest, ss testpb.TestService_StreamingOutputCallServer) error
}

func (s *service) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if s.unary == nil {
		return &testpb.SimpleResponse{}, nil
	}
	return s.unary(ctx, req)
}

func (s *service) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, ss testpb.TestService_StreamingOutputCallServer) error {
	return s.stream(req, ss)
}

// harness is a real server on 127.0.0.1:0 with a client connected to it.
type harness struct {
	srv     *server.Server
	conn    *grpc.ClientConn
	client  testpb.TestServiceClient
	logs    *observer.ObservedLogs
	started chan error // Start's result
}

func start(t *testing.T, svc *service, cfg server.Config, opts ...server.Option) *harness {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := server.New(cfg, zap.New(core), opts...)
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(srv.GRPC(), svc)
	srv.SetServing(testService)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	h := &harness{srv: srv, logs: logs, started: make(chan error, 1)}
	go func() { h.started <- srv.Start(context.Background()) }()

	h.conn, err = grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	h.client = testpb.NewTestServiceClient(h.conn)
	t.Cleanup(func() {
		h.conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Stop(ctx) // may already be stopped by the test
		if err := <-h.started; err != nil {
			t.Errorf("Start() = %v, want nil after Stop", err)
		}
	})
	return h
}

func TestHealthTurnsNotServingWhenStopBegins(t *testing.T) {
	h := start(t, &service{}, server.Config{})
	health := healthpb.NewHealthClient(h.conn)
	ctx := t.Context()

	for _, name := range []string{"", testService} {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("Check(%q) = %v, %v; want SERVING", name, resp, err)
		}
	}
	if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope.Service"}); status.Code(err) != codes.NotFound {
		t.Errorf("Check(unknown) = %v, want NotFound", err)
	}
	if err := h.srv.Ready(); err != nil {
		t.Errorf("Ready() = %v while serving", err)
	}

	// The timeout turns a regression (no NOT_SERVING, so the watch never
	// ends and the graceful stop never finishes) into a failure, not a hang.
	watchCtx, stopWatching := context.WithTimeout(ctx, 10*time.Second)
	defer stopWatching()
	watch, err := health.Watch(watchCtx, &healthpb.HealthCheckRequest{Service: testService})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := watch.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first Watch status = %v, %v; want SERVING", resp, err)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- h.srv.Stop(context.Background()) }()

	// The watch is an in-flight call, so the graceful stop is still waiting
	// on it while it reports the change.
	if resp, err := watch.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("Watch status after Stop began = %v, %v; want NOT_SERVING", resp, err)
	}
	if err := h.srv.Ready(); err == nil || !strings.Contains(err.Error(), "stopping") {
		t.Errorf("Ready() = %v during Stop, want a stopping error", err)
	}
	h.srv.SetServing(testService) // ignored: a stopping server stays NOT_SERVING
	stopWatching()
	if err := <-stopped; err != nil {
		t.Errorf("Stop() = %v, want nil", err)
	}
}

func TestReflectionListsServices(t *testing.T) {
	h := start(t, &service{}, server.Config{})
	stream, err := reflectionpb.NewServerReflectionClient(h.conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{testService, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
}

func TestHandlerErrorsBecomeStatuses(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		code       codes.Code
		message    string
		violations map[string]string // BadRequest field -> description
	}{
		{
			name: "invalid argument with field violations",
			err: func() error {
				var bad fault.Invalid
				bad.Add(fault.Field("records", 3, "load_kg"), "must not be negative, got %v", -5)
				bad.Add("team_id", "is required")
				return bad.Err()
			}(),
			code:    codes.InvalidArgument,
			message: "invalid argument: records[3].load_kg: must not be negative, got -5; team_id: is required",
			violations: map[string]string{
				"records[3].load_kg": "must not be negative, got -5",
				"team_id":            "is required",
			},
		},
		{name: "not found", err: fault.NotFound("athlete %q", "a42"), code: codes.NotFound, message: `athlete "a42": not found`},
		{name: "stale revision", err: fault.FailedPrecondition("stale revision"), code: codes.FailedPrecondition, message: "stale revision: failed precondition"},
		{name: "unexpected error hides its text", err: errors.New("clickhouse password rejected"), code: codes.Internal, message: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, &service{unary: func(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
				return nil, tt.err
			}}, server.Config{})
			_, err := h.client.UnaryCall(t.Context(), &testpb.SimpleRequest{})
			st := status.Convert(err)
			if st.Code() != tt.code || st.Message() != tt.message {
				t.Fatalf("got %v %q, want %v %q", st.Code(), st.Message(), tt.code, tt.message)
			}
			got := map[string]string{}
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						got[v.GetField()] = v.GetDescription()
					}
				}
			}
			if len(got) != len(tt.violations) {
				t.Fatalf("violations %v, want %v", got, tt.violations)
			}
			for f, d := range tt.violations {
				if got[f] != d {
					t.Errorf("violation of %s = %q, want %q", f, got[f], d)
				}
			}
		})
	}
}

func TestStreamErrorsAreMapped(t *testing.T) {
	h := start(t, &service{stream: func(req *testpb.StreamingOutputCallRequest, ss testpb.TestService_StreamingOutputCallServer) error {
		if err := ss.Send(&testpb.StreamingOutputCallResponse{}); err != nil {
			return err
		}
		if len(req.GetResponseParameters()) > 0 {
			panic("stream handler bug")
		}
		return fault.NotFound("athlete %q", "a1")
	}}, server.Config{})

	tests := []struct {
		name string
		req  *testpb.StreamingOutputCallRequest
		code codes.Code
	}{
		{"domain error", &testpb.StreamingOutputCallRequest{}, codes.NotFound},
		{"panic", &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{}}}, codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, err := h.client.StreamingOutputCall(t.Context(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Recv(); err != nil {
				t.Fatalf("first message: %v", err)
			}
			_, err = stream.Recv()
			if status.Code(err) != tt.code {
				t.Errorf("stream ended with %v, want %v", err, tt.code)
			}
		})
	}
}

func TestPanicBecomesInternalAndServerSurvives(t *testing.T) {
	h := start(t, &service{unary: func(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
		if req.GetFillUsername() {
			panic("secret token abc123")
		}
		return &testpb.SimpleResponse{}, nil
	}}, server.Config{})

	_, err := h.client.UnaryCall(t.Context(), &testpb.SimpleRequest{FillUsername: true})
	st := status.Convert(err)
	if st.Code() != codes.Internal || strings.Contains(st.Message(), "secret") {
		t.Fatalf("panic answered %v %q, want Internal without the panic value", st.Code(), st.Message())
	}
	if _, err := h.client.UnaryCall(t.Context(), &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("call after the panic: %v", err)
	}

	entries := h.logs.FilterMessage("grpc handler panicked").All()
	if len(entries) != 1 {
		t.Fatalf("got %d panic log entries, want 1", len(entries))
	}
	fields := entries[0].ContextMap()
	if fields["grpc_method"] != "/"+testService+"/UnaryCall" || !strings.Contains(fields["stack"].(string), "server_test.go") {
		t.Errorf("panic log lacks method or stack: %v", fields)
	}
	if got := counter(t, h.srv.Metrics(), "UnaryCall", "Internal"); got != 1 {
		t.Errorf("Internal count = %v, want 1: a panicked call is counted", got)
	}
}

func TestGracefulStopWaitsForInFlightCall(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Bool
	h := start(t, &service{unary: func(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
		close(entered)
		<-release
		finished.Store(true)
		return &testpb.SimpleResponse{Username: "done"}, nil
	}}, server.Config{})

	result := make(chan error, 1)
	go func() {
		resp, err := h.client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		if err == nil && resp.GetUsername() != "done" {
			err = errors.New("wrong response")
		}
		result <- err
	}()
	<-entered

	stopped := make(chan error, 1)
	go func() { stopped <- h.srv.Stop(context.Background()) }()
	waitUntil(t, func() bool { return h.srv.Ready() != nil }) // Stop has begun
	close(release)

	if err := <-stopped; err != nil {
		t.Fatalf("Stop() = %v, want nil", err)
	}
	if !finished.Load() {
		t.Error("Stop returned before the in-flight call finished")
	}
	if err := <-result; err != nil {
		t.Errorf("in-flight call failed: %v", err)
	}
}

func TestStopCancelsCallsAfterTimeout(t *testing.T) {
	entered := make(chan struct{})
	h := start(t, &service{unary: func(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
		close(entered)
		<-ctx.Done() // a slow call that does honour cancellation
		return nil, ctx.Err()
	}}, server.Config{ShutdownTimeout: 50 * time.Millisecond})

	result := make(chan error, 1)
	go func() {
		_, err := h.client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		result <- err
	}()
	<-entered
	if err := h.srv.Stop(context.Background()); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("Stop() = %v, want a cut-short error", err)
	}
	if err := <-result; status.Code(err) == codes.OK {
		t.Error("call survived a hard stop")
	}
}

func TestStartStopsWhenContextIsCancelled(t *testing.T) {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	waitUntil(t, func() bool { return srv.Addr() != nil })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start() = %v, want nil after cancellation", err)
	}
}

func TestRequestLogging(t *testing.T) {
	h := start(t, &service{unary: func(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
		switch req.GetResponseSize() {
		case 1:
			return nil, fault.NotFound("athlete %q", "a1")
		case 2:
			return nil, errors.New("disk on fire")
		}
		return &testpb.SimpleResponse{}, nil
	}}, server.Config{})

	tests := []struct {
		size  int32
		code  string
		level zapcore.Level
		error string // the handler's error, logged in full even when the client sees less
	}{
		{0, "OK", zapcore.DebugLevel, ""},
		{1, "NotFound", zapcore.WarnLevel, `athlete "a1": not found`},
		{2, "Internal", zapcore.ErrorLevel, "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			_, _ = h.client.UnaryCall(t.Context(), &testpb.SimpleRequest{ResponseSize: tt.size})
			entries := h.logs.FilterMessage("grpc call").FilterField(zap.String("grpc_code", tt.code)).All()
			if len(entries) != 1 {
				t.Fatalf("got %d log lines for %s, want 1", len(entries), tt.code)
			}
			e := entries[0]
			fields := e.ContextMap()
			if e.Level != tt.level || fields["grpc_method"] != "/"+testService+"/UnaryCall" || fields["duration"] == nil {
				t.Errorf("logged %v %v, want level %v with method and duration", e.Level, fields, tt.level)
			}
			if got, _ := fields["error"].(string); got != tt.error {
				t.Errorf("error field = %q, want %q", got, tt.error)
			}
		})
	}
}

func TestMetricsCounted(t *testing.T) {
	h := start(t, &service{unary: func(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
		switch req.GetResponseSize() {
		case 1:
			return nil, fault.NotFound("athlete")
		case 2:
			panic("handler bug")
		}
		return &testpb.SimpleResponse{}, nil
	}}, server.Config{})
	for _, size := range []int32{0, 0, 1, 2} {
		_, _ = h.client.UnaryCall(t.Context(), &testpb.SimpleRequest{ResponseSize: size})
	}
	// A panicked call is counted too: metrics run outside recovery and see its Internal.
	tests := []struct {
		code string
		want float64
	}{{"OK", 2}, {"NotFound", 1}, {"Internal", 1}, {"Unavailable", 0}}
	for _, tt := range tests {
		if got := counter(t, h.srv.Metrics(), "UnaryCall", tt.code); got != tt.want {
			t.Errorf("grpc_server_handled_total{code=%s} = %v, want %v", tt.code, got, tt.want)
		}
	}
	if got := histogramCount(t, h.srv.Metrics(), "UnaryCall"); got != 4 {
		t.Errorf("grpc_server_handling_seconds count = %d, want 4", got)
	}
	unary := map[string]string{"grpc_type": "unary", "grpc_service": testService, "grpc_method": "UnaryCall"}
	for _, name := range []string{"grpc_server_started_total", "grpc_server_msg_received_total", "grpc_server_msg_sent_total"} {
		want := 4.0
		if name == "grpc_server_msg_sent_total" {
			want = 2 // only the successful calls answered with a message
		}
		if got := counterWith(t, h.srv.Metrics(), name, unary); got != want {
			t.Errorf("%s%v = %v, want %v", name, unary, got, want)
		}
	}
}

// counterWith reads the counter name whose labels include want.
func counterWith(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestExtraInterceptorsRunInsideTheChain(t *testing.T) {
	var order []string
	record := func(name string) grpc.UnaryServerInterceptor {
		return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			order = append(order, name)
			return handler(ctx, req)
		}
	}
	// auth stands in for the later authentication interceptor: it returns
	// a domain error and relies on the kit to map, log and count it.
	auth := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		switch {
		case len(md.Get("panic")) > 0:
			panic("auth bug")
		case len(md.Get("authorization")) == 0:
			return nil, fault.Unauthenticated("no credentials")
		}
		return handler(ctx, req)
	}
	h := start(t, &service{}, server.Config{},
		server.WithUnaryInterceptors(record("first"), record("second")),
		server.WithUnaryInterceptors(auth))

	tests := []struct {
		name string
		md   metadata.MD
		code codes.Code
	}{
		{"rejected", nil, codes.Unauthenticated},
		{"allowed", metadata.Pairs("authorization", "Bearer x"), codes.OK},
		{"panic in interceptor is recovered", metadata.Pairs("panic", "1"), codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order = nil
			ctx := metadata.NewOutgoingContext(t.Context(), tt.md)
			_, err := h.client.UnaryCall(ctx, &testpb.SimpleRequest{})
			if status.Code(err) != tt.code {
				t.Fatalf("got %v, want %v", err, tt.code)
			}
			if !slices.Equal(order, []string{"first", "second"}) {
				t.Errorf("extra interceptors ran as %v, want [first second]", order)
			}
		})
	}
	if got := counter(t, h.srv.Metrics(), "UnaryCall", "Unauthenticated"); got != 1 {
		t.Errorf("Unauthenticated count = %v, want 1", got)
	}
	if n := h.logs.FilterMessage("grpc call").FilterField(zap.String("grpc_code", "Unauthenticated")).Len(); n != 1 {
		t.Errorf("got %d log lines for the rejected call, want 1", n)
	}
}

func TestListenNamesBusyAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()

	srv, err := server.New(server.Config{Addr: addr}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("Start() = %v, want an error naming %s as in use", err, addr)
	}
	if err := srv.Stop(t.Context()); err != nil {
		t.Errorf("Stop() after a failed Start = %v, want nil", err)
	}

	httpSrv := server.NewHTTP(addr, prometheus.NewRegistry(), nil, zap.NewNop())
	if err := httpSrv.Listen(); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("HTTP Listen() = %v, want an error naming %s", err, addr)
	}
}

func TestNew(t *testing.T) {
	if _, err := server.New(server.Config{}, zap.NewNop()); err == nil {
		t.Error("New without an address succeeded")
	}
	// Two servers can share the binary's registry.
	reg := prometheus.NewRegistry()
	for i := range 2 {
		srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, zap.NewNop(), server.WithRegistry(reg), server.WithName("api"))
		if err != nil {
			t.Fatalf("server %d on a shared registry: %v", i, err)
		}
		if srv.Metrics() != reg || srv.Name() != "api" {
			t.Errorf("Metrics() or Name() ignore the options")
		}
	}
}

// counter reads grpc_server_handled_total for a TestService method and code.
func counter(t *testing.T, reg *prometheus.Registry, method, code string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "grpc_server_handled_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["grpc_service"] == testService && labels["grpc_method"] == method && labels["grpc_code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// histogramCount reads the number of observations of
// grpc_server_handling_seconds for a TestService method.
func histogramCount(t *testing.T, reg *prometheus.Registry, method string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "grpc_server_handling_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "grpc_method" && l.GetValue() == method {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// waitUntil polls cond, for states a test cannot wait on through a channel.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
