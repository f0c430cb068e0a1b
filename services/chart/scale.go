package chart

import (
	"math"
	"strconv"
)

// valueAxis is the y axis after fitting: its ends, and the ticks with their labels.
type valueAxis struct {
	lo, hi   float64
	step     float64
	ticks    []float64
	decimals int // digits after the point that the tick labels need
}

// niceMultipliers are the steps a reader adds up without effort: 1, 2 and 5 times a power of
// ten. (2.5 would make 7.5 and 12.5 appear, which slows reading.)
var niceMultipliers = [...]float64{1, 2, 5, 10}

// niceStep is the smallest nice step that cuts span into at most maxIntervals pieces.
func niceStep(span float64, maxIntervals int) float64 {
	if maxIntervals < 1 {
		maxIntervals = 1
	}
	if !(span > 0) {
		return 1
	}
	raw := span / float64(maxIntervals)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range niceMultipliers {
		// The tolerance keeps 0.3/3 = 0.09999999999999999 from skipping past 0.1.
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// nextNiceStep is the nice step after step: 1 -> 2 -> 5 -> 10.
func nextNiceStep(step float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(step)+1e-9))
	switch m := math.Round(step / mag); m {
	case 1:
		return 2 * mag
	case 2:
		return 5 * mag
	}
	return 10 * mag
}

// stepDecimals is how many decimals a multiple of step needs: none for 20, one for 0.5.
func stepDecimals(step float64) int {
	d := -int(math.Floor(math.Log10(step) + 1e-9))
	return max(d, 0)
}

// fitAxis chooses round ends and ticks that hold [min, max] in at most maxIntervals steps.
// The ends move out to the ticks, so the top and bottom grid lines are labelled.
func fitAxis(min, max float64, maxIntervals int) valueAxis {
	min, max = padFlat(min, max)
	step := niceStep(max-min, maxIntervals)
	var lo, hi float64
	for {
		lo = math.Floor(min/step+1e-9) * step
		hi = math.Ceil(max/step-1e-9) * step
		// Moving both ends out to whole steps can add an interval; take a coarser step then.
		if math.Round((hi-lo)/step) <= float64(maxIntervals) {
			break
		}
		step = nextNiceStep(step)
	}
	return axisTicks(lo, hi, step)
}

// fixedAxis keeps the caller's ends (a 1 to 5 scale stays 1 to 5) with nice ticks inside.
func fixedAxis(min, max float64, maxIntervals int) valueAxis {
	step := niceStep(max-min, maxIntervals)
	a := axisTicks(math.Ceil(min/step-1e-9)*step, max, step)
	a.lo, a.hi = min, max
	return a
}

func axisTicks(first, last, step float64) valueAxis {
	a := valueAxis{lo: first, hi: last, step: step, decimals: stepDecimals(step)}
	n := int(math.Floor((last-first)/step+1e-9)) + 1
	a.ticks = make([]float64, 0, n)
	scale := math.Pow(10, float64(a.decimals))
	for i := range n {
		v := first + float64(i)*step
		// Snap to the label's precision so 0.1*3 is stored as 0.3, and never as -0.
		v = math.Round(v*scale)/scale + 0
		a.ticks = append(a.ticks, v)
	}
	return a
}

// padFlat widens a range with no height (a single value, or a flat series) so the value sits
// mid-axis instead of on an edge, with room for round ticks either side.
func padFlat(min, max float64) (float64, float64) {
	if max > min {
		return min, max
	}
	if min == 0 {
		return 0, 1
	}
	d := math.Abs(min) * 0.1
	return min - d, max + d
}

func (a valueAxis) label(v float64) string {
	return formatNumber(v, a.decimals)
}

// formatNumber writes v with the given decimals and never as "-0".
func formatNumber(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if s[0] == '-' && isAllZero(s[1:]) {
		return s[1:]
	}
	return s
}

func isAllZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' && s[i] != '.' {
			return false
		}
	}
	return true
}

// appendCoord writes a coordinate rounded to a tenth of a pixel, finer than any screen shows,
// without the float formatter: two years of daily points are thousands of coordinates.
func appendCoord(b []byte, v float64) []byte {
	n := int64(math.Round(v * 10))
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/10, 10)
	if f := n % 10; f != 0 {
		b = append(b, '.', byte('0'+f))
	}
	return b
}
