// Package server is the gRPC server kit every Supercomp binary runs on, plus
// the small HTTP server for /healthz and /metrics.
//
// A Server comes with gRPC health and reflection registered (so grpcurl and
// buf curl work), and one interceptor chain, outermost first:
//
//  1. Prometheus metrics (go-grpc-middleware's provider): calls started and
//     handled by type, method and code, messages, and latency; outermost, so
//     a panicked call is counted with the Internal that recovery answers;
//  2. panic recovery: a panicking handler answers Internal, with the stack in
//     the log and nothing of it in the response, and the server keeps going;
//  3. request logging: one line per call with method, code, duration and,
//     once authentication has run, the principal and team (log.AddCallFields),
//     at Debug for OK so logs stay quiet at Info;
//  4. rate limits by client address, and for failed authentication (see
//     limiter), when Config.Limits sets them;
//  5. error mapping: the one place where domain errors (pkg/fault) become
//     gRPC status codes;
//  6. interceptors added with WithUnaryInterceptors / WithStreamInterceptors
//     (authentication, for one);
//  7. rate limits by principal (WithPrincipalKey), then the handler.
//
// Config.Transport adds a connection limit and keepalive enforcement. WithPeerForwarding puts
// the client of an in-process proxy in place of the proxy's loopback address, after recovery
// and ahead of logging (3).
//
// Server and HTTPServer implement lifecycle.Component.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/log"
)

// DefaultShutdownTimeout is used when Config.ShutdownTimeout is zero.
const DefaultShutdownTimeout = 15 * time.Second

// Config is what a Server needs from the binary's configuration.
type Config struct {
	// Addr is the host:port to listen on; 127.0.0.1:0 picks a free port.
	Addr string
	// ShutdownTimeout bounds the graceful part of Stop: in-flight calls
	// still running after it are cancelled.
	ShutdownTimeout time.Duration
	// TLS, when set, makes the listener serve TLS (mutual TLS when it requires client
	// certificates); nil serves plaintext, for loopback and meshes that terminate TLS.
	TLS *tls.Config
	// Limits are the rate limits; the zero value limits nothing.
	Limits config.RateLimits
	// Transport bounds connections; the zero value keeps gRPC's defaults and no limit.
	Transport config.GRPCTransport
}

// Option customises a Server.
type Option func(*options)

type options struct {
	name        string
	registry    *prometheus.Registry
	unary       []grpc.UnaryServerInterceptor
	stream      []grpc.StreamServerInterceptor
	grpcOpts    []grpc.ServerOption
	principalOf func(context.Context) string
	now         func() time.Time
	forwarding  *PeerForwarding
}

// WithName sets the component name used in logs and lifecycle errors
// (default "grpc").
func WithName(name string) Option {
	return func(o *options) { o.name = name }
}

// WithRegistry registers the server's metrics on reg instead of a registry of
// its own. A binary passes the one registry it serves on /metrics, so every
// component's metrics end up on the same page.
func WithRegistry(reg *prometheus.Registry) Option {
	return func(o *options) { o.registry = reg }
}

// WithUnaryInterceptors adds unary interceptors, run in the order given after
// recovery, logging, metrics and error mapping, just before the handler.
// Their errors are mapped like the handler's, so an authentication
// interceptor can return fault.ErrUnauthenticated and its rejections are
// logged and counted like any other call.
func WithUnaryInterceptors(i ...grpc.UnaryServerInterceptor) Option {
	return func(o *options) { o.unary = append(o.unary, i...) }
}

// WithStreamInterceptors is WithUnaryInterceptors for streaming calls.
func WithStreamInterceptors(i ...grpc.StreamServerInterceptor) Option {
	return func(o *options) { o.stream = append(o.stream, i...) }
}

// WithPrincipalKey tells the rate limiter who is calling: principalOf returns
// a stable id of the authenticated caller (an API key id) from the context the
// authentication interceptor passes on, or "" for an unauthenticated call.
// Without it, calls are limited by client address only.
func WithPrincipalKey(principalOf func(context.Context) string) Option {
	return func(o *options) { o.principalOf = principalOf }
}

// WithGRPCOptions passes options such as TLS credentials or message size
// limits to grpc.NewServer. Interceptors belong in WithUnaryInterceptors and
// WithStreamInterceptors, which keep them inside the kit's chain.
func WithGRPCOptions(opts ...grpc.ServerOption) Option {
	return func(o *options) { o.grpcOpts = append(o.grpcOpts, opts...) }
}

// Server is a gRPC server with health, reflection and the interceptor chain.
type Server struct {
	cfg      Config
	name     string
	log      *zap.Logger
	grpc     *grpc.Server
	health   *health.Server
	registry *prometheus.Registry
	metrics  *metrics

	mu       sync.Mutex
	lis      net.Listener
	stopping bool
}

// New builds a Server; register services on GRPC() before Start.
func New(cfg Config, logger *zap.Logger, opts ...Option) (*Server, error) {
	o := options{name: "grpc", now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Addr == "" {
		return nil, errors.New("grpc server: no listen address")
	}
	if err := errors.Join(cfg.Limits.Validate(), cfg.Transport.Validate()); err != nil {
		return nil, fmt.Errorf("grpc server: %w", err)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.registry == nil {
		o.registry = prometheus.NewRegistry()
	}
	m, err := newMetrics(o.registry)
	if err != nil {
		return nil, fmt.Errorf("grpc server metrics: %w", err)
	}
	logger = logger.With(zap.String(log.Component, o.name))
	ic := newInterceptors(logger, m, o.now)

	unary := []grpc.UnaryServerInterceptor{m.calls.UnaryServerInterceptor(), ic.recoverUnary}
	stream := []grpc.StreamServerInterceptor{m.calls.StreamServerInterceptor(), ic.recoverStream}
	if o.forwarding != nil {
		// Before logging and limits, which both go by the client's address.
		unary = append(unary, o.forwarding.unary)
		stream = append(stream, o.forwarding.stream)
	}
	unary = append(unary, ic.logUnary)
	stream = append(stream, ic.logStream)
	lim := newLimiter(cfg.Limits, o.now, o.principalOf, m)
	if lim != nil {
		// Inside logging and metrics, so refused calls are logged (sampled) and counted;
		// outside error mapping, so the limiter sees the status code authentication gave.
		unary = append(unary, lim.peerUnary)
		stream = append(stream, lim.peerStream)
	}
	unary = append(append(unary, mapErrorsUnary), o.unary...)
	stream = append(append(stream, mapErrorsStream), o.stream...)
	if lim != nil {
		// Last, after authentication put the principal in the context.
		unary = append(unary, lim.principalUnary)
		stream = append(stream, lim.principalStream)
	}
	grpcOpts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		// Clients may keep idle connections alive (NAT-bound devices need to), but no more
		// often than MinTime; the connection limit and MaxConnectionIdle bound what that holds.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             cfg.Transport.KeepaliveMinTime,
			PermitWithoutStream: true,
		}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: cfg.Transport.MaxConnectionIdle,
			Time:              cfg.Transport.KeepaliveTime,
			Timeout:           cfg.Transport.KeepaliveTimeout,
		}),
	}, o.grpcOpts...)
	if cfg.TLS != nil {
		grpcOpts = append(grpcOpts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}

	s := &Server{
		cfg:      cfg,
		name:     o.name,
		log:      logger,
		metrics:  m,
		grpc:     grpc.NewServer(grpcOpts...),
		health:   health.NewServer(),
		registry: o.registry,
	}
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	return s, nil
}

// GRPC returns the underlying server, to register services on.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Metrics returns the registry holding the server's metrics: the one given
// with WithRegistry, or the server's own. Serve it with NewHTTP.
func (s *Server) Metrics() *prometheus.Registry { return s.registry }

// Name identifies the server in logs and lifecycle errors.
func (s *Server) Name() string { return s.name }

// SetServing marks service (a full name such as "supercomp.fatigue.v1.FatigueService")
// SERVING in the health service. The overall "" entry is SERVING from the start.
// Calls after Stop has begun are ignored: a stopping server stays NOT_SERVING.
func (s *Server) SetServing(service string) {
	s.health.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
}

// SetNotServing marks service NOT_SERVING, e.g. while a dependency it needs
// is down, so load balancers and probes steer away from it.
func (s *Server) SetNotServing(service string) {
	s.health.SetServingStatus(service, healthpb.HealthCheckResponse_NOT_SERVING)
}

// Ready returns nil while the server is listening and not stopping; it fits
// NewHTTP's ready argument.
func (s *Server) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopping:
		return errors.New("grpc server is stopping")
	case s.lis == nil:
		return errors.New("grpc server is not listening yet")
	}
	return nil
}

// Listen binds Addr. Start calls it; calling it first lets a binary fail fast
// on a busy port, and lets tests on port 0 learn the address before Start.
func (s *Server) Listen() error {
	_, err := s.listener()
	return err
}

// listener binds Addr on first use and returns the listener.
func (s *Server) listener() (net.Listener, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		lis, err := listen("grpc", s.cfg.Addr)
		if err != nil {
			return nil, err
		}
		if n := s.cfg.Transport.MaxConnections; n > 0 {
			lis = limitConnections(lis, n, s.metrics, s.log)
		}
		s.lis = lis
	}
	return s.lis, nil
}

// Addr is the bound address once listening (useful with port 0), else nil.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		return nil
	}
	return s.lis.Addr()
}

// Start listens (unless Listen already did) and serves until Stop, or until
// ctx is cancelled, which stops the server hard.
func (s *Server) Start(ctx context.Context) error {
	lis, err := s.listener()
	if err != nil {
		return err
	}
	s.log.Info("grpc server listening", zap.Stringer(log.Addr, lis.Addr()))
	stopOnCancel := context.AfterFunc(ctx, s.grpc.Stop)
	defer stopOnCancel()
	if err := s.grpc.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("grpc serve on %s: %w", lis.Addr(), err)
	}
	return nil
}

// Stop shuts down in the order clients need: health turns NOT_SERVING for
// every service (watchers and probes see it at once), then the server stops
// taking calls and waits for the in-flight ones. When ctx or the shutdown
// timeout ends first, the remaining calls are cancelled and Stop reports it.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.health.Shutdown()

	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	drained := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(drained)
	}()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		// Not waiting for drained: a handler that ignores cancellation
		// would hold Stop forever.
		s.grpc.Stop()
		return fmt.Errorf("grpc graceful stop cut short, in-flight calls cancelled: %w", ctx.Err())
	}
}

// listen binds addr with an error that names the server and the address, and
// says plainly when another process holds the port.
func listen(server, addr string) (net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("%s server: address %s is already in use by another process: %w", server, addr, err)
	case err != nil:
		return nil, fmt.Errorf("%s server: listen on %s: %w", server, addr, err)
	}
	return lis, nil
}
