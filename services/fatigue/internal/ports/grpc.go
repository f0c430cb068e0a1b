package ports

import (
	"context"
	"sort"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	"github.com/supercomp/supercomp/services/fatigue/internal/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
)

// FatigueServer implements FatigueService over the processor's in-memory states, the
// thresholds in KV and the assessment history in ClickHouse.
type FatigueServer struct {
	fatiguev1.UnimplementedFatigueServiceServer
	Proc       *app.Processor
	Thresholds app.Thresholds
	// History is nil without ClickHouse; history queries then answer Unavailable.
	History *adapters.History
}

func checkIDs(team, athlete string, athleteRequired bool) error {
	var bad fault.Invalid
	ids.CheckTeam(&bad, "team_id", team)
	if athleteRequired || athlete != "" {
		ids.CheckAthlete(&bad, "athlete_id", athlete)
	}
	return bad.Err()
}

func (s *FatigueServer) current(ctx context.Context, team, athlete string) (app.Snapshot, error) {
	snap, ok, err := s.Proc.Current(ctx, app.Key{Team: team, Athlete: athlete})
	if err != nil {
		return app.Snapshot{}, err
	}
	if !ok {
		return app.Snapshot{}, fault.NotFound("no training data for athlete %q of team %q", athlete, team)
	}
	return snap, nil
}

func assessment(snap app.Snapshot) *fatiguev1.Assessment {
	return &fatiguev1.Assessment{
		EventId: snap.State.Published.EventID, TeamId: snap.Key.Team, AthleteId: snap.Key.Athlete,
		AssessedAt: timestamppb.New(snap.State.LastDay.Time()), Result: app.WireAssessment(snap.Result.Assessed),
	}
}

func openRecommendation(snap app.Snapshot) string {
	if !snap.State.Episode.Open || snap.State.Episode.LastRecommendationDay == 0 {
		return ""
	}
	return app.RecommendationID(snap.Key.Team, snap.Key.Athlete, snap.State.Episode.LastRecommendationDay)
}

func lastData(snap app.Snapshot) *timestamppb.Timestamp {
	if snap.State.LastDataUnix == 0 {
		return nil
	}
	return timestamppb.New(time.Unix(snap.State.LastDataUnix, 0))
}

// GetAthleteStatus implements FatigueService.
func (s *FatigueServer) GetAthleteStatus(ctx context.Context, req *fatiguev1.GetAthleteStatusRequest) (*fatiguev1.GetAthleteStatusResponse, error) {
	if err := checkIDs(req.GetTeamId(), req.GetAthleteId(), true); err != nil {
		return nil, err
	}
	snap, err := s.current(ctx, req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return nil, err
	}
	resp := &fatiguev1.GetAthleteStatusResponse{Assessment: assessment(snap), OpenRecommendationId: openRecommendation(snap), LastDataAt: lastData(snap)}
	if w := snap.State.Episode.LastDeloadWeek; w != 0 {
		resp.LastDeloadWeekStart = app.WireDay(w)
	}
	return resp, nil
}

// ExplainAssessment implements FatigueService.
func (s *FatigueServer) ExplainAssessment(ctx context.Context, req *fatiguev1.ExplainAssessmentRequest) (*fatiguev1.ExplainAssessmentResponse, error) {
	if err := checkIDs(req.GetTeamId(), req.GetAthleteId(), true); err != nil {
		return nil, err
	}
	var a *fatiguev1.Assessment
	if id := req.GetAssessmentEventId(); id != "" {
		if s.History == nil {
			return nil, fault.Unavailable("assessment history needs ClickHouse")
		}
		found, err := s.History.List(ctx, req.GetTeamId(), req.GetAthleteId(), time.Time{}, time.Time{}, id, 1, 0)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fault.NotFound("assessment %q of athlete %q", id, req.GetAthleteId())
		}
		a = found[0]
	} else {
		snap, err := s.current(ctx, req.GetTeamId(), req.GetAthleteId())
		if err != nil {
			return nil, err
		}
		a = assessment(snap)
	}
	lines, note := app.Explain(a.GetResult())
	resp := &fatiguev1.ExplainAssessmentResponse{Assessment: a, Headline: app.Headline(a.GetResult()), ConfidenceNote: note, Missing: app.Missing(a.GetResult())}
	for _, l := range lines {
		resp.Lines = append(resp.Lines, &fatiguev1.ExplanationLine{Family: l.Family, Abnormal: l.Abnormal, ContextOnly: l.ContextOnly,
			InsufficientData: l.Insufficient, Text: l.Text})
	}
	return resp, nil
}

// ListTeamStatus implements FatigueService.
func (s *FatigueServer) ListTeamStatus(ctx context.Context, req *fatiguev1.ListTeamStatusRequest) (*fatiguev1.ListTeamStatusResponse, error) {
	if err := checkIDs(req.GetTeamId(), "", false); err != nil {
		return nil, err
	}
	snaps, err := s.Proc.Team(ctx, req.GetTeamId())
	if err != nil {
		return nil, err
	}
	want := map[commonv1.AthleteStatus]bool{}
	for _, st := range req.GetStatuses() {
		want[st] = true
	}
	resp := &fatiguev1.ListTeamStatusResponse{}
	counts := map[commonv1.AthleteStatus]uint32{}
	for _, snap := range snaps {
		a := app.WireAssessment(snap.Result.Assessed)
		if len(want) > 0 && !want[a.GetStatus()] {
			continue
		}
		counts[a.GetStatus()]++
		resp.Athletes = append(resp.Athletes, &fatiguev1.AthleteStatusSummary{
			AthleteId: snap.Key.Athlete, Status: a.GetStatus(), Score: a.GetScore(), Confidence: a.GetConfidence(), AsOf: a.GetAsOf(),
			AbnormalFamilies: a.GetAbnormalFamilies(), Headline: app.Headline(a), LastDataAt: lastData(snap),
			OpenRecommendationId: openRecommendation(snap), Coverage: a.GetCoverage(),
		})
	}
	SortByConcern(resp.Athletes)
	for st := commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED; st >= commonv1.AthleteStatus_ATHLETE_STATUS_UNSPECIFIED; st-- {
		if counts[st] > 0 {
			resp.Counts = append(resp.Counts, &fatiguev1.StatusCount{Status: st, Athletes: counts[st]})
		}
	}
	return resp, nil
}

// SortByConcern orders the board: deload recommended first, then watch, ok, no data; within a
// status the higher score first, then athlete id.
func SortByConcern(rows []*fatiguev1.AthleteStatusSummary) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.GetStatus() != b.GetStatus() {
			return a.GetStatus() > b.GetStatus()
		}
		if a.GetScore() != b.GetScore() {
			return a.GetScore() > b.GetScore()
		}
		return a.GetAthleteId() < b.GetAthleteId()
	})
}

// ListAssessments implements FatigueService.
func (s *FatigueServer) ListAssessments(ctx context.Context, req *fatiguev1.ListAssessmentsRequest) (*fatiguev1.ListAssessmentsResponse, error) {
	if err := checkIDs(req.GetTeamId(), req.GetAthleteId(), true); err != nil {
		return nil, err
	}
	var bad fault.Invalid
	size := int(req.GetPageSize())
	if size == 0 {
		size = 50
	}
	if size > 500 {
		bad.Add("page_size", "must be at most 500, got %d", size)
	}
	offset := 0
	if tok := req.GetPageToken(); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			bad.Add("page_token", "is not a token from a previous response")
		}
		offset = n
	}
	var from, to time.Time
	if d := req.GetRange().GetStart(); d != nil {
		from = app.DayOf(d).Time()
	}
	if d := req.GetRange().GetEnd(); d != nil {
		to = app.DayOf(d).Time()
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		bad.Add("range.end", "is before range.start")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	if s.History == nil {
		return nil, fault.Unavailable("assessment history needs ClickHouse")
	}
	rows, err := s.History.List(ctx, req.GetTeamId(), req.GetAthleteId(), from, to, "", size+1, offset)
	if err != nil {
		return nil, err
	}
	resp := &fatiguev1.ListAssessmentsResponse{}
	if len(rows) > size {
		rows = rows[:size]
		resp.NextPageToken = strconv.Itoa(offset + size)
	}
	resp.Assessments = rows
	return resp, nil
}

// GetThresholds implements FatigueService.
func (s *FatigueServer) GetThresholds(ctx context.Context, req *fatiguev1.GetThresholdsRequest) (*fatiguev1.GetThresholdsResponse, error) {
	if err := checkIDs(req.GetTeamId(), req.GetAthleteId(), false); err != nil {
		return nil, err
	}
	eff, o, err := s.Thresholds.Get(ctx, req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return nil, err
	}
	paths := append([]string(nil), o.Paths...)
	sort.Strings(paths)
	return &fatiguev1.GetThresholdsResponse{Thresholds: eff, OverriddenPaths: paths, Revision: o.Revision}, nil
}

// UpdateThresholds implements FatigueService.
func (s *FatigueServer) UpdateThresholds(ctx context.Context, req *fatiguev1.UpdateThresholdsRequest) (*fatiguev1.UpdateThresholdsResponse, error) {
	if err := checkIDs(req.GetTeamId(), req.GetAthleteId(), false); err != nil {
		return nil, err
	}
	eff, rev, err := s.Thresholds.Update(ctx, req)
	if err != nil {
		return nil, err
	}
	return &fatiguev1.UpdateThresholdsResponse{Thresholds: eff, Revision: rev}, nil
}
