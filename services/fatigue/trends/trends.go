// Package trends is the fatigue service's team-wide trends: the TrendsService gRPC handlers, the
// periodic summarizer of athlete days the answers read, and the lifecycle components of
// team-trend detection (an ANALYSIS consumer for event-driven checks, a PROGRAMMING consumer for
// position groups and a periodic check). The fatigue module registers it; everything else stays
// in internal/trends.
package trends

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/ports"
	"go.uber.org/zap"
)

// DetectEvery is the period of the periodic team-trend check.
const DetectEvery = 15 * time.Minute

// SummarizeEvery is the period of the trend summarizer. Answers are exact whenever it last ran;
// an athlete with rows newer than their summaries is computed from the raw tables, which is
// slower, until the next pass.
const SummarizeEvery = 30 * time.Second

// Trends serves TrendsService and runs detection.
type Trends struct {
	ports.Server
	components []lifecycle.Component
	detector   *app.Detector
}

var _ trendsv1.TrendsServiceServer = (*Trends)(nil)

// New builds the trends from the host's dependencies. Without ClickHouse the RPCs answer
// Unimplemented and nothing runs; without NATS only the queries work.
func New(deps service.Deps) (*Trends, error) {
	t := &Trends{}
	t.Now = time.Now
	if deps.Store == nil {
		return t, nil
	}
	repo := adapters.Repo{Store: deps.Store}
	t.Server.Trends = app.Trends{Repo: repo}
	log := deps.Log
	sum := &app.Summarizer{Trends: t.Server.Trends, Settle: app.DefaultSettle, Now: time.Now}
	t.components = append(t.components, &lifecycle.Periodic{Label: "trends summarizer", Period: SummarizeEvery,
		Fn: func(ctx context.Context) error {
			n, err := sum.SummarizeAll(ctx)
			if n > 0 {
				log.Debug("trend days summarized", zap.Int("days", n))
			}
			return err
		},
		OnError: func(err error) {
			log.Warn("trend summaries not brought up to date; retried next period", zap.Error(err))
		}})
	if deps.Bus == nil {
		return t, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Episodes are judged on the team's weeks. The zones come from the teams' records, which
	// every host reads anyway (tokens are verified against the same bucket), so a check looks
	// a zone up in memory instead of calling the AuthService.
	zones, err := auth.WatchTeamZones(ctx, deps.Bus)
	if err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	det := &app.Detector{Trends: t.Server.Trends, Rules: domain.DefaultRules(), ID: events.DeterministicID, Now: time.Now,
		Zones: zones,
		Publish: func(ctx context.Context, ev *eventsv1.Event) error {
			_, err := events.Publish(ctx, deps.Bus, ev)
			return err
		}}
	t.detector = det
	// Added before the consumers and the periodic check, so stopped after them: no check runs
	// on a stopped watch.
	t.components = append(t.components, zoneWatch{zones})
	assessed, err := ports.NewAssessedConsumer(ctx, deps.Bus, det, log)
	if err != nil {
		_ = zones.Stop()
		return nil, fmt.Errorf("trends: %w", err)
	}
	profiles, err := ports.NewProfilesConsumer(ctx, deps.Bus, repo, log)
	if err != nil {
		_ = zones.Stop()
		return nil, fmt.Errorf("trends: %w", err)
	}
	t.components = append(t.components, assessed, profiles,
		&lifecycle.Periodic{Label: "trends detector", Period: DetectEvery, Fn: ports.PeriodicDetection(det),
			OnError: func(err error) { log.Warn("periodic team trend detection failed; retried next period", zap.Error(err)) }})
	return t, nil
}

// zoneWatch gives the team-zone watch, which runs from New on, its place in the stop order.
type zoneWatch struct{ zones *auth.TeamZones }

func (zoneWatch) Name() string { return "trends team zones" }

// Start returns when the watch ends: after Stop, or early (which stops the host) when the
// connection has closed under it.
func (w zoneWatch) Start(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-w.zones.Done():
	}
	return nil
}

func (w zoneWatch) Stop(context.Context) error { return w.zones.Stop() }

// Components returns the lifecycle components for the host to start and stop.
func (t *Trends) Components() []lifecycle.Component { return t.components }

// CheckTeam runs team-trend detection for one team now.
func (t *Trends) CheckTeam(ctx context.Context, team string) error {
	if t.detector == nil {
		return errors.New("trends: detection needs ClickHouse and NATS")
	}
	return t.detector.CheckTeam(ctx, team)
}
