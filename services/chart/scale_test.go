package chart

import (
	"slices"
	"testing"
)

func TestNiceStep(t *testing.T) {
	tests := []struct {
		span      float64
		intervals int
		want      float64
	}{
		{97, 5, 20},       // 19.4 -> 20
		{100, 5, 20},      // exactly 20
		{45.5, 5, 10},     // 9.1 -> 10
		{1.09, 5, 0.5},    // 0.218 -> 0.5
		{0.3, 3, 0.1},     // 0.0999... must not skip to 0.2
		{7, 7, 1},         // exactly 1
		{11, 5, 5},        // 2.2 -> 5
		{25000, 4, 10000}, // 6250 -> 10000
		{0, 5, 1},         // no span: any step, never zero
	}
	for _, tt := range tests {
		if got := niceStep(tt.span, tt.intervals); !near(got, tt.want) {
			t.Errorf("niceStep(%g, %d) = %g, want %g", tt.span, tt.intervals, got, tt.want)
		}
	}
}

func TestFitAxis(t *testing.T) {
	tests := []struct {
		name      string
		min, max  float64
		intervals int
		want      []float64
		decimals  int
	}{
		{"from zero", 0, 97, 5, []float64{0, 20, 40, 60, 80, 100}, 0},
		{"e1RM", 140, 185.5, 5, []float64{140, 150, 160, 170, 180, 190}, 0},
		{"ratio", 0.62, 1.71, 5, []float64{0.5, 1, 1.5, 2}, 1},
		// Step 10 fits the span (4 intervals) but rounding out to 0..50 makes 5, so 20.
		{"rounding adds an interval", 1, 41, 4, []float64{0, 20, 40, 60}, 0},
		// A flat series is padded by 10% either side: 72..88, step 5.
		{"flat", 80, 80, 5, []float64{70, 75, 80, 85, 90}, 0},
		{"all zero", 0, 0, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, 1},
		{"negative", -3.2, 2.1, 5, []float64{-4, -2, 0, 2, 4}, 0},
		{"tenths add up exactly", 0.1, 0.7, 6, []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fitAxis(tt.min, tt.max, tt.intervals)
			// Exact comparison on purpose: ticks are snapped, so 0.1*3 must be 0.3.
			if !slices.Equal(a.ticks, tt.want) {
				t.Errorf("ticks = %v, want %v", a.ticks, tt.want)
			}
			if a.lo != tt.want[0] || !near(a.hi, tt.want[len(tt.want)-1]) {
				t.Errorf("ends = %g..%g, want the outer ticks", a.lo, a.hi)
			}
			if a.decimals != tt.decimals {
				t.Errorf("decimals = %d, want %d", a.decimals, tt.decimals)
			}
		})
	}
}

func TestFixedAxis(t *testing.T) {
	tests := []struct {
		min, max  float64
		intervals int
		want      []float64
	}{
		{1, 5, 4, []float64{1, 2, 3, 4, 5}},
		{1, 10, 4, []float64{5, 10}}, // step 5: only its multiples inside are ticked
		{0, 2, 4, []float64{0, 0.5, 1, 1.5, 2}},
	}
	for _, tt := range tests {
		a := fixedAxis(tt.min, tt.max, tt.intervals)
		if !slices.Equal(a.ticks, tt.want) {
			t.Errorf("fixedAxis(%g, %g, %d) ticks = %v, want %v", tt.min, tt.max, tt.intervals, a.ticks, tt.want)
		}
		if a.lo != tt.min || a.hi != tt.max {
			t.Errorf("fixedAxis(%g, %g) ends moved to %g..%g", tt.min, tt.max, a.lo, a.hi)
		}
	}
}

func TestAppendCoord(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{12.34, "12.3"},
		{12.36, "12.4"},
		{99.96, "100"},
		{-0.04, "0"}, // never "-0"
		{-5.25, "-5.3"},
		{720, "720"},
	}
	for _, tt := range tests {
		if got := string(appendCoord(nil, tt.v)); got != tt.want {
			t.Errorf("appendCoord(%g) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		v        float64
		decimals int
		want     string
	}{
		{182.45, 1, "182.4"}, // binary 182.45 is just below; FormatFloat rounds the true value
		{0.8, 2, "0.80"},
		{-0.0001, 2, "0.00"},
		{-1.5, 0, "-2"},
		{22046.2, 0, "22046"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.v, tt.decimals); got != tt.want {
			t.Errorf("formatNumber(%g, %d) = %q, want %q", tt.v, tt.decimals, got, tt.want)
		}
	}
}

func TestMassUnit(t *testing.T) {
	if got := Pounds.FromKilograms(100); !near(got, 220.46226218487757) {
		t.Errorf("100 kg = %g lb", got)
	}
	if got := Kilograms.FromKilograms(100); got != 100 {
		t.Errorf("100 kg = %g kg", got)
	}
	for in, want := range map[string]MassUnit{"kg": Kilograms, "LB": Pounds, " lbs ": Pounds} {
		if got, err := ParseMassUnit(in); err != nil || got != want {
			t.Errorf("ParseMassUnit(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseMassUnit("stone"); err == nil {
		t.Error("ParseMassUnit(stone): no error")
	}
}

func near(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}
