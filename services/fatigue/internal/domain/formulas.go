package domain

import (
	"math"
	"sort"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// rtsChart is %1RM by effective reps (reps + RIR), index 1..13 (RTS chart, docs/sports-science.md).
var rtsChart = [...]float64{0, 100, 95.5, 92.2, 89.2, 86.3, 83.7, 81.1, 78.6, 76.2, 73.9, 71.7, 69.5, 67.4}

// RTSPercent is the %1RM of a set with effectiveReps = reps + RIR, interpolating half steps.
// ok is false outside the chart (1..13).
func RTSPercent(effectiveReps float64) (pct float64, ok bool) {
	if effectiveReps < 1 || effectiveReps > 13 || math.IsNaN(effectiveReps) {
		return 0, false
	}
	lo := math.Floor(effectiveReps)
	pct = rtsChart[int(lo)]
	if frac := effectiveReps - lo; frac > 0 {
		pct += (rtsChart[int(lo)+1] - pct) * frac
	}
	return pct, true
}

// Epley is w*(1+r/30), the estimate used when a set has no RPE or RIR.
func Epley(loadKg float64, reps int) float64 { return loadKg * (1 + float64(reps)/30) }

// Set is one performed set as the assessor needs it.
type Set struct {
	Lift     commonv1.LiftCategory
	Exercise string
	Type     commonv1.SetType
	LoadKg   float64
	Reps     int
	// RPE and RIR are optional; HasRPE/HasRIR say whether they were reported.
	RPE, RIR       float64
	HasRPE, HasRIR bool
	// RepVelocities are mean concentric velocities per rep (m/s), empty when not measured.
	RepVelocities []float64
}

// Working reports whether the set counts for e1RM, hard sets and the signals: warm-ups and drop
// sets do not (a drop set is deliberately lighter than a working weight).
func (s Set) Working() bool {
	return s.Type == commonv1.SetType_SET_TYPE_WORKING || s.Type == commonv1.SetType_SET_TYPE_FAILURE ||
		s.Type == commonv1.SetType_SET_TYPE_UNSPECIFIED
}

// Effort returns the set's RIR (10 - RPE when only RPE was given; 0 for a failure set without
// a rating) and whether one is known.
func (s Set) Effort() (rir float64, ok bool) {
	switch {
	case s.HasRIR:
		return s.RIR, true
	case s.HasRPE:
		return 10 - s.RPE, true
	case s.Type == commonv1.SetType_SET_TYPE_FAILURE:
		return 0, true
	}
	return 0, false
}

// E1RM is an estimated one-rep max.
type E1RM struct {
	Kg float64
	// LowConfidence marks an Epley estimate (no RPE/RIR).
	LowConfidence bool
}

// EstimateE1RM estimates the set's one-rep max when the set qualifies: a working set with
// reps <= E1RMMaxReps and, when rated, RPE >= E1RMMinRPE (ratings far from failure are
// unreliable). Unrated sets use Epley and are flagged lower confidence.
func EstimateE1RM(s Set, th StrengthThresholds) (E1RM, bool) {
	if !s.Working() || s.LoadKg <= 0 || s.Reps < 1 || s.Reps > th.E1RMMaxReps {
		return E1RM{}, false
	}
	rir, rated := s.Effort()
	if !rated {
		return E1RM{Kg: Epley(s.LoadKg, s.Reps), LowConfidence: true}, true
	}
	if 10-rir < th.E1RMMinRPE {
		return E1RM{}, false
	}
	pct, ok := RTSPercent(float64(s.Reps) + rir)
	if !ok {
		return E1RM{}, false
	}
	return E1RM{Kg: s.LoadKg * 100 / pct}, true
}

// VolumeLoad is load x reps of a working set (0 for warm-ups).
func VolumeLoad(s Set) float64 {
	if !s.Working() && s.Type != commonv1.SetType_SET_TYPE_DROP {
		return 0
	}
	return s.LoadKg * float64(s.Reps)
}

// IsHardSet reports a working set at RIR <= 3. Unrated sets are not counted: an effort that was
// not reported is not invented.
func IsHardSet(s Set) bool {
	if !s.Working() {
		return false
	}
	rir, ok := s.Effort()
	return ok && rir <= 3
}

// SessionLoad is sRPE x minutes in arbitrary units (Foster 2001).
func SessionLoad(sessionRPE, minutes float64) float64 { return sessionRPE * minutes }

// EWMALambda is the ACWR smoothing factor 2/(N+1) (Williams 2017).
func EWMALambda(days int) float64 { return 2 / float64(days+1) }

// LoadModel holds the exponentially weighted loads of one load source. It is advanced one
// calendar day at a time (rest days with load 0).
type LoadModel struct {
	// Acute and Chronic are the raw ACWR EWMAs started at zero; their bias is corrected on read
	// (divided by 1-(1-lambda)^Days), so the first weeks are the mean of the days seen rather
	// than an underestimate that would inflate the ratio.
	Acute, Chronic float64
	// CTL and ATL are the Banister fitness and fatigue (time constants 42 and 7 days).
	CTL, ATL float64
	Days     int
}

// Advance adds one day's load.
func (m *LoadModel) Advance(load float64, th LoadThresholds) {
	la, lc := EWMALambda(th.ACWRAcuteDays), EWMALambda(th.ACWRChronicDays)
	m.Acute = la*load + (1-la)*m.Acute
	m.Chronic = lc*load + (1-lc)*m.Chronic
	m.CTL += (load - m.CTL) / float64(th.CTLDays)
	m.ATL += (load - m.ATL) / float64(th.ATLDays)
	m.Days++
}

// AcuteChronic returns the bias-corrected acute and chronic EWMA loads.
func (m LoadModel) AcuteChronic(th LoadThresholds) (acute, chronic float64) {
	if m.Days == 0 {
		return 0, 0
	}
	la, lc := EWMALambda(th.ACWRAcuteDays), EWMALambda(th.ACWRChronicDays)
	acute = m.Acute / (1 - math.Pow(1-la, float64(m.Days)))
	chronic = m.Chronic / (1 - math.Pow(1-lc, float64(m.Days)))
	return acute, chronic
}

// ACWR is acute/chronic; ok is false while the history is shorter than ACWRMinHistoryDays
// (the ratio is hidden then) or the chronic load is zero.
func (m LoadModel) ACWR(th LoadThresholds) (float64, bool) {
	if m.Days < th.ACWRMinHistoryDays {
		return 0, false
	}
	a, c := m.AcuteChronic(th)
	if c <= 0 {
		return 0, false
	}
	return a / c, true
}

// monotonySDFloor keeps monotony finite for a week of identical loads: the SD is at least 5% of
// the mean, so seven equal days give monotony 20 (maximally monotonous) rather than infinity.
const monotonySDFloor = 0.05

// Monotony is mean/SD of the daily loads (rest days as 0; population SD floored) and strain is
// the weekly sum x monotony (Foster 1998). ok is false for a week without load.
func Monotony(daily []float64) (monotony, strain float64, ok bool) {
	mean, sd := MeanSD(daily, false)
	if mean <= 0 {
		return 0, 0, false
	}
	sd = math.Max(sd, monotonySDFloor*mean)
	monotony = mean / sd
	return monotony, mean * float64(len(daily)) * monotony, true
}

// VelocityLossPct is the within-set loss 100*(v_best - v_last)/v_best.
func VelocityLossPct(repVelocities []float64) (float64, bool) {
	if len(repVelocities) < 2 {
		return 0, false
	}
	best := 0.0
	for _, v := range repVelocities {
		best = math.Max(best, v)
	}
	if best <= 0 {
		return 0, false
	}
	return 100 * (best - repVelocities[len(repVelocities)-1]) / best, true
}

// MeanVelocity is the mean of the rep velocities (0 when none).
func MeanVelocity(repVelocities []float64) float64 {
	m, _ := MeanSD(repVelocities, false)
	return m
}

// LoadVelocityProfile is the per-athlete, per-lift linear relation velocity = Intercept +
// Slope*load.
type LoadVelocityProfile struct {
	Slope, Intercept, R float64
	N                   int
}

// FitLoadVelocity fits the profile by least squares; it needs at least 3 points and 2 distinct
// loads, and a negative slope (heavier is slower) to be usable.
func FitLoadVelocity(loads, velocities []float64) (LoadVelocityProfile, bool) {
	n := len(loads)
	if n < 3 || n != len(velocities) {
		return LoadVelocityProfile{}, false
	}
	mx, _ := MeanSD(loads, false)
	my, _ := MeanSD(velocities, false)
	var sxy, sxx, syy float64
	for i := range loads {
		dx, dy := loads[i]-mx, velocities[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return LoadVelocityProfile{}, false
	}
	slope := sxy / sxx
	if slope >= 0 {
		return LoadVelocityProfile{}, false
	}
	return LoadVelocityProfile{Slope: slope, Intercept: my - slope*mx, R: sxy / math.Sqrt(sxx*syy), N: n}, true
}

// VelocityAt is the profile's expected velocity at a load.
func (p LoadVelocityProfile) VelocityAt(loadKg float64) float64 { return p.Intercept + p.Slope*loadKg }

// LoadAt is the load at which the profile predicts velocity v: at the lift's minimum velocity
// threshold it is an e1RM estimate.
func (p LoadVelocityProfile) LoadAt(v float64) float64 { return (v - p.Intercept) / p.Slope }

// MinimumVelocityThreshold is the mean velocity of a true 1RM for a main lift, m/s (bench 0.16
// and squat 0.30 from docs/sports-science.md; deadlift 0.15 and overhead press 0.19 from the VBT literature).
func MinimumVelocityThreshold(lift commonv1.LiftCategory) (float64, bool) {
	switch lift {
	case commonv1.LiftCategory_LIFT_CATEGORY_SQUAT:
		return 0.30, true
	case commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS:
		return 0.16, true
	case commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT:
		return 0.15, true
	case commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS:
		return 0.19, true
	}
	return 0, false
}

// MeanSD returns the mean and standard deviation (sample SD when sample is true, else
// population); SD is 0 for fewer than 2 values.
func MeanSD(xs []float64, sample bool) (mean, sd float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	d := float64(len(xs))
	if sample {
		d--
	}
	return mean, math.Sqrt(ss / d)
}

// Median of xs (0 for none). xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// wellnessSDFloor keeps z-scores meaningful for an athlete who always answers the same: on a
// 1-5 scale a one-point drop from a flat baseline is then z = -2.
const wellnessSDFloor = 0.5

// WellnessZ is the z-score of a 1-5 item against the athlete's baseline (higher is better on
// every item, so negative is worse), with the SD floored.
func WellnessZ(x, baselineMean, baselineSD float64) float64 {
	return (x - baselineMean) / math.Max(baselineSD, wellnessSDFloor)
}

// HRVResult is the HRV rule's verdict.
type HRVResult struct {
	Rolling, BaselineMean, BaselineSD, Threshold float64
	Mornings                                     int
	Abnormal                                     bool
}

// AssessHRV compares the mean of ln(rMSSD) over the rolling window with the baseline band:
// abnormal below mean - swcSD*SD. ok is false with fewer than minMornings values in the
// rolling window or fewer than 14 baseline values.
func AssessHRV(rolling, baseline []float64, swcSD float64, minMornings int) (HRVResult, bool) {
	if len(rolling) < minMornings || len(baseline) < 14 {
		return HRVResult{Mornings: len(rolling)}, false
	}
	r, _ := MeanSD(rolling, false)
	m, sd := MeanSD(baseline, true)
	th := m - swcSD*sd
	return HRVResult{Rolling: r, BaselineMean: m, BaselineSD: sd, Threshold: th, Mornings: len(rolling), Abnormal: r < th}, true
}

// CMJDropPct is how far the recent jump height is below the baseline, percent (positive =
// lower).
func CMJDropPct(recent, baseline float64) float64 { return 100 * (baseline - recent) / baseline }
