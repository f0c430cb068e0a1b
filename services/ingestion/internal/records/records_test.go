package records

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/domain"
)

func f(v float64) *float64 { return &v }

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

// TestConversions checks every wire value has its own domain twin and comes back unchanged, and
// that the stored names are the ones the proto names always gave (lower case, no prefix).
func TestConversions(t *testing.T) {
	for n, name := range commonv1.LiftCategory_name {
		w := commonv1.LiftCategory(n)
		d := LiftCategory(w)
		if WireLiftCategory(d) != w || d.Name() != strings.ToLower(strings.TrimPrefix(name, "LIFT_CATEGORY_")) {
			t.Errorf("lift category %v -> %v (%s) -> %v", w, d, d.Name(), WireLiftCategory(d))
		}
	}
	for n, name := range commonv1.SetType_name {
		w := commonv1.SetType(n)
		d := SetType(w)
		if WireSetType(d) != w || d.Name() != strings.ToLower(strings.TrimPrefix(name, "SET_TYPE_")) {
			t.Errorf("set type %v -> %v (%s) -> %v", w, d, d.Name(), WireSetType(d))
		}
	}
	for n, name := range commonv1.WeightUnit_name {
		w := commonv1.WeightUnit(n)
		d := WeightUnit(w)
		want := strings.ToLower(strings.TrimPrefix(name, "WEIGHT_UNIT_"))
		if w == commonv1.WeightUnit_WEIGHT_UNIT_UNSPECIFIED {
			want = ""
		}
		if WireWeightUnit(d) != w || d.Name() != want {
			t.Errorf("weight unit %v -> %v (%q) -> %v", w, d, d.Name(), WireWeightUnit(d))
		}
	}
	if LiftCategoryOf("Barbell Back Squat") != commonv1.LiftCategory_LIFT_CATEGORY_SQUAT || domain.LiftCategoryOf("Barbell Back Squat") != domain.LiftSquat {
		t.Error("a back squat is not a squat on both sides")
	}
	if ToKg(225, commonv1.WeightUnit_WEIGHT_UNIT_LB) != 102.06 {
		t.Error("225 lb is not 102.06 kg through the wire unit")
	}
}

// BenchmarkLiftCategoryOf is the cost the wire conversion adds to a set's lift lookup on the
// ingest path (the remembered-name case, which is every set after a name's first).
func BenchmarkLiftCategoryOf(b *testing.B) {
	b.Run("domain", func(b *testing.B) {
		for b.Loop() {
			domain.LiftCategoryOf("Squat (Barbell)")
		}
	})
	b.Run("wire", func(b *testing.B) {
		for b.Loop() {
			LiftCategoryOf("Squat (Barbell)")
		}
	})
}
