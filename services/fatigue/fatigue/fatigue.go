// Package fatigue is the fatigue analysis as a module any host can run: its own binary
// (cmd/fatigue) or the all-in-one supercomp. It keeps per-athlete fatigue state from the
// TRAINING stream, publishes assessments and deload recommendations to ANALYSIS, and answers
// team-wide trend queries.
package fatigue

import (
	"google.golang.org/grpc"

	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
)

// Name is the service's short name in logs, flags and metrics.
const Name = "fatigue"

// Service is the fatigue module.
type Service struct {
	deps service.Deps
}

var _ service.Module = (*Service)(nil)

// New builds the fatigue service from the host's dependencies.
func New(deps service.Deps) (*Service, error) {
	return &Service{deps: deps}, nil
}

// Name implements service.Module.
func (s *Service) Name() string { return Name }

// Register implements service.Module. The RPCs answer Unimplemented until the fatigue and
// trends issues fill them in; the contract is already the final one.
func (s *Service) Register(srv *grpc.Server) {
	fatiguev1.RegisterFatigueServiceServer(srv, fatiguev1.UnimplementedFatigueServiceServer{})
	trendsv1.RegisterTrendsServiceServer(srv, trendsv1.UnimplementedTrendsServiceServer{})
}

// GRPCServices implements service.Module.
func (s *Service) GRPCServices() []string {
	return []string{
		fatiguev1.FatigueService_ServiceDesc.ServiceName,
		trendsv1.TrendsService_ServiceDesc.ServiceName,
	}
}

// Components implements service.Module.
func (s *Service) Components() []lifecycle.Component { return nil }
