package server_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/server"
)

// TestForwardedPeersAreLimitedApart: calls an in-process proxy forwards count against the
// address of its client, not the proxy's own, so one client flooding the proxy with wrong keys
// does not block the proxy's other clients; a forged or second address is ignored.
func TestForwardedPeersAreLimitedApart(t *testing.T) {
	clock := newClock()
	forwarding := server.NewPeerForwarding()
	svc := &service{}
	h := start(t, svc, server.Config{Limits: config.RateLimits{PeerRate: 1000, PeerBurst: 1000, AuthFailureRate: 1, AuthFailureBurst: 3}},
		server.WithClock(clock.Now), server.WithPrincipalKey(principalOf), server.WithPeerForwarding(forwarding),
		server.WithUnaryInterceptors(fakeAuthUnary), server.WithStreamInterceptors(fakeAuthStream))
	proxy := dialFrom(t, h, "127.0.0.1")
	ctx := t.Context()
	forwarded := func(ctx context.Context, client string) context.Context {
		md, _ := metadata.FromOutgoingContext(ctx)
		return metadata.NewOutgoingContext(ctx, metadata.Join(md, forwarding.Metadata(client)))
	}

	flooder := forwarded(withKey(ctx, "wrong"), "203.0.113.7:50000")
	for i := range 3 {
		if _, err := proxy.UnaryCall(flooder, &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("failure %d within the burst = %v, want Unauthenticated", i+1, err)
		}
	}
	if _, err := proxy.UnaryCall(flooder, &testpb.SimpleRequest{}); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("the flooding client past its burst = %v, want ResourceExhausted", err)
	}
	// Another client of the proxy, with a key never seen before, is not held by the flood.
	if _, err := proxy.UnaryCall(forwarded(withKey(ctx, "key-bob"), "198.51.100.2:41000"), &testpb.SimpleRequest{}); err != nil {
		t.Errorf("another forwarded client = %v, want OK", err)
	}
	// Nor is the proxy's own address.
	if _, err := proxy.UnaryCall(withKey(ctx, "key-carol"), &testpb.SimpleRequest{}); err != nil {
		t.Errorf("the proxy itself = %v, want OK", err)
	}

	// A wrong proof counts as the proxy's own call: the flood below lands on 127.0.0.1, and the
	// client it claims to be (a fresh address) keeps its whole burst.
	forged := metadata.AppendToOutgoingContext(withKey(ctx, "wrong"), "sc-forwarded-peer", "192.0.2.9:1234", "sc-forwarded-proof", "guess")
	for range 3 {
		_, _ = proxy.UnaryCall(forged, &testpb.SimpleRequest{})
	}
	if _, err := proxy.UnaryCall(withKey(ctx, "key-dave"), &testpb.SimpleRequest{}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("new key from the proxy after forged calls = %v, want ResourceExhausted (the forged calls were the proxy's)", err)
	}
	if _, err := proxy.UnaryCall(forwarded(withKey(ctx, "key-erin"), "192.0.2.9:1234"), &testpb.SimpleRequest{}); err != nil {
		t.Errorf("the address the forged calls claimed = %v, want OK", err)
	}
}
