// Package domain holds the pure rules of ingestion: how an exercise name maps to a lift
// category, how a set's e1RM is estimated and unit conversion, in its own types. It imports no
// gRPC, NATS, ClickHouse or wire code (the records package checks and converts wire records),
// so it is tested with plain tables.
package domain

import (
	"strings"
	"sync"
	"sync/atomic"
)

// liftRule maps names containing every word of match (and none of unless) to a category.
// Rules are tried in order and the first match wins, so exclusions and specific names come
// before broad ones ("upright row" is a shoulder exercise, not a row).
type liftRule struct {
	match    []string
	unless   []string
	category LiftCategory
}

// freeWeightOnly keeps dumbbell, kettlebell and machine variants out of the four main lifts:
// their loads are not comparable with the barbell lift's, and per-lift strength signals would
// mix them. Smith-machine variants stay in (normalizeExercise writes them "smith").
var freeWeightOnly = []string{"dumbbell", "kettlebell", "machine", "hack", "pendulum", "leg press"}

// liftRules cover the common names of Strong, Hevy and FitNotes exports, e.g. "Squat (Barbell)",
// "Barbell Back Squat", "Bench Press (Barbell)". Single-leg, split and jump variants and hinge
// accessories (Romanian and stiff-leg deadlifts) map to OTHER for the same reason.
var liftRules = []liftRule{
	{match: []string{"squat"}, unless: append([]string{"split", "jump", "sissy", "single leg", "pistol", "goblet", "overhead squat", "sumo squat", "belt squat"}, freeWeightOnly...), category: LiftSquat},
	{match: []string{"bench press"}, unless: freeWeightOnly, category: LiftBenchPress},
	{match: []string{"barbell incline press"}, category: LiftBenchPress},
	{match: []string{"deadlift"}, unless: append([]string{"romanian", "stiff", "single leg", "rdl"}, freeWeightOnly...), category: LiftDeadlift},
	{match: []string{"overhead press"}, unless: freeWeightOnly, category: LiftOverheadPress},
	{match: []string{"military press"}, unless: freeWeightOnly, category: LiftOverheadPress},
	{match: []string{"shoulder press"}, unless: append([]string{"reverse grip"}, freeWeightOnly...), category: LiftOverheadPress},
	{match: []string{"push press"}, unless: freeWeightOnly, category: LiftOverheadPress},
	// Rows (horizontal pulls) of any kind, but not the upright row, rear-delt rows or rowing
	// machines and ergometers.
	{match: []string{"row"}, unless: []string{"upright", "rowing", "rower", "erg", "rear delt"}, category: LiftRow},
	{match: []string{"pull up"}, unless: []string{"burpee", "burpees"}, category: LiftPullUp},
	{match: []string{"chin up"}, category: LiftPullUp},
}

// LiftCategoryOf maps an exercise name to its movement family; names no rule knows are
// LiftOther, never dropped. Answers are remembered per name: a team logs a few hundred
// names over and over, and matching one (~1.5 µs) was the largest part of a set's validation.
func LiftCategoryOf(exercise string) LiftCategory {
	if c, ok := knownLifts.Load(exercise); ok {
		return c.(LiftCategory)
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

func matchLiftCategory(exercise string) LiftCategory {
	name := normalizeExercise(exercise)
	for _, r := range liftRules {
		if containsAll(name, r.match) && !containsAny(name, r.unless) {
			return r.category
		}
	}
	return LiftOther
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
