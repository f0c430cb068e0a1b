package server

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
)

// Request log lines of failed authentications and rate-limited calls are the ones a flood
// produces by the thousand per second. They are sampled per client address, with a cap over
// all addresses so a flood from many addresses cannot fill the disk either: at most
// sampleTotalRate lines a second (about 250 MB a day of JSON at worst). The first lines of a
// burst from an address are all written, so a person's failed login is always in the log.
const (
	samplePeerRate   = 1 // lines per second per address
	samplePeerBurst  = 5
	sampleTotalRate  = 10 // lines per second over all addresses
	sampleTotalBurst = 20
)

// sampledCodes are the codes whose log lines are sampled; every other call is logged as before.
func sampledCode(c codes.Code) bool {
	return c == codes.Unauthenticated || c == codes.ResourceExhausted
}

// logSampler decides which sampled lines are written, and counts the rest so the next line
// written for the address says how many were left out.
type logSampler struct {
	total   *rate.Limiter
	peers   *lru[netip.Addr, *peerLog]
	metrics *metrics
	// elsewhere counts lines left out for addresses that were dropped from peers before they
	// wrote another line; the next line written for any address reports them.
	elsewhere atomic.Int64
}

type peerLog struct {
	mu         sync.Mutex
	lines      *rate.Limiter
	suppressed int64
}

func newLogSampler(m *metrics) *logSampler {
	s := &logSampler{
		total:   rate.NewLimiter(sampleTotalRate, sampleTotalBurst),
		peers:   newLRU[netip.Addr, *peerLog](maxTracked, minIdle),
		metrics: m,
	}
	s.peers.evicted = func(_ netip.Addr, pl *peerLog) {
		pl.mu.Lock()
		n := pl.suppressed
		pl.mu.Unlock()
		s.elsewhere.Add(n)
	}
	return s
}

// allow reports whether a line for key may be written at now, and if so how many lines were
// left out before it for key and for addresses no longer tracked.
func (s *logSampler) allow(key netip.Addr, now time.Time) (ok bool, suppressed, elsewhere int64) {
	pl := s.peers.get(key, now, func() *peerLog {
		return &peerLog{lines: rate.NewLimiter(samplePeerRate, samplePeerBurst)}
	})
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if !pl.lines.AllowN(now, 1) || !s.total.AllowN(now, 1) {
		pl.suppressed++
		s.metrics.logSuppressed.Inc()
		return false, 0, 0
	}
	suppressed, pl.suppressed = pl.suppressed, 0
	return true, suppressed, s.elsewhere.Swap(0)
}
