// Package console is the Supercomp web console for coaches, performance staff and admins: an
// HTTP handler that signs people in (API key or one-time link), keeps their session, and shows
// the team board with live updates. It is a gRPC client of the services and reads nothing else
// (no NATS, no ClickHouse), calling with the signed-in person's own token so the services'
// roles and team grants apply unchanged. The all-in-one mounts it at "/" of its HTTP server;
// cmd/console runs it on its own.
package console

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/supercomp/supercomp/pkg/config"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/services/console/internal/web"
)

// Config is how the console keeps sessions and refreshes open boards.
type Config struct {
	// SessionIdle signs a browser out after this long without a page view.
	SessionIdle time.Duration
	// SessionMax is the longest a session lasts, however active.
	SessionMax time.Duration
	// LiveInterval is how often an open team board asks for the team's status.
	LiveInterval time.Duration
	// SecureCookies marks cookies Secure on plain HTTP too (TLS terminated by a proxy).
	SecureCookies bool
	// SessionKey seals the session cookies. Every replica needs the same one, and sessions
	// survive a restart only while it stays the same; empty means a random key per process.
	SessionKey string
}

// DefaultConfig is the console's configuration unless flags say otherwise.
func DefaultConfig() Config {
	return Config{SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour, LiveInterval: 5 * time.Second}
}

// maxSession is the longest token the auth service issues (auth.MaxTokenTTL).
const maxSession = 7 * 24 * time.Hour

// RegisterFlags registers the console's flags; the current values are the defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.SessionIdle, "session-idle", c.SessionIdle, "sign a browser out after this long without a page view")
	fs.DurationVar(&c.SessionMax, "session-max", c.SessionMax, "longest a console session lasts, however active (at most 168h)")
	fs.DurationVar(&c.LiveInterval, "live-interval", c.LiveInterval, "how often an open team board asks the fatigue service for the team's status")
	fs.StringVar(&c.SessionKey, "session-key", c.SessionKey,
		"secret (at least 32 bytes, e.g. `openssl rand -base64 32`) sealing the session cookies; the same on every replica, kept across restarts (empty: random per process, sessions end with it)")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", c.SecureCookies,
		"mark cookies Secure on plain HTTP too, when a proxy in front terminates TLS (requests over TLS always get Secure cookies)")
}

// Validate reports every bad value by flag name.
func (c Config) Validate() error {
	var v config.Validator
	v.Check(c.SessionIdle > 0, "session-idle", "must be positive, got %s", c.SessionIdle)
	v.Check(c.SessionMax > 0 && c.SessionMax <= maxSession, "session-max", "must be between 0 and %s, got %s", maxSession, c.SessionMax)
	v.Check(c.LiveInterval >= 100*time.Millisecond, "live-interval", "must be at least 100ms, got %s", c.LiveInterval)
	// The key itself is never echoed: an error message may end up in a log.
	v.Check(c.SessionKey == "" || len(c.SessionKey) >= web.MinSessionKeyLength, "session-key", "must be at least %d bytes, got %d",
		web.MinSessionKeyLength, len(c.SessionKey))
	return v.Err()
}

// Clients are the service clients the console calls.
type Clients = web.Clients

// ClientsOn returns clients that all use conn: the all-in-one serves every service on one port.
func ClientsOn(conn grpc.ClientConnInterface) Clients {
	return Clients{
		Auth:          authv1.NewAuthServiceClient(conn),
		Fatigue:       fatiguev1.NewFatigueServiceClient(conn),
		Programming:   programmingv1.NewProgrammingServiceClient(conn),
		Notifications: notificationsv1.NewNotificationServiceClient(conn),
		Trends:        trendsv1.NewTrendsServiceClient(conn),
		Ingestion:     ingestionv1.NewIngestionServiceClient(conn),
	}
}

// Targets are the gRPC addresses of the services when they run as separate processes. Every
// secure service host also serves AuthService, so Auth may name any of them.
type Targets struct {
	Auth, Fatigue, Programming, Notifications string
	// Ingestion is optional: without it the console has no athlete check-in.
	Ingestion string
	// TLS secures the connections to all of them (plaintext when off).
	TLS ServicesTLS
}

// RegisterFlags registers --auth-addr, --fatigue-addr, --programming-addr and
// --notifications-addr.
func (t *Targets) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&t.Auth, "auth-addr", t.Auth, "gRPC address serving AuthService (sign-in); every service serves it")
	fs.StringVar(&t.Fatigue, "fatigue-addr", t.Fatigue, "gRPC address of the fatigue service (team board, athlete page; it serves TrendsService too)")
	fs.StringVar(&t.Programming, "programming-addr", t.Programming, "gRPC address of the programming service (athlete profiles)")
	fs.StringVar(&t.Notifications, "notifications-addr", t.Notifications, "gRPC address of the notifications service (live alerts)")
	fs.StringVar(&t.Ingestion, "ingestion-addr", t.Ingestion, "gRPC address of the ingestion service (athlete check-in; empty: no check-in)")
	t.TLS.RegisterFlags(fs)
}

// Validate reports an empty target by flag name.
func (t Targets) Validate() error {
	var v config.Validator
	for _, f := range []struct{ flag, addr string }{
		{"auth-addr", t.Auth}, {"fatigue-addr", t.Fatigue}, {"programming-addr", t.Programming}, {"notifications-addr", t.Notifications},
	} {
		v.Check(f.addr != "", f.flag, "is required: host:port of the service")
	}
	v.Add(t.TLS.Validate())
	return v.Err()
}

// Dial connects lazily to every target (one connection per distinct address) and returns the
// clients and a function closing the connections.
func Dial(t Targets) (Clients, func() error, error) {
	creds, err := t.TLS.credentials()
	if err != nil {
		return Clients{}, nil, err
	}
	conns := map[string]*grpc.ClientConn{}
	closeAll := func() error {
		var errs []error
		for _, c := range conns {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}
	conn := func(addr string) (*grpc.ClientConn, error) {
		if c, ok := conns[addr]; ok {
			return c, nil
		}
		// Plaintext unless TLS was asked for, like the services' own default.
		c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds),
			grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", addr, err)
		}
		conns[addr] = c
		return c, nil
	}
	var c Clients
	for _, d := range []struct {
		addr string
		set  func(*grpc.ClientConn)
	}{
		{t.Auth, func(cc *grpc.ClientConn) { c.Auth = authv1.NewAuthServiceClient(cc) }},
		{t.Fatigue, func(cc *grpc.ClientConn) { c.Fatigue = fatiguev1.NewFatigueServiceClient(cc) }},
		// The fatigue service serves TrendsService too.
		{t.Fatigue, func(cc *grpc.ClientConn) { c.Trends = trendsv1.NewTrendsServiceClient(cc) }},
		{t.Programming, func(cc *grpc.ClientConn) { c.Programming = programmingv1.NewProgrammingServiceClient(cc) }},
		{t.Notifications, func(cc *grpc.ClientConn) { c.Notifications = notificationsv1.NewNotificationServiceClient(cc) }},
		{t.Ingestion, func(cc *grpc.ClientConn) { c.Ingestion = ingestionv1.NewIngestionServiceClient(cc) }},
	} {
		if d.addr == "" { // optional targets (ingestion); Validate requires the others
			continue
		}
		cc, err := conn(d.addr)
		if err != nil {
			_ = closeAll() // the dial error is the one to report
			return Clients{}, nil, err
		}
		d.set(cc)
	}
	return c, closeAll, nil
}

// Console is the console's HTTP handler.
type Console struct {
	srv *web.Server
}

// New returns the console calling clients.
func New(cfg Config, clients Clients, logger *zap.Logger) (*Console, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	srv, err := web.New(clients, web.Options{SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax,
		LiveInterval: cfg.LiveInterval, SecureCookies: cfg.SecureCookies, SessionKey: []byte(cfg.SessionKey)}, logger.Named("console"))
	if err != nil {
		return nil, err
	}
	return &Console{srv: srv}, nil
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.srv.ServeHTTP(w, r) }

// Shutdown ends the open live streams; call it when the HTTP server begins to shut down.
func (c *Console) Shutdown() { c.srv.Shutdown() }
