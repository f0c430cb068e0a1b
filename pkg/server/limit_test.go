package server_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/fault"
	"github.com/supercomp/supercomp/pkg/server"
)

// fakeClock stands still until a test advances it, so token buckets refill only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// The fake guard stands in for auth.Guard: "Bearer key-<name>" authenticates principal <name>,
// any other credential (or none) is Unauthenticated, as the guard answers a wrong or missing
// key; health and reflection stay open.
type principalCtxKey struct{}

func authenticate(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if name, ok := strings.CutPrefix(v, "Bearer key-"); ok {
			return context.WithValue(ctx, principalCtxKey{}, name), nil
		}
	}
	return nil, fault.Unauthenticated("unknown api key")
}

func fakeAuthUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if isOpen(info.FullMethod) {
		return handler(ctx, req)
	}
	ctx, err := authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s ctxStream) Context() context.Context { return s.ctx }

func fakeAuthStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if isOpen(info.FullMethod) {
		return handler(srv, ss)
	}
	ctx, err := authenticate(ss.Context())
	if err != nil {
		return err
	}
	return handler(srv, ctxStream{ServerStream: ss, ctx: ctx})
}

func isOpen(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.") || strings.HasPrefix(method, "/grpc.reflection.")
}

func principalOf(ctx context.Context) string {
	name, _ := ctx.Value(principalCtxKey{}).(string)
	return name
}

// startLimited is a server with limits, the fake guard and a frozen clock.
func startLimited(t *testing.T, limits config.RateLimits, clock *fakeClock) *harness {
	t.Helper()
	svc := &service{stream: func(_ *testpb.StreamingOutputCallRequest, ss testpb.TestService_StreamingOutputCallServer) error {
		return ss.Send(&testpb.StreamingOutputCallResponse{})
	}}
	return start(t, svc, server.Config{Limits: limits},
		server.WithClock(clock.Now), server.WithPrincipalKey(principalOf),
		server.WithUnaryInterceptors(fakeAuthUnary), server.WithStreamInterceptors(fakeAuthStream))
}

// dialFrom connects to the harness's server from another loopback address, i.e. another peer.
func dialFrom(t *testing.T, h *harness, local string) testpb.TestServiceClient {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	conn, err := grpc.NewClient(h.srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}

func withKey(ctx context.Context, credential string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+credential)
}

// wantLimited checks err is ResourceExhausted by limit, with a RetryInfo delay of want and the
// retry-after trailer.
func wantLimited(t *testing.T, err error, trailer metadata.MD, limit string, want time.Duration) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("got %v, want ResourceExhausted (%s)", err, limit)
	}
	var retry *errdetails.RetryInfo
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.RetryInfo:
			retry = d
		case *errdetails.ErrorInfo:
			info = d
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() != want {
		t.Errorf("RetryInfo = %v, want a delay of %s", retry, want)
	}
	if info.GetReason() != "RATE_LIMITED" || info.GetMetadata()["limit"] != limit {
		t.Errorf("ErrorInfo = %v, want RATE_LIMITED by %s", info, limit)
	}
	if got := trailer.Get("retry-after"); len(got) != 1 || got[0] == "" || got[0] == "0" {
		t.Errorf("retry-after trailer = %v, want whole seconds", got)
	}
}

func TestUnauthenticatedFloodIsLimitedPerPeer(t *testing.T) {
	clock := newClock()
	h := startLimited(t, config.RateLimits{PeerRate: 1000, PeerBurst: 1000, AuthFailureRate: 1, AuthFailureBurst: 5}, clock)
	ctx := t.Context()
	flooder := dialFrom(t, h, "127.0.0.1")
	neighbour := dialFrom(t, h, "127.0.0.2")

	// A credential that worked before the flood keeps working from the flooding address:
	// someone behind the same NAT is not locked out.
	if _, err := flooder.UnaryCall(withKey(ctx, "key-alice"), &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("alice before the flood: %v", err)
	}

	for i := range 5 {
		cred := "wrong"
		if i%2 == 0 {
			cred = "" // missing credentials count as failures too
		}
		call := ctx
		if cred != "" {
			call = withKey(ctx, cred)
		}
		if _, err := flooder.UnaryCall(call, &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("failure %d within the burst = %v, want Unauthenticated", i+1, err)
		}
	}
	var trailer metadata.MD
	_, err := flooder.UnaryCall(withKey(ctx, "wrong"), &testpb.SimpleRequest{}, grpc.Trailer(&trailer))
	wantLimited(t, err, trailer, "auth_failures", time.Second)
	// Refused before authentication: a key never seen from here waits like any other.
	if _, err := flooder.UnaryCall(withKey(ctx, "key-bob"), &testpb.SimpleRequest{}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("new key from the blocked address = %v, want ResourceExhausted", err)
	}
	if _, err := flooder.UnaryCall(withKey(ctx, "key-alice"), &testpb.SimpleRequest{}); err != nil {
		t.Errorf("alice from the blocked address = %v, want OK", err)
	}
	stream, err := flooder.StreamingOutputCall(withKey(ctx, "wrong"), &testpb.StreamingOutputCallRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("stream from the blocked address = %v, want ResourceExhausted", err)
	}

	// Another address is not affected.
	if _, err := neighbour.UnaryCall(withKey(ctx, "wrong"), &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("wrong key from another address = %v, want Unauthenticated", err)
	}
	if _, err := neighbour.UnaryCall(withKey(ctx, "key-bob"), &testpb.SimpleRequest{}); err != nil {
		t.Errorf("bob from another address = %v, want OK", err)
	}

	// Health and reflection still answer the blocked address: probes must not fail.
	health := healthpb.NewHealthClient(h.conn)
	for range 20 {
		if resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health from the blocked address = %v, %v; want SERVING", resp, err)
		}
	}

	// After the hinted delay, one more try gets through to authentication.
	clock.Advance(time.Second)
	if _, err := flooder.UnaryCall(withKey(ctx, "wrong"), &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("after the retry delay = %v, want Unauthenticated", err)
	}
	if _, err := flooder.UnaryCall(withKey(ctx, "wrong"), &testpb.SimpleRequest{}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("right after = %v, want ResourceExhausted", err)
	}
	if got := rateLimited(t, h, "auth_failures"); got != 4 {
		t.Errorf("grpc_server_rate_limited_total{limit=auth_failures} = %v, want 4", got)
	}
}

func TestPrincipalOverItsLimitDoesNotLimitOthers(t *testing.T) {
	clock := newClock()
	h := startLimited(t, config.RateLimits{PrincipalRate: 10, PrincipalBurst: 3}, clock)
	ctx := t.Context()
	alice, bob := withKey(ctx, "key-alice"), withKey(ctx, "key-bob")

	for i := range 2 {
		if _, err := h.client.UnaryCall(alice, &testpb.SimpleRequest{}); err != nil {
			t.Fatalf("alice call %d = %v", i+1, err)
		}
	}
	// A stream counts once, however many messages it carries.
	stream, err := h.client.StreamingOutputCall(alice, &testpb.StreamingOutputCallRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("alice's stream within the burst = %v", err)
	}
	var trailer metadata.MD
	_, err = h.client.UnaryCall(alice, &testpb.SimpleRequest{}, grpc.Trailer(&trailer))
	// 10 calls/s: the next token is 100ms away.
	wantLimited(t, err, trailer, "principal", 100*time.Millisecond)
	stream, err = h.client.StreamingOutputCall(alice, &testpb.StreamingOutputCallRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("alice's stream over the limit = %v, want ResourceExhausted", err)
	}

	// bob calls from the same address and is not limited.
	for i := range 3 {
		if _, err := h.client.UnaryCall(bob, &testpb.SimpleRequest{}); err != nil {
			t.Fatalf("bob call %d = %v, want OK", i+1, err)
		}
	}
	clock.Advance(100 * time.Millisecond)
	if _, err := h.client.UnaryCall(alice, &testpb.SimpleRequest{}); err != nil {
		t.Errorf("alice after the retry delay = %v, want OK", err)
	}
}

func TestPeerLimitSparesHealthChecks(t *testing.T) {
	clock := newClock()
	h := startLimited(t, config.RateLimits{PeerRate: 1, PeerBurst: 2}, clock)
	ctx := withKey(t.Context(), "key-alice")
	for range 2 {
		if _, err := h.client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	var trailer metadata.MD
	_, err := h.client.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.Trailer(&trailer))
	wantLimited(t, err, trailer, "peer", time.Second)
	if _, err := dialFrom(t, h, "127.0.0.2").UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Errorf("same principal from another address = %v, want OK", err)
	}
	health := healthpb.NewHealthClient(h.conn)
	for range 10 {
		if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("health check from a limited address = %v", err)
		}
	}
}

func TestAuthFailureLogIsSampledAndCountsWhatItLeftOut(t *testing.T) {
	clock := newClock()
	// No auth-failure limit here: the flood is all Unauthenticated, the worst case for the log.
	h := startLimited(t, config.RateLimits{PeerRate: 10_000, PeerBurst: 10_000}, clock)
	ctx := withKey(t.Context(), "wrong")
	neighbour := dialFrom(t, h, "127.0.0.2")

	const flood = 100
	for range flood {
		if _, err := h.client.UnaryCall(ctx, &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("got %v, want Unauthenticated", err)
		}
	}
	lines := func() []map[string]any {
		var out []map[string]any
		for _, e := range h.logs.FilterMessage("grpc call").FilterField(zap.String("grpc_code", "Unauthenticated")).All() {
			out = append(out, e.ContextMap())
		}
		return out
	}
	const burst = 5 // samplePeerBurst
	got := lines()
	if len(got) != burst {
		t.Fatalf("%d calls logged %d lines, want the first %d", flood, len(got), burst)
	}
	for _, f := range got {
		addr, _ := f["peer_addr"].(string)
		if !strings.HasPrefix(addr, "127.0.0.1:") || f["grpc_method"] != "/"+testService+"/UnaryCall" {
			t.Errorf("line %v lacks the peer address or the method", f)
		}
	}
	// Another address still gets its lines.
	_, _ = neighbour.UnaryCall(ctx, &testpb.SimpleRequest{})
	if got := lines(); len(got) != burst+1 || !strings.HasPrefix(got[burst]["peer_addr"].(string), "127.0.0.2:") {
		t.Fatalf("the other address's failure was not logged: %v", got)
	}

	clock.Advance(time.Second)
	_, _ = h.client.UnaryCall(ctx, &testpb.SimpleRequest{})
	got = lines()
	if len(got) != burst+2 {
		t.Fatalf("after a second, got %d lines, want %d", len(got), burst+2)
	}
	if n := got[burst+1]["suppressed"]; n != int64(flood-burst) {
		t.Errorf("suppressed = %v, want %d", n, flood-burst)
	}
}

func TestConnectionLimit(t *testing.T) {
	h := start(t, &service{}, server.Config{Transport: config.GRPCTransport{MaxConnections: 1}})
	if _, err := h.client.UnaryCall(t.Context(), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	second, err := grpc.NewClient(h.srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	// Closed on accept, so the call fails fast instead of waiting for a slot.
	if _, err := testpb.NewTestServiceClient(second).UnaryCall(t.Context(), &testpb.SimpleRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("second connection = %v, want Unavailable", err)
	}
	h.conn.Close()
	// The slot is free once the server has seen the first connection close.
	waitUntil(t, func() bool {
		_, err := testpb.NewTestServiceClient(second).UnaryCall(t.Context(), &testpb.SimpleRequest{})
		return err == nil
	})
	if got := gauge(t, h, "grpc_server_connections_open"); got != 1 {
		t.Errorf("grpc_server_connections_open = %v, want 1", got)
	}
}

func TestNewRefusesBadLimits(t *testing.T) {
	_, err := server.New(server.Config{Addr: "127.0.0.1:0", Limits: config.RateLimits{PeerRate: 5}}, zap.NewNop())
	if err == nil || !strings.Contains(err.Error(), "--grpc-peer-burst") {
		t.Errorf("New with a rate and no burst = %v, want an error naming --grpc-peer-burst", err)
	}
}

func rateLimited(t *testing.T, h *harness, limit string) float64 {
	t.Helper()
	families, err := h.srv.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "grpc_server_rate_limited_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "limit" && l.GetValue() == limit {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func gauge(t *testing.T, h *harness, name string) float64 {
	t.Helper()
	families, err := h.srv.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// BenchmarkUnaryCallLimits is a whole call over loopback with the fake guard, without limits
// and with every limit on (none reached), to put the limiter's cost next to a call's.
func BenchmarkUnaryCallLimits(b *testing.B) {
	for _, bc := range []struct {
		name   string
		limits config.RateLimits
	}{
		{"off", config.RateLimits{}},
		{"on", config.RateLimits{PrincipalRate: 1e9, PrincipalBurst: 1e9, PeerRate: 1e9, PeerBurst: 1e9, AuthFailureRate: 1, AuthFailureBurst: 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Limits: bc.limits}, zap.NewNop(),
				server.WithPrincipalKey(principalOf), server.WithUnaryInterceptors(fakeAuthUnary))
			if err != nil {
				b.Fatal(err)
			}
			testpb.RegisterTestServiceServer(srv.GRPC(), &service{})
			if err := srv.Listen(); err != nil {
				b.Fatal(err)
			}
			go func() { _ = srv.Start(context.Background()) }()
			defer func() { _ = srv.Stop(context.Background()) }()
			conn, err := grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			client := testpb.NewTestServiceClient(conn)
			ctx := withKey(context.Background(), "key-alice")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
