package domain

import (
	"math"
)

// Signal families, short names.
const (
	famStagnation = FamilyStrengthStagnation
	famDecline    = FamilyStrengthDecline
	famRPE        = FamilyHarderAtFamiliarLoads
	famVelocity   = FamilySlowerBarSpeed
	famSoreness   = FamilySorenessJointDiscomfort
	famMotSleep   = FamilyMotivationSleep
	famLoadSpike  = FamilyLoadSpike
	famReadiness  = FamilyReadiness
)

// bit is the family's bit in the masks the state keeps per day and snapshots store: from the
// family's own code (model.go), so a renumbered protobuf enum cannot change what a stored mask
// means.
func bit(f Family) uint8 {
	if f == FamilyUnspecified {
		return 0
	}
	return 1 << (f - 1)
}

// ruleGroups are the independent sources of evidence the deload rule counts. Stagnation and
// decline are one group (a declining lift is not two pieces of evidence), and so are the two
// subjective families: they come from the same morning questionnaire, so a bad week of
// answers is one source, not two. Stagnation joins the strength group only when the team
// says so (Rule.StagnationCounts): a lift that stalls for three weeks is common in healthy
// training, so by default only a decline is strength evidence of fatigue.
func ruleGroups(rt RuleThresholds) [5]uint8 {
	strength := bit(famDecline)
	if rt.StagnationCounts {
		strength |= bit(famStagnation)
	}
	return [5]uint8{
		strength,
		bit(famRPE),
		bit(famVelocity),
		bit(famSoreness) | bit(famMotSleep),
		bit(famReadiness),
	}
}

// familyWeight is each family's share of the 0-100 concern score.
var familyWeight = map[Family]float64{
	famStagnation: 10, famDecline: 30, famRPE: 20, famVelocity: 20,
	famSoreness: 15, famMotSleep: 15, famReadiness: 15,
}

// family is the verdict of one family.
type family struct {
	f            Family
	abnormal     bool
	insufficient bool
	evidence     []*Evidence
}

func f64(v float64) *float64 { return &v }

func dates(days ...Day) []Day {
	return append(make([]Day, 0, len(days)), days...)
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func within(a, b, tolPct float64) bool { return math.Abs(a-b) <= b*tolPct/100+1e-9 }

var liftNames = map[Lift]string{
	LiftSquat:         "Squat",
	LiftBenchPress:    "Bench press",
	LiftDeadlift:      "Deadlift",
	LiftOverheadPress: "Overhead press",
}
