package domain

import (
	"fmt"
	"math"
	"testing"
)

func f(v float64) *float64 { return &v }

func TestE1RM(t *testing.T) {
	working, warm, failure := SetWorking, SetWarmUp, SetFailure
	tests := []struct {
		name   string
		load   float64
		reps   uint32
		rir    *float64
		typ    SetType
		want   float64
		method E1RMMethod
	}{
		// 5 reps at RIR 2: n = 7, 81.1% -> 100 / 0.811 = 123.30.
		{"rts whole step", 100, 5, f(2), working, 123.30, E1RMRTS},
		// 3 reps at RPE 9.5 (RIR 0.5): n = 3.5, (92.2 + 89.2) / 2 = 90.7% -> 140 / 0.907 = 154.36.
		{"rts half step", 140, 3, f(0.5), working, 154.36, E1RMRTS},
		// A single at RPE 10 is the 1RM.
		{"rts single", 200, 1, f(0), working, 200, E1RMRTS},
		// 10 reps at RIR 3: n = 13, 67.4% -> 60 / 0.674 = 89.02.
		{"rts chart end", 60, 10, f(3), working, 89.02, E1RMRTS},
		// Unrated: Epley 100 * (1 + 5/30) = 116.67.
		{"epley", 100, 5, nil, working, 116.67, E1RMEpley},
		// Failure without a rating counts as RIR 0: 8 reps -> 78.6% -> 80 / 0.786 = 101.78.
		{"failure", 80, 8, EffectiveRIR(nil, nil, failure), failure, 101.78, E1RMRTS},
		{"rpe below 7", 100, 5, f(3.5), working, 0, E1RMNone},
		{"more than 10 reps", 60, 11, f(2), working, 0, E1RMNone},
		{"warm-up", 60, 5, f(5), warm, 0, E1RMNone},
		{"bodyweight", 0, 8, f(1), working, 0, E1RMNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, method, ok := E1RM(tt.load, tt.reps, tt.rir, tt.typ)
			if method != tt.method || ok != (tt.method != E1RMNone) || math.Abs(got-tt.want) > 0.005 {
				t.Errorf("E1RM = %v %q %v, want %v %q", got, method, ok, tt.want, tt.method)
			}
		})
	}
}

func TestEffectiveRIRAndHardSets(t *testing.T) {
	if got := EffectiveRIR(f(8.5), nil, SetWorking); got == nil || *got != 1.5 {
		t.Errorf("RIR from RPE 8.5 = %v, want 1.5", got)
	}
	if got := EffectiveRIR(f(8), f(3), SetWorking); *got != 3 {
		t.Errorf("given RIR must win, got %v", *got)
	}
	if EffectiveRIR(nil, nil, SetWorking) != nil {
		t.Error("unrated working set has unknown RIR")
	}
	if !IsHardSet(f(3), SetWorking) || IsHardSet(f(3.5), SetWorking) ||
		IsHardSet(f(0), SetWarmUp) || IsHardSet(nil, SetWorking) {
		t.Error("hard set = working at RIR <= 3")
	}
}

func TestToKg(t *testing.T) {
	for _, tt := range []struct {
		load float64
		unit WeightUnit
		want float64
	}{
		{225, UnitLb, 102.06}, // 102.0582833
		{45, UnitLb, 20.41},   // 20.41165665
		{100, UnitKg, 100},
		{62.5, UnitUnspecified, 62.5},
	} {
		if got := ToKg(tt.load, tt.unit); got != tt.want {
			t.Errorf("ToKg(%v, %v) = %v, want %v", tt.load, tt.unit, got, tt.want)
		}
	}
}

func TestLiftCategoryOf(t *testing.T) {
	squat, bench, dead, ohp := LiftSquat, LiftBenchPress, LiftDeadlift, LiftOverheadPress
	row, pull, other := LiftRow, LiftPullUp, LiftOther
	for name, want := range map[string]LiftCategory{
		"Squat (Barbell)": squat, "Barbell Back Squat": squat, "Front Squat": squat, "Squat (Smith Machine)": squat,
		"Box Squat (Barbell)": squat, "Hack Squat (Machine)": other, "Bulgarian Split Squat": other, "Goblet Squat": other,
		"Bench Press (Barbell)": bench, "Barbell Bench Press": bench, "Incline Bench Press (Smith Machine)": bench,
		"Close Grip Barbell Bench Press": bench, "Bench Press (Dumbbell)": other, "Dumbbell Bench Press": other,
		"Deadlift (Barbell)": dead, "Conventional Deadlift": dead, "Sumo Deadlift": dead, "Trap Bar Deadlift": dead,
		"Romanian Deadlift (Barbell)": other, "Single Leg Deadlift": other,
		"Overhead Press (Barbell)": ohp, "Standing Military Press": ohp, "Barbell Shoulder Press": ohp, "Push Press": ohp,
		"Shoulder Press (Machine)": other, "Overhead Press (Dumbbell)": other,
		"Bent Over Row (Barbell)": row, "Barbell Rows": row, "T Bar Row": row, "Seated Cable Row - V Grip (Cable)": row,
		"Upright Row (Barbell)": other, "Rowing Machine": other,
		"Pull Up": pull, "Pull-Ups": pull, "Wide Grip Pullups": pull, "Chin Ups": pull, "Assisted Chinups": pull,
		"Lat Pulldown (Cable)": other, "Burpees - Pullup": other, "Bicep Curl (Dumbbell)": other, "": other,
	} {
		// Twice: the second answer is the remembered one.
		for pass := range 2 {
			if got := LiftCategoryOf(name); got != want {
				t.Errorf("pass %d: LiftCategoryOf(%q) = %v, want %v", pass, name, got, want)
			}
		}
	}
}

func TestLiftCategoryOfRemembersBoundedNames(t *testing.T) {
	for i := range knownLiftLimit + 100 {
		LiftCategoryOf(fmt.Sprintf("Squat variation %d", i))
	}
	remembered := 0
	knownLifts.Range(func(_, _ any) bool { remembered++; return true })
	if remembered > knownLiftLimit {
		t.Fatalf("%d names remembered, limit %d", remembered, knownLiftLimit)
	}
	// Names past the limit are still answered, by matching.
	if got := LiftCategoryOf("Barbell Back Squat (new name)"); got != LiftSquat {
		t.Errorf("past the limit: %v", got)
	}
}

func TestNamesRoundTrip(t *testing.T) {
	for _, c := range LiftCategories {
		if ParseLiftCategory(c.Name()) != c {
			t.Errorf("lift category %q does not parse back", c.Name())
		}
	}
	for _, st := range SetTypes {
		if ParseSetType(st.Name()) != st {
			t.Errorf("set type %q does not parse back", st.Name())
		}
	}
	for _, u := range WeightUnits {
		if ParseWeightUnit(u.Name()) != u {
			t.Errorf("unit %q does not parse back", u.Name())
		}
	}
	// Names ClickHouse never held fall back as the export always did.
	if ParseLiftCategory("unspecified") != LiftOther || ParseSetType("") != SetWorking || ParseWeightUnit("stone") != UnitUnspecified {
		t.Error("unknown names do not fall back to other, working and unspecified")
	}
}
