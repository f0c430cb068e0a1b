package server

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/fault"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testMetrics(t testing.TB) *metrics {
	t.Helper()
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fromAddr(ctx context.Context, ip string) context.Context {
	return peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 50000}})
}

func TestLimiterMemoryStaysBoundedWithManyPeers(t *testing.T) {
	now := epoch
	l := newLimiter(config.RateLimits{PeerRate: 100, PeerBurst: 100, AuthFailureRate: 1, AuthFailureBurst: 5},
		func() time.Time { return now }, nil, testMetrics(t))
	// The limiter sits outside error mapping, so it sees statuses.
	unauthenticated := func(context.Context, any) (any, error) { return nil, toStatusError(fault.Unauthenticated("no")) }
	info := &grpc.UnaryServerInfo{FullMethod: "/x.v1.S/M"}

	// A flood from 3x as many addresses as are tracked: every one gets a bucket while it
	// calls, and the table never holds more than maxTracked.
	for i := range 3 * maxTracked {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		ctx := metadata.NewIncomingContext(fromAddr(context.Background(), ip.String()), metadata.Pairs("authorization", "Bearer x"))
		if _, err := l.peerUnary(ctx, nil, info, unauthenticated); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("call from %s = %v, want Unauthenticated", ip, err)
		}
		if n := l.peers.len(); n > maxTracked {
			t.Fatalf("%d addresses tracked after %d, want at most %d", n, i+1, maxTracked)
		}
	}
	// Once the flood is over, the next caller finds the table emptied of idle entries.
	now = now.Add(l.peers.idle)
	if _, err := l.peerUnary(fromAddr(context.Background(), "192.0.2.1"), nil, info, unauthenticated); status.Code(err) != codes.Unauthenticated {
		t.Fatal(err)
	}
	if n := l.peers.len(); n != 1 {
		t.Errorf("%d addresses tracked after the idle time, want 1", n)
	}
}

func TestLRUKeepsRecentlyUsed(t *testing.T) {
	c := newLRU[string, int](2, time.Hour)
	n := 0
	create := func() int { n++; return n }
	c.get("a", epoch, create)
	c.get("b", epoch, create)
	c.get("a", epoch, create) // a is now the most recent
	c.get("c", epoch, create) // full: b goes
	if _, ok := c.peek("b"); ok {
		t.Error("b kept, want it dropped as least recently used")
	}
	if v, ok := c.peek("a"); !ok || v != 1 {
		t.Errorf("a = %d, %v; want its first state kept", v, ok)
	}
}

func TestPeerKeyGroupsIPv6By64(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		a, b string
		same bool
	}{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"192.0.2.1", "::ffff:192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
	}
	for _, tt := range tests {
		ka, kb := peerKey(fromAddr(ctx, tt.a)), peerKey(fromAddr(ctx, tt.b))
		if (ka == kb) != tt.same {
			t.Errorf("peerKey(%s) = %v, peerKey(%s) = %v; same = %v, want %v", tt.a, ka, tt.b, kb, ka == kb, tt.same)
		}
	}
	if k := peerKey(ctx); k.IsValid() {
		t.Errorf("peerKey without a peer = %v, want the zero key", k)
	}
}

// BenchmarkLimiterOverhead is what the limits add to a call that passes them: both stages, a
// principal and a credential, against a handler doing nothing.
func BenchmarkLimiterOverhead(b *testing.B) {
	l := newLimiter(config.RateLimits{PeerRate: 1e9, PeerBurst: 1e9, PrincipalRate: 1e9, PrincipalBurst: 1e9,
		AuthFailureRate: 1, AuthFailureBurst: 20}, time.Now, func(context.Context) string { return "key-id" }, testMetrics(b))
	info := &grpc.UnaryServerInfo{FullMethod: "/x.v1.S/M"}
	ok := func(context.Context, any) (any, error) { return nil, nil }
	inner := func(ctx context.Context, req any) (any, error) { return l.principalUnary(ctx, req, info, ok) }
	b.Run("one-peer", func(b *testing.B) {
		ctx := metadata.NewIncomingContext(fromAddr(context.Background(), "192.0.2.1"), metadata.Pairs("authorization", "Bearer 0123456789abcdef0123456789abcdef"))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.peerUnary(ctx, nil, info, inner); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel-1000-peers", func(b *testing.B) {
		ctxs := make([]context.Context, 1000)
		for i := range ctxs {
			ip := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
			ctxs[i] = metadata.NewIncomingContext(fromAddr(context.Background(), ip.String()), metadata.Pairs("authorization", "Bearer 0123456789abcdef0123456789abcdef"))
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := l.peerUnary(ctxs[i%len(ctxs)], nil, info, inner); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}
