// Package programming is the programming service as a module any host can run: its own binary
// (cmd/programming) or the all-in-one supercomp. It owns athlete profiles, programs, planned and
// reactive deloads and the prescriptions athletes do; it reacts to ANALYSIS and publishes to
// PROGRAMMING.
package programming

import (
	"google.golang.org/grpc"

	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
)

// Name is the service's short name in logs, flags and metrics.
const Name = "programming"

// Service is the programming module.
type Service struct {
	deps service.Deps
}

var _ service.Module = (*Service)(nil)

// New builds the programming service from the host's dependencies.
func New(deps service.Deps) (*Service, error) {
	return &Service{deps: deps}, nil
}

// Name implements service.Module.
func (s *Service) Name() string { return Name }

// Register implements service.Module. The RPCs answer Unimplemented until the programming issue
// fills them in; the contract is already the final one.
func (s *Service) Register(srv *grpc.Server) {
	programmingv1.RegisterProgrammingServiceServer(srv, programmingv1.UnimplementedProgrammingServiceServer{})
}

// GRPCServices implements service.Module.
func (s *Service) GRPCServices() []string {
	return []string{programmingv1.ProgrammingService_ServiceDesc.ServiceName}
}

// Components implements service.Module.
func (s *Service) Components() []lifecycle.Component { return nil }
