// Package programming is the programming service as a module any host can run: its own binary
// (cmd/programming) or the all-in-one supercomp. It owns athlete profiles, programs, planned and
// reactive deloads and the prescriptions athletes do; it reacts to ANALYSIS and publishes to
// PROGRAMMING.
package programming

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/eventbus"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/kvstore"
	"github.com/supercomp/supercomp/services/programming/internal/app"
	"github.com/supercomp/supercomp/services/programming/internal/ports"
)

// Name is the service's short name in logs, flags and metrics.
const Name = "programming"

// setupTimeout bounds creating the KV buckets and the consumer at start.
const setupTimeout = 30 * time.Second

// Service is the programming module.
type Service struct {
	app      *app.Service
	grpc     *ports.GRPC
	consumer lifecycle.Component
	sweep    lifecycle.Component
}

var _ service.Module = (*Service)(nil)

// New builds the programming service from the host's dependencies: its KV buckets, its
// publisher and its durable "programming" consumer on ANALYSIS.
func New(deps service.Deps) (*Service, error) {
	if deps.Bus == nil {
		return nil, errors.New("programming: needs a NATS connection")
	}
	log := deps.Log
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named(Name)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	tables, err := kvstore.Open(ctx, deps.Bus)
	if err != nil {
		return nil, fmt.Errorf("programming: %w", err)
	}
	a := app.New(tables, eventbus.Publisher{Bus: deps.Bus}, log)
	consumer, err := ports.NewAnalysisConsumer(ctx, deps.Bus, a, log)
	if err != nil {
		return nil, fmt.Errorf("programming: %w", err)
	}
	sweep := &lifecycle.Periodic{
		Label: "deload completion sweep", Period: CompletionSweep,
		Fn: func(ctx context.Context) error {
			completed, lapsed, err := a.CloseEndedWeeks(ctx)
			if completed+lapsed > 0 {
				log.Info("deload weeks closed", zap.Int("completed", completed), zap.Int("lapsed_unapproved", lapsed))
			}
			return err
		},
		OnError: func(err error) { log.Warn("deload completion sweep failed; retried next period", zap.Error(err)) },
	}
	return &Service{app: a, grpc: &ports.GRPC{App: a}, consumer: consumer, sweep: sweep}, nil
}

// CompletionSweep is how often deload weeks that are over are closed (completed, or lapsed
// when never approved). A deload ends at midnight, so its event follows by at most this much.
const CompletionSweep = 10 * time.Minute

// Name implements service.Module.
func (s *Service) Name() string { return Name }

// Register implements service.Module.
func (s *Service) Register(srv *grpc.Server) {
	programmingv1.RegisterProgrammingServiceServer(srv, s.grpc)
}

// GRPCServices implements service.Module.
func (s *Service) GRPCServices() []string {
	return []string{programmingv1.ProgrammingService_ServiceDesc.ServiceName}
}

// Components implements service.Module: the ANALYSIS consumer and the deload completion sweep.
func (s *Service) Components() []lifecycle.Component {
	return []lifecycle.Component{s.consumer, s.sweep}
}
