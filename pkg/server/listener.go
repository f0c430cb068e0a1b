package server

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/supercomp/supercomp/pkg/log"
)

// connLimitListener closes connections beyond max as soon as they are accepted. Closing rather
// than leaving them in the accept queue (as netutil.LimitListener does) gives a client a quick
// Unavailable it retries with backoff, instead of a call hanging until its deadline.
type connLimitListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	metrics *metrics
	log     *zap.Logger

	// Refusals are logged at most once every 10 s, with the count since the last line.
	logEvery *rate.Limiter
	refused  atomic.Int64
}

func limitConnections(l net.Listener, maxConns int, m *metrics, logger *zap.Logger) net.Listener {
	return &connLimitListener{Listener: l, max: int64(maxConns), metrics: m, log: logger,
		logEvery: rate.NewLimiter(rate.Every(10*time.Second), 1)}
}

func (l *connLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			l.metrics.connsOpen.Inc()
			return &countedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		_ = c.Close()
		l.metrics.connsRejected.Inc()
		n := l.refused.Add(1)
		if l.logEvery.Allow() {
			l.refused.Add(-n)
			l.log.Warn("grpc connections refused: connection limit reached",
				zap.Int64("max_connections", l.max), zap.Int64("refused", n), zap.Stringer(log.Peer, c.RemoteAddr()))
		}
	}
}

// countedConn gives its slot back when closed, once, however often Close is called.
type countedConn struct {
	net.Conn
	l    *connLimitListener
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		c.l.metrics.connsOpen.Dec()
	})
	return err
}
