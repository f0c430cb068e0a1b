// Package ports holds the programming service's entry points: the gRPC ProgrammingService and
// the ANALYSIS consumer. They validate what comes in (field violations for bad input) and call
// the application; fault errors become gRPC codes in the server kit's interceptor.
package ports

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	"github.com/supercomp/supercomp/services/programming/internal/app"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// GRPC implements ProgrammingService over the application.
type GRPC struct {
	programmingv1.UnimplementedProgrammingServiceServer
	App *app.Service
}

var _ programmingv1.ProgrammingServiceServer = (*GRPC)(nil)

func checkTeam(bad *fault.Invalid, team string) {
	ids.CheckTeam(bad, "team_id", team)
}

func checkAthlete(bad *fault.Invalid, field, athlete string) {
	ids.CheckAthlete(bad, field, athlete)
}

func checkDate(bad *fault.Invalid, field string, d *commonv1.Date, required bool) time.Time {
	if d == nil {
		if required {
			bad.Add(field, "is required")
		}
		return time.Time{}
	}
	t := app.DateOf(d)
	if d.GetYear() < 2000 || d.GetYear() > 2100 || t.Year() != int(d.GetYear()) || int(t.Month()) != int(d.GetMonth()) || t.Day() != int(d.GetDay()) {
		bad.Add(field, "is not a valid date: %04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
		return time.Time{}
	}
	return t
}

func teamOnly(team string) error {
	var bad fault.Invalid
	checkTeam(&bad, team)
	return bad.Err()
}

func teamAthlete(team, athlete string) error {
	var bad fault.Invalid
	checkTeam(&bad, team)
	checkAthlete(&bad, "athlete_id", athlete)
	return bad.Err()
}

// GetAthleteProfile implements ProgrammingService.
func (g *GRPC) GetAthleteProfile(ctx context.Context, req *programmingv1.GetAthleteProfileRequest) (*programmingv1.GetAthleteProfileResponse, error) {
	if err := teamAthlete(req.GetTeamId(), req.GetAthleteId()); err != nil {
		return nil, err
	}
	p, err := g.App.Profile(ctx, req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return nil, err
	}
	return &programmingv1.GetAthleteProfileResponse{Profile: p}, nil
}

// ListAthleteProfiles implements ProgrammingService.
func (g *GRPC) ListAthleteProfiles(ctx context.Context, req *programmingv1.ListAthleteProfilesRequest) (*programmingv1.ListAthleteProfilesResponse, error) {
	if err := teamOnly(req.GetTeamId()); err != nil {
		return nil, err
	}
	ps, err := g.App.Profiles(ctx, req.GetTeamId(), req.GetPositionGroup(), req.GetIncludeInactive())
	if err != nil {
		return nil, err
	}
	return &programmingv1.ListAthleteProfilesResponse{Profiles: ps}, nil
}

func validateProfile(bad *fault.Invalid, p *programmingv1.AthleteProfile) {
	if p == nil {
		bad.Add("profile", "is required")
		return
	}
	if _, ok := commonv1.ExperienceLevel_name[int32(p.GetExperienceLevel())]; !ok {
		bad.Add("profile.experience_level", "unknown level %d", p.GetExperienceLevel())
	}
	if len(p.GetPositionGroup()) > 64 {
		bad.Add("profile.position_group", "must be at most 64 characters")
	}
	for i, m := range p.GetLiftMaxes() {
		if m.GetExercise() == "" && m.GetLiftCategory() == commonv1.LiftCategory_LIFT_CATEGORY_UNSPECIFIED {
			bad.Add(fault.Field("profile.lift_maxes", i), "needs an exercise or a lift category")
		}
		for name, v := range map[string]*float64{"working_weight_kg": m.WorkingWeightKg, "training_max_kg": m.TrainingMaxKg, "one_rep_max_kg": m.OneRepMaxKg} {
			if v != nil && (*v <= 0 || *v > 1000) {
				bad.Add(fault.Field("profile.lift_maxes", i, name), "must be above 0 and at most 1000 kg, got %v", *v)
			}
		}
	}
	seen := map[commonv1.Weekday]bool{}
	for i, d := range p.GetAvailability().GetTrainingDays() {
		if d < commonv1.Weekday_WEEKDAY_MONDAY || d > commonv1.Weekday_WEEKDAY_SUNDAY || seen[d] {
			bad.Add(fault.Field("profile.availability.training_days", i), "must be a weekday listed once, got %v", d)
		}
		seen[d] = true
	}
	if tz := p.GetTimeZone(); tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			bad.Add("profile.time_zone", "unknown time zone %q", tz)
		}
	}
}

// PutAthleteProfile implements ProgrammingService.
func (g *GRPC) PutAthleteProfile(ctx context.Context, req *programmingv1.PutAthleteProfileRequest) (*programmingv1.PutAthleteProfileResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	checkAthlete(&bad, "athlete_id", req.GetAthleteId())
	validateProfile(&bad, req.GetProfile())
	if err := bad.Err(); err != nil {
		return nil, err
	}
	p, err := g.App.PutProfile(ctx, req.GetTeamId(), req.GetAthleteId(), req.GetProfile(), req.ExpectedRevision, "")
	if err != nil {
		return nil, err
	}
	return &programmingv1.PutAthleteProfileResponse{Profile: p}, nil
}

// DeleteAthleteProfile implements ProgrammingService.
func (g *GRPC) DeleteAthleteProfile(ctx context.Context, req *programmingv1.DeleteAthleteProfileRequest) (*programmingv1.DeleteAthleteProfileResponse, error) {
	if err := teamAthlete(req.GetTeamId(), req.GetAthleteId()); err != nil {
		return nil, err
	}
	p, err := g.App.DeleteProfile(ctx, req.GetTeamId(), req.GetAthleteId(), req.ExpectedRevision, "")
	if err != nil {
		return nil, err
	}
	return &programmingv1.DeleteAthleteProfileResponse{Profile: p}, nil
}

// ListProgramTemplates implements ProgrammingService.
func (g *GRPC) ListProgramTemplates(_ context.Context, req *programmingv1.ListProgramTemplatesRequest) (*programmingv1.ListProgramTemplatesResponse, error) {
	if err := teamOnly(req.GetTeamId()); err != nil {
		return nil, err
	}
	return &programmingv1.ListProgramTemplatesResponse{Templates: g.App.Templates()}, nil
}

func validateWeeks(bad *fault.Invalid, prefix string, weeks []*programmingv1.ProgramWeek) {
	if len(weeks) == 0 || len(weeks) > 104 {
		bad.Add(prefix+".weeks", "must have 1 to 104 weeks, got %d", len(weeks))
	}
	for wi, w := range weeks {
		for si, s := range w.GetSessions() {
			if s.GetDay() < commonv1.Weekday_WEEKDAY_UNSPECIFIED || s.GetDay() > commonv1.Weekday_WEEKDAY_SUNDAY {
				bad.Add(fault.Field(prefix+".weeks", wi, "sessions", si, "day"), "unknown weekday %d", s.GetDay())
			}
			for ei, e := range s.GetExercises() {
				f := func(name string) string {
					return fault.Field(prefix+".weeks", wi, "sessions", si, "exercises", ei, name)
				}
				if e.GetExercise() == "" {
					bad.Add(f("exercise"), "is required")
				}
				if e.GetSets() < 1 || e.GetSets() > 20 {
					bad.Add(f("sets"), "must be between 1 and 20, got %d", e.GetSets())
				}
				if e.GetReps() < 1 || e.GetReps() > 100 {
					bad.Add(f("reps"), "must be between 1 and 100, got %d", e.GetReps())
				}
				if e.LoadKg != nil && (e.GetLoadKg() < 0 || e.GetLoadKg() > 1000) {
					bad.Add(f("load_kg"), "must be between 0 and 1000, got %v", e.GetLoadKg())
				}
				if e.Percent_1Rm != nil && (e.GetPercent_1Rm() <= 0 || e.GetPercent_1Rm() > 100) {
					bad.Add(f("percent_1rm"), "must be above 0 and at most 100, got %v", e.GetPercent_1Rm())
				}
				if e.TargetRpe != nil && (e.GetTargetRpe() < 1 || e.GetTargetRpe() > 10) {
					bad.Add(f("target_rpe"), "must be between 1 and 10, got %v", e.GetTargetRpe())
				}
				if e.TargetRir != nil && (e.GetTargetRir() < 0 || e.GetTargetRir() > 10) {
					bad.Add(f("target_rir"), "must be between 0 and 10, got %v", e.GetTargetRir())
				}
			}
		}
	}
}

// CreateProgram implements ProgrammingService.
func (g *GRPC) CreateProgram(ctx context.Context, req *programmingv1.CreateProgramRequest) (*programmingv1.CreateProgramResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	if req.GetName() == "" {
		bad.Add("name", "is required")
	}
	prog := &programmingv1.Program{Name: req.GetName(), Description: req.GetDescription()}
	switch src := req.GetSource().(type) {
	case *programmingv1.CreateProgramRequest_TemplateId:
		weeks, err := app.ProgramFromTemplate(src.TemplateId, req.GetTemplateOptions())
		if err != nil {
			var inv *fault.Invalid
			if errors.As(err, &inv) {
				bad.Violations = append(bad.Violations, inv.Violations...)
			} else {
				return nil, err
			}
		}
		prog.TemplateId, prog.Weeks = src.TemplateId, weeks
	case *programmingv1.CreateProgramRequest_Custom:
		validateWeeks(&bad, "custom", src.Custom.GetWeeks())
		prog.Weeks, prog.Repeats = src.Custom.GetWeeks(), src.Custom.GetRepeats()
		for i, w := range prog.Weeks {
			w.Week = uint32(i + 1)
		}
	default:
		bad.Add("source", "give template_id or custom")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	p, err := g.App.CreateProgram(ctx, req.GetTeamId(), prog, "")
	if err != nil {
		return nil, err
	}
	return &programmingv1.CreateProgramResponse{Program: p}, nil
}

// GetProgram implements ProgrammingService.
func (g *GRPC) GetProgram(ctx context.Context, req *programmingv1.GetProgramRequest) (*programmingv1.GetProgramResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	if !bus.ValidToken(req.GetProgramId()) {
		bad.Add("program_id", "is required")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	p, err := g.App.Program(ctx, req.GetTeamId(), req.GetProgramId())
	if err != nil {
		return nil, err
	}
	return &programmingv1.GetProgramResponse{Program: p}, nil
}

// ListPrograms implements ProgrammingService.
func (g *GRPC) ListPrograms(ctx context.Context, req *programmingv1.ListProgramsRequest) (*programmingv1.ListProgramsResponse, error) {
	if err := teamOnly(req.GetTeamId()); err != nil {
		return nil, err
	}
	ps, err := g.App.Programs(ctx, req.GetTeamId())
	if err != nil {
		return nil, err
	}
	return &programmingv1.ListProgramsResponse{Programs: ps}, nil
}

// UpdateProgram implements ProgrammingService.
func (g *GRPC) UpdateProgram(ctx context.Context, req *programmingv1.UpdateProgramRequest) (*programmingv1.UpdateProgramResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	if !bus.ValidToken(req.GetProgram().GetProgramId()) {
		bad.Add("program.program_id", "is required")
	}
	if req.GetProgram().GetName() == "" {
		bad.Add("program.name", "is required")
	}
	validateWeeks(&bad, "program", req.GetProgram().GetWeeks())
	if err := bad.Err(); err != nil {
		return nil, err
	}
	p, err := g.App.UpdateProgram(ctx, req.GetTeamId(), req.GetProgram(), req.ExpectedRevision)
	if err != nil {
		return nil, err
	}
	return &programmingv1.UpdateProgramResponse{Program: p}, nil
}

// AssignProgram implements ProgrammingService.
func (g *GRPC) AssignProgram(ctx context.Context, req *programmingv1.AssignProgramRequest) (*programmingv1.AssignProgramResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	checkAthlete(&bad, "athlete_id", req.GetAthleteId())
	if !bus.ValidToken(req.GetProgramId()) {
		bad.Add("program_id", "is required")
	}
	start := checkDate(&bad, "start_date", req.GetStartDate(), false)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	a, planned, err := g.App.AssignProgram(ctx, req.GetTeamId(), req.GetAthleteId(), req.GetProgramId(), start, req.ExpectedRevision, "")
	if err != nil {
		return nil, err
	}
	return &programmingv1.AssignProgramResponse{Assignment: a, PlannedDeloads: planned}, nil
}

// GetAthleteProgram implements ProgrammingService.
func (g *GRPC) GetAthleteProgram(ctx context.Context, req *programmingv1.GetAthleteProgramRequest) (*programmingv1.GetAthleteProgramResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	checkAthlete(&bad, "athlete_id", req.GetAthleteId())
	if req.GetWeek() > 520 {
		bad.Add("week", "must be at most 520, got %d", req.GetWeek())
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	v, err := g.App.AthleteProgram(ctx, req.GetTeamId(), req.GetAthleteId(), int(req.GetWeek()))
	if err != nil {
		return nil, err
	}
	return &programmingv1.GetAthleteProgramResponse{
		Assignment: v.Assignment, ProgramName: v.ProgramName, Week: uint32(v.Week), TotalWeeks: uint32(v.TotalWeeks),
		Prescription: v.Prescription, UpcomingDeloads: v.Upcoming,
	}, nil
}

// GetPrescription implements ProgrammingService.
func (g *GRPC) GetPrescription(ctx context.Context, req *programmingv1.GetPrescriptionRequest) (*programmingv1.GetPrescriptionResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	checkAthlete(&bad, "athlete_id", req.GetAthleteId())
	day := checkDate(&bad, "date", req.GetDate(), false)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	p, err := g.App.Prescription(ctx, req.GetTeamId(), req.GetAthleteId(), day, req.GetWholeWeek())
	if err != nil {
		return nil, err
	}
	return &programmingv1.GetPrescriptionResponse{Prescription: p}, nil
}

// ScheduleDeload implements ProgrammingService.
func (g *GRPC) ScheduleDeload(ctx context.Context, req *programmingv1.ScheduleDeloadRequest) (*programmingv1.ScheduleDeloadResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	checkAthlete(&bad, "athlete_id", req.GetAthleteId())
	week := checkDate(&bad, "week_start", req.GetWeekStart(), true)
	if req.GetReason() == "" {
		bad.Add("reason", "is required")
	}
	if _, ok := commonv1.DeloadKind_name[int32(req.GetKind())]; !ok {
		bad.Add("kind", "unknown kind %d", req.GetKind())
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	d, err := g.App.ScheduleDeload(ctx, req.GetTeamId(), req.GetAthleteId(), week, req.GetKind(), req.GetReason(), req.GetParameters())
	if err != nil {
		return nil, err
	}
	return &programmingv1.ScheduleDeloadResponse{Deload: d}, nil
}

// maxPageSize bounds ListDeloads pages.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// ListDeloads implements ProgrammingService.
func (g *GRPC) ListDeloads(ctx context.Context, req *programmingv1.ListDeloadsRequest) (*programmingv1.ListDeloadsResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	if req.GetAthleteId() != "" {
		checkAthlete(&bad, "athlete_id", req.GetAthleteId())
	}
	from := checkDate(&bad, "range.start", req.GetRange().GetStart(), false)
	to := checkDate(&bad, "range.end", req.GetRange().GetEnd(), false)
	offset := 0
	if tok := req.GetPageToken(); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			bad.Add("page_token", "is not a token from a previous response")
		}
		offset = n
	}
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		bad.Add("page_size", "must be at most %d, got %d", maxPageSize, size)
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	all, err := g.App.Deloads(ctx, req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return nil, err
	}
	want := map[commonv1.DeloadStatus]bool{}
	for _, s := range req.GetStatuses() {
		want[s] = true
	}
	var filtered []*programmingv1.Deload
	for _, d := range all {
		week := app.DateOf(d.GetWeekStart())
		if (len(want) > 0 && !want[d.GetStatus()]) || (!from.IsZero() && week.Before(domain.Monday(from))) || (!to.IsZero() && week.After(to)) {
			continue
		}
		filtered = append(filtered, d)
	}
	resp := &programmingv1.ListDeloadsResponse{}
	if offset < len(filtered) {
		end := min(offset+size, len(filtered))
		resp.Deloads = filtered[offset:end]
		if end < len(filtered) {
			resp.NextPageToken = strconv.Itoa(end)
		}
	}
	return resp, nil
}

// GetDeload implements ProgrammingService.
func (g *GRPC) GetDeload(ctx context.Context, req *programmingv1.GetDeloadRequest) (*programmingv1.GetDeloadResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	if !bus.ValidToken(req.GetDeloadId()) {
		bad.Add("deload_id", "is required")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	d, err := g.App.Deload(ctx, req.GetTeamId(), req.GetDeloadId())
	if err != nil {
		return nil, err
	}
	return &programmingv1.GetDeloadResponse{Deload: d}, nil
}

// DecideDeload implements ProgrammingService. decided_by comes from the request until the
// access-control interceptor fills it from the caller's credentials.
func (g *GRPC) DecideDeload(ctx context.Context, req *programmingv1.DecideDeloadRequest) (*programmingv1.DecideDeloadResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	if !bus.ValidToken(req.GetDeloadId()) {
		bad.Add("deload_id", "is required")
	}
	postpone := checkDate(&bad, "postpone_to", req.GetPostponeTo(), false)
	week := checkDate(&bad, "week_start", req.GetWeekStart(), false)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	params := req.GetParameters()
	d, err := g.App.Decide(ctx, app.Decision{
		Team: req.GetTeamId(), DeloadID: req.GetDeloadId(), DecidedBy: req.GetDecidedBy(), Expected: req.ExpectedRevision,
		Request: domain.DecisionRequest{
			Decision: domain.Decision(req.GetDecision()), PostponeTo: postpone, Reason: req.GetReason(), WeekStart: week,
			DecidedBy: req.GetDecidedBy().GetSubject(),
			Params: domain.DeloadParams{
				LoadPercent: params.GetLoadPercent(), SetsFactor: params.GetSetsFactor(), MinSets: int(params.GetMinSets()),
				RepsFactor: params.GetRepsFactor(), RPECap: params.GetRpeCap(), MinRIR: params.GetMinRir(), DurationDays: int(params.GetDurationDays()),
			},
		},
	})
	if err != nil {
		return nil, err
	}
	return &programmingv1.DecideDeloadResponse{Deload: d}, nil
}

// GetPolicy implements ProgrammingService.
func (g *GRPC) GetPolicy(ctx context.Context, req *programmingv1.GetPolicyRequest) (*programmingv1.GetPolicyResponse, error) {
	if err := teamOnly(req.GetTeamId()); err != nil {
		return nil, err
	}
	p, rev, err := g.App.Policy(ctx, req.GetTeamId())
	if err != nil {
		return nil, err
	}
	return &programmingv1.GetPolicyResponse{Policy: p, Revision: rev}, nil
}

// UpdatePolicy implements ProgrammingService.
func (g *GRPC) UpdatePolicy(ctx context.Context, req *programmingv1.UpdatePolicyRequest) (*programmingv1.UpdatePolicyResponse, error) {
	var bad fault.Invalid
	checkTeam(&bad, req.GetTeamId())
	if req.GetPolicy() == nil {
		bad.Add("policy", "is required")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	p, rev, err := g.App.UpdatePolicy(ctx, req.GetTeamId(), req.GetPolicy(), req.GetUpdateMask().GetPaths(), req.ExpectedRevision)
	if err != nil {
		return nil, err
	}
	return &programmingv1.UpdatePolicyResponse{Policy: p, Revision: rev}, nil
}
