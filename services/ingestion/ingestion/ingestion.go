// Package ingestion is the intake of training data as a module any host can run: its own
// binary (cmd/ingestion) or the all-in-one supercomp. It validates what teams send, makes it
// idempotent and publishes it to the TRAINING stream; its recorder writes it to ClickHouse. It
// also serves the operators' DeadLetterService (sc dlq), which needs only the NATS connection.
package ingestion

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/supercomp/supercomp/pkg/deadletter"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/chstore"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/natspub"
	"github.com/supercomp/supercomp/services/ingestion/internal/app"
	"github.com/supercomp/supercomp/services/ingestion/internal/ports/grpcapi"
	"github.com/supercomp/supercomp/services/ingestion/internal/ports/recorder"
)

// Name is the service's short name in logs, flags and metrics.
const Name = "ingestion"

// setupTimeout bounds creating the recorder's durable consumer at start.
const setupTimeout = 10 * time.Second

// Service is the ingestion module.
type Service struct {
	server      *grpcapi.Server
	deadLetters *deadletter.Service
	components  []lifecycle.Component
}

var _ service.Module = (*Service)(nil)

// New builds the ingestion service from the host's dependencies: the gRPC API on the bus, and
// with a store the duplicate lookup, Export and the recorder consumer.
func New(deps service.Deps) (*Service, error) {
	if deps.Bus == nil {
		return nil, errors.New("ingestion: a NATS bus is required")
	}
	log := deps.Log
	if log == nil {
		log = zap.NewNop()
	}
	var (
		tables *chstore.Tables
		index  app.Index
		comps  []lifecycle.Component
	)
	if deps.Store != nil {
		tables = chstore.New(deps.Store)
		index = tables
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		rec, err := recorder.New(ctx, deps.Bus, tables, recorder.Config{}, log.Named("recorder"))
		if err != nil {
			return nil, fmt.Errorf("ingestion recorder: %w", err)
		}
		comps = append(comps, rec)
	}
	ingester := app.NewIngester(natspub.New(deps.Bus), index, log)
	if deps.Metrics != nil {
		m, err := app.NewMetrics(deps.Metrics)
		if err != nil {
			return nil, fmt.Errorf("ingestion metrics: %w", err)
		}
		ingester.WithMetrics(m)
	}
	return &Service{server: grpcapi.New(ingester, tables), deadLetters: deadletter.New(deps.Bus), components: comps}, nil
}

// Name implements service.Module.
func (s *Service) Name() string { return Name }

// Register implements service.Module.
func (s *Service) Register(srv *grpc.Server) {
	ingestionv1.RegisterIngestionServiceServer(srv, s.server)
	s.deadLetters.Register(srv)
}

// GRPCServices implements service.Module.
func (s *Service) GRPCServices() []string {
	return []string{ingestionv1.IngestionService_ServiceDesc.ServiceName, deadletter.ServiceName}
}

// Components implements service.Module: the recorder consumer.
func (s *Service) Components() []lifecycle.Component { return s.components }
