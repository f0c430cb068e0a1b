// Package bus is the NATS JetStream plumbing shared by every service: it starts
// an embedded nats-server or connects to a cluster, declares the streams, KV
// buckets and durable pull consumers, publishes with Nats-Msg-Id so retries
// never duplicate, and consumes with explicit acks, delayed redelivery and a
// DLQ stream that keeps every message a consumer gave up on.
package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	sclog "github.com/supercomp/supercomp/pkg/log"
)

const (
	// DefaultURL is where a standalone service looks for NATS when no URL is configured.
	DefaultURL = "nats://127.0.0.1:4222"
	// DefaultPublishMaxPending bounds async publishes in flight per Bus. On
	// the embedded server a 4096 window published ~30% faster than 1024 and
	// ~60% faster than 256; with events of a few hundred bytes it holds about
	// a megabyte while a stalled server stops acking.
	DefaultPublishMaxPending = 4096
	// DefaultDuplicateWindow is how long the streams remember a Nats-Msg-Id.
	// Each remembered id costs server memory, so the window only needs to
	// cover retries: a publisher retrying, or a consumer redelivering after
	// AckWait (which must stay below this window for the DLQ to stay exact).
	DefaultDuplicateWindow = 2 * time.Minute

	// asyncAckTimeout fails an async publish whose ack never came back, so a
	// lost ack surfaces as an error instead of a batch waiting forever.
	asyncAckTimeout = 30 * time.Second
	reconnectWait   = time.Second
	drainTimeout    = 30 * time.Second
)

// Config is how a service reaches NATS. It is filled from flags and env.
type Config struct {
	// URL lists one or more servers, comma-separated
	// ("nats://a:4222,nats://b:4222"); the client fails over between them.
	URL string
	// Name identifies the connection in server monitoring.
	Name string
	// Replicas is the replica count for streams and KV buckets: 1 for the
	// embedded server, 3 in a production cluster.
	Replicas int
	// DuplicateWindow overrides DefaultDuplicateWindow for EnsureDefaultStreams.
	DuplicateWindow time.Duration
	// PublishMaxPending overrides DefaultPublishMaxPending.
	PublishMaxPending int

	// User and Password, or CredsFile (a NATS .creds file), authenticate the
	// connection; leave all empty for an open server.
	User      string
	Password  string
	CredsFile string

	// TLSCAFile verifies the server; TLSCertFile and TLSKeyFile present a
	// client certificate (mTLS).
	TLSCAFile   string
	TLSCertFile string
	TLSKeyFile  string
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Replicas < 0 || c.Replicas > 5:
		return fmt.Errorf("nats replicas %d: must be between 1 and 5", c.Replicas)
	case c.DuplicateWindow < 0:
		return fmt.Errorf("nats duplicate window %s: must not be negative", c.DuplicateWindow)
	case c.PublishMaxPending < 0:
		return fmt.Errorf("nats publish max pending %d: must not be negative", c.PublishMaxPending)
	case c.Password != "" && c.User == "":
		return errors.New("nats password set without a user")
	case c.CredsFile != "" && c.User != "":
		return errors.New("nats creds file and user are mutually exclusive")
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		return errors.New("nats tls cert and key must be given together")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.PublishMaxPending == 0 {
		c.PublishMaxPending = DefaultPublishMaxPending
	}
	return c
}

// Option adjusts Connect with things that do not come from flags.
type Option func(*options)

type options struct {
	registerer prometheus.Registerer
	inProcess  *Embedded
	natsOpts   []nats.Option
}

// WithRegisterer registers the bus metrics on reg instead of
// prometheus.DefaultRegisterer.
func WithRegisterer(reg prometheus.Registerer) Option {
	return func(o *options) { o.registerer = reg }
}

// WithInProcess connects to an embedded server through memory instead of
// TCP: the all-in-one binary needs no socket between its services and NATS.
func WithInProcess(e *Embedded) Option {
	return func(o *options) { o.inProcess = e }
}

// WithNATSOptions appends raw nats.go options, applied after the bus's own.
// Replacing the connection handlers (closed, disconnect, reconnect, error)
// loses the bus's logging, and the closed handler is what Close waits for.
func WithNATSOptions(opts ...nats.Option) Option {
	return func(o *options) { o.natsOpts = append(o.natsOpts, opts...) }
}

// Bus is a connection to NATS with its JetStream context.
type Bus struct {
	cfg     Config
	log     *zap.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	metrics *metrics
	// unregisterState takes the JetStream state collector off the registry on Close.
	unregisterState func()
	closed          chan struct{}
	// inflight is a counting semaphore over async publishes shared by every
	// PublishBatch call, so concurrent batches respect one bound together.
	inflight chan struct{}
}

// Connect dials NATS, retrying until ctx ends so that a service started
// before its NATS server waits for it instead of crashing. Once connected
// the client reconnects forever.
func Connect(ctx context.Context, cfg Config, log *zap.Logger, opts ...Option) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.registerer == nil {
		o.registerer = prometheus.DefaultRegisterer
	}
	m, err := newMetrics(o.registerer)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("bus")

	b := &Bus{
		cfg:      cfg,
		log:      log,
		metrics:  m,
		closed:   make(chan struct{}),
		inflight: make(chan struct{}, cfg.PublishMaxPending),
	}
	nc, err := b.dial(ctx, o)
	if err != nil {
		return nil, err
	}
	b.nc = nc
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(cfg.PublishMaxPending),
		jetstream.WithPublishAsyncTimeout(asyncAckTimeout),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream context: %w", err)
	}
	b.js = js
	if b.unregisterState, err = registerStateCollector(o.registerer, js, log); err != nil {
		nc.Close()
		return nil, fmt.Errorf("register jetstream state metrics: %w", err)
	}
	log.Info("nats connected", zap.String("url", nc.ConnectedUrlRedacted()),
		zap.String("server", nc.ConnectedServerName()), zap.Int("replicas", cfg.Replicas))
	return b, nil
}

func (b *Bus) dial(ctx context.Context, o options) (*nats.Conn, error) {
	natsOpts := []nats.Option{
		nats.Name(b.cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.DrainTimeout(drainTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// err is nil when we closed the connection ourselves.
			if err != nil {
				b.log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("nats reconnected", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			fields := []zap.Field{zap.Error(err)}
			if sub != nil {
				fields = append(fields, zap.String(sclog.Subject, sub.Subject))
			}
			b.log.Error("nats async error", fields...)
		}),
	}
	if b.cfg.User != "" {
		natsOpts = append(natsOpts, nats.UserInfo(b.cfg.User, b.cfg.Password))
	}
	if b.cfg.CredsFile != "" {
		natsOpts = append(natsOpts, nats.UserCredentials(b.cfg.CredsFile))
	}
	if b.cfg.TLSCAFile != "" {
		natsOpts = append(natsOpts, nats.RootCAs(b.cfg.TLSCAFile))
	}
	if b.cfg.TLSCertFile != "" {
		natsOpts = append(natsOpts, nats.ClientCert(b.cfg.TLSCertFile, b.cfg.TLSKeyFile))
	}
	url := b.cfg.URL
	if o.inProcess != nil {
		natsOpts = append(natsOpts, nats.InProcessServer(o.inProcess.srv))
		url = o.inProcess.ClientURL()
	}
	natsOpts = append(natsOpts, o.natsOpts...)

	for attempt := 1; ; attempt++ {
		nc, err := nats.Connect(url, natsOpts...)
		if err == nil {
			return nc, nil
		}
		b.log.Warn("nats connect failed, retrying", zap.Int("attempt", attempt), zap.Error(err))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to nats %s: %w", redactURLs(url), errors.Join(err, ctx.Err()))
		case <-time.After(reconnectWait):
		}
	}
}

// redactURLs hides passwords embedded in nats://user:pass@host URLs.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			scheme := ""
			if s := strings.Index(p, "://"); s >= 0 && s < at {
				scheme = p[:s+3]
			}
			parts[i] = scheme + "***@" + p[at+1:]
		}
	}
	return strings.Join(parts, ",")
}

// Conn is the underlying NATS connection.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// JetStream is the JetStream context of the connection.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Replicas is the configured stream and KV replica count.
func (b *Bus) Replicas() int { return b.cfg.Replicas }

// Close drains the connection: subscriptions finish what they received and
// pending publishes and acks are flushed before the socket closes.
func (b *Bus) Close() {
	if b.nc.IsClosed() {
		return
	}
	b.unregisterState()
	if err := b.nc.Drain(); err != nil {
		b.log.Warn("nats drain failed, closing", zap.Error(err))
		b.nc.Close()
		return
	}
	select {
	case <-b.closed:
	case <-time.After(drainTimeout + time.Second):
		b.log.Warn("nats drain timed out, closing")
		b.nc.Close()
	}
}
