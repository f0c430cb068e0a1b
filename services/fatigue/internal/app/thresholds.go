package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/supercomp/supercomp/pkg/fault"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// Overrides are the thresholds set at one level (team or athlete): the paths overridden and
// their values.
type Overrides struct {
	Paths    []string
	Values   *fatiguev1.FatigueThresholds
	Revision uint64
}

// OverrideStore keeps overrides per team ("" athlete) and per athlete, revision-checked.
type OverrideStore interface {
	Get(ctx context.Context, team, athlete string) (Overrides, error)
	// Put writes o if the stored revision still equals o.Revision (0 = must not exist) and
	// returns the new revision; a conflict wraps fault.ErrFailedPrecondition.
	Put(ctx context.Context, team, athlete string, o Overrides) (uint64, error)
}

// ToProto converts domain thresholds to the contract.
func ToProto(t domain.Thresholds) *fatiguev1.FatigueThresholds {
	return &fatiguev1.FatigueThresholds{
		Strength: &fatiguev1.StrengthThresholds{E1RmMinRpe: t.Strength.E1RMMinRPE, E1RmMaxReps: uint32(t.Strength.E1RMMaxReps),
			WindowDays: uint32(t.Strength.WindowDays), StagnationMinGainPct: t.Strength.StagnationMinGainPct, DeclinePct: t.Strength.DeclinePct,
			RecentDays: uint32(t.Strength.RecentDays), RecentWindowDays: uint32(t.Strength.RecentWindowDays), RecentLiftingDays: uint32(t.Strength.RecentLiftingDays), BaselineDays: uint32(t.Strength.BaselineDays),
			MinBaselineExposures: uint32(t.Strength.MinBaselineExposures), MinScatterPct: t.Strength.MinScatterPct, LiftingDropPct: t.Strength.LiftingDropPct,
			LiftingZ: t.Strength.LiftingZ, LiftingDaysJudged: uint32(t.Strength.LiftingDaysJudged), LiftingDaysNeeded: uint32(t.Strength.LiftingDaysNeeded),
			MissedRepsDaysNeeded: uint32(t.Strength.MissedRepsDaysNeeded), MissedRepsWindowDays: uint32(t.Strength.MissedRepsWindowDays),
			ShortfallSdNeeded: t.Strength.ShortfallSDNeeded, ShortfallSlackSd: t.Strength.ShortfallSlackSD},
		RpeDrift: &fatiguev1.RpeDriftThresholds{LoadTolerancePct: t.RPEDrift.LoadTolerancePct, RpeRise: t.RPEDrift.RPERise, BaselineDays: uint32(t.RPEDrift.BaselineDays),
			RecentSessions: uint32(t.RPEDrift.RecentSessions), DaysNeeded: uint32(t.RPEDrift.DaysNeeded)},
		Velocity: &fatiguev1.VelocityThresholds{LoadTolerancePct: t.Velocity.LoadTolerancePct, BaselineDays: uint32(t.Velocity.BaselineDays),
			MinDropPct: t.Velocity.MinDropPct, Exposures: uint32(t.Velocity.Exposures), RequiredExposures: uint32(t.Velocity.RequiredExposures)},
		Wellness: &fatiguev1.WellnessThresholds{BaselineDays: uint32(t.Wellness.BaselineDays), AmberZ: t.Wellness.AmberZ, RedZ: t.Wellness.RedZ,
			WindowReports: uint32(t.Wellness.WindowReports), MinFlaggedReports: uint32(t.Wellness.MinFlaggedReports), JointPainFlag: uint32(t.Wellness.JointPainFlag)},
		Readiness: &fatiguev1.ReadinessThresholds{HrvRollingDays: uint32(t.Readiness.HRVRollingDays), HrvBaselineDays: uint32(t.Readiness.HRVBaselineDays),
			HrvSwcSd: t.Readiness.HRVSWCSD, HrvMinMorningsPerWeek: uint32(t.Readiness.HRVMinMorningsPerWeek), CmjBaselineDays: uint32(t.Readiness.CMJBaselineDays),
			CmjMinDropPct: t.Readiness.CMJMinDropPct, HrvPersistDays: uint32(t.Readiness.HRVPersistDays)},
		Load: &fatiguev1.LoadThresholds{AcwrAcuteDays: uint32(t.Load.ACWRAcuteDays), AcwrChronicDays: uint32(t.Load.ACWRChronicDays), AcwrHigh: t.Load.ACWRHigh,
			AcwrMinHistoryDays: uint32(t.Load.ACWRMinHistoryDays), MonotonyHigh: t.Load.MonotonyHigh, CtlDays: uint32(t.Load.CTLDays), AtlDays: uint32(t.Load.ATLDays)},
		Rule: &fatiguev1.DeloadRuleThresholds{MinFamilies: uint32(t.Rule.MinFamilies), MinAbnormalDays: uint32(t.Rule.MinAbnormalDays), WindowDays: uint32(t.Rule.WindowDays),
			DeclinePlusSubjective: t.Rule.DeclinePlusSubjective, WatchScore: t.Rule.WatchScore, CooldownDays: uint32(t.Rule.CooldownDays), RecoveryDays: uint32(t.Rule.RecoveryDays),
			StagnationCounts: t.Rule.StagnationCounts},
	}
}

// FromProto converts contract thresholds (every field set, as ToProto makes them) to the domain.
func FromProto(p *fatiguev1.FatigueThresholds) domain.Thresholds {
	s, r, v, w, rd, l, ru := p.GetStrength(), p.GetRpeDrift(), p.GetVelocity(), p.GetWellness(), p.GetReadiness(), p.GetLoad(), p.GetRule()
	return domain.Thresholds{
		Strength: domain.StrengthThresholds{E1RMMinRPE: s.GetE1RmMinRpe(), E1RMMaxReps: int(s.GetE1RmMaxReps()), WindowDays: int(s.GetWindowDays()),
			StagnationMinGainPct: s.GetStagnationMinGainPct(), DeclinePct: s.GetDeclinePct(),
			RecentDays: int(s.GetRecentDays()), RecentWindowDays: int(s.GetRecentWindowDays()), RecentLiftingDays: int(s.GetRecentLiftingDays()), BaselineDays: int(s.GetBaselineDays()),
			MinBaselineExposures: int(s.GetMinBaselineExposures()), MinScatterPct: s.GetMinScatterPct(), LiftingDropPct: s.GetLiftingDropPct(),
			LiftingZ: s.GetLiftingZ(), LiftingDaysJudged: int(s.GetLiftingDaysJudged()), LiftingDaysNeeded: int(s.GetLiftingDaysNeeded()),
			MissedRepsDaysNeeded: int(s.GetMissedRepsDaysNeeded()), MissedRepsWindowDays: int(s.GetMissedRepsWindowDays()),
			ShortfallSDNeeded: s.GetShortfallSdNeeded(), ShortfallSlackSD: s.GetShortfallSlackSd()},
		RPEDrift: domain.RPEDriftThresholds{LoadTolerancePct: r.GetLoadTolerancePct(), RPERise: r.GetRpeRise(), BaselineDays: int(r.GetBaselineDays()),
			RecentSessions: int(r.GetRecentSessions()), DaysNeeded: int(r.GetDaysNeeded())},
		Velocity: domain.VelocityThresholds{LoadTolerancePct: v.GetLoadTolerancePct(), BaselineDays: int(v.GetBaselineDays()), MinDropPct: v.GetMinDropPct(),
			Exposures: int(v.GetExposures()), RequiredExposures: int(v.GetRequiredExposures())},
		Wellness: domain.WellnessThresholds{BaselineDays: int(w.GetBaselineDays()), AmberZ: w.GetAmberZ(), RedZ: w.GetRedZ(), WindowReports: int(w.GetWindowReports()),
			MinFlaggedReports: int(w.GetMinFlaggedReports()), JointPainFlag: int(w.GetJointPainFlag())},
		Readiness: domain.ReadinessThresholds{HRVRollingDays: int(rd.GetHrvRollingDays()), HRVBaselineDays: int(rd.GetHrvBaselineDays()), HRVSWCSD: rd.GetHrvSwcSd(),
			HRVMinMorningsPerWeek: int(rd.GetHrvMinMorningsPerWeek()), CMJBaselineDays: int(rd.GetCmjBaselineDays()), CMJMinDropPct: rd.GetCmjMinDropPct(),
			HRVPersistDays: int(rd.GetHrvPersistDays())},
		Load: domain.LoadThresholds{ACWRAcuteDays: int(l.GetAcwrAcuteDays()), ACWRChronicDays: int(l.GetAcwrChronicDays()), ACWRHigh: l.GetAcwrHigh(),
			ACWRMinHistoryDays: int(l.GetAcwrMinHistoryDays()), MonotonyHigh: l.GetMonotonyHigh(), CTLDays: int(l.GetCtlDays()), ATLDays: int(l.GetAtlDays())},
		Rule: domain.RuleThresholds{MinFamilies: int(ru.GetMinFamilies()), MinAbnormalDays: int(ru.GetMinAbnormalDays()), WindowDays: int(ru.GetWindowDays()),
			DeclinePlusSubjective: ru.GetDeclinePlusSubjective(), WatchScore: ru.GetWatchScore(), CooldownDays: int(ru.GetCooldownDays()), RecoveryDays: int(ru.GetRecoveryDays()),
			StagnationCounts: ru.GetStagnationCounts()},
	}
}

// fieldAt resolves a mask path like "load.acwr_high" to its group and leaf field.
func fieldAt(path string) (group, leaf protoreflect.FieldDescriptor, ok bool) {
	parts := strings.Split(path, ".")
	if len(parts) != 2 {
		return nil, nil, false
	}
	md := (&fatiguev1.FatigueThresholds{}).ProtoReflect().Descriptor()
	group = md.Fields().ByName(protoreflect.Name(parts[0]))
	if group == nil || group.Message() == nil {
		return nil, nil, false
	}
	leaf = group.Message().Fields().ByName(protoreflect.Name(parts[1]))
	return group, leaf, leaf != nil && leaf.Message() == nil
}

// ValidPath reports whether path names one threshold.
func ValidPath(path string) bool { _, _, ok := fieldAt(path); return ok }

// applyPaths copies the paths' values from src into dst (both fully populated groups in dst).
func applyPaths(dst, src *fatiguev1.FatigueThresholds, paths []string) {
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	for _, p := range paths {
		g, leaf, ok := fieldAt(p)
		if !ok {
			continue
		}
		dg := d.Mutable(g).Message()
		var v protoreflect.Value
		if s.Has(g) {
			v = s.Get(g).Message().Get(leaf)
		} else {
			v = leaf.Default()
		}
		dg.Set(leaf, v)
	}
}

// Thresholds resolves and updates per-team and per-athlete thresholds.
type Thresholds struct{ Store OverrideStore }

// Effective implements ThresholdSource: defaults, then team overrides, then athlete overrides.
func (t Thresholds) Effective(ctx context.Context, team, athlete string) (domain.Thresholds, error) {
	p, _, err := t.resolve(ctx, team, athlete)
	if err != nil {
		return domain.Thresholds{}, err
	}
	return FromProto(p), nil
}

func (t Thresholds) resolve(ctx context.Context, team, athlete string) (*fatiguev1.FatigueThresholds, Overrides, error) {
	eff := ToProto(domain.DefaultThresholds())
	teamO, err := t.Store.Get(ctx, team, "")
	if err != nil {
		return nil, Overrides{}, err
	}
	applyPaths(eff, teamO.Values, teamO.Paths)
	if athlete == "" {
		return eff, teamO, nil
	}
	athO, err := t.Store.Get(ctx, team, athlete)
	if err != nil {
		return nil, Overrides{}, err
	}
	applyPaths(eff, athO.Values, athO.Paths)
	return eff, athO, nil
}

// Get returns the effective thresholds at a level with its overridden paths and revision.
func (t Thresholds) Get(ctx context.Context, team, athlete string) (*fatiguev1.FatigueThresholds, Overrides, error) {
	return t.resolve(ctx, team, athlete)
}

// Update changes (or resets) the mask's paths at one level after validating the effective
// result; expected, when set, must equal the stored revision.
func (t Thresholds) Update(ctx context.Context, req *fatiguev1.UpdateThresholdsRequest) (*fatiguev1.FatigueThresholds, uint64, error) {
	var bad fault.Invalid
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		bad.Add("update_mask", "is required: name the thresholds to change, e.g. load.acwr_high")
	}
	for i, p := range paths {
		if !ValidPath(p) {
			bad.Add(fault.Field("update_mask", "paths", i), "unknown threshold %q (use group.field, e.g. rule.cooldown_days)", p)
		}
	}
	if err := bad.Err(); err != nil {
		return nil, 0, err
	}
	_, cur, err := t.resolve(ctx, req.GetTeamId(), req.GetAthleteId())
	if err != nil {
		return nil, 0, err
	}
	if req.ExpectedRevision != nil && req.GetExpectedRevision() != cur.Revision {
		return nil, 0, fault.FailedPrecondition("thresholds changed meanwhile: revision is %d, expected %d", cur.Revision, req.GetExpectedRevision())
	}
	next := Overrides{Values: proto.Clone(cur.Values).(*fatiguev1.FatigueThresholds), Revision: cur.Revision}
	set := map[string]bool{}
	for _, p := range cur.Paths {
		set[p] = true
	}
	for _, p := range paths {
		set[p] = !req.GetReset_()
	}
	if !req.GetReset_() {
		applyPaths(next.Values, req.GetThresholds(), paths)
	}
	for p, on := range set {
		if on {
			next.Paths = append(next.Paths, p)
		}
	}
	// Validate what would be in force at this level.
	eff := ToProto(domain.DefaultThresholds())
	if req.GetAthleteId() != "" {
		teamO, err := t.Store.Get(ctx, req.GetTeamId(), "")
		if err != nil {
			return nil, 0, err
		}
		applyPaths(eff, teamO.Values, teamO.Paths)
	}
	applyPaths(eff, next.Values, next.Paths)
	for _, v := range FromProto(eff).Validate() {
		bad.Add("thresholds."+v.Field, "%s", v.Description)
	}
	if err := bad.Err(); err != nil {
		return nil, 0, err
	}
	rev, err := t.Store.Put(ctx, req.GetTeamId(), req.GetAthleteId(), next)
	if err != nil {
		return nil, 0, err
	}
	return eff, rev, nil
}

// ErrNoData is returned for athletes without any data.
var ErrNoData = errors.New("no data")

var _ = fmt.Sprintf
