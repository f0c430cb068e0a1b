package server

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/config"
)

// The limits a call can hit, as named in the rate-limit metric and in the ErrorInfo detail.
const (
	limitPeer        = "peer"
	limitPrincipal   = "principal"
	limitAuthFailure = "auth_failures"
)

const (
	// maxTracked bounds each table of callers (addresses, principals, trusted credentials): a
	// few hundred bytes per entry, so a few megabytes however many addresses a flood comes from.
	maxTracked = 10_000
	// minIdle is the least time an unused entry is kept; see lru.
	minIdle = time.Minute
	// trustedIdle is how long a credential stays trusted without use. Longer than the buckets'
	// idle time, because only a valid credential gets in, and what it buys (getting past an
	// address blocked for failures) is worth most to someone who calls now and then.
	trustedIdle = time.Hour
	// retryAfterKey carries the retry hint in seconds, for clients that read metadata rather
	// than status details (as HTTP's Retry-After).
	retryAfterKey = "retry-after"
	// errorDomain is the ErrorInfo domain of Supercomp's own error details.
	errorDomain = "supercomp"
)

// Health checks are never limited: probes and load balancers must get an answer even from an
// address that is being limited (a kubelet shares its node's address with everything on it),
// and a check costs next to nothing. Reflection counts against the caller's address like any
// call, but it needs no credentials, so failed authentication does not shut it off.
const (
	healthPrefix     = "/grpc.health.v1.Health/"
	reflectionPrefix = "/grpc.reflection."
)

// limiter holds the token buckets of one server. It works in two stages around the
// authentication interceptor:
//
//   - before it (peerUnary, peerStream), by client address: every call takes a token from the
//     address's bucket; an address whose failed-authentication bucket is empty has its calls
//     refused before they are authenticated, so a flood of wrong keys costs a map lookup
//     instead of a credential-store read each. Calls that then fail authentication take a token
//     from that bucket. A credential that authenticated recently still gets through from a
//     blocked address, so one client looping on a bad key does not lock out everyone behind
//     the same NAT or proxy (the console).
//   - after it (principalUnary, principalStream), by principal: every authenticated call
//     takes a token from its principal's bucket.
//
// A stream counts once, when it opens, not per message: StreamRecords and ImportCSV exist so
// that devices send many records over one call, and each message already waits for its
// JetStream acknowledgement and HTTP/2 flow control, so a stream cannot outrun the server;
// counting messages would make a large import fail halfway through.
//
// Buckets are golang.org/x/time/rate limiters driven with explicit times (AllowN, TokensAt),
// so tests run on a fake clock.
type limiter struct {
	cfg         config.RateLimits
	now         func() time.Time
	principalOf func(context.Context) string
	metrics     *metrics

	peers      *lru[netip.Addr, *peerBuckets]
	principals *lru[string, *rate.Limiter]
	// trusted holds hashes of credentials that authenticated recently, from any address.
	trusted *lru[uint64, struct{}]
	seed    maphash.Seed
}

// peerBuckets are one client address's buckets; nil when that limit is off.
type peerBuckets struct {
	calls    *rate.Limiter
	failures *rate.Limiter
}

// newLimiter returns nil when every limit is off, so the server adds no interceptors.
func newLimiter(cfg config.RateLimits, now func() time.Time, principalOf func(context.Context) string, m *metrics) *limiter {
	if cfg.PeerRate <= 0 && cfg.AuthFailureRate <= 0 && cfg.PrincipalRate <= 0 {
		return nil
	}
	// An entry idle for as long as its bucket takes to refill holds nothing worth keeping.
	idle := max(minIdle, refill(cfg.PeerRate, cfg.PeerBurst), refill(cfg.AuthFailureRate, cfg.AuthFailureBurst),
		refill(cfg.PrincipalRate, cfg.PrincipalBurst))
	return &limiter{
		cfg:         cfg,
		now:         now,
		principalOf: principalOf,
		metrics:     m,
		peers:       newLRU[netip.Addr, *peerBuckets](maxTracked, idle),
		principals:  newLRU[string, *rate.Limiter](maxTracked, idle),
		trusted:     newLRU[uint64, struct{}](maxTracked, max(idle, trustedIdle)),
		seed:        maphash.MakeSeed(),
	}
}

func refill(r float64, burst int) time.Duration {
	if r <= 0 {
		return 0
	}
	return time.Duration(float64(burst) / r * float64(time.Second))
}

func (l *limiter) newPeer() *peerBuckets {
	var b peerBuckets
	if l.cfg.PeerRate > 0 {
		b.calls = rate.NewLimiter(rate.Limit(l.cfg.PeerRate), l.cfg.PeerBurst)
	}
	if l.cfg.AuthFailureRate > 0 {
		b.failures = rate.NewLimiter(rate.Limit(l.cfg.AuthFailureRate), l.cfg.AuthFailureBurst)
	}
	return &b
}

func (l *limiter) newPrincipal() *rate.Limiter {
	return rate.NewLimiter(rate.Limit(l.cfg.PrincipalRate), l.cfg.PrincipalBurst)
}

func (l *limiter) peerUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	b, rej := l.admitPeer(ctx, info.FullMethod)
	if rej != nil {
		_ = grpc.SetTrailer(ctx, rej.trailer())
		return nil, rej.err()
	}
	resp, err := handler(ctx, req)
	l.settle(ctx, b, err)
	return resp, err
}

func (l *limiter) peerStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	b, rej := l.admitPeer(ctx, info.FullMethod)
	if rej != nil {
		ss.SetTrailer(rej.trailer())
		return rej.err()
	}
	err := handler(srv, ss)
	l.settle(ctx, b, err)
	return err
}

func (l *limiter) principalUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if rej := l.admitPrincipal(ctx); rej != nil {
		_ = grpc.SetTrailer(ctx, rej.trailer())
		return nil, rej.err()
	}
	return handler(ctx, req)
}

func (l *limiter) principalStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if rej := l.admitPrincipal(ss.Context()); rej != nil {
		ss.SetTrailer(rej.trailer())
		return rej.err()
	}
	return handler(srv, ss)
}

// admitPeer takes the call's token from its address and checks the address's failed
// authentications. It returns the buckets to charge a failure to, nil when there are none.
func (l *limiter) admitPeer(ctx context.Context, method string) (*peerBuckets, *rejection) {
	if strings.HasPrefix(method, healthPrefix) {
		return nil, nil
	}
	now := l.now()
	b := l.peers.get(peerKey(ctx), now, l.newPeer)
	if b.calls != nil && !b.calls.AllowN(now, 1) {
		return nil, l.reject(limitPeer, b.calls, now)
	}
	if b.failures == nil || strings.HasPrefix(method, reflectionPrefix) {
		return nil, nil
	}
	// The credential is hashed only while the address is blocked, so normal calls skip it.
	if b.failures.TokensAt(now) < 1 && !l.isTrusted(ctx) {
		return nil, l.reject(limitAuthFailure, b.failures, now)
	}
	return b, nil
}

// settle charges a failed authentication to the caller's address, and forgets the credential
// as trusted: a key revoked a moment ago must not keep getting past a blocked address.
func (l *limiter) settle(ctx context.Context, b *peerBuckets, err error) {
	if b == nil || status.Code(err) != codes.Unauthenticated {
		return
	}
	b.failures.AllowN(l.now(), 1)
	if h, ok := l.credential(ctx); ok {
		l.trusted.remove(h)
	}
}

// admitPrincipal takes the call's token from its principal, once authentication found one,
// and remembers the credential as trusted.
func (l *limiter) admitPrincipal(ctx context.Context) *rejection {
	if l.principalOf == nil {
		return nil
	}
	subject := l.principalOf(ctx)
	if subject == "" {
		return nil
	}
	now := l.now()
	if l.cfg.AuthFailureRate > 0 {
		if h, ok := l.credential(ctx); ok {
			l.trusted.get(h, now, func() struct{} { return struct{}{} })
		}
	}
	if l.cfg.PrincipalRate <= 0 {
		return nil
	}
	lim := l.principals.get(subject, now, l.newPrincipal)
	if !lim.AllowN(now, 1) {
		return l.reject(limitPrincipal, lim, now)
	}
	return nil
}

func (l *limiter) isTrusted(ctx context.Context) bool {
	h, ok := l.credential(ctx)
	if !ok {
		return false
	}
	_, trusted := l.trusted.peek(h)
	return trusted
}

// credential hashes the call's authorization metadata with a per-process seed: the trusted
// table then holds no secret, and a caller cannot pick a credential that collides with another.
func (l *limiter) credential(ctx context.Context) (uint64, bool) {
	vals := metadata.ValueFromIncomingContext(ctx, "authorization")
	if len(vals) == 0 {
		return 0, false
	}
	var h maphash.Hash
	h.SetSeed(l.seed)
	for _, v := range vals {
		_, _ = h.WriteString(v)
		_ = h.WriteByte(0)
	}
	return h.Sum64(), true
}

func (l *limiter) reject(limit string, lim *rate.Limiter, now time.Time) *rejection {
	l.metrics.rateLimited.WithLabelValues(limit).Inc()
	return &rejection{limit: limit, delay: untilToken(lim, now)}
}

// untilToken is how long until lim has a whole token again, rounded up to the millisecond.
func untilToken(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 || lim.Limit() <= 0 {
		return time.Millisecond
	}
	d := time.Duration(math.Ceil(missing / float64(lim.Limit()) * float64(time.Second)))
	return max(time.Millisecond, (d + time.Millisecond - 1).Truncate(time.Millisecond))
}

// peerKey is the address calls are counted by. An IPv6 client controls at least a /64, so
// counting single IPv6 addresses would let it pick a fresh bucket per call. Peers that are not
// TCP (a unix socket) share the zero key.
func peerKey(ctx context.Context) netip.Addr {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return netip.Addr{}
	}
	tcp, ok := p.Addr.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	a := tcp.AddrPort().Addr().Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().Addr()
	}
	return a
}

// rejection is a call refused by a limit, with how long the caller should wait.
type rejection struct {
	limit string
	delay time.Duration
}

var rejectionMessages = map[string]string{
	limitPeer:        "too many calls from this address",
	limitPrincipal:   "too many calls with this credential",
	limitAuthFailure: "too many failed authentications from this address (missing or wrong key)",
}

// err is ResourceExhausted with a RetryInfo detail (the standard retry hint, which gRPC
// clients and google.golang.org/api honour) and an ErrorInfo naming the limit.
func (r *rejection) err() error {
	st := status.New(codes.ResourceExhausted, fmt.Sprintf("rate limited: %s; retry in %s", rejectionMessages[r.limit], r.delay))
	if detailed, err := st.WithDetails(
		&errdetails.RetryInfo{RetryDelay: durationpb.New(r.delay)},
		&errdetails.ErrorInfo{Reason: "RATE_LIMITED", Domain: errorDomain, Metadata: map[string]string{"limit": r.limit}},
	); err == nil {
		st = detailed
	}
	return st.Err()
}

// trailer is the retry hint as whole seconds, rounded up.
func (r *rejection) trailer() metadata.MD {
	secs := int64(math.Ceil(r.delay.Seconds()))
	return metadata.Pairs(retryAfterKey, strconv.FormatInt(max(secs, 1), 10))
}
