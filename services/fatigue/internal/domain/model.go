package domain

// The assessment as the domain states it. The service publishes it as the AthleteAssessed event
// (the app layer converts); the codes of the enumerations here are the domain's own, written
// out, and those stored in snapshots (Family as mask bits, Status) must never change.

// Family is a signal family: one kind of evidence of accumulating fatigue.
type Family uint8

// Families, by stored code: a family's bit in a mask is 1 << (code-1). The codes are the
// protobuf enum numbers that snapshots of versions 1 and 2 were written with.
const (
	FamilyUnspecified             Family = 0
	FamilyStrengthStagnation      Family = 1
	FamilyStrengthDecline         Family = 2
	FamilyHarderAtFamiliarLoads   Family = 3
	FamilySlowerBarSpeed          Family = 4
	FamilySorenessJointDiscomfort Family = 5
	FamilyMotivationSleep         Family = 6
	FamilyLoadSpike               Family = 7
	FamilyReadiness               Family = 8
)

// Families lists every family in the order of its code.
var Families = []Family{
	FamilyStrengthStagnation, FamilyStrengthDecline, FamilyHarderAtFamiliarLoads, FamilySlowerBarSpeed,
	FamilySorenessJointDiscomfort, FamilyMotivationSleep, FamilyLoadSpike, FamilyReadiness,
}

// Status is what an assessment concludes for the athlete.
type Status uint8

// Statuses, by stored code (the protobuf enum numbers of versions 1 and 2).
const (
	StatusUnspecified       Status = 0
	StatusOK                Status = 1
	StatusWatch             Status = 2
	StatusDeloadRecommended Status = 3
)

// Lift is the category of an exercise.
type Lift uint8

// Lifts; only the four main lifts are judged.
const (
	LiftUnspecified   Lift = 0
	LiftSquat         Lift = 1
	LiftBenchPress    Lift = 2
	LiftDeadlift      Lift = 3
	LiftOverheadPress Lift = 4
	LiftRow           Lift = 5
	LiftPullUp        Lift = 6
	LiftOther         Lift = 7
)

// SetType says what a set was for.
type SetType uint8

// Set types.
const (
	SetUnspecified SetType = 0
	SetWarmUp      SetType = 1
	SetWorking     SetType = 2
	SetFailure     SetType = 3
	SetDrop        SetType = 4
)

// WellnessItem is one answer of the morning questionnaire an evidence is about.
type WellnessItem uint8

// Wellness items (WellnessUnspecified: the evidence is about several, or none).
const (
	WellnessUnspecified  WellnessItem = 0
	WellnessFatigue      WellnessItem = 1
	WellnessSleepQuality WellnessItem = 2
	WellnessSoreness     WellnessItem = 3
	WellnessStress       WellnessItem = 4
	WellnessMood         WellnessItem = 5
	WellnessMotivation   WellnessItem = 6
	WellnessJointPain    WellnessItem = 7
	WellnessSleepHours   WellnessItem = 8
	WellnessReadiness    WellnessItem = 9
)

// DataShape is what an athlete logs, which decides the rules that can apply.
type DataShape uint8

// Data shapes.
const (
	ShapeUnspecified  DataShape = 0
	ShapeSets         DataShape = 1
	ShapeSetsRPE      DataShape = 2
	ShapeSetsWellness DataShape = 3
	ShapeFull         DataShape = 4
)

// Assessment is one assessment of an athlete as of a day. Days are 0 when unset.
type Assessment struct {
	AsOf             Day
	Score            float64
	Status           Status
	PreviousStatus   Status
	Confidence       float64
	Evidence         []*Evidence
	AbnormalFamilies []Family
	Load             *LoadMetrics
	Lifts            []*LiftStrength
	Coverage         *DataCoverage
	RuleFired        string
	CooldownUntil    Day
	RuleChecks       []*RuleCheck
	Plateau          bool
}

// Evidence is one measurement behind an assessment, with what it was compared to. Optional
// numbers are nil when unknown; days are 0 when unset.
type Evidence struct {
	Family           Family
	Metric           string
	Value            *float64
	Baseline         *float64
	Threshold        *float64
	Unit             string
	Abnormal         bool
	ContextOnly      bool
	InsufficientData bool
	Dates            []Day
	AbnormalDays     uint32
	WindowDays       uint32
	Lift             Lift
	WellnessItem     WellnessItem
	Detail           Text
	BaselineFrom     Day
	BaselineTo       Day
}

// RuleCheck says how far one deload rule is from holding.
type RuleCheck struct {
	Rule          string
	Holds         bool
	Count, Needed uint32
	Detail        Text
}

// LoadMetrics are the training-load figures of an assessment (nil: not computable).
type LoadMetrics struct {
	ACWR, AcuteLoadAU, ChronicLoadAU, CTL, ATL, TSB, CTLRamp, Monotony, Strain *float64
	WeeklySessionLoadAU, WeeklyVolumeLoadKg                                    *float64
	WeeklyHardSets                                                             *uint32
}

// DataCoverage is how much data an assessment rests on.
type DataCoverage struct {
	HistoryDays    uint32
	SetDays28D     uint32
	WellnessDays7D uint32
	HRVDays7D      uint32
	CMJDays28D     uint32
	LiftingDays28D uint32
	Shape          DataShape
}

// LiftStrength is one main lift's recent strength against its baseline.
type LiftStrength struct {
	Lift           Lift
	E1RMKg         *float64
	PreviousE1RMKg *float64
	ChangePct      *float64
	LowConfidence  bool
	BestOn         Day
}
