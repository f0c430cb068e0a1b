package app

import (
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// The domain's enums use the wire's numbers, so conversions are plain casts; these helpers keep
// the casts in one place.

func kindOf(k commonv1.DeloadKind) domain.Kind         { return domain.Kind(k) }
func statusOf(s commonv1.DeloadStatus) domain.Status   { return domain.Status(s) }
func wireStatus(s domain.Status) commonv1.DeloadStatus { return commonv1.DeloadStatus(s) }

// DateOf converts a wire date; nil or zero is the zero time.
func DateOf(d *commonv1.Date) time.Time {
	if d == nil || d.GetYear() == 0 {
		return time.Time{}
	}
	return domain.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()))
}

// WireDate converts a day; the zero time is nil.
func WireDate(t time.Time) *commonv1.Date {
	if t.IsZero() {
		return nil
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func paramsOf(p *eventsv1.DeloadParameters) domain.DeloadParams {
	return domain.DeloadParams{
		LoadPercent: p.GetLoadPercent(), SetsFactor: p.GetSetsFactor(), MinSets: int(p.GetMinSets()),
		RepsFactor: p.GetRepsFactor(), RPECap: p.GetRpeCap(), MinRIR: p.GetMinRir(), DurationDays: int(p.GetDurationDays()),
	}
}

func wireParams(p domain.DeloadParams) *eventsv1.DeloadParameters {
	return &eventsv1.DeloadParameters{
		LoadPercent: p.LoadPercent, SetsFactor: p.SetsFactor, MinSets: uint32(p.MinSets),
		RepsFactor: p.RepsFactor, RpeCap: p.RPECap, MinRir: p.MinRIR, DurationDays: uint32(p.DurationDays),
	}
}

func policyOf(p *programmingv1.ProgrammingPolicy) domain.Policy {
	pl := p.GetPlanned()
	return domain.Policy{
		AutoApproveReactive:  p.GetAutoApproveReactive(),
		ReactiveCooldownDays: int(p.GetReactiveCooldownDays()),
		Planned: domain.PlannedPolicy{
			Disabled:    pl.GetDisabled(),
			NoviceWeeks: int(pl.GetNoviceWeeks()), IntermediateWeeks: int(pl.GetIntermediateWeeks()), AdvancedWeeks: int(pl.GetAdvancedWeeks()),
			HighIntensityRPE: pl.GetHighIntensityRpe(), HighVolumeHardSetsPerWeek: int(pl.GetHighVolumeHardSetsPerWeek()),
			MinWeeks: int(pl.GetMinWeeks()), MaxWeeks: int(pl.GetMaxWeeks()), SkipWithinDaysAfterReactive: int(pl.GetSkipWithinDaysAfterReactive()),
		},
		Deload: paramsOf(p.GetDeload()),
	}
}

func wirePolicy(p domain.Policy) *programmingv1.ProgrammingPolicy {
	pl := p.Planned
	return &programmingv1.ProgrammingPolicy{
		AutoApproveReactive:  p.AutoApproveReactive,
		ReactiveCooldownDays: uint32(p.ReactiveCooldownDays),
		Planned: &programmingv1.PlannedDeloadPolicy{
			Disabled:    pl.Disabled,
			NoviceWeeks: uint32(pl.NoviceWeeks), IntermediateWeeks: uint32(pl.IntermediateWeeks), AdvancedWeeks: uint32(pl.AdvancedWeeks),
			HighIntensityRpe: pl.HighIntensityRPE, HighVolumeHardSetsPerWeek: uint32(pl.HighVolumeHardSetsPerWeek),
			MinWeeks: uint32(pl.MinWeeks), MaxWeeks: uint32(pl.MaxWeeks), SkipWithinDaysAfterReactive: uint32(pl.SkipWithinDaysAfterReactive),
		},
		Deload: wireParams(p.Deload),
	}
}

func optional(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func exerciseOf(e *eventsv1.PrescribedExercise) domain.Exercise {
	return domain.Exercise{
		Name: e.GetExercise(), Lift: int32(e.GetLiftCategory()), Notes: e.GetNotes(),
		Dose: domain.Dose{
			Sets: int(e.GetSets()), Reps: int(e.GetReps()),
			LoadKg: optional(e.LoadKg), Percent1RM: optional(e.Percent_1Rm),
			TargetRPE: optional(e.TargetRpe), TargetRIR: optional(e.TargetRir), RPECap: optional(e.RpeCap),
			AllowFailure: e.GetAllowFailure(),
		},
	}
}

func wireExercise(e domain.Exercise) *eventsv1.PrescribedExercise {
	return &eventsv1.PrescribedExercise{
		Exercise: e.Name, LiftCategory: commonv1.LiftCategory(e.Lift), Notes: e.Notes,
		Sets: uint32(e.Sets), Reps: uint32(e.Reps),
		LoadKg: optional(e.LoadKg), Percent_1Rm: optional(e.Percent1RM),
		TargetRpe: optional(e.TargetRPE), TargetRir: optional(e.TargetRIR), RpeCap: optional(e.RPECap),
		AllowFailure: e.AllowFailure,
	}
}

func weeksOf(weeks []*programmingv1.ProgramWeek) []domain.Week {
	out := make([]domain.Week, len(weeks))
	for i, w := range weeks {
		out[i] = domain.Week{Number: int(w.GetWeek()), Label: w.GetLabel(), Deload: w.GetDeload()}
		for _, s := range w.GetSessions() {
			ds := domain.Session{Day: int(s.GetDay()), Name: s.GetName()}
			for _, e := range s.GetExercises() {
				ds.Exercises = append(ds.Exercises, exerciseOf(e))
			}
			out[i].Sessions = append(out[i].Sessions, ds)
		}
	}
	return out
}

func wireWeeks(weeks []domain.Week) []*programmingv1.ProgramWeek {
	out := make([]*programmingv1.ProgramWeek, len(weeks))
	for i, w := range weeks {
		pw := &programmingv1.ProgramWeek{Week: uint32(w.Number), Label: w.Label, Deload: w.Deload}
		for _, s := range w.Sessions {
			ps := &programmingv1.ProgramSession{Day: commonv1.Weekday(s.Day), Name: s.Name}
			for _, e := range s.Exercises {
				ex := wireExercise(e)
				ex.Deload = w.Deload
				ps.Exercises = append(ps.Exercises, ex)
			}
			pw.Sessions = append(pw.Sessions, ps)
		}
		out[i] = pw
	}
	return out
}
