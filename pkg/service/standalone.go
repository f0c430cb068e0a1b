package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/version"
)

// DefaultClickHouseDSN is where standalone services find the ClickHouse server by default.
const DefaultClickHouseDSN = "clickhouse://127.0.0.1:9000/supercomp"

// Spec describes a standalone service binary.
type Spec struct {
	// Name is the binary and service name, e.g. "fatigue".
	Name string
	// GRPCAddr and HTTPAddr are the default listen addresses (the port table of docs/architecture.md).
	GRPCAddr string
	HTTPAddr string
	// New builds the service.
	New Factory
	// Started, when set, is called once both listeners are bound (tests learn the addresses).
	Started func(*Host)
	// RegisterFlags, when set, adds the service's own flags (with the same SC_* env
	// fallback); New sees their parsed values.
	RegisterFlags func(fs *flag.FlagSet)
}

// StandaloneConfig is the configuration every standalone service binary takes. Standalone
// services always talk to real servers: the embedded NATS and chDB belong to `supercomp`.
type StandaloneConfig struct {
	Log           config.Log
	GRPC          config.GRPC
	HTTP          config.HTTP
	NATS          config.NATS
	ClickHouseDSN string
	// ClickHouseCluster, when set, names the ClickHouse cluster (a remote_servers entry): the
	// migrations run as cluster DDL (store.OnCluster) and inserts wait for the shards.
	ClickHouseCluster string
	// AdminKey, when set, is registered as an admin API key at start (the all-in-one's
	// bootstrap, for deployments without it).
	AdminKey string
	Shutdown config.Shutdown
	// TLS of the gRPC listener (mTLS with a client CA) and of the NATS connection.
	TLS     config.ServerTLS
	NATSTLS config.NATSTLS
}

// RegisterFlags registers every flag of a standalone binary.
func (c *StandaloneConfig) RegisterFlags(fs *flag.FlagSet) {
	c.Log.RegisterFlags(fs)
	c.GRPC.RegisterFlags(fs)
	c.HTTP.RegisterFlags(fs)
	c.NATS.RegisterFlags(fs)
	fs.StringVar(&c.ClickHouseDSN, config.FlagClickHouseDSN, c.ClickHouseDSN,
		"ClickHouse server DSN over the native protocol, e.g. clickhouse://user:password@127.0.0.1:9000/supercomp")
	fs.StringVar(&c.ClickHouseCluster, "clickhouse-cluster", c.ClickHouseCluster,
		"ClickHouse cluster name (remote_servers): migrate with ON CLUSTER DDL, replicated local tables and Distributed tables; empty for one server")
	fs.StringVar(&c.AdminKey, "admin-key", c.AdminKey,
		fmt.Sprintf("register this admin API key at start (at least %d characters); calls need `authorization: Bearer <key or token>`", auth.MinOperatorKeyLen))
	c.Shutdown.RegisterFlags(fs)
	c.TLS.RegisterFlags(fs)
	c.NATSTLS.RegisterFlags(fs)
}

// Validate reports every bad flag at once, each by name.
func (c *StandaloneConfig) Validate() error {
	var v config.Validator
	v.Add(c.Log.Validate(), c.GRPC.Validate(), c.HTTP.Validate(), c.NATS.Validate(), c.Shutdown.Validate(),
		c.TLS.Validate(), c.NATSTLS.Validate())
	v.Check(c.NATS.URL != "", config.FlagNATSURL, "is required: standalone services connect to a NATS server")
	v.Add(config.Store{Backend: config.BackendClickHouse, DSN: c.ClickHouseDSN}.Validate())
	v.Check(c.ClickHouseCluster == "" || clusterName.MatchString(c.ClickHouseCluster), "clickhouse-cluster",
		"must be a ClickHouse identifier ([A-Za-z_][A-Za-z0-9_]*)")
	v.Check(c.AdminKey == "" || len(c.AdminKey) >= auth.MinOperatorKeyLen, "admin-key", "must be at least %d characters", auth.MinOperatorKeyLen)
	return v.Err()
}

// Main runs a standalone service binary and exits: 0 after a clean stop or --help, 1 with a
// one-line reason otherwise.
func Main(spec Spec) {
	err := Run(context.Background(), spec, os.Args[1:], os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", spec.Name, err)
		os.Exit(1)
	}
}

// Run parses args, connects to NATS and ClickHouse, and serves spec's module until a signal,
// ctx cancellation or a failure. It returns flag.ErrHelp after printing --help.
func Run(ctx context.Context, spec Spec, args []string, usageOut io.Writer) error {
	cfg := StandaloneConfig{
		GRPC:          config.GRPC{Addr: spec.GRPCAddr},
		HTTP:          config.HTTP{Addr: spec.HTTPAddr},
		NATS:          config.NATS{URL: bus.DefaultURL},
		ClickHouseDSN: DefaultClickHouseDSN,
	}
	fs := flag.NewFlagSet(spec.Name, flag.ContinueOnError)
	fs.SetOutput(usageOut)
	cfg.RegisterFlags(fs)
	if spec.RegisterFlags != nil {
		spec.RegisterFlags(fs)
	}
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger, err := log.New(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	logger = logger.With(zap.String("service", spec.Name))
	logger.Info("starting", zap.String("version", version.String()),
		zap.String(log.Addr, cfg.GRPC.Addr), zap.String("http_addr", cfg.HTTP.Addr))

	metrics := NewMetricsRegistry()
	serverTLS, err := cfg.TLS.Load()
	if err != nil {
		return err
	}
	b, err := bus.Connect(ctx, bus.Config{URL: cfg.NATS.URL, Name: "supercomp-" + spec.Name, Replicas: cfg.NATS.Replicas,
		TLSCAFile: cfg.NATSTLS.CAFile, TLSCertFile: cfg.NATSTLS.CertFile, TLSKeyFile: cfg.NATSTLS.KeyFile},
		logger, bus.WithRegisterer(metrics))
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.EnsureStreams(ctx, bus.DefaultStreams(cfg.NATS.Replicas)...); err != nil {
		return err
	}

	dsn, migrateOpts := cfg.ClickHouseDSN, []store.MigrateOption(nil)
	if cfg.ClickHouseCluster != "" {
		dsn = withDistributedSync(dsn)
		migrateOpts = append(migrateOpts, store.OnCluster(cfg.ClickHouseCluster))
	}
	st, err := clickhousestore.Open(ctx, dsn, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st, store.Migrations, logger, migrateOpts...); err != nil {
		return err
	}

	// Tokens are verified with the signing keys in the shared bucket, so a token issued by any
	// Supercomp process on this NATS works here, and a revocation anywhere applies here at once.
	authn, err := auth.Open(ctx, b)
	if err != nil {
		return err
	}
	if cfg.AdminKey != "" {
		id, created, err := authn.Store().EnsureAdminKey(ctx, cfg.AdminKey, time.Now())
		if err != nil {
			return fmt.Errorf("--admin-key: %w", err)
		}
		logger.Info("admin key registered", zap.String("key_id", id), zap.Bool("created", created))
	}
	host, err := NewSecureHost(logger, server.Config{Addr: cfg.GRPC.Addr, ShutdownTimeout: cfg.Shutdown.Timeout, TLS: serverTLS,
		Limits: cfg.GRPC.Limits, Transport: cfg.GRPC.Transport},
		cfg.HTTP.Addr, b, st, metrics, authn, []Factory{spec.New})
	if err != nil {
		return err
	}
	if cfg.HTTP.Pprof {
		host.HTTP().ServePprof()
	}
	if err := host.Listen(); err != nil {
		return err
	}
	if spec.Started != nil {
		spec.Started(host)
	}
	err = host.Run(ctx)
	logger.Info("stopped")
	return err
}

var clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// withDistributedSync makes inserts into Distributed tables return only once every shard wrote
// its part (insert_distributed_sync=1), so a consumer acks after the rows are durable rather
// than queued on the node it talked to. A setting already in the DSN is left as it is.
func withDistributedSync(dsn string) string {
	if strings.Contains(dsn, "insert_distributed_sync=") {
		return dsn
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&insert_distributed_sync=1"
	}
	return dsn + "?insert_distributed_sync=1"
}
