package bus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
)

// RandomPort asks the embedded server for any free port (tests).
const RandomPort = server.RANDOM_PORT

const (
	embeddedReadyTimeout = 10 * time.Second
	defaultEmbeddedName  = "supercomp"
	defaultEmbeddedHost  = "127.0.0.1"
	defaultEmbeddedPort  = server.DEFAULT_PORT
)

// EmbeddedConfig configures the in-process nats-server of the all-in-one
// binary and of tests.
type EmbeddedConfig struct {
	// StoreDir holds the JetStream file store; starting again on the same
	// directory finds the streams and buckets as they were.
	StoreDir string
	// Host must be a loopback address (default 127.0.0.1): the embedded
	// server has no authentication, so it must not be reachable from the
	// network. Run a real NATS server for anything else.
	Host string
	// Port is the client port: 0 means 4222, RandomPort any free port.
	Port int
	// ServerName defaults to "supercomp".
	ServerName string
	// Cluster, when set, makes the server one node of a JetStream cluster (tests of R3 streams
	// and failover; production clusters are real nats-server deployments).
	Cluster *EmbeddedCluster
	// Users, when set, are the only clients the server accepts, each limited to the subjects it
	// may publish and subscribe to (per-service users, see pkg/auth/README.md). Empty keeps the
	// server open to any local client.
	Users []EmbeddedUser
}

// EmbeddedCluster is the cluster part of an embedded server's configuration.
type EmbeddedCluster struct {
	// Name is the cluster name, the same on every node.
	Name string
	// Port is this node's route port on Host.
	Port int
	// Routes are the other nodes' route URLs, e.g. nats-route://127.0.0.1:6223.
	Routes []string
}

// EmbeddedUser is a client of the embedded server with its subject permissions. Empty Publish
// or Subscribe lists deny that direction entirely.
type EmbeddedUser struct {
	Name      string
	Password  string
	Publish   []string
	Subscribe []string
}

func serverUsers(users []EmbeddedUser) []*server.User {
	out := make([]*server.User, 0, len(users))
	for _, u := range users {
		out = append(out, &server.User{
			Username: u.Name,
			Password: u.Password,
			Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: u.Publish},
				Subscribe: &server.SubjectPermission{Allow: u.Subscribe},
			},
		})
	}
	return out
}

// Embedded is a nats-server with JetStream running inside this process.
type Embedded struct {
	srv      *server.Server
	log      *zap.Logger
	done     chan struct{}
	stopping atomic.Bool
}

// StartEmbedded starts the server and returns once it accepts connections
// with JetStream enabled.
func StartEmbedded(cfg EmbeddedConfig, log *zap.Logger) (*Embedded, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("embedded nats: store dir is required")
	}
	if cfg.Host == "" {
		cfg.Host = defaultEmbeddedHost
	}
	if !isLoopback(cfg.Host) {
		return nil, fmt.Errorf("embedded nats: host %q is not a loopback address", cfg.Host)
	}
	if cfg.Port == 0 {
		cfg.Port = defaultEmbeddedPort
	}
	if cfg.ServerName == "" {
		cfg.ServerName = defaultEmbeddedName
	}
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("nats-server")

	opts := &server.Options{
		ServerName: cfg.ServerName,
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		// The process owns signals; the lifecycle registry stops the server.
		NoSigs: true,
	}
	if len(cfg.Users) > 0 {
		opts.Users = serverUsers(cfg.Users)
	}
	if c := cfg.Cluster; c != nil {
		opts.Cluster = server.ClusterOpts{Name: c.Name, Host: cfg.Host, Port: c.Port}
		opts.Routes = server.RoutesFromStr(strings.Join(c.Routes, ","))
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	srv.SetLoggerV2(serverLogger{log.Sugar()}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(embeddedReadyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats: not ready after %s", embeddedReadyTimeout)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("embedded nats: jetstream did not start")
	}
	e := &Embedded{srv: srv, log: log, done: make(chan struct{})}
	go func() {
		srv.WaitForShutdown()
		close(e.done)
	}()
	log.Info("embedded nats started", zap.String("url", srv.ClientURL()), zap.String("store_dir", cfg.StoreDir))
	return e, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ClientURL is the nats:// URL clients connect to.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Shutdown stops the server and waits until it has flushed its store.
func (e *Embedded) Shutdown() {
	e.stopping.Store(true)
	e.srv.Shutdown()
	<-e.done
}

// Name identifies the server in the lifecycle registry.
func (e *Embedded) Name() string { return "embedded-nats" }

// Start blocks while the server runs. It returns nil when ctx ends or Stop
// was called, and an error if the server stopped on its own.
func (e *Embedded) Start(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-e.done:
		if e.stopping.Load() {
			return nil
		}
		return errors.New("embedded nats stopped unexpectedly")
	}
}

// Stop shuts the server down, giving up waiting when ctx ends. Stop it after
// the consumers and connections that use it.
func (e *Embedded) Stop(ctx context.Context) error {
	e.stopping.Store(true)
	go e.srv.Shutdown()
	select {
	case <-e.done:
		e.log.Info("embedded nats stopped")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop embedded nats: %w", ctx.Err())
	}
}

// serverLogger routes nats-server logs into zap. Notices go to debug: the
// server is chatty at start and our own "embedded nats started" line says
// what an operator needs.
type serverLogger struct{ s *zap.SugaredLogger }

func (l serverLogger) Noticef(format string, v ...any) { l.s.Debugf(format, v...) }
func (l serverLogger) Warnf(format string, v ...any)   { l.s.Warnf(format, v...) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l serverLogger) Errorf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l serverLogger) Debugf(format string, v ...any)  { l.s.Debugf(format, v...) }
func (l serverLogger) Tracef(format string, v ...any)  { l.s.Debugf(format, v...) }
