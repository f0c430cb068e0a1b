package domain

// The domain's own words for a set's lift category, set type and weight unit. ClickHouse stores
// them by Name, and the wire carries them as proto enums; the conversions live in the records
// package, written out value by value, so the rules here never depend on proto numbering.

// LiftCategory is the movement family of an exercise.
type LiftCategory uint8

// Lift categories.
const (
	LiftUnspecified LiftCategory = iota
	LiftSquat
	LiftBenchPress
	LiftDeadlift
	LiftOverheadPress
	LiftRow
	LiftPullUp
	LiftOther
)

var liftNames = [...]string{"unspecified", "squat", "bench_press", "deadlift", "overhead_press", "row", "pull_up", "other"}

// LiftCategories lists every category but the unspecified one.
var LiftCategories = []LiftCategory{LiftSquat, LiftBenchPress, LiftDeadlift, LiftOverheadPress, LiftRow, LiftPullUp, LiftOther}

// Name is the category's stable lower-case name as stored in ClickHouse ("squat",
// "bench_press", "deadlift", "overhead_press", "row", "pull_up", "other").
func (c LiftCategory) Name() string {
	if int(c) < len(liftNames) {
		return liftNames[c]
	}
	return "unspecified"
}

// ParseLiftCategory is the inverse of Name; unknown names (and "unspecified") are LiftOther.
func ParseLiftCategory(name string) LiftCategory {
	for _, c := range LiftCategories {
		if c.Name() == name {
			return c
		}
	}
	return LiftOther
}

// SetType says what a set was for.
type SetType uint8

// Set types.
const (
	SetUnspecified SetType = iota
	SetWarmUp
	SetWorking
	SetFailure
	SetDrop
)

var setTypeNames = [...]string{"unspecified", "warm_up", "working", "failure", "drop"}

// SetTypes lists every set type but the unspecified one.
var SetTypes = []SetType{SetWarmUp, SetWorking, SetFailure, SetDrop}

// Name is the set type's stable lower-case name ("warm_up", "working", "failure", "drop").
func (t SetType) Name() string {
	if int(t) < len(setTypeNames) {
		return setTypeNames[t]
	}
	return "unspecified"
}

// ParseSetType is the inverse of Name; unknown names are SetWorking.
func ParseSetType(name string) SetType {
	for _, t := range SetTypes {
		if t.Name() == name {
			return t
		}
	}
	return SetWorking
}

// WeightUnit is the unit a load was entered in.
type WeightUnit uint8

// Weight units; unspecified means kg.
const (
	UnitUnspecified WeightUnit = iota
	UnitKg
	UnitLb
)

// WeightUnits lists every unit but the unspecified one.
var WeightUnits = []WeightUnit{UnitKg, UnitLb}

// Name is "kg", "lb" or "" for unspecified.
func (u WeightUnit) Name() string {
	switch u {
	case UnitKg:
		return "kg"
	case UnitLb:
		return "lb"
	}
	return ""
}

// ParseWeightUnit is the inverse of Name; unknown names are unspecified.
func ParseWeightUnit(name string) WeightUnit {
	for _, u := range WeightUnits {
		if u.Name() == name {
			return u
		}
	}
	return UnitUnspecified
}
