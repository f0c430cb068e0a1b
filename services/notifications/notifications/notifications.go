// Package notifications is the notifications service as a module any host can run: its own binary
// (cmd/notifications) or the all-in-one supercomp. It owns subscriptions and coach alerts that
// arrive once and say why; it reacts to ANALYSIS and PROGRAMMING and publishes alert lifecycle
// events to NOTIFY.
package notifications

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // quiet hours and digests need IANA zones on machines without zoneinfo

	"google.golang.org/grpc"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/notifications/internal/adapters/channels"
	"github.com/supercomp/supercomp/services/notifications/internal/adapters/kvstate"
	"github.com/supercomp/supercomp/services/notifications/internal/app"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
	"github.com/supercomp/supercomp/services/notifications/internal/ports"
)

// Name is the service's short name in logs, flags and metrics.
const Name = "notifications"

// Config tunes the service: the app's rules (retry policy, cooldown, escalation, timing) and
// the channels' settings (SMTP relay, webhook egress). Zero fields take the defaults.
type Config struct {
	Retry domain.RetryPolicy
	// Cooldown after an alert resolves during which a new cause with the same key opens a
	// suppressed alert (recorded, not paged).
	Cooldown           time.Duration
	MaxEscalationLevel int
	// SchedulerInterval is how often held deliveries, digests and escalations are checked.
	SchedulerInterval time.Duration
	// AttemptTimeout bounds one webhook or SMTP attempt.
	AttemptTimeout time.Duration
	// AckWait is the consumers' ack wait: how soon a crashed delivery is retried elsewhere.
	AckWait time.Duration
	SMTP    channels.SMTPConfig
	// Egress is the network policy of webhook and Slack calls: internal addresses are
	// refused unless allowed (SC_WEBHOOK_ALLOWED_NETWORKS).
	Egress channels.Egress
}

// appConfig is the part of c the app layer reads, with its defaults filled in.
func (c Config) appConfig() app.Config {
	return app.Config{
		Retry: c.Retry, Cooldown: c.Cooldown, MaxEscalationLevel: c.MaxEscalationLevel,
		SchedulerInterval: c.SchedulerInterval, AttemptTimeout: c.AttemptTimeout, AckWait: c.AckWait,
	}.WithDefaults()
}

// senders are the channel adapters: each attempt is bounded by the attempt timeout, and
// webhook calls go through the egress policy.
func (c Config) senders(attemptTimeout time.Duration) map[commonv1.Channel]app.Sender {
	smtp := c.SMTP
	if smtp.Timeout == 0 {
		smtp.Timeout = attemptTimeout
	}
	return map[commonv1.Channel]app.Sender{
		commonv1.Channel_CHANNEL_WEBHOOK:       channels.NewWebhook(c.Egress.Client(attemptTimeout)),
		commonv1.Channel_CHANNEL_SLACK_WEBHOOK: channels.NewSlack(c.Egress.Client(attemptTimeout)),
		commonv1.Channel_CHANNEL_EMAIL:         channels.NewEmail(smtp),
	}
}

// SMTPConfig is the email relay configuration.
type SMTPConfig = channels.SMTPConfig

// Service is the notifications module.
type Service struct {
	deps       service.Deps
	app        *app.App
	server     *ports.Server
	components []lifecycle.Component
}

var _ service.Module = (*Service)(nil)

// EnvAllowedNetworks names the environment variable listing internal networks webhooks may
// reach (comma-separated CIDR prefixes, e.g. "127.0.0.0/8,::1/128"); empty in production.
const EnvAllowedNetworks = "SC_WEBHOOK_ALLOWED_NETWORKS"

// New builds the notifications service from the host's dependencies, with the defaults, the
// SMTP relay from the environment (SC_SMTP_ADDR, SC_SMTP_FROM, SC_SMTP_USERNAME,
// SC_SMTP_PASSWORD) and the webhook networks allowed despite being internal
// (SC_WEBHOOK_ALLOWED_NETWORKS).
func New(deps service.Deps) (*Service, error) {
	var cfg Config
	cfg.SMTP = channels.SMTPConfig{
		Addr: os.Getenv("SC_SMTP_ADDR"), From: os.Getenv("SC_SMTP_FROM"),
		Username: os.Getenv("SC_SMTP_USERNAME"), Password: os.Getenv("SC_SMTP_PASSWORD"),
	}
	egress, err := channels.ParseEgress(os.Getenv(EnvAllowedNetworks))
	if err != nil {
		return nil, fmt.Errorf("notifications: %s: %w", EnvAllowedNetworks, err)
	}
	cfg.Egress = egress
	return NewWithConfig(deps, cfg)
}

// Egress parses a list of allowed webhook networks (see EnvAllowedNetworks) for
// NewWithConfig callers.
func Egress(list string) (channels.Egress, error) { return channels.ParseEgress(list) }

// NewWithConfig builds the service with cfg.
func NewWithConfig(deps service.Deps, cfg Config) (*Service, error) {
	if deps.Bus == nil {
		return nil, fmt.Errorf("notifications: a NATS connection is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := deps.Log.Named(Name)
	store, err := kvstate.Open(ctx, deps.Bus)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	appCfg := cfg.appConfig()
	a, err := app.New(appCfg, deps.Bus, app.Adapters{
		Store: store, Senders: cfg.senders(appCfg.AttemptTimeout), URLs: cfg.Egress,
	}, log)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	if deps.Metrics != nil {
		if a.Metrics, err = app.NewDeliveryMetrics(deps.Metrics); err != nil {
			return nil, fmt.Errorf("notifications metrics: %w", err)
		}
	}
	var rec *app.Recorder
	if deps.Store != nil {
		rec = &app.Recorder{Store: deps.Store}
	}
	consumers, err := ports.Consumers(ctx, a, deps.Bus, rec, log)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	s := &Service{deps: deps, app: a, server: &ports.Server{App: a, Bus: deps.Bus, Recorder: rec}}
	for _, c := range consumers {
		s.components = append(s.components, c)
	}
	s.components = append(s.components, a.NewScheduler())
	return s, nil
}

// Name implements service.Module.
func (s *Service) Name() string { return Name }

// Register implements service.Module.
func (s *Service) Register(srv *grpc.Server) {
	notificationsv1.RegisterNotificationServiceServer(srv, s.server)
}

// GRPCServices implements service.Module.
func (s *Service) GRPCServices() []string {
	return []string{notificationsv1.NotificationService_ServiceDesc.ServiceName}
}

// Components implements service.Module.
func (s *Service) Components() []lifecycle.Component { return s.components }
