package config

import (
	"cmp"
	"flag"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Flag names of the shared sections. Every binary uses the same names, so an
// operator learns them once (and their SC_* variables, see EnvName).
const (
	FlagLogLevel        = "log-level"
	FlagLogFormat       = "log-format"
	FlagGRPCAddr        = "grpc-addr"
	FlagHTTPAddr        = "http-addr"
	FlagPprof           = "pprof"
	FlagNATSURL         = "nats-url"
	FlagNATSReplicas    = "nats-replicas"
	FlagStoreBackend    = "store-backend"
	FlagClickHouseDSN   = "clickhouse-dsn"
	FlagShutdownTimeout = "shutdown-timeout"
)

// Log level and format values.
var (
	LogLevels  = []string{"debug", "info", "warn", "error"}
	LogFormats = []string{"json", "console"}
)

// Log configures the process logger (see pkg/log).
type Log struct {
	// Level is the least severe level written: debug, info, warn or error.
	Level string
	// Format is json (one object per line, for production) or console
	// (human-readable, for a terminal).
	Format string
}

// RegisterFlags registers --log-level and --log-format. Empty fields default
// to info and json.
func (c *Log) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Level, FlagLogLevel, cmp.Or(c.Level, "info"),
		"least severe log level written: "+strings.Join(LogLevels, ", ")+"; request logs of successful calls are debug")
	fs.StringVar(&c.Format, FlagLogFormat, cmp.Or(c.Format, "json"),
		"log encoding: json (one object per line, for production) or console (human-readable, for a terminal)")
}

// Validate reports a level or format outside the accepted values.
func (c Log) Validate() error {
	var v Validator
	v.Check(slices.Contains(LogLevels, c.Level), FlagLogLevel, "must be one of %s, got %q", strings.Join(LogLevels, ", "), c.Level)
	v.Check(slices.Contains(LogFormats, c.Format), FlagLogFormat, "must be one of %s, got %q", strings.Join(LogFormats, ", "), c.Format)
	return v.Err()
}

// GRPC configures the gRPC listener and what it protects itself with: rate limits, a
// connection limit and keepalive enforcement. They sit here rather than in sections of their
// own so that every binary serving gRPC gets them with --grpc-addr.
type GRPC struct {
	// Addr is the host:port to listen on; port 0 picks a free port.
	Addr      string
	Limits    RateLimits
	Transport GRPCTransport
}

// RegisterFlags registers --grpc-addr (the current Addr is the default) and the limit flags.
func (c *GRPC) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, FlagGRPCAddr, c.Addr,
		"host:port the gRPC API (with health and reflection) listens on; use 0.0.0.0:port to accept remote clients")
	c.Limits.RegisterFlags(fs)
	c.Transport.RegisterFlags(fs)
}

// Validate reports an address that is not host:port and bad limits.
func (c GRPC) Validate() error {
	var v Validator
	v.Add(checkHostPort(FlagGRPCAddr, c.Addr), c.Limits.Validate(), c.Transport.Validate())
	return v.Err()
}

// HTTP configures the HTTP listener for /healthz and /metrics.
type HTTP struct {
	// Addr is the host:port to listen on; port 0 picks a free port.
	Addr string
	// Pprof serves Go's profiles under /debug/pprof/ on the same port. Off by default: a
	// profile shows the process's internals and costs CPU while it runs, so it is for an
	// operator who turns it on to look.
	Pprof bool
}

// RegisterFlags registers --http-addr and --pprof; the current values are the defaults.
func (c *HTTP) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, FlagHTTPAddr, c.Addr,
		"host:port serving /healthz (readiness), /metrics (Prometheus) and the JSON over HTTP API under /api/ (off when the gRPC port serves TLS)")
	fs.BoolVar(&c.Pprof, FlagPprof, c.Pprof,
		"also serve Go's runtime profiles (net/http/pprof) under /debug/pprof/ on the HTTP port; keep that port private when on")
}

// Validate reports an address that is not host:port.
func (c HTTP) Validate() error {
	return checkHostPort(FlagHTTPAddr, c.Addr)
}

// natsSchemes are the URL schemes the NATS client accepts.
var natsSchemes = []string{"nats", "tls", "ws", "wss"}

// NATS configures the connection to NATS JetStream.
type NATS struct {
	// URL is one server URL or a comma-separated list of cluster URLs. Empty
	// means an embedded server, in binaries that can run one.
	URL string
	// Replicas is the replica count of the streams and buckets this binary
	// declares: 1 for a single server, 3 or 5 for a cluster.
	Replicas int
}

// RegisterFlags registers --nats-url and --nats-replicas. A zero Replicas
// defaults to 1.
func (c *NATS) RegisterFlags(fs *flag.FlagSet) {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	fs.StringVar(&c.URL, FlagNATSURL, c.URL,
		"NATS server URL, or comma-separated cluster URLs (nats://host:4222); empty starts an embedded server where the binary supports it")
	fs.IntVar(&c.Replicas, FlagNATSReplicas, c.Replicas,
		"replicas of each JetStream stream and key-value bucket this binary declares: 1 for one server, 3 or 5 in a cluster")
}

// Validate reports malformed URLs and a replica count JetStream refuses.
func (c NATS) Validate() error {
	var v Validator
	if c.URL != "" {
		for raw := range strings.SplitSeq(c.URL, ",") {
			u, err := url.Parse(strings.TrimSpace(raw))
			ok := err == nil && slices.Contains(natsSchemes, u.Scheme) && u.Host != ""
			v.Check(ok, FlagNATSURL, "%q is not a NATS URL like nats://127.0.0.1:4222 (schemes %s)", raw, strings.Join(natsSchemes, ", "))
		}
	}
	// JetStream caps replicas at 5.
	v.Check(c.Replicas >= 1 && c.Replicas <= 5, FlagNATSReplicas, "must be between 1 and 5, got %d", c.Replicas)
	return v.Err()
}

// Store backends.
const (
	// BackendCHDB is the embedded ClickHouse engine; it keeps its data under
	// the binary's data directory and needs no DSN.
	BackendCHDB = "chdb"
	// BackendClickHouse is a ClickHouse server reached over the native
	// protocol at DSN.
	BackendClickHouse = "clickhouse"
)

// clickHouseSchemes are the native-protocol DSN schemes of clickhouse-go; its
// HTTP transport is left out because it does not work with ClickHouse 18.16.
var clickHouseSchemes = []string{"clickhouse", "tcp"}

// Store configures the time-series store.
type Store struct {
	// Backend is BackendCHDB or BackendClickHouse.
	Backend string
	// DSN locates the ClickHouse server, e.g.
	// clickhouse://default:@127.0.0.1:9000/supercomp. Only for BackendClickHouse.
	DSN string
}

// RegisterFlags registers --store-backend and --clickhouse-dsn; the current
// fields are the defaults.
func (c *Store) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Backend, FlagStoreBackend, c.Backend,
		"time-series store: chdb (embedded ClickHouse engine, data under the data dir) or clickhouse (a server at --clickhouse-dsn)")
	fs.StringVar(&c.DSN, FlagClickHouseDSN, c.DSN,
		"ClickHouse native-protocol DSN used when --store-backend=clickhouse, e.g. clickhouse://default:@127.0.0.1:9000/supercomp")
}

// Validate reports an unknown backend, a missing or malformed DSN for the
// clickhouse backend, and a DSN given to chdb (which would be silently
// ignored, leaving an operator's server unused).
func (c Store) Validate() error {
	var v Validator
	switch c.Backend {
	case BackendClickHouse:
		u, err := url.Parse(c.DSN)
		ok := c.DSN != "" && err == nil && slices.Contains(clickHouseSchemes, u.Scheme) && u.Host != ""
		v.Check(ok, FlagClickHouseDSN, "must be a DSN like clickhouse://user:password@host:9000/database with --%s=%s, got %q",
			FlagStoreBackend, BackendClickHouse, c.DSN)
	case BackendCHDB:
		v.Check(c.DSN == "", FlagClickHouseDSN, "is only used with --%s=%s; the %s backend is embedded",
			FlagStoreBackend, BackendClickHouse, BackendCHDB)
	default:
		v.Check(false, FlagStoreBackend, "must be %s or %s, got %q", BackendCHDB, BackendClickHouse, c.Backend)
	}
	return v.Err()
}

// Shutdown bounds how long the binary spends stopping.
type Shutdown struct {
	// Timeout is the time each component gets to stop gracefully (drain
	// in-flight requests, flush batches) before it is cut off.
	Timeout time.Duration
}

// RegisterFlags registers --shutdown-timeout. A zero Timeout defaults to 15s.
func (c *Shutdown) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.Timeout, FlagShutdownTimeout, cmp.Or(c.Timeout, 15*time.Second),
		"time each component gets to stop gracefully (finish in-flight requests, flush batches) before it is cut off")
}

// Validate reports a non-positive timeout.
func (c Shutdown) Validate() error {
	var v Validator
	v.Check(c.Timeout > 0, FlagShutdownTimeout, "must be positive, got %s", c.Timeout)
	return v.Err()
}

// checkHostPort reports addr unless it is host:port with a numeric port; the
// host may be empty (all interfaces). Named ports ("http") are refused: they
// depend on /etc/services and hide which port is really used.
func checkHostPort(flagName, addr string) error {
	var v Validator
	_, port, err := net.SplitHostPort(addr)
	n, nerr := strconv.Atoi(port)
	v.Check(err == nil && nerr == nil && n >= 0 && n <= 65535, flagName, "must be host:port like 127.0.0.1:7400, got %q", addr)
	return v.Err()
}
