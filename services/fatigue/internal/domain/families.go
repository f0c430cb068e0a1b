package domain

import (
	"math"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Signal families, short names.
const (
	famStagnation = commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION
	famDecline    = commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE
	famRPE        = commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS
	famVelocity   = commonv1.SignalFamily_SIGNAL_FAMILY_SLOWER_BAR_SPEED
	famSoreness   = commonv1.SignalFamily_SIGNAL_FAMILY_SORENESS_JOINT_DISCOMFORT
	famMotSleep   = commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP
	famLoadSpike  = commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE
	famReadiness  = commonv1.SignalFamily_SIGNAL_FAMILY_READINESS
)

// familyCodes are the domain's own numbers of the signal families: a family's bit in the masks
// the state keeps per day, and snapshots store, is 1 << (code-1). They are written out rather
// than taken from the protobuf enum, so that renumbering or inserting an enum value cannot
// change what a stored mask means; they are the enum numbers the snapshots of versions 1 and 2
// were written with, so those keep their meaning.
var familyCodes = map[commonv1.SignalFamily]uint8{
	famStagnation: 1, famDecline: 2, famRPE: 3, famVelocity: 4,
	famSoreness: 5, famMotSleep: 6, famLoadSpike: 7, famReadiness: 8,
}

// familiesByCode lists the families in the order of their codes.
var familiesByCode = []commonv1.SignalFamily{famStagnation, famDecline, famRPE, famVelocity, famSoreness, famMotSleep, famLoadSpike, famReadiness}

// bit is the family's bit in a mask; a family without a code has none.
func bit(f commonv1.SignalFamily) uint8 {
	code := familyCodes[f]
	if code == 0 {
		return 0
	}
	return 1 << (code - 1)
}

// statusCodes are the domain's own numbers of the statuses, as the day records and snapshots
// store them; like familyCodes, written out and equal to the enum numbers of versions 1 and 2.
var statusCodes = map[commonv1.AthleteStatus]uint8{
	commonv1.AthleteStatus_ATHLETE_STATUS_UNSPECIFIED:        0,
	commonv1.AthleteStatus_ATHLETE_STATUS_OK:                 1,
	commonv1.AthleteStatus_ATHLETE_STATUS_WATCH:              2,
	commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED: 3,
}

func statusCode(s commonv1.AthleteStatus) uint8 { return statusCodes[s] }

// statusOf is the status a stored code stands for (unspecified for an unknown code).
func statusOf(code uint8) commonv1.AthleteStatus {
	for s, c := range statusCodes {
		if c == code {
			return s
		}
	}
	return commonv1.AthleteStatus_ATHLETE_STATUS_UNSPECIFIED
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
var familyWeight = map[commonv1.SignalFamily]float64{
	famStagnation: 10, famDecline: 30, famRPE: 20, famVelocity: 20,
	famSoreness: 15, famMotSleep: 15, famReadiness: 15,
}

// family is the verdict of one family.
type family struct {
	f            commonv1.SignalFamily
	abnormal     bool
	insufficient bool
	evidence     []*eventsv1.Evidence
}

func f64(v float64) *float64 { return &v }

func dates(days ...Day) []*commonv1.Date {
	out := make([]*commonv1.Date, 0, len(days))
	for _, d := range days {
		out = append(out, d.Date())
	}
	return out
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func within(a, b, tolPct float64) bool { return math.Abs(a-b) <= b*tolPct/100+1e-9 }

var liftNames = map[commonv1.LiftCategory]string{
	commonv1.LiftCategory_LIFT_CATEGORY_SQUAT:          "Squat",
	commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS:    "Bench press",
	commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT:       "Deadlift",
	commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS: "Overhead press",
}
