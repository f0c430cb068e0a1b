// Package domain holds the pure rules of ingestion: how an exercise name maps to a lift
// category, how a set's e1RM is estimated, unit conversion, and the range checks every record
// passes before it is published. It imports no gRPC, NATS or ClickHouse code, so it is tested
// with plain tables.
package domain

import (
	"strings"
	"sync"
	"sync/atomic"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// liftRule maps names containing every word of match (and none of unless) to a category.
// Rules are tried in order and the first match wins, so exclusions and specific names come
// before broad ones ("upright row" is a shoulder exercise, not a row).
type liftRule struct {
	match    []string
	unless   []string
	category commonv1.LiftCategory
}

// freeWeightOnly keeps dumbbell, kettlebell and machine variants out of the four main lifts:
// their loads are not comparable with the barbell lift's, and per-lift strength signals would
// mix them. Smith-machine variants stay in (normalizeExercise writes them "smith").
var freeWeightOnly = []string{"dumbbell", "kettlebell", "machine", "hack", "pendulum", "leg press"}

// liftRules cover the common names of Strong, Hevy and FitNotes exports, e.g. "Squat (Barbell)",
// "Barbell Back Squat", "Bench Press (Barbell)". Single-leg, split and jump variants and hinge
// accessories (Romanian and stiff-leg deadlifts) map to OTHER for the same reason.
var liftRules = []liftRule{
	{match: []string{"squat"}, unless: append([]string{"split", "jump", "sissy", "single leg", "pistol", "goblet", "overhead squat", "sumo squat", "belt squat"}, freeWeightOnly...), category: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT},
	{match: []string{"bench press"}, unless: freeWeightOnly, category: commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS},
	{match: []string{"barbell incline press"}, category: commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS},
	{match: []string{"deadlift"}, unless: append([]string{"romanian", "stiff", "single leg", "rdl"}, freeWeightOnly...), category: commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT},
	{match: []string{"overhead press"}, unless: freeWeightOnly, category: commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS},
	{match: []string{"military press"}, unless: freeWeightOnly, category: commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS},
	{match: []string{"shoulder press"}, unless: append([]string{"reverse grip"}, freeWeightOnly...), category: commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS},
	{match: []string{"push press"}, unless: freeWeightOnly, category: commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS},
	// Rows (horizontal pulls) of any kind, but not the upright row, rear-delt rows or rowing
	// machines and ergometers.
	{match: []string{"row"}, unless: []string{"upright", "rowing", "rower", "erg", "rear delt"}, category: commonv1.LiftCategory_LIFT_CATEGORY_ROW},
	{match: []string{"pull up"}, unless: []string{"burpee", "burpees"}, category: commonv1.LiftCategory_LIFT_CATEGORY_PULL_UP},
	{match: []string{"chin up"}, category: commonv1.LiftCategory_LIFT_CATEGORY_PULL_UP},
}

// LiftCategoryOf maps an exercise name to its movement family; names no rule knows are
// LIFT_CATEGORY_OTHER, never dropped. Answers are remembered per name: a team logs a few hundred
// names over and over, and matching one (~1.5 µs) was the largest part of a set's validation.
func LiftCategoryOf(exercise string) commonv1.LiftCategory {
	if c, ok := knownLifts.Load(exercise); ok {
		return c.(commonv1.LiftCategory)
	}
	c := matchLiftCategory(exercise)
	// Past the limit names are matched every time, so a client sending endless distinct names
	// cannot grow the memory of a long-running service.
	if knownLiftCount.Add(1) <= knownLiftLimit {
		knownLifts.Store(exercise, c)
	}
	return c
}

// knownLifts maps exercise names (as sent) to their category, for at most knownLiftLimit names.
var (
	knownLifts     sync.Map
	knownLiftCount atomic.Int64
)

const knownLiftLimit = 10000

func matchLiftCategory(exercise string) commonv1.LiftCategory {
	name := normalizeExercise(exercise)
	for _, r := range liftRules {
		if containsAll(name, r.match) && !containsAny(name, r.unless) {
			return r.category
		}
	}
	return commonv1.LiftCategory_LIFT_CATEGORY_OTHER
}

// normalizeExercise lower-cases the name, writes word separators as single spaces and joins the
// spellings of pull-up and chin-up, so "Pull-Ups", "pullups" and "Pull Up (Weighted)" all read
// "pull up ...".
// exerciseSeparators is built once: a Replacer compiles its table on first use, which cost more
// than the rest of a record's validation when it was built per call.
var exerciseSeparators = strings.NewReplacer("-", " ", "_", " ", "(", " ", ")", " ", ",", " ", "/", " ", "dumbell", "dumbbell")

func normalizeExercise(s string) string {
	s = strings.ToLower(s)
	s = exerciseSeparators.Replace(s)
	s = " " + strings.Join(strings.Fields(s), " ") + " "
	for _, p := range [][2]string{
		{" pullups ", " pull up "}, {" pullup ", " pull up "}, {" pull ups ", " pull up "},
		{" chinups ", " chin up "}, {" chinup ", " chin up "}, {" chin ups ", " chin up "},
		{" rows ", " row "}, {" squats ", " squat "}, {" deadlifts ", " deadlift "},
		{" dumbbells ", " dumbbell "}, {" smith machine ", " smith "},
	} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !containsWord(s, w) {
			return false
		}
	}
	return true
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if containsWord(s, w) {
			return true
		}
	}
	return false
}

// containsWord matches whole words only, so "row" does not match "throw" or "narrow".
func containsWord(s, w string) bool { return strings.Contains(s, " "+w+" ") }

// LiftCategoryName is the category's stable lower-case name as stored in ClickHouse
// ("squat", "bench_press", "deadlift", "overhead_press", "row", "pull_up", "other").
func LiftCategoryName(c commonv1.LiftCategory) string {
	return trimEnum(c.String(), "LIFT_CATEGORY_")
}

// ParseLiftCategory is the inverse of LiftCategoryName; unknown names are OTHER.
func ParseLiftCategory(name string) commonv1.LiftCategory {
	v, ok := commonv1.LiftCategory_value["LIFT_CATEGORY_"+strings.ToUpper(name)]
	if !ok || v == 0 {
		return commonv1.LiftCategory_LIFT_CATEGORY_OTHER
	}
	return commonv1.LiftCategory(v)
}

// SetTypeName is the set type's stable lower-case name ("warm_up", "working", "failure", "drop").
func SetTypeName(t commonv1.SetType) string { return trimEnum(t.String(), "SET_TYPE_") }

// ParseSetType is the inverse of SetTypeName; unknown names are WORKING.
func ParseSetType(name string) commonv1.SetType {
	v, ok := commonv1.SetType_value["SET_TYPE_"+strings.ToUpper(name)]
	if !ok || v == 0 {
		return commonv1.SetType_SET_TYPE_WORKING
	}
	return commonv1.SetType(v)
}

// WeightUnitName is "kg", "lb" or "" for unspecified.
func WeightUnitName(u commonv1.WeightUnit) string {
	if u == commonv1.WeightUnit_WEIGHT_UNIT_UNSPECIFIED {
		return ""
	}
	return trimEnum(u.String(), "WEIGHT_UNIT_")
}

// ParseWeightUnit is the inverse of WeightUnitName.
func ParseWeightUnit(name string) commonv1.WeightUnit {
	v := commonv1.WeightUnit_value["WEIGHT_UNIT_"+strings.ToUpper(name)]
	return commonv1.WeightUnit(v)
}

func trimEnum(s, prefix string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }
