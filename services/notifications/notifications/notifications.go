// Package notifications is the notifications service as a module any host can run: its own binary
// (cmd/notifications) or the all-in-one supercomp. It owns subscriptions and coach alerts that
// arrive once and say why; it reacts to ANALYSIS and PROGRAMMING and publishes alert lifecycle
// events to NOTIFY.
package notifications

import (
	"google.golang.org/grpc"

	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
)

// Name is the service's short name in logs, flags and metrics.
const Name = "notifications"

// Service is the notifications module.
type Service struct {
	deps service.Deps
}

var _ service.Module = (*Service)(nil)

// New builds the notifications service from the host's dependencies.
func New(deps service.Deps) (*Service, error) {
	return &Service{deps: deps}, nil
}

// Name implements service.Module.
func (s *Service) Name() string { return Name }

// Register implements service.Module. The RPCs answer Unimplemented until the notifications issue
// fills them in; the contract is already the final one.
func (s *Service) Register(srv *grpc.Server) {
	notificationsv1.RegisterNotificationServiceServer(srv, notificationsv1.UnimplementedNotificationServiceServer{})
}

// GRPCServices implements service.Module.
func (s *Service) GRPCServices() []string {
	return []string{notificationsv1.NotificationService_ServiceDesc.ServiceName}
}

// Components implements service.Module.
func (s *Service) Components() []lifecycle.Component { return nil }
