package domain

// Rules that fire on lifting data alone. The calendar rules (two_families,
// decline_plus_subjective) need daily signals that most teams do not have; these count the
// athlete's own lifting days instead.
const (
	// RuleLiftingDecline: effort-adjusted e1RM (from RPE/RIR) falling short of each main lift's
	// trend, accumulated over the athlete's lifting days (rule_shortfall.go).
	RuleLiftingDecline = "lifting_decline"
	// RuleSustainedDecline: e1RM below baseline by SustainedDropPct in every week of the last
	// SustainedDays, with or without RPE (lower confidence without).
	RuleSustainedDecline = "sustained_decline"
	// RuleMissedReps: on logs without RPE, a later set at the day's top load short of the first
	// set's reps on MissedRepsDaysNeeded lifting days within MissedRepsWindowDays.
	RuleMissedReps = "missed_reps"
)

// minRecentExposures is the fewest recent main-lift exposures a lifting day is judged on.
const minRecentExposures = 3

// missedRepsProgressPct is how far above baseline the main lifts may be for missed reps to
// count: twice the progress a lift is asked for (strength.stagnation_min_gain_pct's default),
// set on the real logs (at 1% the simulated no-RPE recall within 14 days falls from 0.70 to
// 0.62; at 3% a FitNotes stretch of +23% progress was recommended a deload).
const missedRepsProgressPct = 2.0

// familiarLoadPct is how close an earlier top load must be to count as the same load.
const familiarLoadPct = 2.5

// maxFamiliarDays bounds how far back a load counts as one the athlete has made.
const maxFamiliarDays = 28

// Rule names as published in rule_fired.
const (
	RuleTwoFamilies           = "two_families"
	RuleDeclinePlusSubjective = "decline_plus_subjective"
)
