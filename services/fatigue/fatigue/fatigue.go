// Package fatigue is the fatigue analysis as a module any host can run: its own binary
// (cmd/fatigue) or the all-in-one supercomp. It keeps per-athlete fatigue state from the
// TRAINING stream, publishes assessments and deload recommendations to ANALYSIS, and answers
// team-wide trend queries.
package fatigue

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/supercomp/supercomp/pkg/bus"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/fatigue/internal/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/ports"
	"github.com/supercomp/supercomp/services/fatigue/trends"
)

// Name is the service's short name in logs, flags and metrics.
const Name = "fatigue"

// Service is the fatigue module.
type Service struct {
	deps   service.Deps
	engine *ports.Engine
	server *fatigueServer
	trends *trends.Trends
}

var _ service.Module = (*Service)(nil)

// setupTimeout bounds declaring buckets and consumers at start.
const setupTimeout = 30 * time.Second

// New builds the fatigue service from the host's dependencies: the state and thresholds
// buckets, the durable consumers, and the gRPC handlers. ClickHouse is optional (history RPCs
// answer Unavailable without it).
func New(deps service.Deps) (*Service, error) {
	return NewWithOptions(deps, Options{})
}

// Options are the fatigue service's own settings.
type Options struct {
	// Partitions above 1 let several instances share the work: TRAINING and PROGRAMMING are
	// consumed through a view partitioned by athlete, each partition held by one instance at a
	// time. Every instance must use the same number. 1 (the default) is one consumer per stream.
	Partitions int
	// PartitionTTL is how long the partitions of an instance that died (stopped fetching without
	// stopping) wait before another instance takes them; 0 is 60 s. It must exceed the longest
	// batch: an instance whose batch runs longer loses its partitions meanwhile (correct, since
	// snapshots are revision-checked, but wasted work).
	PartitionTTL time.Duration
}

// Flags (env SC_PARTITIONS, SC_PARTITION_TTL) of Options.
const (
	FlagPartitions   = "partitions"
	FlagPartitionTTL = "partition-ttl"
)

// RegisterFlags adds the options' flags.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Partitions, FlagPartitions, 1,
		"partitions of the athlete-keyed consumption; above 1, instances share them (same value on every instance)")
	fs.DurationVar(&o.PartitionTTL, FlagPartitionTTL, 0,
		"how long a dead instance's partitions wait before another instance takes them (0: 60s)")
}

// Validate reports a setting that cannot work, by flag name.
func (o Options) Validate() error {
	if o.Partitions < 0 || o.Partitions > bus.MaxPartitions {
		return fmt.Errorf("--%s %d: must be between 1 and %d", FlagPartitions, o.Partitions, bus.MaxPartitions)
	}
	if o.PartitionTTL < 0 {
		return fmt.Errorf("--%s %s: must not be negative", FlagPartitionTTL, o.PartitionTTL)
	}
	return nil
}

// NewWithOptions is New with the service's own settings.
func NewWithOptions(deps service.Deps, opts Options) (*Service, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("fatigue: %w", err)
	}
	if deps.Bus == nil {
		return nil, errors.New("fatigue: needs NATS")
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	states, err := adapters.NewStateKV(ctx, deps.Bus)
	if err != nil {
		return nil, fmt.Errorf("fatigue: %w", err)
	}
	overrides, err := adapters.NewThresholdsKV(ctx, deps.Bus)
	if err != nil {
		return nil, fmt.Errorf("fatigue: %w", err)
	}
	thresholds := app.Thresholds{Store: overrides}
	cached := &app.CachedThresholds{Source: thresholds, TTL: 30 * time.Second}
	pub := adapters.Publisher{Bus: deps.Bus}
	if deps.Metrics != nil {
		if pub.Metrics, err = adapters.NewAnalysisMetrics(deps.Metrics); err != nil {
			return nil, fmt.Errorf("fatigue metrics: %w", err)
		}
	}
	proc := app.NewProcessor(states, pub, cached)
	if opts.Partitions > 1 {
		proc.ReadFromSnapshots()
	}
	var history *adapters.History
	if deps.Store != nil {
		history = &adapters.History{Store: deps.Store}
	}
	engine, err := ports.NewEngine(ctx, deps.Bus, proc, history, ports.Partitioning{N: opts.Partitions, TTL: opts.PartitionTTL}, deps.Log)
	if err != nil {
		return nil, fmt.Errorf("fatigue: %w", err)
	}
	srv := &fatigueServer{FatigueServer: ports.FatigueServer{Proc: proc, Thresholds: thresholds, History: history}, cache: cached}
	tr, err := trends.New(deps)
	if err != nil {
		return nil, fmt.Errorf("fatigue: %w", err)
	}
	return &Service{deps: deps, engine: engine, server: srv, trends: tr}, nil
}

// fatigueServer invalidates the processor's threshold cache after an update.
type fatigueServer struct {
	ports.FatigueServer
	cache *app.CachedThresholds
}

func (s *fatigueServer) UpdateThresholds(ctx context.Context, req *fatiguev1.UpdateThresholdsRequest) (*fatiguev1.UpdateThresholdsResponse, error) {
	resp, err := s.FatigueServer.UpdateThresholds(ctx, req)
	if err == nil {
		s.cache.Invalidate(req.GetTeamId())
	}
	return resp, err
}

// Name implements service.Module.
func (s *Service) Name() string { return Name }

// Register implements service.Module. TrendsService is served by package trends (queries and
// team-trend detection).
func (s *Service) Register(srv *grpc.Server) {
	fatiguev1.RegisterFatigueServiceServer(srv, s.server)
	trendsv1.RegisterTrendsServiceServer(srv, s.trends)
}

// GRPCServices implements service.Module.
func (s *Service) GRPCServices() []string {
	return []string{
		fatiguev1.FatigueService_ServiceDesc.ServiceName,
		trendsv1.TrendsService_ServiceDesc.ServiceName,
	}
}

// Components implements service.Module.
func (s *Service) Components() []lifecycle.Component {
	return append([]lifecycle.Component{s.engine}, s.trends.Components()...)
}
