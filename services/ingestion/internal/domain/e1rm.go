package domain

import "math"

// E1RMMethod says how an e1RM was estimated.
type E1RMMethod string

// E1RM methods, stored in the sets table's e1rm_method column.
const (
	// E1RMNone: the set is not eligible (warm-up or drop set, no load, more than 10 reps, or
	// rated below RPE 7).
	E1RMNone E1RMMethod = ""
	// E1RMRTS: the RTS %1RM chart on effective reps (reps + RIR); the normal method.
	E1RMRTS E1RMMethod = "rts"
	// E1RMEpley: Epley w*(1+r/30) for sets without RPE or RIR: lower confidence, because the
	// distance to failure is unknown.
	E1RMEpley E1RMMethod = "epley"
)

// rtsPercent is the RTS chart's %1RM by effective reps (docs/sports-science.md): index n is n reps at RPE 10.
var rtsPercent = [...]float64{0, 100, 95.5, 92.2, 89.2, 86.3, 83.7, 81.1, 78.6, 76.2, 73.9, 71.7, 69.5, 67.4}

// maxE1RMReps is the most reps a set may have to feed e1RM: ratings and formulas are unreliable
// far from a maximal single (Hackett 2017, Zourdos 2021).
const maxE1RMReps = 10

// minE1RMRPE is the lowest rating that feeds e1RM.
const minE1RMRPE = 7.0

// E1RM estimates the one-repetition maximum from one set (docs/sports-science.md "Derived quantities").
// rir is the set's reps in reserve: given, or 10 - RPE, or 0 for a failure set without a
// rating; nil when unknown. Eligible sets are working or failure sets with load > 0 and
// 1-10 reps; rated sets also need RPE >= 7 (RIR <= 3). Rated sets use the RTS chart on
// effective reps n = reps + RIR (half steps interpolated); unrated sets use Epley, flagged by
// the method as lower confidence. ok is false when the set is not eligible.
func E1RM(loadKg float64, reps uint32, rir *float64, setType SetType) (kg float64, method E1RMMethod, ok bool) {
	if loadKg <= 0 || reps < 1 || reps > maxE1RMReps {
		return 0, E1RMNone, false
	}
	if setType != SetWorking && setType != SetFailure {
		return 0, E1RMNone, false
	}
	if rir == nil {
		return round2(loadKg * (1 + float64(reps)/30)), E1RMEpley, true
	}
	if *rir < 0 || 10-*rir < minE1RMRPE {
		return 0, E1RMNone, false
	}
	pct, ok := rtsPercentAt(float64(reps) + *rir)
	if !ok {
		return 0, E1RMNone, false
	}
	return round2(loadKg * 100 / pct), E1RMRTS, true
}

// rtsPercentAt reads the chart at n effective reps, interpolating linearly between whole reps.
func rtsPercentAt(n float64) (float64, bool) {
	last := float64(len(rtsPercent) - 1)
	if n < 1 || n > last {
		return 0, false
	}
	lo := math.Floor(n)
	if lo == n {
		return rtsPercent[int(n)], true
	}
	frac := n - lo
	return rtsPercent[int(lo)]*(1-frac) + rtsPercent[int(lo)+1]*frac, true
}

// EffectiveRIR is the set's reps in reserve: rir when given, else 10 - rpe, else 0 for a set to
// failure, else nil (unknown).
func EffectiveRIR(rpe, rir *float64, setType SetType) *float64 {
	switch {
	case rir != nil:
		v := *rir
		return &v
	case rpe != nil:
		v := 10 - *rpe
		return &v
	case setType == SetFailure:
		v := 0.0
		return &v
	}
	return nil
}

// IsHardSet reports a working (or failure) set at RIR <= 3 (docs/sports-science.md "Volume, hard sets and session load").
func IsHardSet(rir *float64, setType SetType) bool {
	working := setType == SetWorking || setType == SetFailure
	return working && rir != nil && *rir <= 3
}

// PoundsToKg is the exact international pound.
const PoundsToKg = 0.45359237

// ToKg converts a load in unit to kilograms (unspecified means kg), rounded to 0.01 kg so that
// 225 lb stores as 102.06 kg rather than a float tail.
func ToKg(load float64, unit WeightUnit) float64 {
	if unit == UnitLb {
		return round2(load * PoundsToKg)
	}
	return load
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
