package domain

import "fmt"

// Experience is an athlete's training experience; it sets the planned-deload interval.
type Experience int

// Experience levels. ExperienceUnknown is treated as intermediate.
const (
	ExperienceUnknown Experience = iota
	ExperienceNovice
	ExperienceIntermediate
	ExperienceAdvanced
)

func (e Experience) String() string {
	switch e {
	case ExperienceNovice:
		return "novice"
	case ExperienceAdvanced:
		return "advanced"
	default:
		return "intermediate"
	}
}

// DeloadParams say how a deload week is derived from the normal week.
type DeloadParams struct {
	// LoadPercent of the normal working weight, 50-70.
	LoadPercent float64
	// SetsFactor multiplies working sets (0-1]; the result is rounded down.
	SetsFactor float64
	// MinSets is the least number of working sets an exercise keeps.
	MinSets int
	// RepsFactor multiplies reps per set (0-1]; the result is rounded to the nearest rep.
	RepsFactor float64
	// RPECap caps effort, 6-7.
	RPECap float64
	// MinRIR is the least reps in reserve, at least 3.
	MinRIR float64
	// DurationDays is the length of the deload, 1-14.
	DurationDays int
}

// DefaultDeloadParams are the defaults of docs/sports-science.md: 60% load, sets halved (at least one), reps cut
// by about a third, RPE capped at 7 (RIR >= 3), one week.
func DefaultDeloadParams() DeloadParams {
	return DeloadParams{LoadPercent: 60, SetsFactor: 0.5, MinSets: 1, RepsFactor: 0.67, RPECap: 7, MinRIR: 3, DurationDays: 7}
}

// Merge returns p with every zero field of override left as in p and every non-zero one taken
// from override: the wire's "zero means the policy default".
func (p DeloadParams) Merge(override DeloadParams) DeloadParams {
	if override.LoadPercent != 0 {
		p.LoadPercent = override.LoadPercent
	}
	if override.SetsFactor != 0 {
		p.SetsFactor = override.SetsFactor
	}
	if override.MinSets != 0 {
		p.MinSets = override.MinSets
	}
	if override.RepsFactor != 0 {
		p.RepsFactor = override.RepsFactor
	}
	if override.RPECap != 0 {
		p.RPECap = override.RPECap
	}
	if override.MinRIR != 0 {
		p.MinRIR = override.MinRIR
	}
	if override.DurationDays != 0 {
		p.DurationDays = override.DurationDays
	}
	return p
}

// Violation is one field of a rule set out of its allowed range. Field names follow the wire
// (snake_case) so the port can report them as field violations unchanged.
type Violation struct {
	Field       string
	Description string
}

// Validate lists every parameter outside its allowed range.
func (p DeloadParams) Validate() []Violation {
	var v []Violation
	bad := func(field, format string, args ...any) {
		v = append(v, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	if p.LoadPercent < 50 || p.LoadPercent > 70 {
		bad("load_percent", "must be between 50 and 70, got %v", p.LoadPercent)
	}
	if p.SetsFactor <= 0 || p.SetsFactor > 1 {
		bad("sets_factor", "must be above 0 and at most 1, got %v", p.SetsFactor)
	}
	if p.MinSets < 1 || p.MinSets > 10 {
		bad("min_sets", "must be between 1 and 10, got %d", p.MinSets)
	}
	if p.RepsFactor <= 0 || p.RepsFactor > 1 {
		bad("reps_factor", "must be above 0 and at most 1, got %v", p.RepsFactor)
	}
	if p.RPECap < 6 || p.RPECap > 7 {
		bad("rpe_cap", "must be between 6 and 7, got %v", p.RPECap)
	}
	if p.MinRIR < 3 || p.MinRIR > 6 {
		bad("min_rir", "must be between 3 and 6, got %v", p.MinRIR)
	}
	if p.DurationDays < 1 || p.DurationDays > 14 {
		bad("duration_days", "must be between 1 and 14, got %d", p.DurationDays)
	}
	return v
}

// PlannedPolicy places planned deloads (docs/sports-science.md "Planned deloads").
type PlannedPolicy struct {
	Disabled bool
	// Interval in weeks per experience level.
	NoviceWeeks, IntermediateWeeks, AdvancedWeeks int
	// A block at or above this mean working RPE is high intensity: one week earlier.
	HighIntensityRPE float64
	// A block with at least this many hard sets per week is high volume: one week earlier.
	HighVolumeHardSetsPerWeek int
	// The interval is clamped to [MinWeeks, MaxWeeks].
	MinWeeks, MaxWeeks int
	// A planned deload starting within this many days after a reactive one is skipped.
	SkipWithinDaysAfterReactive int
}

// Policy is a team's programming policy.
type Policy struct {
	// AutoApproveReactive schedules reactive deloads without a coach (default false: approval).
	AutoApproveReactive bool
	// ReactiveCooldownDays: no new reactive deload when another deload ended less than this
	// many days before the target week or starts less than this many days after it.
	ReactiveCooldownDays int
	Planned              PlannedPolicy
	Deload               DeloadParams
}

// DefaultPolicy is the policy of a team that has set nothing.
func DefaultPolicy() Policy {
	return Policy{
		ReactiveCooldownDays: 21,
		Planned: PlannedPolicy{
			NoviceWeeks: 8, IntermediateWeeks: 6, AdvancedWeeks: 5,
			HighIntensityRPE: 8.5, HighVolumeHardSetsPerWeek: 20,
			MinWeeks: 4, MaxWeeks: 8, SkipWithinDaysAfterReactive: 10,
		},
		Deload: DefaultDeloadParams(),
	}
}

// Validate lists every setting outside its allowed range, with wire field paths.
func (p Policy) Validate() []Violation {
	var v []Violation
	bad := func(field, format string, args ...any) {
		v = append(v, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	if p.ReactiveCooldownDays < 0 || p.ReactiveCooldownDays > 120 {
		bad("reactive_cooldown_days", "must be between 0 and 120, got %d", p.ReactiveCooldownDays)
	}
	pl := p.Planned
	for _, w := range []struct {
		field string
		weeks int
	}{{"planned.novice_weeks", pl.NoviceWeeks}, {"planned.intermediate_weeks", pl.IntermediateWeeks}, {"planned.advanced_weeks", pl.AdvancedWeeks}} {
		if w.weeks < 2 || w.weeks > 16 {
			bad(w.field, "must be between 2 and 16 weeks, got %d", w.weeks)
		}
	}
	if pl.HighIntensityRPE < 6 || pl.HighIntensityRPE > 10 {
		bad("planned.high_intensity_rpe", "must be between 6 and 10, got %v", pl.HighIntensityRPE)
	}
	if pl.HighVolumeHardSetsPerWeek < 1 || pl.HighVolumeHardSetsPerWeek > 200 {
		bad("planned.high_volume_hard_sets_per_week", "must be between 1 and 200, got %d", pl.HighVolumeHardSetsPerWeek)
	}
	if pl.MinWeeks < 2 || pl.MinWeeks > 16 {
		bad("planned.min_weeks", "must be between 2 and 16, got %d", pl.MinWeeks)
	}
	if pl.MaxWeeks < pl.MinWeeks || pl.MaxWeeks > 16 {
		bad("planned.max_weeks", "must be between min_weeks (%d) and 16, got %d", pl.MinWeeks, pl.MaxWeeks)
	}
	if pl.SkipWithinDaysAfterReactive < 0 || pl.SkipWithinDaysAfterReactive > 60 {
		bad("planned.skip_within_days_after_reactive", "must be between 0 and 60, got %d", pl.SkipWithinDaysAfterReactive)
	}
	for _, dv := range p.Deload.Validate() {
		v = append(v, Violation{Field: "deload." + dv.Field, Description: dv.Description})
	}
	return v
}
