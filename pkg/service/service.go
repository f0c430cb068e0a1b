// Package service is the contract between a Supercomp service and the process that hosts it:
// the same Module runs in its own standalone binary (Main) and inside the all-in-one
// `supercomp`, which is why a service never builds its own server, bus or store.
package service

import (
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/store"
)

// Deps is what the host gives every service: one NATS connection, one ClickHouse store, a
// logger already named for the service, and the metrics registry the host exposes.
type Deps struct {
	Log     *zap.Logger
	Bus     *bus.Bus
	Store   store.Store
	Metrics prometheus.Registerer
}

// Module is a service as the host sees it.
type Module interface {
	// Name is the short service name used in logs and flags, e.g. "ingestion".
	Name() string
	// Register adds the service's gRPC handlers to the host's server.
	Register(s *grpc.Server)
	// GRPCServices are the fully qualified gRPC service names, reported by the health service.
	GRPCServices() []string
	// Components are the long-running parts (consumers, batchers) the host starts and stops.
	Components() []lifecycle.Component
}
