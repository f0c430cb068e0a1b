package domain

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f", what, got, want)
	}
}

func TestRTSPercent(t *testing.T) {
	for _, c := range []struct {
		n    float64
		want float64
		ok   bool
	}{
		{1, 100, true}, {8, 78.6, true}, {13, 67.4, true},
		{7.5, (81.1 + 78.6) / 2, true}, // half step interpolated
		{0.5, 0, false}, {13.5, 0, false},
	} {
		got, ok := RTSPercent(c.n)
		if ok != c.ok {
			t.Errorf("RTSPercent(%v) ok = %v", c.n, ok)
		}
		near(t, "RTSPercent", got, c.want, 1e-9)
	}
}

func TestEstimateE1RM(t *testing.T) {
	th := DefaultThresholds().Strength
	working := SetWorking
	for _, c := range []struct {
		name string
		set  Set
		want float64
		low  bool
		ok   bool
	}{
		// RPE 8 -> RIR 2, 5+2 = 7 effective reps -> 81.1% -> 100/0.811.
		{"rpe", Set{Type: working, LoadKg: 100, Reps: 5, RPE: 8, HasRPE: true}, 123.304562, false, true},
		// RIR 1.5 with 3 reps -> 4.5 -> (89.2+86.3)/2 = 87.75%.
		{"rir half step", Set{Type: working, LoadKg: 100, Reps: 3, RIR: 1.5, HasRIR: true}, 113.960114, false, true},
		// A failure set without a rating is RIR 0: 3 reps -> 92.2%.
		{"failure", Set{Type: SetFailure, LoadKg: 100, Reps: 3}, 108.459870, false, true},
		// No rating: Epley 100*(1+5/30), lower confidence.
		{"epley", Set{Type: working, LoadKg: 100, Reps: 5}, 116.666667, true, true},
		{"rpe too low", Set{Type: working, LoadKg: 100, Reps: 5, RPE: 6.5, HasRPE: true}, 0, false, false},
		{"too many reps", Set{Type: working, LoadKg: 60, Reps: 12, RPE: 9, HasRPE: true}, 0, false, false},
		{"warm-up", Set{Type: SetWarmUp, LoadKg: 60, Reps: 5, RPE: 8, HasRPE: true}, 0, false, false},
		{"drop set", Set{Type: SetDrop, LoadKg: 60, Reps: 5, RPE: 9, HasRPE: true}, 0, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, ok := EstimateE1RM(c.set, th)
			if ok != c.ok || e.LowConfidence != c.low {
				t.Fatalf("ok %v low %v, want %v %v", ok, e.LowConfidence, c.ok, c.low)
			}
			near(t, "e1RM", e.Kg, c.want, 1e-5)
		})
	}
}

func TestVolumeAndHardSets(t *testing.T) {
	w := SetWorking
	sets := []Set{
		{Type: w, LoadKg: 100, Reps: 5, RPE: 7, HasRPE: true},                       // RIR 3: hard
		{Type: w, LoadKg: 100, Reps: 5, RPE: 6.5, HasRPE: true},                     // RIR 3.5: not hard
		{Type: w, LoadKg: 100, Reps: 5},                                             // unrated: not counted as hard
		{Type: SetWarmUp, LoadKg: 60, Reps: 5},                                      // no volume
		{Type: SetFailure, LoadKg: 90, Reps: 2},                                     // hard
		{Type: w, LoadKg: 80, Reps: 8, RIR: 2, HasRIR: true, RPE: 8, HasRPE: false}, // hard by RIR
	}
	vol, hard := 0.0, 0
	for _, s := range sets {
		vol += VolumeLoad(s)
		if IsHardSet(s) {
			hard++
		}
	}
	near(t, "volume-load", vol, 500+500+500+0+180+640, 1e-9)
	if hard != 3 {
		t.Errorf("hard sets = %d, want 3", hard)
	}
	near(t, "session load", SessionLoad(7, 60), 420, 1e-9)
}

func TestLoadModel(t *testing.T) {
	th := DefaultThresholds().Load
	near(t, "lambda 7", EWMALambda(7), 0.25, 1e-12)
	near(t, "lambda 28", EWMALambda(28), 2.0/29, 1e-12)
	var m LoadModel
	m.Advance(100, th)
	near(t, "acute raw", m.Acute, 25, 1e-9)
	near(t, "CTL", m.CTL, 100.0/42, 1e-9)
	near(t, "ATL", m.ATL, 100.0/7, 1e-9)
	a, c := m.AcuteChronic(th)
	near(t, "acute corrected", a, 100, 1e-9) // one day seen: its mean is 100
	near(t, "chronic corrected", c, 100, 1e-9)
	m.Advance(0, th)
	a, _ = m.AcuteChronic(th)
	// weights 0.25 (today, 0) and 0.25*0.75 (yesterday, 100) over their sum 0.4375.
	near(t, "acute after a rest day", a, 0.1875*100/0.4375, 1e-9)
	if _, ok := m.ACWR(th); ok {
		t.Error("ACWR shown after 2 days")
	}
	for i := 0; i < 26; i++ {
		m.Advance(100, th)
	}
	if _, ok := m.ACWR(th); !ok {
		t.Error("ACWR hidden after 28 days")
	}
}

func TestMonotony(t *testing.T) {
	// mean 400/7; population SD 49.487 -> monotony 1.1547, strain 400*1.1547.
	mono, strain, ok := Monotony([]float64{100, 0, 100, 0, 100, 0, 100})
	if !ok {
		t.Fatal("not ok")
	}
	near(t, "monotony", mono, 1.154701, 1e-5)
	near(t, "strain", strain, 461.8802, 1e-3)
	// Identical days: SD floored at 5% of the mean -> 20.
	mono, strain, _ = Monotony([]float64{100, 100, 100, 100, 100, 100, 100})
	near(t, "flat monotony", mono, 20, 1e-9)
	near(t, "flat strain", strain, 14000, 1e-6)
	if _, _, ok := Monotony(make([]float64, 7)); ok {
		t.Error("rest week has monotony")
	}
}

func TestVelocity(t *testing.T) {
	loss, ok := VelocityLossPct([]float64{0.80, 0.82, 0.75, 0.70})
	if !ok {
		t.Fatal("no loss")
	}
	near(t, "loss", loss, 100*0.12/0.82, 1e-9)
	p, ok := FitLoadVelocity([]float64{60, 80, 100}, []float64{1.0, 0.8, 0.6})
	if !ok {
		t.Fatal("no profile")
	}
	near(t, "slope", p.Slope, -0.01, 1e-12)
	near(t, "intercept", p.Intercept, 1.6, 1e-9)
	near(t, "r", p.R, -1, 1e-12)
	mvt, _ := MinimumVelocityThreshold(LiftSquat)
	near(t, "e1RM at MVT", p.LoadAt(mvt), 130, 1e-9)
	near(t, "velocity at 90", p.VelocityAt(90), 0.7, 1e-9)
	if _, ok := FitLoadVelocity([]float64{60, 60, 60}, []float64{1, 0.9, 0.95}); ok {
		t.Error("profile from one load")
	}
}

func TestWellnessHRVCMJ(t *testing.T) {
	near(t, "z floored", WellnessZ(3, 4, 0.3), -2, 1e-12)
	near(t, "z", WellnessZ(3, 4, 0.8), -1.25, 1e-12)
	base := make([]float64, 14)
	for i := range base {
		base[i] = 4.1 + 0.2*float64(i%2) // mean 4.2, sample SD sqrt(0.14/13)
	}
	h, ok := AssessHRV([]float64{4.0, 4.0, 4.0}, base, 0.5, 3)
	if !ok {
		t.Fatal("HRV not judged")
	}
	near(t, "HRV threshold", h.Threshold, 4.2-0.5*math.Sqrt(0.14/13), 1e-9)
	if !h.Abnormal {
		t.Error("HRV 4.0 vs band floor 4.148 not abnormal")
	}
	if _, ok := AssessHRV([]float64{4.0, 4.0}, base, 0.5, 3); ok {
		t.Error("HRV judged from 2 mornings")
	}
	near(t, "CMJ drop", CMJDropPct(38, 40), 5, 1e-12)
	near(t, "median", Median([]float64{3, 1, 2, 10}), 2.5, 1e-12)
}

func TestThresholdsValidate(t *testing.T) {
	if v := DefaultThresholds().Validate(); len(v) != 0 {
		t.Fatalf("defaults invalid: %v", v)
	}
	th := DefaultThresholds()
	th.Load.ACWRHigh = 0.5
	th.Rule.MinAbnormalDays = 9
	th.Readiness.HRVBaselineDays = 90
	got := map[string]bool{}
	for _, v := range th.Validate() {
		got[v.Field] = true
	}
	for _, f := range []string{"load.acwr_high", "rule.min_abnormal_days", "readiness.hrv_baseline_days"} {
		if !got[f] {
			t.Errorf("no violation for %s in %v", f, got)
		}
	}
}
