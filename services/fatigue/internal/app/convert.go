package app

import (
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// The domain numbers its enumerations itself (some of those codes are stored in snapshots), so
// every conversion to and from the wire is an explicit table, never a cast: renumbering a
// protobuf enum changes this file, not the meaning of stored state. TestEveryWireValueConverts
// keeps the tables complete.

var familyWire = map[domain.Family]commonv1.SignalFamily{
	domain.FamilyStrengthStagnation:      commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION,
	domain.FamilyStrengthDecline:         commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE,
	domain.FamilyHarderAtFamiliarLoads:   commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS,
	domain.FamilySlowerBarSpeed:          commonv1.SignalFamily_SIGNAL_FAMILY_SLOWER_BAR_SPEED,
	domain.FamilySorenessJointDiscomfort: commonv1.SignalFamily_SIGNAL_FAMILY_SORENESS_JOINT_DISCOMFORT,
	domain.FamilyMotivationSleep:         commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP,
	domain.FamilyLoadSpike:               commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE,
	domain.FamilyReadiness:               commonv1.SignalFamily_SIGNAL_FAMILY_READINESS,
}

var statusWire = map[domain.Status]commonv1.AthleteStatus{
	domain.StatusOK:                commonv1.AthleteStatus_ATHLETE_STATUS_OK,
	domain.StatusWatch:             commonv1.AthleteStatus_ATHLETE_STATUS_WATCH,
	domain.StatusDeloadRecommended: commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED,
}

var liftWire = map[domain.Lift]commonv1.LiftCategory{
	domain.LiftSquat:         commonv1.LiftCategory_LIFT_CATEGORY_SQUAT,
	domain.LiftBenchPress:    commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS,
	domain.LiftDeadlift:      commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT,
	domain.LiftOverheadPress: commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS,
	domain.LiftRow:           commonv1.LiftCategory_LIFT_CATEGORY_ROW,
	domain.LiftPullUp:        commonv1.LiftCategory_LIFT_CATEGORY_PULL_UP,
	domain.LiftOther:         commonv1.LiftCategory_LIFT_CATEGORY_OTHER,
}

var setTypeWire = map[domain.SetType]commonv1.SetType{
	domain.SetWarmUp:  commonv1.SetType_SET_TYPE_WARM_UP,
	domain.SetWorking: commonv1.SetType_SET_TYPE_WORKING,
	domain.SetFailure: commonv1.SetType_SET_TYPE_FAILURE,
	domain.SetDrop:    commonv1.SetType_SET_TYPE_DROP,
}

var wellnessItemWire = map[domain.WellnessItem]commonv1.WellnessItem{
	domain.WellnessFatigue:      commonv1.WellnessItem_WELLNESS_ITEM_FATIGUE,
	domain.WellnessSleepQuality: commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_QUALITY,
	domain.WellnessSoreness:     commonv1.WellnessItem_WELLNESS_ITEM_SORENESS,
	domain.WellnessStress:       commonv1.WellnessItem_WELLNESS_ITEM_STRESS,
	domain.WellnessMood:         commonv1.WellnessItem_WELLNESS_ITEM_MOOD,
	domain.WellnessMotivation:   commonv1.WellnessItem_WELLNESS_ITEM_MOTIVATION,
	domain.WellnessJointPain:    commonv1.WellnessItem_WELLNESS_ITEM_JOINT_PAIN,
	domain.WellnessSleepHours:   commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_HOURS,
	domain.WellnessReadiness:    commonv1.WellnessItem_WELLNESS_ITEM_READINESS,
}

var shapeWire = map[domain.DataShape]eventsv1.DataShape{
	domain.ShapeSets:         eventsv1.DataShape_DATA_SHAPE_SETS,
	domain.ShapeSetsRPE:      eventsv1.DataShape_DATA_SHAPE_SETS_RPE,
	domain.ShapeSetsWellness: eventsv1.DataShape_DATA_SHAPE_SETS_WELLNESS,
	domain.ShapeFull:         eventsv1.DataShape_DATA_SHAPE_FULL,
}

// reverse inverts a conversion table; a wire value missing from it reads as the domain's zero
// value (unspecified).
func reverse[D, W comparable](m map[D]W) map[W]D {
	out := make(map[W]D, len(m))
	for d, w := range m {
		out[w] = d
	}
	return out
}

var (
	familyOfWire  = reverse(familyWire)
	statusOfWire  = reverse(statusWire)
	liftOfWire    = reverse(liftWire)
	setTypeOfWire = reverse(setTypeWire)
)

// WireFamily converts a family (unspecified for an unknown one).
func WireFamily(f domain.Family) commonv1.SignalFamily { return familyWire[f] }

// WireFamilies converts a list of families; nil stays nil.
func WireFamilies(fs []domain.Family) []commonv1.SignalFamily {
	if fs == nil {
		return nil
	}
	out := make([]commonv1.SignalFamily, len(fs))
	for i, f := range fs {
		out[i] = familyWire[f]
	}
	return out
}

// FamilyOf converts a wire family.
func FamilyOf(f commonv1.SignalFamily) domain.Family { return familyOfWire[f] }

// WireStatus converts a status.
func WireStatus(s domain.Status) commonv1.AthleteStatus { return statusWire[s] }

// StatusOf converts a wire status.
func StatusOf(s commonv1.AthleteStatus) domain.Status { return statusOfWire[s] }

// WireLift converts a lift category.
func WireLift(l domain.Lift) commonv1.LiftCategory { return liftWire[l] }

// LiftOf converts a wire lift category.
func LiftOf(l commonv1.LiftCategory) domain.Lift { return liftOfWire[l] }

func setTypeOf(t commonv1.SetType) domain.SetType { return setTypeOfWire[t] }

// DayOf converts a wire date (as every day the service handles, a UTC calendar day).
func DayOf(d *commonv1.Date) domain.Day {
	return domain.DayOf(time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC))
}

// WireDay converts a day; the zero day (unset) is nil.
func WireDay(d domain.Day) *commonv1.Date {
	if d == 0 {
		return nil
	}
	t := d.Time()
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func wireDays(days []domain.Day) []*commonv1.Date {
	if days == nil {
		return nil
	}
	out := make([]*commonv1.Date, len(days))
	for i, d := range days {
		out[i] = WireDay(d)
	}
	return out
}

// WireAssessment converts an assessment to the payload of AthleteAssessed.
func WireAssessment(a *domain.Assessment) *eventsv1.AthleteAssessed {
	if a == nil {
		return nil
	}
	return &eventsv1.AthleteAssessed{
		AsOf:             WireDay(a.AsOf),
		Score:            a.Score,
		Status:           WireStatus(a.Status),
		PreviousStatus:   WireStatus(a.PreviousStatus),
		Confidence:       a.Confidence,
		Evidence:         WireEvidence(a.Evidence),
		AbnormalFamilies: WireFamilies(a.AbnormalFamilies),
		Load:             wireLoad(a.Load),
		Lifts:            wireLifts(a.Lifts),
		Coverage:         wireCoverage(a.Coverage),
		RuleFired:        a.RuleFired,
		CooldownUntil:    WireDay(a.CooldownUntil),
		RuleChecks:       wireRuleChecks(a.RuleChecks),
		Plateau:          a.Plateau,
	}
}

// WireEvidence converts evidence; nil stays nil.
func WireEvidence(evs []*domain.Evidence) []*eventsv1.Evidence {
	if evs == nil {
		return nil
	}
	out := make([]*eventsv1.Evidence, len(evs))
	for i, e := range evs {
		out[i] = &eventsv1.Evidence{
			Family: WireFamily(e.Family), Metric: e.Metric, Value: e.Value, Baseline: e.Baseline, Threshold: e.Threshold,
			Unit: e.Unit, Abnormal: e.Abnormal, ContextOnly: e.ContextOnly, InsufficientData: e.InsufficientData,
			Dates: wireDays(e.Dates), AbnormalDays: e.AbnormalDays, WindowDays: e.WindowDays, LiftCategory: WireLift(e.Lift),
			WellnessItem: wellnessItemWire[e.WellnessItem], Detail: e.Detail.String(),
			BaselineFrom: WireDay(e.BaselineFrom), BaselineTo: WireDay(e.BaselineTo),
		}
	}
	return out
}

func wireRuleChecks(cs []*domain.RuleCheck) []*eventsv1.RuleCheck {
	if cs == nil {
		return nil
	}
	out := make([]*eventsv1.RuleCheck, len(cs))
	for i, c := range cs {
		out[i] = &eventsv1.RuleCheck{Rule: c.Rule, Holds: c.Holds, Count: c.Count, Needed: c.Needed, Detail: c.Detail.String()}
	}
	return out
}

func wireLoad(l *domain.LoadMetrics) *eventsv1.LoadMetrics {
	if l == nil {
		return nil
	}
	return &eventsv1.LoadMetrics{
		Acwr: l.ACWR, AcuteLoadAu: l.AcuteLoadAU, ChronicLoadAu: l.ChronicLoadAU, Ctl: l.CTL, Atl: l.ATL, Tsb: l.TSB,
		CtlRamp: l.CTLRamp, Monotony: l.Monotony, Strain: l.Strain, WeeklySessionLoadAu: l.WeeklySessionLoadAU,
		WeeklyVolumeLoadKg: l.WeeklyVolumeLoadKg, WeeklyHardSets: l.WeeklyHardSets,
	}
}

func wireCoverage(c *domain.DataCoverage) *eventsv1.DataCoverage {
	if c == nil {
		return nil
	}
	return &eventsv1.DataCoverage{
		HistoryDays: c.HistoryDays, SetDays_28D: c.SetDays28D, WellnessDays_7D: c.WellnessDays7D, HrvDays_7D: c.HRVDays7D,
		CmjDays_28D: c.CMJDays28D, LiftingDays_28D: c.LiftingDays28D, Shape: shapeWire[c.Shape],
	}
}

func wireLifts(ls []*domain.LiftStrength) []*eventsv1.LiftStrength {
	if ls == nil {
		return nil
	}
	out := make([]*eventsv1.LiftStrength, len(ls))
	for i, l := range ls {
		out[i] = &eventsv1.LiftStrength{LiftCategory: WireLift(l.Lift), E1RmKg: l.E1RMKg, PreviousE1RmKg: l.PreviousE1RMKg,
			ChangePct: l.ChangePct, LowConfidence: l.LowConfidence, BestOn: WireDay(l.BestOn)}
	}
	return out
}
