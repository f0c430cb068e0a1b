package app

import (
	"strings"
	"testing"

	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// A sets+RPE athlete one hard lifting day into a drift: nothing fires, and the explanation says
// what each rule still lacks, in lifting days, standard deviations and weeks.
func TestMissingSaysWhatTheRuleLacks(t *testing.T) {
	th := domain.DefaultThresholds()
	st := &domain.State{}
	day0 := domain.Day(20454) // a Monday
	squat := domain.LiftSquat
	for d := 0; d <= 40; d += 2 {
		rpe := 8.0
		if d >= 40 {
			rpe = 9.5
		}
		st.ObserveSet(day0+domain.Day(d), domain.Set{Lift: squat, Type: domain.SetWorking, LoadKg: 100, Reps: 5, RPE: rpe, HasRPE: true}, 0, th)
	}
	res := st.Step(th)
	a := WireAssessment(res.Assessed)
	if a.GetRuleFired() != "" {
		t.Fatalf("rule %q fired on one hard day", a.GetRuleFired())
	}
	if a.GetCoverage().GetShape().String() != "DATA_SHAPE_SETS_RPE" {
		t.Errorf("shape %v, want sets+RPE", a.GetCoverage().GetShape())
	}
	missing := strings.Join(Missing(a), "\n")
	for _, want := range []string{
		"lifting_decline: Strength short of its trend since 2026-02-10 (1 lifting day): cumulative shortfall 1.5 SD; needs more than 3.7 over at least 2 lifting days",
		"sustained_decline: Strength down 2.5% or more in 0 of the last 3 weeks; needs all 3",
	} {
		if !strings.Contains(missing, want) {
			t.Errorf("missing lacks %q:\n%s", want, missing)
		}
	}
	// The set that fell short is in the shortfall's e1RM; missed reps alone is no rule to wait
	// for on a rated log.
	if strings.Contains(missing, domain.RuleMissedReps) {
		t.Errorf("missed_reps listed for a rated log:\n%s", missing)
	}
	if strings.Contains(missing, domain.RuleTwoFamilies) {
		t.Errorf("two_families listed for an athlete without daily signals:\n%s", missing)
	}
}
