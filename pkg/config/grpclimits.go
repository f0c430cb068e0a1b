package config

import (
	"cmp"
	"flag"
	"math"
	"time"
)

// Flag names of the gRPC limits.
const (
	FlagGRPCPrincipalRate    = "grpc-principal-rate"
	FlagGRPCPrincipalBurst   = "grpc-principal-burst"
	FlagGRPCPeerRate         = "grpc-peer-rate"
	FlagGRPCPeerBurst        = "grpc-peer-burst"
	FlagGRPCAuthFailureRate  = "grpc-auth-failure-rate"
	FlagGRPCAuthFailureBurst = "grpc-auth-failure-burst"
	FlagGRPCMaxConnections   = "grpc-max-connections"
	FlagGRPCKeepaliveMinTime = "grpc-keepalive-min-time"
	FlagGRPCKeepaliveTime    = "grpc-keepalive-time"
	FlagGRPCKeepaliveTimeout = "grpc-keepalive-timeout"
	FlagGRPCMaxConnIdle      = "grpc-max-connection-idle"
)

// Defaults of the gRPC limits. They are far above what a team does in normal work (a coach's
// CLI, a console, a few dozen devices recording sets), so they only bite on floods and loops.
const (
	// DefaultPrincipalRate and DefaultPrincipalBurst allow one credential 200 calls/s with
	// bursts of 400: a device batching its sets or a console rendering a dashboard makes a few
	// calls a second, and a bulk import streams many records over one call.
	DefaultPrincipalRate  = 200
	DefaultPrincipalBurst = 400
	// DefaultPeerRate and DefaultPeerBurst are per client address and higher than a principal's,
	// because several principals can share an address (a NAT, the console, a proxy).
	DefaultPeerRate  = 1000
	DefaultPeerBurst = 2000
	// DefaultAuthFailureRate and DefaultAuthFailureBurst: a person retyping a key a few times
	// stays under 20; a script looping on a wrong or missing key is slowed to one try a second.
	DefaultAuthFailureRate  = 1
	DefaultAuthFailureBurst = 20
	// DefaultMaxConnections bounds open connections; each costs tens of kilobytes of buffers
	// and goroutines, so 1024 stays well under 100 MB.
	DefaultMaxConnections = 1024
	// DefaultKeepaliveMinTime is the shortest ping interval a client may use (gRPC's own
	// default is 5 minutes, which disconnects mobile and NAT-bound clients pinging every 10-30 s).
	DefaultKeepaliveMinTime = 10 * time.Second
	// DefaultKeepaliveTime and DefaultKeepaliveTimeout make the server find dead clients (a
	// device that lost its network) within about 80 s, so they do not hold connection slots.
	DefaultKeepaliveTime    = time.Minute
	DefaultKeepaliveTimeout = 20 * time.Second
	// DefaultMaxConnectionIdle closes connections without a call for 5 minutes; a client
	// reconnects transparently on its next call. Open streams (WatchAlerts) count as calls.
	DefaultMaxConnectionIdle = 5 * time.Minute
)

// RateLimits are the token buckets of the gRPC server: calls per second and burst, per
// authenticated principal, per client address, and per client address for failed
// authentication. A zero rate turns that limit off.
type RateLimits struct {
	PrincipalRate    float64
	PrincipalBurst   int
	PeerRate         float64
	PeerBurst        int
	AuthFailureRate  float64
	AuthFailureBurst int
}

// RegisterFlags registers the rate-limit flags; zero fields default to the Default* values.
func (c *RateLimits) RegisterFlags(fs *flag.FlagSet) {
	fs.Float64Var(&c.PrincipalRate, FlagGRPCPrincipalRate, cmp.Or(c.PrincipalRate, DefaultPrincipalRate),
		"gRPC calls per second one principal (API key, and the tokens issued from it) may make; a stream counts once; 0 = no limit")
	fs.IntVar(&c.PrincipalBurst, FlagGRPCPrincipalBurst, cmp.Or(c.PrincipalBurst, DefaultPrincipalBurst),
		"calls a principal may make at once above --"+FlagGRPCPrincipalRate)
	fs.Float64Var(&c.PeerRate, FlagGRPCPeerRate, cmp.Or(c.PeerRate, DefaultPeerRate),
		"gRPC calls per second from one client address (IPv6: one /64); health checks are not counted; 0 = no limit")
	fs.IntVar(&c.PeerBurst, FlagGRPCPeerBurst, cmp.Or(c.PeerBurst, DefaultPeerBurst),
		"calls a client address may make at once above --"+FlagGRPCPeerRate)
	fs.Float64Var(&c.AuthFailureRate, FlagGRPCAuthFailureRate, cmp.Or(c.AuthFailureRate, DefaultAuthFailureRate),
		"failed authentications (missing or wrong key) per second one client address may have before its calls are refused until it slows down; 0 = no limit")
	fs.IntVar(&c.AuthFailureBurst, FlagGRPCAuthFailureBurst, cmp.Or(c.AuthFailureBurst, DefaultAuthFailureBurst),
		"failed authentications a client address may have at once above --"+FlagGRPCAuthFailureRate)
}

// Validate reports negative or non-finite rates, a burst that would refuse every call, and an
// auth-failure rate above the per-address rate (failures are meant to be limited more strictly).
func (c RateLimits) Validate() error {
	var v Validator
	checkBucket(&v, FlagGRPCPrincipalRate, FlagGRPCPrincipalBurst, c.PrincipalRate, c.PrincipalBurst)
	checkBucket(&v, FlagGRPCPeerRate, FlagGRPCPeerBurst, c.PeerRate, c.PeerBurst)
	checkBucket(&v, FlagGRPCAuthFailureRate, FlagGRPCAuthFailureBurst, c.AuthFailureRate, c.AuthFailureBurst)
	if c.PeerRate > 0 && c.AuthFailureRate > 0 {
		v.Check(c.AuthFailureRate <= c.PeerRate, FlagGRPCAuthFailureRate,
			"must not be above --%s (%g): failed authentication is limited more strictly than calls, got %g",
			FlagGRPCPeerRate, c.PeerRate, c.AuthFailureRate)
	}
	return v.Err()
}

func checkBucket(v *Validator, rateFlag, burstFlag string, rate float64, burst int) {
	v.Check(rate >= 0 && !math.IsInf(rate, 0) && !math.IsNaN(rate), rateFlag,
		"must be a number of calls per second, 0 or more (0 = no limit), got %g", rate)
	if rate > 0 {
		v.Check(burst >= 1, burstFlag, "must be at least 1 when --%s is set, or every call is refused, got %d", rateFlag, burst)
	}
}

// GRPCTransport bounds connections: how many may be open, how often clients may ping, and when
// idle or dead connections are closed. Zero fields leave gRPC's defaults (no connection limit).
type GRPCTransport struct {
	// MaxConnections is the most open connections; more are closed as soon as accepted.
	MaxConnections int
	// KeepaliveMinTime is the shortest interval between a client's pings; a client pinging
	// more often is disconnected (GOAWAY too_many_pings).
	KeepaliveMinTime time.Duration
	// KeepaliveTime is how long a connection may be silent before the server pings it, and
	// KeepaliveTimeout how long the server then waits for the answer before closing it.
	KeepaliveTime    time.Duration
	KeepaliveTimeout time.Duration
	// MaxConnectionIdle closes connections without a call for this long; 0 never does.
	MaxConnectionIdle time.Duration
}

// RegisterFlags registers the connection flags; zero fields default to the Default* values.
func (c *GRPCTransport) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.MaxConnections, FlagGRPCMaxConnections, cmp.Or(c.MaxConnections, DefaultMaxConnections),
		"most open gRPC connections; more are closed when accepted (clients retry); 0 = no limit")
	fs.DurationVar(&c.KeepaliveMinTime, FlagGRPCKeepaliveMinTime, cmp.Or(c.KeepaliveMinTime, DefaultKeepaliveMinTime),
		"shortest keepalive ping interval a client may use, with or without calls open; faster pingers are disconnected (0 = gRPC's 5m)")
	fs.DurationVar(&c.KeepaliveTime, FlagGRPCKeepaliveTime, cmp.Or(c.KeepaliveTime, DefaultKeepaliveTime),
		"the server pings a connection silent for this long, to find dead clients (0 = gRPC's 2h)")
	fs.DurationVar(&c.KeepaliveTimeout, FlagGRPCKeepaliveTimeout, cmp.Or(c.KeepaliveTimeout, DefaultKeepaliveTimeout),
		"a connection whose client does not answer a ping within this is closed (0 = gRPC's 20s)")
	fs.DurationVar(&c.MaxConnectionIdle, FlagGRPCMaxConnIdle, cmp.Or(c.MaxConnectionIdle, DefaultMaxConnectionIdle),
		"a connection without a call (open streams count) for this long is closed; clients reconnect on their next call; 0 = never")
}

// Validate reports negative values and a server ping interval gRPC would silently raise.
// Zero fields are accepted: they leave gRPC's defaults.
func (c GRPCTransport) Validate() error {
	var v Validator
	v.Check(c.MaxConnections >= 0, FlagGRPCMaxConnections, "must be 0 (no limit) or more, got %d", c.MaxConnections)
	v.Check(c.KeepaliveMinTime >= 0, FlagGRPCKeepaliveMinTime, "must be positive (0 = gRPC's 5m), got %s", c.KeepaliveMinTime)
	// gRPC raises a server ping interval under 1s to 1s; refusing it says so instead.
	v.Check(c.KeepaliveTime == 0 || c.KeepaliveTime >= time.Second, FlagGRPCKeepaliveTime,
		"must be at least 1s (0 = gRPC's 2h), got %s", c.KeepaliveTime)
	v.Check(c.KeepaliveTimeout >= 0, FlagGRPCKeepaliveTimeout, "must be positive (0 = gRPC's 20s), got %s", c.KeepaliveTimeout)
	v.Check(c.MaxConnectionIdle >= 0, FlagGRPCMaxConnIdle, "must be 0 (never) or positive, got %s", c.MaxConnectionIdle)
	return v.Err()
}
