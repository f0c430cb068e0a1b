// Package ports holds the trends' entry points: the TrendsService gRPC handlers (validation
// here, answers from app), the consumers that drive detection (ANALYSIS assessments) and keep
// position groups (PROGRAMMING profiles), and the periodic detector and rollup reconciler.
package ports

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // team time zones must load on machines without /usr/share/zoneinfo

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// Server implements trendsv1.TrendsServiceServer.
type Server struct {
	trendsv1.UnimplementedTrendsServiceServer
	Trends app.Trends
	Now    func() time.Time
}

func dateOf(d *commonv1.Date) (time.Time, bool) {
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	ok := d.GetMonth() >= 1 && d.GetMonth() <= 12 && d.GetDay() >= 1 && t.Day() == int(d.GetDay()) && d.GetYear() >= 1970 && d.GetYear() <= 9999
	return t, ok
}

// ParseZone loads an IANA time zone name. It refuses "Local" (the server's own zone, which
// would make the answer depend on where the service runs) and names the zone database does not
// know. UTC comes back as nil: the stored, UTC-keyed days answer it.
func ParseZone(name string) (*time.Location, error) {
	zone, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA time zone name (e.g. Europe/London)", name)
	}
	if zone == time.UTC || name == "UTC" || name == "Etc/UTC" {
		return nil, nil
	}
	return zone, nil
}

// ParseQuery validates a GetTeamTrends request, naming every bad field.
func ParseQuery(req *trendsv1.GetTeamTrendsRequest, now time.Time) (app.Query, error) {
	var inv fault.Invalid
	q := app.Query{Team: req.GetTeamId(), Group: req.GetPositionGroup()}
	ids.CheckTeam(&inv, "team_id", q.Team)
	if len(q.Group) > 64 {
		inv.Add("position_group", "position_group must be at most 64 characters")
	}
	if len(req.GetAthleteIds()) > 0 {
		q.Athletes = []string{}
		for i, a := range req.GetAthleteIds() {
			ids.CheckAthlete(&inv, fault.Field("athlete_ids", i), a)
			q.Athletes = append(q.Athletes, a)
		}
	}
	switch req.GetBucket() {
	case trendsv1.TrendBucket_TREND_BUCKET_UNSPECIFIED, trendsv1.TrendBucket_TREND_BUCKET_WEEK:
		q.Bucket = domain.Week
	case trendsv1.TrendBucket_TREND_BUCKET_DAY:
		q.Bucket = domain.Day
	default:
		inv.Add("bucket", "unknown bucket %d", req.GetBucket())
	}
	seen := map[trendsv1.TrendMetric]bool{}
	for i, m := range req.GetMetrics() {
		if _, known := trendsv1.TrendMetric_name[int32(m)]; !known || m == trendsv1.TrendMetric_TREND_METRIC_UNSPECIFIED {
			inv.Add(fault.Field("metrics", i), "unknown metric %d", m)
			continue
		}
		if !seen[m] {
			seen[m] = true
			q.Metrics = append(q.Metrics, m)
		}
	}
	if len(req.GetMetrics()) == 0 {
		for m := trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD; m <= trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE; m++ {
			q.Metrics = append(q.Metrics, m)
		}
	}
	var from, to *time.Time
	if r := req.GetRange(); r != nil {
		if r.GetStart() != nil {
			if t, ok := dateOf(r.GetStart()); ok {
				from = &t
			} else {
				inv.Add("range.start", "not a valid date")
			}
		}
		if r.GetEnd() != nil {
			if t, ok := dateOf(r.GetEnd()); ok {
				to = &t
			} else {
				inv.Add("range.end", "not a valid date")
			}
		}
	}
	if name := req.GetTimeZone(); name != "" {
		if zone, err := ParseZone(name); err != nil {
			inv.Add("time_zone", "%v", err)
		} else {
			q.Zone = zone
		}
	}
	if req.GetWeeks() > domain.MaxWeeks {
		inv.Add("weeks", "weeks must be at most %d", domain.MaxWeeks)
	}
	if err := inv.Err(); err != nil {
		return q, err
	}
	rg, err := domain.ResolveRange(from, to, int(req.GetWeeks()), domain.Today(now, q.Zone))
	if err != nil {
		return q, fault.InvalidField("range", "%v", err)
	}
	if q.Bucket == domain.Day && rg.Days() > domain.MaxDayPoints {
		return q, fault.InvalidField("bucket", "daily buckets cover at most %d days; this range has %d", domain.MaxDayPoints, rg.Days())
	}
	q.Range = rg
	return q, nil
}

// GetTeamTrends implements trendsv1.TrendsServiceServer.
func (s *Server) GetTeamTrends(ctx context.Context, req *trendsv1.GetTeamTrendsRequest) (*trendsv1.GetTeamTrendsResponse, error) {
	q, err := ParseQuery(req, s.Now())
	if err != nil {
		return nil, err
	}
	if teams, restricted := auth.GrantedTeams(ctx); restricted {
		q.GrantedTeams = teams
	}
	if s.Trends.Repo.Store == nil {
		return nil, fault.Unavailable("trends need ClickHouse")
	}
	resp, err := s.Trends.TeamTrends(ctx, q)
	if err != nil {
		return nil, fault.Unavailable("trends: %w", err)
	}
	return resp, nil
}

// ListTrendEpisodes implements trendsv1.TrendsServiceServer.
func (s *Server) ListTrendEpisodes(ctx context.Context, req *trendsv1.ListTrendEpisodesRequest) (*trendsv1.ListTrendEpisodesResponse, error) {
	var inv fault.Invalid
	ids.CheckTeam(&inv, "team_id", req.GetTeamId())
	var from, to time.Time
	if r := req.GetRange(); r != nil {
		if r.GetStart() != nil {
			t, ok := dateOf(r.GetStart())
			if !ok {
				inv.Add("range.start", "not a valid date")
			}
			from = t
		}
		if r.GetEnd() != nil {
			t, ok := dateOf(r.GetEnd())
			if !ok {
				inv.Add("range.end", "not a valid date")
			}
			to = t
		}
		if !from.IsZero() && !to.IsZero() && from.After(to) {
			inv.Add("range", "start is after end")
		}
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	if s.Trends.Repo.Store == nil {
		return nil, fault.Unavailable("trends need ClickHouse")
	}
	eps, err := s.Trends.Repo.Episodes(ctx, req.GetTeamId(), from, to, req.GetOpenOnly())
	if err != nil {
		return nil, fault.Unavailable("trend episodes: %w", err)
	}
	resp := &trendsv1.ListTrendEpisodesResponse{}
	for _, e := range eps {
		te := &trendsv1.TrendEpisode{Detected: e.Detected}
		if !e.State.Open && !e.State.Ended.IsZero() {
			te.EndedWeekStart = app.WireDate(e.State.Ended)
		}
		resp.Episodes = append(resp.Episodes, te)
	}
	return resp, nil
}
