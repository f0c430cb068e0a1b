// Package ingestion is the intake of training data as a module any host can run: its own
// binary (cmd/ingestion) or the all-in-one supercomp. It validates what teams send, makes it
// idempotent and publishes it to the TRAINING stream; its recorder writes it to ClickHouse.
package ingestion

import (
	"google.golang.org/grpc"

	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
)

// Name is the service's short name in logs, flags and metrics.
const Name = "ingestion"

// Service is the ingestion module.
type Service struct {
	deps service.Deps
}

var _ service.Module = (*Service)(nil)

// New builds the ingestion service from the host's dependencies.
func New(deps service.Deps) (*Service, error) {
	return &Service{deps: deps}, nil
}

// Name implements service.Module.
func (s *Service) Name() string { return Name }

// Register implements service.Module. The RPCs answer Unimplemented until the ingestion issue
// fills them in; the contract is already the final one.
func (s *Service) Register(srv *grpc.Server) {
	ingestionv1.RegisterIngestionServiceServer(srv, ingestionv1.UnimplementedIngestionServiceServer{})
}

// GRPCServices implements service.Module.
func (s *Service) GRPCServices() []string {
	return []string{ingestionv1.IngestionService_ServiceDesc.ServiceName}
}

// Components implements service.Module.
func (s *Service) Components() []lifecycle.Component { return nil }
