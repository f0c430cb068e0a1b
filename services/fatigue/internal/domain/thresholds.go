// Package domain is the fatigue science of Supercomp as plain Go: the derived quantities of
// docs/sports-science.md (e1RM, volume-load, session load, fitness/fatigue, ACWR, monotony, velocity loss,
// wellness z-scores, HRV and CMJ), the compact per-athlete state they are computed from, the
// signal families, and the assessor with its deload rule, hysteresis and cooldown.
//
// It imports neither gRPC nor NATS nor ClickHouse. Its output is the AthleteAssessed payload of
// the events contract (a plain protobuf message), so what is tested here is what is published.
package domain

import "fmt"

// Thresholds are every configurable number of the assessment; DefaultThresholds holds the
// docs/sports-science.md defaults. Field paths in Violation match the FatigueThresholds proto field mask paths.
type Thresholds struct {
	Strength  StrengthThresholds
	RPEDrift  RPEDriftThresholds
	Velocity  VelocityThresholds
	Wellness  WellnessThresholds
	Readiness ReadinessThresholds
	Load      LoadThresholds
	Rule      RuleThresholds
}

// StrengthThresholds drive e1RM qualification and the stagnation/decline comparison.
type StrengthThresholds struct {
	E1RMMinRPE  float64
	E1RMMaxReps int
	// WindowDays is the window of the sustained-decline and plateau checks (three weeks by
	// default), compared week by week with the BaselineDays before it.
	WindowDays int
	// StagnationMinGainPct is the gain over WindowDays below which the lifts are flat;
	// DeclinePct the level every week of WindowDays must be at or below for a sustained decline.
	StagnationMinGainPct float64
	DeclinePct           float64
	// RecentDays is the furthest back a lifting day counts as recent (the recent window holds
	// at least RecentLiftingDays lifting days within it); baselines come from before the
	// window, so an episode younger than it cannot move them.
	RecentDays int
	// BaselineDays is the baseline period before the recent window.
	BaselineDays int
	// MinBaselineExposures is the fewest baseline exposures a lift needs to be compared.
	MinBaselineExposures int
	// RecentWindowDays is the recent window of the lifting-day check, holding at least
	// RecentLiftingDays lifting days (RecentDays bounds it in calendar days).
	RecentWindowDays  int
	RecentLiftingDays int
	// MinScatterPct floors the athlete's day-to-day e1RM scatter (%).
	MinScatterPct float64
	// LiftingDropPct is the smallest drop below baseline (%) that counts on a lifting day, and
	// LiftingZ how many standard errors of the athlete's own scatter it must also exceed.
	LiftingDropPct float64
	LiftingZ       float64
	// LiftingDaysJudged are the last lifting days judged against the baseline; the evidence
	// lists those down (on rated logs the missed-reps rule needs one). LiftingDaysNeeded fires
	// no rule any more (lifting_decline fires on the cumulative shortfall below); it stays so
	// stored overrides remain valid.
	LiftingDaysNeeded, LiftingDaysJudged int
	// ShortfallSDNeeded is the cumulative shortfall (SD, at three lifting days a week) of
	// effort-adjusted e1RM against each lift's trend that fires lifting_decline on rated logs;
	// ShortfallSlackSD how far short a lifting day must be to add to it.
	ShortfallSDNeeded, ShortfallSlackSD float64
	// MissedRepsDaysNeeded lifting days within the last MissedRepsWindowDays with a set short
	// of the first set's reps at the top load fire the missed_reps rule on logs without RPE
	// (0 turns the rule off).
	MissedRepsDaysNeeded, MissedRepsWindowDays int
}

// RPEDriftThresholds drive "harder at familiar loads".
type RPEDriftThresholds struct {
	LoadTolerancePct float64
	RPERise          float64
	BaselineDays     int
	// RecentSessions is how many of the athlete's most recent lifting days are judged, and
	// DaysNeeded how many of them must show the rise.
	RecentSessions int
	DaysNeeded     int
}

// VelocityThresholds drive "slower bar speed".
type VelocityThresholds struct {
	LoadTolerancePct  float64
	BaselineDays      int
	MinDropPct        float64
	Exposures         int
	RequiredExposures int
}

// WellnessThresholds drive the subjective families.
type WellnessThresholds struct {
	BaselineDays      int
	AmberZ            float64
	RedZ              float64
	WindowReports     int
	MinFlaggedReports int
	JointPainFlag     int
}

// ReadinessThresholds drive the HRV and CMJ rules.
type ReadinessThresholds struct {
	HRVRollingDays        int
	HRVBaselineDays       int
	HRVSWCSD              float64
	HRVMinMorningsPerWeek int
	CMJBaselineDays       int
	CMJMinDropPct         float64
	// HRVPersistDays is how many previous days the HRV rolling mean must also have been below
	// its band for a drop to count as sustained.
	HRVPersistDays int
}

// LoadThresholds are the load model constants and the load-spike context thresholds.
type LoadThresholds struct {
	ACWRAcuteDays      int
	ACWRChronicDays    int
	ACWRHigh           float64
	ACWRMinHistoryDays int
	MonotonyHigh       float64
	CTLDays            int
	ATLDays            int
}

// RuleThresholds are the deload rule, the status bands and the alert hygiene.
type RuleThresholds struct {
	MinFamilies           int
	MinAbnormalDays       int
	WindowDays            int
	DeclinePlusSubjective bool
	WatchScore            float64
	CooldownDays          int
	RecoveryDays          int
	// StagnationCounts lets strength stagnation, not only decline, count as the strength group
	// of the two-families rule.
	StagnationCounts bool
}

// DefaultThresholds are the defaults of docs/sports-science.md.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Strength: StrengthThresholds{E1RMMinRPE: 7, E1RMMaxReps: 10, WindowDays: 21, StagnationMinGainPct: 1.0, DeclinePct: -2.5, RecentDays: 14, RecentWindowDays: 7, RecentLiftingDays: 2, BaselineDays: 21, MinBaselineExposures: 2, MinScatterPct: 1.0,
			LiftingDropPct: 1.5, LiftingZ: 1.0, LiftingDaysNeeded: 2, LiftingDaysJudged: 2, MissedRepsDaysNeeded: 2, MissedRepsWindowDays: 10,
			ShortfallSDNeeded: 3.5, ShortfallSlackSD: 0.75},
		RPEDrift:  RPEDriftThresholds{LoadTolerancePct: 2.5, RPERise: 1.0, BaselineDays: 28, RecentSessions: 3, DaysNeeded: 2},
		Velocity:  VelocityThresholds{LoadTolerancePct: 2.5, BaselineDays: 42, MinDropPct: 5, Exposures: 3, RequiredExposures: 2},
		Wellness:  WellnessThresholds{BaselineDays: 28, AmberZ: -1, RedZ: -2, WindowReports: 7, MinFlaggedReports: 3, JointPainFlag: 3},
		Readiness: ReadinessThresholds{HRVRollingDays: 7, HRVBaselineDays: 60, HRVSWCSD: 0.5, HRVMinMorningsPerWeek: 3, CMJBaselineDays: 35, CMJMinDropPct: 5, HRVPersistDays: 4},
		Load:      LoadThresholds{ACWRAcuteDays: 7, ACWRChronicDays: 28, ACWRHigh: 1.5, ACWRMinHistoryDays: 28, MonotonyHigh: 2.0, CTLDays: 42, ATLDays: 7},
		Rule:      RuleThresholds{MinFamilies: 2, MinAbnormalDays: 6, WindowDays: 7, DeclinePlusSubjective: true, WatchScore: 40, CooldownDays: 21, RecoveryDays: 3},
	}
}

// Violation names one threshold that cannot work and why.
type Violation struct {
	Field       string
	Description string
}

// Validate lists every threshold outside its workable range. Windows are bounded by what the
// compact state keeps (RingDays of daily records, LiftRetentionDays of lift exposures).
func (t Thresholds) Validate() []Violation {
	var v []Violation
	intIn := func(field string, x, lo, hi int) {
		if x < lo || x > hi {
			v = append(v, Violation{field, fmt.Sprintf("must be between %d and %d, got %d", lo, hi, x)})
		}
	}
	floatIn := func(field string, x, lo, hi float64) {
		if x < lo || x > hi {
			v = append(v, Violation{field, fmt.Sprintf("must be between %g and %g, got %g", lo, hi, x)})
		}
	}
	s := t.Strength
	floatIn("strength.e1rm_min_rpe", s.E1RMMinRPE, 5, 10)
	intIn("strength.e1rm_max_reps", s.E1RMMaxReps, 1, 10)
	intIn("strength.window_days", s.WindowDays, 7, LiftRetentionDays/2)
	floatIn("strength.stagnation_min_gain_pct", s.StagnationMinGainPct, 0, 10)
	floatIn("strength.decline_pct", s.DeclinePct, -20, 0)
	intIn("strength.recent_days", s.RecentDays, 5, 21)
	intIn("strength.recent_lifting_days", s.RecentLiftingDays, 1, 8)
	intIn("strength.recent_window_days", s.RecentWindowDays, 1, s.RecentDays)
	intIn("strength.baseline_days", s.BaselineDays, 14, LiftRetentionDays-s.RecentDays)
	intIn("strength.min_baseline_exposures", s.MinBaselineExposures, 1, 12)
	floatIn("strength.min_scatter_pct", s.MinScatterPct, 0.1, 10)
	floatIn("strength.lifting_drop_pct", s.LiftingDropPct, 0.5, 20)
	floatIn("strength.lifting_z", s.LiftingZ, 0, 5)
	intIn("strength.lifting_days_judged", s.LiftingDaysJudged, 1, 8)
	intIn("strength.lifting_days_needed", s.LiftingDaysNeeded, 1, s.LiftingDaysJudged)
	floatIn("strength.shortfall_sd_needed", s.ShortfallSDNeeded, 0.5, 20)
	floatIn("strength.shortfall_slack_sd", s.ShortfallSlackSD, 0, 3)
	intIn("strength.missed_reps_days_needed", s.MissedRepsDaysNeeded, 0, 8)
	intIn("strength.missed_reps_window_days", s.MissedRepsWindowDays, 1, s.RecentDays)
	if s.WindowDays+s.BaselineDays > LiftRetentionDays {
		v = append(v, Violation{"strength.baseline_days", fmt.Sprintf("with strength.window_days must not exceed the %d days of exposures kept", LiftRetentionDays)})
	}
	if s.DeclinePct > s.StagnationMinGainPct {
		v = append(v, Violation{"strength.decline_pct", "must not be above strength.stagnation_min_gain_pct"})
	}
	r := t.RPEDrift
	floatIn("rpe_drift.load_tolerance_pct", r.LoadTolerancePct, 0, 10)
	floatIn("rpe_drift.rpe_rise", r.RPERise, 0.5, 5)
	intIn("rpe_drift.baseline_days", r.BaselineDays, 7, LiftRetentionDays-7)
	intIn("rpe_drift.recent_sessions", r.RecentSessions, 1, 7)
	intIn("rpe_drift.days_needed", r.DaysNeeded, 1, r.RecentSessions)
	ve := t.Velocity
	floatIn("velocity.load_tolerance_pct", ve.LoadTolerancePct, 0, 10)
	intIn("velocity.baseline_days", ve.BaselineDays, 14, LiftRetentionDays)
	floatIn("velocity.min_drop_pct", ve.MinDropPct, 1, 30)
	intIn("velocity.exposures", ve.Exposures, 1, 6)
	intIn("velocity.required_exposures", ve.RequiredExposures, 1, 6)
	if ve.RequiredExposures > ve.Exposures {
		v = append(v, Violation{"velocity.required_exposures", "must not exceed velocity.exposures"})
	}
	w := t.Wellness
	intIn("wellness.baseline_days", w.BaselineDays, 7, RingDays-14)
	floatIn("wellness.amber_z", w.AmberZ, -3, -0.25)
	floatIn("wellness.red_z", w.RedZ, -5, -0.5)
	if w.RedZ > w.AmberZ {
		v = append(v, Violation{"wellness.red_z", "must be at or below wellness.amber_z"})
	}
	intIn("wellness.window_reports", w.WindowReports, 3, 14)
	intIn("wellness.min_flagged_reports", w.MinFlaggedReports, 1, 14)
	if w.MinFlaggedReports > w.WindowReports {
		v = append(v, Violation{"wellness.min_flagged_reports", "must not exceed wellness.window_reports"})
	}
	intIn("wellness.joint_pain_flag", w.JointPainFlag, 1, 5)
	rd := t.Readiness
	intIn("readiness.hrv_rolling_days", rd.HRVRollingDays, 3, 14)
	intIn("readiness.hrv_baseline_days", rd.HRVBaselineDays, 14, RingDays-rd.HRVRollingDays)
	floatIn("readiness.hrv_swc_sd", rd.HRVSWCSD, 0.1, 3)
	intIn("readiness.hrv_min_mornings_per_week", rd.HRVMinMorningsPerWeek, 1, 7)
	intIn("readiness.cmj_baseline_days", rd.CMJBaselineDays, 7, RingDays-7)
	floatIn("readiness.cmj_min_drop_pct", rd.CMJMinDropPct, 1, 30)
	intIn("readiness.hrv_persist_days", rd.HRVPersistDays, 0, rd.HRVRollingDays)
	l := t.Load
	intIn("load.acwr_acute_days", l.ACWRAcuteDays, 3, 14)
	intIn("load.acwr_chronic_days", l.ACWRChronicDays, 14, 60)
	if l.ACWRChronicDays <= l.ACWRAcuteDays {
		v = append(v, Violation{"load.acwr_chronic_days", "must be longer than load.acwr_acute_days"})
	}
	floatIn("load.acwr_high", l.ACWRHigh, 1, 3)
	intIn("load.acwr_min_history_days", l.ACWRMinHistoryDays, 0, 120)
	floatIn("load.monotony_high", l.MonotonyHigh, 1, 10)
	intIn("load.ctl_days", l.CTLDays, 14, 90)
	intIn("load.atl_days", l.ATLDays, 3, 21)
	ru := t.Rule
	intIn("rule.min_families", ru.MinFamilies, 1, 6)
	intIn("rule.window_days", ru.WindowDays, 1, 14)
	intIn("rule.min_abnormal_days", ru.MinAbnormalDays, 1, 14)
	if ru.MinAbnormalDays > ru.WindowDays {
		v = append(v, Violation{"rule.min_abnormal_days", "must not exceed rule.window_days"})
	}
	floatIn("rule.watch_score", ru.WatchScore, 1, 100)
	intIn("rule.cooldown_days", ru.CooldownDays, 0, 90)
	intIn("rule.recovery_days", ru.RecoveryDays, 1, 28)
	return v
}
