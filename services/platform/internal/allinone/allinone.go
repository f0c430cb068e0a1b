// Package allinone assembles the all-in-one `supercomp` process: configuration, the embedded
// NATS server (or a real one), the store (chDB or a ClickHouse server), and every service on
// one gRPC port. It is a package rather than main so the end-to-end tests run the real thing.
package allinone

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/chdbstore"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/version"
	"github.com/supercomp/supercomp/services/console/console"
	"github.com/supercomp/supercomp/services/fatigue/fatigue"
	"github.com/supercomp/supercomp/services/ingestion/ingestion"
	"github.com/supercomp/supercomp/services/notifications/notifications"
	"github.com/supercomp/supercomp/services/programming/programming"
)

// Default addresses of the all-in-one (docs/architecture.md, "Ports and addresses").
const (
	DefaultGRPCAddr = "127.0.0.1:7400"
	DefaultHTTPAddr = "127.0.0.1:7480"
	DefaultDataDir  = "./.data"
	// chDBDatabase is the database the embedded engine keeps Supercomp's tables in.
	chDBDatabase = "supercomp"
)

// Config is the all-in-one's configuration.
type Config struct {
	DataDir  string
	NATSPort int
	Log      config.Log
	GRPC     config.GRPC
	HTTP     config.HTTP
	NATS     config.NATS
	Store    config.Store
	Shutdown config.Shutdown
	// TLS of the gRPC listener (mTLS with a client CA) and of a NATS connection given by --nats-url.
	TLS     config.ServerTLS
	NATSTLS config.NATSTLS
	// AdminKey is the bootstrap admin API key; empty means the one in <data-dir>/credentials,
	// created there on first start.
	AdminKey string
}

// RegisterFlags registers every flag; the current field values are the defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir,
		"directory holding the embedded NATS streams (nats/) and the embedded ClickHouse data (chdb/); a restart finds the data again")
	fs.IntVar(&c.NATSPort, "nats-port", c.NATSPort,
		"client port of the embedded NATS server (listens on 127.0.0.1 only; -1 picks a free port); unused with --nats-url")
	c.Log.RegisterFlags(fs)
	c.GRPC.RegisterFlags(fs)
	c.HTTP.RegisterFlags(fs)
	c.NATS.RegisterFlags(fs)
	c.Store.RegisterFlags(fs)
	c.Shutdown.RegisterFlags(fs)
	fs.StringVar(&c.AdminKey, "admin-key", c.AdminKey, fmt.Sprintf(
		"bootstrap admin API key (at least %d characters); when empty, the key in <data-dir>/%s is used, created on first start",
		auth.MinOperatorKeyLen, auth.CredentialsFileName))
}

// Validate reports every bad flag at once, each by name.
func (c *Config) Validate() error {
	var v config.Validator
	v.Check(c.DataDir != "", "data-dir", "must not be empty")
	v.Check(c.NATSPort == -1 || (c.NATSPort > 0 && c.NATSPort < 65536), "nats-port", "must be a port number or -1, got %d", c.NATSPort)
	v.Check(c.AdminKey == "" || len(c.AdminKey) >= auth.MinOperatorKeyLen, "admin-key", "must be at least %d characters", auth.MinOperatorKeyLen)
	v.Add(c.Log.Validate(), c.GRPC.Validate(), c.HTTP.Validate(), c.NATS.Validate(), c.Store.Validate(), c.Shutdown.Validate(),
		c.TLS.Validate(), c.NATSTLS.Validate())
	return v.Err()
}

// DefaultConfig is the configuration of `make run`.
func DefaultConfig() Config {
	return Config{
		DataDir:  DefaultDataDir,
		NATSPort: 4222,
		Log:      config.Log{Format: "console"},
		GRPC:     config.GRPC{Addr: DefaultGRPCAddr},
		HTTP:     config.HTTP{Addr: DefaultHTTPAddr},
		Store:    config.Store{Backend: config.BackendCHDB},
	}
}

// Services are the factories of every Supercomp service, in the order they are registered.
func Services() []service.Factory {
	return []service.Factory{
		func(d service.Deps) (service.Module, error) { return ingestion.New(d) },
		func(d service.Deps) (service.Module, error) { return fatigue.New(d) },
		func(d service.Deps) (service.Module, error) { return programming.New(d) },
		func(d service.Deps) (service.Module, error) { return notifications.New(d) },
	}
}

// Run parses args and runs the platform until SIGINT/SIGTERM or ctx is cancelled. It returns
// flag.ErrHelp after printing --help.
func Run(ctx context.Context, args []string, usageOut io.Writer) error {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("supercomp", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	cfg.RegisterFlags(fs)
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	return Serve(ctx, cfg, nil)
}

// Serve runs the platform with cfg. started, when not nil, is called with the host once both
// listeners are bound (tests learn the addresses from it).
func Serve(ctx context.Context, cfg Config, started func(*service.Host)) error {
	logger, err := log.New(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	logger.Info("starting supercomp", zap.String("version", version.String()), zap.String("data_dir", dataDir))
	stopTracing, err := service.StartTracing(ctx, "supercomp", logger)
	if err != nil {
		return err
	}
	defer stopTracing()

	metrics := service.NewMetricsRegistry()
	var infra []lifecycle.Component
	busOpts := []bus.Option{bus.WithRegisterer(metrics)}
	natsURL := cfg.NATS.URL
	if natsURL == "" {
		embedded, err := bus.StartEmbedded(bus.EmbeddedConfig{StoreDir: filepath.Join(dataDir, "nats"), Port: cfg.NATSPort}, logger)
		if err != nil {
			return err
		}
		// Shut down here too, in case a later step fails before the registry owns the server.
		defer embedded.Shutdown()
		infra = append(infra, embedded)
		busOpts = append(busOpts, bus.WithInProcess(embedded))
		natsURL = embedded.ClientURL()
	}
	serverTLS, err := cfg.TLS.Load()
	if err != nil {
		return err
	}
	b, err := bus.Connect(ctx, bus.Config{URL: natsURL, Name: "supercomp", Replicas: cfg.NATS.Replicas,
		TLSCAFile: cfg.NATSTLS.CAFile, TLSCertFile: cfg.NATSTLS.CertFile, TLSKeyFile: cfg.NATSTLS.KeyFile}, logger, busOpts...)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.EnsureStreams(ctx, bus.DefaultStreams(cfg.NATS.Replicas)...); err != nil {
		return err
	}

	st, err := openStore(ctx, cfg, dataDir, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st, store.Migrations, logger); err != nil {
		return err
	}

	authn, err := auth.Open(ctx, b)
	if err != nil {
		return err
	}
	if err := bootstrapAdmin(ctx, authn, cfg.AdminKey, dataDir, logger); err != nil {
		return err
	}

	host, err := service.NewSecureHost(logger, server.Config{Addr: cfg.GRPC.Addr, ShutdownTimeout: cfg.Shutdown.Timeout, TLS: serverTLS,
		Limits: cfg.GRPC.Limits, Transport: cfg.GRPC.Transport},
		cfg.HTTP.Addr, b, st, metrics, authn, Services(), infra...)
	if err != nil {
		return err
	}
	if err := host.Listen(); err != nil {
		return err
	}
	if cfg.HTTP.Pprof {
		host.HTTP().ServePprof()
	}
	closeConsole, err := mountConsole(host, serverTLS != nil, logger)
	if err != nil {
		return err
	}
	defer closeConsole()
	logger.Info("serving", zap.String("grpc_addr", host.GRPC().Addr().String()), zap.String("http_addr", host.HTTP().Addr().String()))
	if started != nil {
		started(host)
	}
	err = host.Run(ctx)
	logger.Info("stopped")
	return err
}

// mountConsole serves the web console at "/" of the HTTP port (next to /healthz and /metrics).
// It calls the services like any client, over this process's own gRPC port with the signed-in
// person's token, so the guard checks its calls exactly as it checks sc's. A gRPC port with
// TLS would need the console to hold client certificates; there the standalone console
// (services/console/cmd/console) is the way, and the all-in-one says so.
func mountConsole(host *service.Host, grpcTLS bool, logger *zap.Logger) (func(), error) {
	if grpcTLS {
		logger.Warn("web console off: the gRPC port serves TLS; run the standalone console (bin/console) against it")
		return func() {}, nil
	}
	target := service.LoopbackAddr(host.GRPC().Addr())
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
	if err != nil {
		return nil, fmt.Errorf("console connection to %s: %w", target, err)
	}
	cfg := console.DefaultConfig()
	// The all-in-one has no console flags; the standalone console's variable names the key, so
	// sessions survive a restart of `supercomp` too when it is set.
	cfg.SessionKey = os.Getenv("SC_SESSION_KEY")
	web, err := console.New(cfg, console.ClientsOn(conn), logger)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	host.HTTP().Handle("/", web)
	host.HTTP().OnShutdown(web.Shutdown)
	logger.Info("web console", zap.String("url", "http://"+host.HTTP().Addr().String()+"/"))
	return func() { _ = conn.Close() }, nil
}

func openStore(ctx context.Context, cfg Config, dataDir string, logger *zap.Logger) (store.Store, error) {
	if cfg.Store.Backend == config.BackendClickHouse {
		return clickhousestore.Open(ctx, cfg.Store.DSN, logger)
	}
	dir := filepath.Join(dataDir, "chdb")
	logger.Info("embedded ClickHouse (chDB)", zap.String("dir", dir), zap.String("database", chDBDatabase))
	return chdbstore.Open(ctx, dir, chDBDatabase, logger)
}

// CredentialsPath is where the platform keeps its bootstrap admin key in dataDir.
func CredentialsPath(dataDir string) string { return filepath.Join(dataDir, auth.CredentialsFileName) }

// bootstrapAdmin makes sure there is an admin key to start with: the operator's --admin-key,
// else the one in <data-dir>/credentials, else a new one written there (mode 0600) so that `sc`
// on this machine finds it and the first run needs no copy-paste.
func bootstrapAdmin(ctx context.Context, authn *auth.Authenticator, adminKey, dataDir string, logger *zap.Logger) error {
	path := CredentialsPath(dataDir)
	source := "--admin-key"
	if adminKey == "" {
		key, err := auth.ReadCredentialsFile(path)
		switch {
		case err == nil:
			adminKey, source = key, path
		case errors.Is(err, fs.ErrNotExist):
			_, key, err := auth.NewAPIKey()
			if err != nil {
				return err
			}
			if err := auth.WriteCredentialsFile(path, key); err != nil {
				return err
			}
			adminKey, source = key, path
			logger.Info("created the admin API key; sc on this machine uses it, others send it as `authorization: Bearer <key>`",
				zap.String("credentials_file", path))
		default:
			return err
		}
	}
	id, created, err := authn.Store().EnsureAdminKey(ctx, adminKey, time.Now())
	if err != nil {
		return fmt.Errorf("admin key from %s: %w", source, err)
	}
	logger.Info("admin key ready", zap.String("key_id", id), zap.String("from", source), zap.Bool("registered_now", created))
	return nil
}
