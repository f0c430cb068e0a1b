package domain

import (
	"math"
	"testing"
)

func f(v float64) *float64 { return &v }

func eq(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-9
}

func show(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestDeload(t *testing.T) {
	def := DefaultDeloadParams()
	light := def
	light.LoadPercent, light.MinSets = 50, 2
	capped6 := def
	capped6.RPECap = 6
	tests := []struct {
		name   string
		normal Dose
		params DeloadParams
		want   Dose
	}{
		{"5x5 at 100 kg RPE 8", Dose{Sets: 5, Reps: 5, LoadKg: f(100), TargetRPE: f(8)}, def,
			// 60 kg; floor(2.5) = 2 sets; round(3.35) = 3 reps; RPE min(8, 7) = 7.
			Dose{Sets: 2, Reps: 3, LoadKg: f(60), TargetRPE: f(7), RPECap: f(7)}},
		{"4x8 at 142.5 kg rounds the load to 2.5 kg", Dose{Sets: 4, Reps: 8, LoadKg: f(142.5), TargetRPE: f(7.5)}, def,
			// 85.5 kg -> 85; 2 sets; round(5.36) = 5 reps.
			Dose{Sets: 2, Reps: 5, LoadKg: f(85), TargetRPE: f(7), RPECap: f(7)}},
		{"102.5 kg rounds half up", Dose{Sets: 3, Reps: 3, LoadKg: f(102.5), TargetRPE: f(6)}, def,
			// 61.5 kg -> 62.5; floor(1.5) = 1 set; round(2.01) = 2 reps; RPE 6 stays under the cap.
			Dose{Sets: 1, Reps: 2, LoadKg: f(62.5), TargetRPE: f(6), RPECap: f(7)}},
		{"3x10 to failure at RIR 1", Dose{Sets: 3, Reps: 10, LoadKg: f(40), TargetRIR: f(1), AllowFailure: true}, def,
			// 24 kg -> 25; 1 set; round(6.7) = 7 reps; RIR raised to 3; failure off.
			Dose{Sets: 1, Reps: 7, LoadKg: f(25), TargetRIR: f(3), RPECap: f(7)}},
		{"a single at 90% keeps one set and one rep", Dose{Sets: 1, Reps: 1, Percent1RM: f(90), TargetRPE: f(9)}, def,
			// 90% x 0.6 = 54%.
			Dose{Sets: 1, Reps: 1, Percent1RM: f(54), TargetRPE: f(7), RPECap: f(7)}},
		{"50% with at least two sets", Dose{Sets: 3, Reps: 6, LoadKg: f(100)}, light,
			// 50 kg; max(floor(1.5), 2) = 2 sets; round(4.02) = 4 reps; no effort stated: RPE 7.
			Dose{Sets: 2, Reps: 4, LoadKg: f(50), TargetRPE: f(7), RPECap: f(7)}},
		{"RPE cap 6 means RIR 4", Dose{Sets: 4, Reps: 6, LoadKg: f(80), TargetRPE: f(8), TargetRIR: f(2)}, capped6,
			Dose{Sets: 2, Reps: 4, LoadKg: f(47.5), TargetRPE: f(6), TargetRIR: f(4), RPECap: f(6)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Deload(tt.normal, tt.params)
			w := tt.want
			if got.Sets != w.Sets || got.Reps != w.Reps || !eq(got.LoadKg, w.LoadKg) || !eq(got.Percent1RM, w.Percent1RM) ||
				!eq(got.TargetRPE, w.TargetRPE) || !eq(got.TargetRIR, w.TargetRIR) || !eq(got.RPECap, w.RPECap) || got.AllowFailure {
				t.Errorf("got %dx%d load %v pct %v rpe %v rir %v cap %v failure %v\nwant %dx%d load %v pct %v rpe %v rir %v cap %v failure false",
					got.Sets, got.Reps, show(got.LoadKg), show(got.Percent1RM), show(got.TargetRPE), show(got.TargetRIR), show(got.RPECap), got.AllowFailure,
					w.Sets, w.Reps, show(w.LoadKg), show(w.Percent1RM), show(w.TargetRPE), show(w.TargetRIR), show(w.RPECap))
			}
			if got.NormalSets != tt.normal.Sets || got.NormalReps != tt.normal.Reps || !eq(got.NormalLoadKg, tt.normal.LoadKg) {
				t.Errorf("normal values not kept: %d x %d at %v", got.NormalSets, got.NormalReps, show(got.NormalLoadKg))
			}
		})
	}
}

func TestResolveLoad(t *testing.T) {
	tests := []struct{ percent, max, want float64 }{
		{75, 150, 112.5},
		{72.5, 150, 110}, // 108.75 is halfway: rounds up
		{80, 143, 115},   // 114.4 -> 115
		{60, 100, 60},
	}
	for _, tt := range tests {
		if got := ResolveLoad(tt.percent, tt.max); got != tt.want {
			t.Errorf("ResolveLoad(%v, %v) = %v, want %v", tt.percent, tt.max, got, tt.want)
		}
	}
}

func TestDeloadParamsValidate(t *testing.T) {
	if v := DefaultDeloadParams().Validate(); len(v) != 0 {
		t.Fatalf("defaults invalid: %v", v)
	}
	bad := DeloadParams{LoadPercent: 75, SetsFactor: 0, MinSets: 0, RepsFactor: 1.2, RPECap: 8, MinRIR: 2, DurationDays: 0}
	got := map[string]bool{}
	for _, v := range bad.Validate() {
		got[v.Field] = true
	}
	for _, field := range []string{"load_percent", "sets_factor", "min_sets", "reps_factor", "rpe_cap", "min_rir", "duration_days"} {
		if !got[field] {
			t.Errorf("no violation for %s (got %v)", field, got)
		}
	}
	merged := DefaultDeloadParams().Merge(DeloadParams{LoadPercent: 65})
	if merged.LoadPercent != 65 || merged.SetsFactor != 0.5 || merged.RPECap != 7 {
		t.Errorf("merge = %+v", merged)
	}
}
