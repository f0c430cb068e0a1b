package domain

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

func f(v float64) *float64 { return &v }

func TestE1RM(t *testing.T) {
	working, warm, failure := commonv1.SetType_SET_TYPE_WORKING, commonv1.SetType_SET_TYPE_WARM_UP, commonv1.SetType_SET_TYPE_FAILURE
	tests := []struct {
		name   string
		load   float64
		reps   uint32
		rir    *float64
		typ    commonv1.SetType
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
	if got := EffectiveRIR(f(8.5), nil, commonv1.SetType_SET_TYPE_WORKING); got == nil || *got != 1.5 {
		t.Errorf("RIR from RPE 8.5 = %v, want 1.5", got)
	}
	if got := EffectiveRIR(f(8), f(3), commonv1.SetType_SET_TYPE_WORKING); *got != 3 {
		t.Errorf("given RIR must win, got %v", *got)
	}
	if EffectiveRIR(nil, nil, commonv1.SetType_SET_TYPE_WORKING) != nil {
		t.Error("unrated working set has unknown RIR")
	}
	if !IsHardSet(f(3), commonv1.SetType_SET_TYPE_WORKING) || IsHardSet(f(3.5), commonv1.SetType_SET_TYPE_WORKING) ||
		IsHardSet(f(0), commonv1.SetType_SET_TYPE_WARM_UP) || IsHardSet(nil, commonv1.SetType_SET_TYPE_WORKING) {
		t.Error("hard set = working at RIR <= 3")
	}
}

func TestToKg(t *testing.T) {
	for _, tt := range []struct {
		load float64
		unit commonv1.WeightUnit
		want float64
	}{
		{225, commonv1.WeightUnit_WEIGHT_UNIT_LB, 102.06}, // 102.0582833
		{45, commonv1.WeightUnit_WEIGHT_UNIT_LB, 20.41},   // 20.41165665
		{100, commonv1.WeightUnit_WEIGHT_UNIT_KG, 100},
		{62.5, commonv1.WeightUnit_WEIGHT_UNIT_UNSPECIFIED, 62.5},
	} {
		if got := ToKg(tt.load, tt.unit); got != tt.want {
			t.Errorf("ToKg(%v, %v) = %v, want %v", tt.load, tt.unit, got, tt.want)
		}
	}
}

func TestLiftCategoryOf(t *testing.T) {
	squat, bench, dead, ohp := commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS,
		commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT, commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS
	row, pull, other := commonv1.LiftCategory_LIFT_CATEGORY_ROW, commonv1.LiftCategory_LIFT_CATEGORY_PULL_UP, commonv1.LiftCategory_LIFT_CATEGORY_OTHER
	for name, want := range map[string]commonv1.LiftCategory{
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
	if got := LiftCategoryOf("Barbell Back Squat (new name)"); got != commonv1.LiftCategory_LIFT_CATEGORY_SQUAT {
		t.Errorf("past the limit: %v", got)
	}
}

func TestCheckSet(t *testing.T) {
	ok := func() *eventsv1.SetRecorded {
		return &eventsv1.SetRecorded{SessionId: "s", Exercise: "Squat", LoadKg: 100, Reps: 5, SetIndex: 1}
	}
	tests := []struct {
		name   string
		mutate func(*eventsv1.SetRecorded)
		fields []string
	}{
		{"valid", func(*eventsv1.SetRecorded) {}, nil},
		{"rpe and rir agree within 0.5", func(s *eventsv1.SetRecorded) { s.Rpe, s.Rir = f(8), f(2.5) }, nil},
		{"missing ids", func(s *eventsv1.SetRecorded) { s.SessionId, s.Exercise = "", "" }, []string{"set.session_id", "set.exercise"}},
		{"load range", func(s *eventsv1.SetRecorded) { s.LoadKg = -1 }, []string{"set.load"}},
		{"load NaN", func(s *eventsv1.SetRecorded) { s.LoadKg = math.NaN() }, []string{"set.load"}},
		{"reps", func(s *eventsv1.SetRecorded) { s.Reps = 0 }, []string{"set.reps"}},
		{"rpe step", func(s *eventsv1.SetRecorded) { s.Rpe = f(8.3) }, []string{"set.rpe"}},
		{"rir range", func(s *eventsv1.SetRecorded) { s.Rir = f(11) }, []string{"set.rir"}},
		{"contradicting", func(s *eventsv1.SetRecorded) { s.Rpe, s.Rir = f(9), f(4) }, []string{"set.rir"}},
		{"velocities", func(s *eventsv1.SetRecorded) { s.RepVelocitiesMps = []float64{0.5, 0, 0.4, 0.3, 0.2, 0.1} },
			[]string{"set.rep_velocities_mps", "set.rep_velocities_mps[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok()
			tt.mutate(s)
			var v fault.Invalid
			CheckSet(&v, "set", s)
			var got []string
			for _, fv := range v.Violations {
				got = append(got, fv.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("violations %v, want fields %v", v.Violations, tt.fields)
			}
		})
	}
}

func TestCheckWellnessAndReadiness(t *testing.T) {
	u := func(v uint32) *uint32 { return &v }
	var v fault.Invalid
	CheckWellness(&v, "wellness", &eventsv1.WellnessReported{Fatigue: u(6), Mood: u(0), SleepHours: f(25),
		JointPain: []*eventsv1.JointPain{{Score: 6}}})
	want := "wellness.fatigue,wellness.mood,wellness.joint_pain[0].location,wellness.joint_pain[0].score,wellness.sleep_hours"
	var got []string
	for _, fv := range v.Violations {
		got = append(got, fv.Field)
	}
	if strings.Join(got, ",") != want {
		t.Errorf("wellness violations %v, want %s", got, want)
	}
	v = fault.Invalid{}
	CheckWellness(&v, "wellness", &eventsv1.WellnessReported{})
	if len(v.Violations) != 1 {
		t.Errorf("empty report: %v, want one violation", v.Violations)
	}
	v = fault.Invalid{}
	CheckReadiness(&v, "readiness", &eventsv1.ReadinessMeasured{HrvRmssdMs: f(0), RestingHrBpm: f(300), CmjJumpCount: u(3)})
	if len(v.Violations) != 3 {
		t.Errorf("readiness violations %v, want 3", v.Violations)
	}
}

func TestCheckOccurredAt(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		at      time.Time
		present bool
		bad     bool
	}{
		{now.Add(4 * time.Minute), true, false},
		{now.Add(6 * time.Minute), true, true},
		{time.Unix(0, 0), true, true},
		{now, false, true},
		{now.AddDate(-3, 0, 0), true, false},
	} {
		var v fault.Invalid
		CheckOccurredAt(&v, "meta.occurred_at", tt.at, tt.present, now, DefaultFutureSkew)
		if (len(v.Violations) > 0) != tt.bad {
			t.Errorf("CheckOccurredAt(%v, %v) = %v, want bad=%v", tt.at, tt.present, v.Violations, tt.bad)
		}
	}
}
