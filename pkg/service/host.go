package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/supercomp/supercomp/pkg/audit"
	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/auth/authservice"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/jsonapi"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/version"
)

// Factory builds a module from the host's dependencies.
type Factory func(Deps) (Module, error)

// Host is one running process: a gRPC server with every module registered, the HTTP
// endpoints for probes and Prometheus, and the lifecycle registry that starts and stops it all.
type Host struct {
	log      *zap.Logger
	metrics  *prometheus.Registry
	grpc     *server.Server
	http     *server.HTTPServer
	registry *lifecycle.Registry
	bus      *bus.Bus
	store    store.Store
	modules  []Module
	// jsonAPI says whether the HTTP port serves the JSON API, for the log line at Listen.
	jsonAPI bool
}

// NewHost builds the servers, then the modules on top of b and st. infra are components that
// must outlive every module (an embedded NATS server): they start first and stop last.
//
// A host built by NewHost does not authenticate calls; the binaries use NewSecureHost.
func NewHost(logger *zap.Logger, cfg server.Config, httpAddr string, b *bus.Bus, st store.Store,
	metrics *prometheus.Registry, factories []Factory, infra ...lifecycle.Component) (*Host, error) {
	return newHost(logger, cfg, httpAddr, b, st, metrics, nil, factories, infra)
}

// NewSecureHost is NewHost with access control: every call is authenticated and checked
// against its RPC's access rule by authn's guard (health and reflection stay open), and the
// AuthService is served next to the modules.
func NewSecureHost(logger *zap.Logger, cfg server.Config, httpAddr string, b *bus.Bus, st store.Store,
	metrics *prometheus.Registry, authn *auth.Authenticator, factories []Factory, infra ...lifecycle.Component) (*Host, error) {
	if authn == nil {
		return nil, errors.New("secure host: no authenticator")
	}
	factories = append([]Factory{
		func(d Deps) (Module, error) {
			var opts []authservice.Option
			if d.Store != nil {
				// Every host records the AUDIT stream into its store (newAuditModule), so every
				// host can also read the trail back.
				opts = append(opts, authservice.WithAuditLog(audit.Log{Store: d.Store}))
			}
			return authservice.New(authn, b, opts...), nil
		},
		newAuditModule,
	}, factories...)
	return newHost(logger, cfg, httpAddr, b, st, metrics, authn, factories, infra)
}

func newHost(logger *zap.Logger, cfg server.Config, httpAddr string, b *bus.Bus, st store.Store,
	metrics *prometheus.Registry, authn *auth.Authenticator, factories []Factory, infra []lifecycle.Component) (*Host, error) {
	if metrics == nil {
		metrics = NewMetricsRegistry()
	}
	if st != nil {
		// Every module writes through the host's store, so instrumenting it here measures
		// every insert of the process.
		instrumented, err := store.Instrument(st, metrics)
		if err != nil {
			return nil, fmt.Errorf("store metrics: %w", err)
		}
		st = instrumented
	}
	forwarding := server.NewPeerForwarding()
	opts := []server.Option{server.WithRegistry(metrics), server.WithPeerForwarding(forwarding)}
	if authn != nil {
		guard := auth.NewGuard(authn)
		// The auditor runs after the guard, which puts the principal it records in the context.
		auditor := auth.NewAuditor(b, logger.Named("audit"))
		opts = append(opts, server.WithUnaryInterceptors(guard.Unary(), auditor.Unary()), server.WithStreamInterceptors(guard.Stream()),
			server.WithPrincipalKey(principalKey))
	}
	grpcServer, err := server.New(cfg, logger, opts...)
	if err != nil {
		return nil, err
	}
	h := &Host{
		log:      logger,
		metrics:  metrics,
		grpc:     grpcServer,
		registry: lifecycle.New(logger, cfg.ShutdownTimeout),
		bus:      b,
		store:    st,
	}
	h.http = server.NewHTTP(httpAddr, metrics, h.ready, logger)

	h.registry.Add(infra...)
	if b != nil {
		// The connection drains after the consumers stop and before an embedded server does.
		h.registry.Add(busConnection{b: b, done: make(chan struct{})})
	}
	for _, newModule := range factories {
		m, err := newModule(Deps{
			Log:     logger,
			Bus:     b,
			Store:   st,
			Metrics: metrics,
		})
		if err != nil {
			return nil, fmt.Errorf("build service: %w", err)
		}
		m.Register(grpcServer.GRPC())
		for _, name := range m.GRPCServices() {
			grpcServer.SetServing(name)
		}
		// Consumers start before the servers that take traffic and stop after them, so work
		// accepted over gRPC during shutdown still has its consumers until the end.
		h.registry.Add(m.Components()...)
		h.modules = append(h.modules, m)
	}
	apiConn, err := h.mountJSONAPI(cfg.TLS != nil, forwarding)
	if err != nil {
		return nil, err
	}
	if apiConn != nil {
		// The API's connection closes after both servers stopped: HTTP calls in flight during
		// the HTTP server's drain still reach the gRPC server.
		h.registry.Add(apiConn)
	}
	h.registry.Add(grpcServer, h.http)
	return h, nil
}

// mountJSONAPI serves the modules' gRPC services as JSON over HTTP at jsonapi.Prefix on the
// HTTP port, through a connection to this host's own gRPC port, so HTTP calls get exactly the
// authentication, limits and errors of gRPC calls. The connection dials lazily, at the first
// HTTP call, because the gRPC port is only known once Listen bound it. forwarding tells the gRPC
// server which HTTP client each call is for, so limits by address apply per HTTP client.
//
// A gRPC port with TLS leaves the API off: the HTTP port is plaintext, and keys sent to it
// would travel without the protection the operator chose for gRPC (and a client-certificate
// requirement could not be met by the gateway anyway). The component returned closes the
// connection; it is nil when nothing was mounted.
func (h *Host) mountJSONAPI(grpcTLS bool, forwarding *server.PeerForwarding) (lifecycle.Component, error) {
	if grpcTLS {
		h.log.Warn("JSON over HTTP off: the gRPC port serves TLS and the HTTP port does not; call the gRPC API")
		return nil, nil
	}
	var services []string
	for _, m := range h.modules {
		for _, name := range m.GRPCServices() {
			if slices.Contains(jsonapi.Services(), name) {
				services = append(services, name)
			}
		}
	}
	if len(services) == 0 {
		return nil, nil
	}
	var dialer net.Dialer
	conn, err := grpc.NewClient("passthrough:///supercomp-self",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			addr := h.grpc.Addr()
			if addr == nil {
				return nil, errors.New("json api: the gRPC server is not listening")
			}
			return dialer.DialContext(ctx, "tcp", LoopbackAddr(addr))
		}))
	if err != nil {
		return nil, fmt.Errorf("json api connection: %w", err)
	}
	api, err := jsonapi.NewHandler(conn, services, forwarding)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	h.http.Handle(jsonapi.Prefix+"/", api)
	h.http.OnShutdown(api.Shutdown)
	h.jsonAPI = true
	return lifecycle.FuncComponent{
		NameStr: "json-api",
		// The registry cancels ctx once every component stopped.
		StartFn: func(ctx context.Context) error { <-ctx.Done(); return nil },
		StopFn:  func(context.Context) error { return conn.Close() },
	}, nil
}

// LoopbackAddr is how the process reaches its own listener: a wildcard address (0.0.0.0:7400)
// is dialled on the loopback interface.
func LoopbackAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	if tcp.IP.To4() == nil {
		return net.JoinHostPort("::1", strconv.Itoa(tcp.Port))
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// principalKey is who the rate limiter counts an authenticated call against: the API key, so
// the tokens issued from one key share its limit.
func principalKey(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject
	}
	return ""
}

// NewMetricsRegistry is the registry a process serves on /metrics, with the Go runtime and
// process collectors every operator expects next to Supercomp's own metrics, and
// supercomp_build_info.
func NewMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo())
	return reg
}

// buildInfo is the usual constant-1 info metric: its labels say which build runs, so a
// dashboard can show versions side by side and a query can join them onto other series.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "supercomp_build_info",
		Help: "Always 1; the labels are the running build's version, commit and Go version.",
		ConstLabels: prometheus.Labels{
			"version":   version.Version,
			"commit":    version.Commit,
			"goversion": runtime.Version(),
		},
	})
	g.Set(1)
	return g
}

// Listen binds both addresses now, so a busy port fails the start with a clear error before
// anything else runs.
func (h *Host) Listen() error {
	if err := h.grpc.Listen(); err != nil {
		return err
	}
	if err := h.http.Listen(); err != nil {
		return err
	}
	if h.jsonAPI {
		h.log.Info("JSON over HTTP", zap.String("url", "http://"+h.http.Addr().String()+jsonapi.Prefix+"/"))
	}
	return nil
}

// GRPC is the host's gRPC server (tests use its address).
func (h *Host) GRPC() *server.Server { return h.grpc }

// Bus is the host's NATS connection.
func (h *Host) Bus() *bus.Bus { return h.bus }

// Store is the host's time-series store.
func (h *Host) Store() store.Store { return h.store }

// HTTP is the host's probe and metrics server.
func (h *Host) HTTP() *server.HTTPServer { return h.http }

// Run serves until SIGINT/SIGTERM, ctx cancellation or the first component failure.
func (h *Host) Run(ctx context.Context) error {
	return h.registry.Run(ctx)
}

// ready backs /healthz: the process is ready while it serves gRPC and reaches NATS.
func (h *Host) ready() error {
	if err := h.grpc.Ready(); err != nil {
		return err
	}
	if h.bus != nil && h.bus.Conn().Status() != nats.CONNECTED {
		return errors.New("not connected to NATS: " + h.bus.Conn().Status().String())
	}
	return nil
}

// busConnection gives the NATS connection its place in the stop order.
type busConnection struct {
	b    *bus.Bus
	done chan struct{}
}

func (c busConnection) Name() string { return "nats-connection" }

func (c busConnection) Start(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-c.done:
	}
	return nil
}

func (c busConnection) Stop(context.Context) error {
	c.b.Close()
	close(c.done)
	return nil
}

// auditModule records the AUDIT stream into ClickHouse in every secure host; hosts share the
// recorder's durable consumer, so each audit event is inserted once.
type auditModule struct{ recorder *bus.Consumer }

func newAuditModule(d Deps) (Module, error) {
	rec, err := audit.NewRecorder(context.Background(), d.Bus, d.Store, d.Log.Named("audit"))
	if err != nil {
		return nil, fmt.Errorf("audit recorder: %w", err)
	}
	return auditModule{recorder: rec}, nil
}

func (auditModule) Name() string           { return "audit" }
func (auditModule) Register(*grpc.Server)  {}
func (auditModule) GRPCServices() []string { return nil }
func (m auditModule) Components() []lifecycle.Component {
	return []lifecycle.Component{m.recorder}
}
