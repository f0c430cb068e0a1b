package web

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
)

// athleteHistory is what the canned services answer about one athlete: a daily assessment
// history, the explanation of the last, deloads, and the athlete's own trend buckets.
type athleteHistory struct {
	profile     *programmingv1.AthleteProfile
	status      *fatiguev1.GetAthleteStatusResponse
	explain     *fatiguev1.ExplainAssessmentResponse
	assessments []*fatiguev1.Assessment // oldest first
	deloads     []*programmingv1.Deload
	// weekly volume-load and hard sets per Monday; wellness per day.
	volume, hardSets map[time.Time]float64
	wellness         map[time.Time]float64
}

// historyShape says which data the canned athlete logs.
type historyShape struct {
	wellness, devices bool
}

func dateOf(t time.Time) *commonv1.Date {
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// cannedHistory is an athlete who trains for days up to last (a civil day), lifting four days
// a week, with a planned deload eight weeks before the end and a reactive one pending now.
func cannedHistory(team, athlete, name string, days int, last time.Time, shape historyShape) *athleteHistory {
	h := &athleteHistory{volume: map[time.Time]float64{}, hardSets: map[time.Time]float64{}, wellness: map[time.Time]float64{}}
	h.profile = &programmingv1.AthleteProfile{TeamId: team, AthleteId: athlete, DisplayName: name, PositionGroup: "forwards",
		TimeZone: "Europe/Oslo", Active: true}
	first := last.AddDate(0, 0, -days+1)
	planned := monday(last.AddDate(0, 0, -56))
	for i := range days {
		day := first.AddDate(0, 0, i)
		wave := math.Sin(float64(i) / 9)
		a := &eventsv1.AthleteAssessed{AsOf: dateOf(day), Score: 30 + 10*wave, Status: commonv1.AthleteStatus_ATHLETE_STATUS_OK, Confidence: 0.7,
			Load: &eventsv1.LoadMetrics{Monotony: ptr(1.4 + 0.3*wave)},
			Lifts: []*eventsv1.LiftStrength{
				{LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, E1RmKg: ptr(150 + float64(i)/20 + 3*wave)},
				{LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, E1RmKg: ptr(100 + float64(i)/40 + 2*wave)},
			},
			Evidence: []*eventsv1.Evidence{
				{Family: commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS, Metric: "rpe_drift", Value: ptr(0.4 * wave), Threshold: ptr(1.0), Unit: "rpe"},
				{Family: commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE, Metric: "acwr", Value: ptr(1.0 + 0.2*wave), Threshold: ptr(1.5), ContextOnly: true},
				{Family: commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE, Metric: "monotony", Value: ptr(1.4 + 0.3*wave), Threshold: ptr(2.0), ContextOnly: true},
			}}
		if i >= 28 {
			a.Load.Acwr = ptr(1.0 + 0.2*wave)
		}
		if shape.devices {
			a.Evidence = append(a.Evidence,
				&eventsv1.Evidence{Family: commonv1.SignalFamily_SIGNAL_FAMILY_READINESS, Metric: "hrv_ln_rmssd_7d", Value: ptr(4.1 + 0.1*wave), Baseline: ptr(4.15), Threshold: ptr(4.05), Unit: "ln(ms)"},
				&eventsv1.Evidence{Family: commonv1.SignalFamily_SIGNAL_FAMILY_SLOWER_BAR_SPEED, Metric: "velocity_drop_pct", Value: ptr(3 * wave), Baseline: ptr(0.62), Threshold: ptr(5.0), Unit: "%"})
		}
		if shape.wellness {
			h.wellness[day] = 3.5 + wave
		}
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday && wd != time.Wednesday {
			week := monday(day)
			h.volume[week] += 4000 + 500*wave
			h.hardSets[week] += 12
		}
		h.assessments = append(h.assessments, &fatiguev1.Assessment{EventId: fmt.Sprintf("as-%s-%d", athlete, i), TeamId: team, AthleteId: athlete,
			AssessedAt: timestamppb.New(day.Add(20 * time.Hour)), Result: a})
	}
	lastA := h.assessments[len(h.assessments)-1].GetResult()
	lastA.Status, lastA.Score, lastA.Confidence, lastA.RuleFired = commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED, 78, 0.8, "decline_plus_subjective"
	lastA.AbnormalFamilies = []commonv1.SignalFamily{commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE, commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP}
	lastA.Coverage = &eventsv1.DataCoverage{Shape: eventsv1.DataShape_DATA_SHAPE_SETS_WELLNESS, LiftingDays_28D: 16, HistoryDays: uint32(days)}
	rec := "rec-" + athlete
	h.status = &fatiguev1.GetAthleteStatusResponse{Assessment: h.assessments[len(h.assessments)-1], DisplayName: name, PositionGroup: "forwards",
		OpenRecommendationId: rec, LastDataAt: timestamppb.New(last.Add(18 * time.Hour))}
	h.explain = &fatiguev1.ExplainAssessmentResponse{Assessment: h.status.GetAssessment(),
		Headline:       "Deload recommended: strength decline + poor sleep (score 78, confidence 0.8)",
		ConfidenceNote: "no HRV data; e1RM from RPE",
		Lines: []*fatiguev1.ExplanationLine{
			{Family: commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE, Abnormal: true, Text: "Squat e1RM 142.5 kg is 3.1% below the previous 3 weeks (150.0 kg); decline threshold -2.5%"},
			{Family: commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP, Abnormal: true, Text: "Sleep quality z <= -1.0 on 4 of the last 7 reports"},
			{Family: commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE, ContextOnly: true, Text: "ACWR 1.12, below 1.5"},
			{Family: commonv1.SignalFamily_SIGNAL_FAMILY_READINESS, InsufficientData: true, Text: "HRV: 0 mornings in the last 7 days (needs 3)"},
		}}
	h.deloads = []*programmingv1.Deload{
		{DeloadId: "dl-planned-" + athlete, TeamId: team, AthleteId: athlete, Kind: commonv1.DeloadKind_DELOAD_KIND_PLANNED,
			Status: commonv1.DeloadStatus_DELOAD_STATUS_COMPLETED, WeekStart: dateOf(planned), Reason: "every fourth week"},
		{DeloadId: "dl-reactive-" + athlete, TeamId: team, AthleteId: athlete, Kind: commonv1.DeloadKind_DELOAD_KIND_REACTIVE,
			Status: commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL, WeekStart: dateOf(monday(last.AddDate(0, 0, 7))), RecommendationId: rec,
			Reason: "Strength declining with poor sleep", Parameters: &eventsv1.DeloadParameters{LoadPercent: 60, SetsFactor: 0.5, RpeCap: 7}},
		{DeloadId: "dl-dismissed-" + athlete, TeamId: team, AthleteId: athlete, Kind: commonv1.DeloadKind_DELOAD_KIND_REACTIVE,
			Status: commonv1.DeloadStatus_DELOAD_STATUS_DISMISSED, WeekStart: dateOf(monday(last.AddDate(0, 0, -21))), Reason: "dismissed one"},
	}
	return h
}

func ptr(v float64) *float64 { return &v }

func (f *cannedFatigue) setAthlete(team, athlete string, h *athleteHistory) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.athletes[team+"/"+athlete] = h
}

func (f *cannedFatigue) athlete(team, athlete string) (*athleteHistory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.athletes[team+"/"+athlete]
	if h == nil {
		return nil, status.Errorf(codes.NotFound, "athlete %s has no data", athlete)
	}
	return h, nil
}

func (f *cannedFatigue) GetAthleteStatus(_ context.Context, req *fatiguev1.GetAthleteStatusRequest) (*fatiguev1.GetAthleteStatusResponse, error) {
	h, err := f.athlete(req.GetTeamId(), req.GetAthleteId())
	return h.getStatus(), err
}

func (h *athleteHistory) getStatus() *fatiguev1.GetAthleteStatusResponse {
	if h == nil {
		return nil
	}
	return h.status
}

func (f *cannedFatigue) ExplainAssessment(_ context.Context, req *fatiguev1.ExplainAssessmentRequest) (*fatiguev1.ExplainAssessmentResponse, error) {
	h, err := f.athlete(req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return nil, err
	}
	return h.explain, nil
}

// ListAssessments pages like the real service: newest first, offsets as tokens.
func (f *cannedFatigue) ListAssessments(_ context.Context, req *fatiguev1.ListAssessmentsRequest) (*fatiguev1.ListAssessmentsResponse, error) {
	h, err := f.athlete(req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return nil, err
	}
	from, to := civil(req.GetRange().GetStart()), civil(req.GetRange().GetEnd())
	var in []*fatiguev1.Assessment
	for _, a := range slices.Backward(h.assessments) {
		day := civil(a.GetResult().GetAsOf())
		if !day.Before(from) && !day.After(to) {
			in = append(in, a)
		}
	}
	offset, _ := strconv.Atoi(req.GetPageToken())
	size := int(req.GetPageSize())
	if size > 500 {
		return nil, status.Error(codes.InvalidArgument, "page_size must be at most 500")
	}
	resp := &fatiguev1.ListAssessmentsResponse{}
	end := min(offset+size, len(in))
	resp.Assessments = in[min(offset, len(in)):end]
	if end < len(in) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

func (p *cannedProgramming) GetAthleteProfile(_ context.Context, req *programmingv1.GetAthleteProfileRequest) (*programmingv1.GetAthleteProfileResponse, error) {
	h, err := p.fatigue.athlete(req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return nil, err
	}
	return &programmingv1.GetAthleteProfileResponse{Profile: h.profile}, nil
}

func (p *cannedProgramming) ListDeloads(_ context.Context, req *programmingv1.ListDeloadsRequest) (*programmingv1.ListDeloadsResponse, error) {
	h, err := p.fatigue.athlete(req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return &programmingv1.ListDeloadsResponse{}, nil
	}
	return &programmingv1.ListDeloadsResponse{Deloads: h.deloads}, nil
}

// cannedTrends answers an athlete's own trend query from its history, with the real service's
// limit on daily buckets.
type cannedTrends struct {
	trendsv1.UnimplementedTrendsServiceServer
	fatigue *cannedFatigue
	// squadTrends answers the squad trends page (trends_test.go).
	squadTrends
}

func (c *cannedTrends) GetTeamTrends(ctx context.Context, req *trendsv1.GetTeamTrendsRequest) (*trendsv1.GetTeamTrendsResponse, error) {
	if len(req.GetAthleteIds()) == 0 {
		return c.squadTrends.answer(ctx, req)
	}
	if len(req.GetAthleteIds()) != 1 {
		return nil, status.Error(codes.Unimplemented, "canned trends answer one athlete")
	}
	from, to := civil(req.GetRange().GetStart()), civil(req.GetRange().GetEnd())
	if req.GetBucket() == trendsv1.TrendBucket_TREND_BUCKET_DAY && to.Sub(from) >= 366*24*time.Hour {
		return nil, status.Errorf(codes.InvalidArgument, "daily buckets cover at most 366 days")
	}
	h, err := c.fatigue.athlete(req.GetTeamId(), req.GetAthleteIds()[0])
	if err != nil {
		return &trendsv1.GetTeamTrendsResponse{}, nil
	}
	series := func(metric trendsv1.TrendMetric, stat trendsv1.TrendStatistic, values map[time.Time]float64, item commonv1.WellnessItem) *trendsv1.TrendSeries {
		s := &trendsv1.TrendSeries{Metric: metric, Statistic: stat, WellnessItem: item, LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT}
		for day, v := range values {
			if !day.Before(from) && !day.After(to) {
				s.Points = append(s.Points, &trendsv1.TrendPoint{BucketStart: dateOf(day), Value: ptr(v), Athletes: 1})
			}
		}
		return s
	}
	resp := &trendsv1.GetTeamTrendsResponse{Range: req.GetRange()}
	for _, m := range req.GetMetrics() {
		switch m {
		case trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD:
			resp.Series = append(resp.Series, series(m, trendsv1.TrendStatistic_TREND_STATISTIC_SUM, h.volume, 0))
		case trendsv1.TrendMetric_TREND_METRIC_HARD_SETS:
			resp.Series = append(resp.Series, series(m, trendsv1.TrendStatistic_TREND_STATISTIC_SUM, h.hardSets, 0))
		case trendsv1.TrendMetric_TREND_METRIC_WELLNESS:
			if len(h.wellness) > 0 {
				s := series(m, trendsv1.TrendStatistic_TREND_STATISTIC_MEAN, h.wellness, commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_QUALITY)
				s.Unit = "1-5"
				resp.Series = append(resp.Series, s)
			}
		}
	}
	return resp, nil
}
