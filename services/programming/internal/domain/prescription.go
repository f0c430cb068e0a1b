package domain

import "math"

// LoadStepKg is the smallest load change a barbell allows (two 1.25 kg plates); resolved and
// reduced loads are rounded to it.
const LoadStepKg = 2.5

// Dose is what one exercise asks for: sets x reps at a load or %1RM with a target effort.
// Optional values are pointers: nil means "not prescribed" (an RIR of 0 is a real target).
type Dose struct {
	Sets, Reps   int
	LoadKg       *float64
	Percent1RM   *float64
	TargetRPE    *float64
	TargetRIR    *float64
	RPECap       *float64
	AllowFailure bool
}

// DeloadDose is a Dose reduced for a deload week, with the normal values kept for display.
type DeloadDose struct {
	Dose
	NormalLoadKg *float64
	NormalSets   int
	NormalReps   int
}

// Deload derives the deload-week dose from the normal one (docs/sports-science.md "The deload
// prescription"): load at LoadPercent of the working weight (rounded to LoadStepKg, or the %1RM
// scaled when the load is not resolved), sets times SetsFactor rounded down but at least MinSets,
// reps times RepsFactor rounded to the nearest rep but at least 1, effort capped at
// min(RPECap, 10 - MinRIR) and RIR raised to at least MinRIR, and never to failure. The exercise
// itself and how often it is trained stay the same.
func Deload(normal Dose, p DeloadParams) DeloadDose {
	out := DeloadDose{Dose: normal, NormalLoadKg: normal.LoadKg, NormalSets: normal.Sets, NormalReps: normal.Reps}
	fraction := p.LoadPercent / 100
	if normal.LoadKg != nil {
		out.LoadKg = ptr(RoundToStep(*normal.LoadKg*fraction, LoadStepKg))
	}
	if normal.Percent1RM != nil {
		out.Percent1RM = ptr(math.Round(*normal.Percent1RM*fraction*10) / 10)
	}
	// The epsilon keeps 4 x 0.5 at 2 despite binary fractions like 0.67.
	out.Sets = max(int(math.Floor(float64(normal.Sets)*p.SetsFactor+1e-9)), p.MinSets)
	out.Reps = max(int(math.Round(float64(normal.Reps)*p.RepsFactor)), 1)

	rpeCap := math.Min(p.RPECap, 10-p.MinRIR)
	out.RPECap = ptr(rpeCap)
	if normal.TargetRPE != nil {
		out.TargetRPE = ptr(math.Min(*normal.TargetRPE, rpeCap))
	}
	if normal.TargetRIR != nil {
		out.TargetRIR = ptr(math.Max(*normal.TargetRIR, 10-rpeCap))
	}
	if normal.TargetRPE == nil && normal.TargetRIR == nil {
		out.TargetRPE = ptr(rpeCap)
	}
	out.AllowFailure = false
	return out
}

// ResolveLoad turns a %1RM into kilograms against a training max, rounded to LoadStepKg.
func ResolveLoad(percent, trainingMaxKg float64) float64 {
	return RoundToStep(trainingMaxKg*percent/100, LoadStepKg)
}

// RoundToStep rounds kg to the nearest multiple of step (halves round up).
func RoundToStep(kg, step float64) float64 {
	return math.Floor(kg/step+0.5+1e-9) * step
}

func ptr[T any](v T) *T { return &v }
