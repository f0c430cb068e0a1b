package app

import (
	"strings"
	"testing"

	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// A lifter who logs no RPE (FitNotes, most Hevy logs) and whose squat and bench fall for
// weeks: steady at 100 kg and 80 kg x 5 for four weeks, then a set of reps or a plate lost
// every week. The sustained decline recommends a deload, says it is lower confidence and why;
// a dip shorter than three weeks does not.
func TestSustainedDeclineWithoutRPE(t *testing.T) {
	th := domain.DefaultThresholds()
	st := &domain.State{}
	day0 := domain.Day(20454) // a Monday
	w := domain.SetWorking
	var firstRec domain.Day
	var summary string
	for d := 0; d < 70; d++ {
		if d%7 != 0 && d%7 != 3 {
			continue
		}
		// Weeks 0-3 steady; from week 4 the load drops 2.5% a week (reps held at 5).
		week := d / 7
		f := 1.0
		if week >= 4 {
			f = 1 - 0.025*float64(week-3)
		}
		for _, s := range []domain.Set{
			{Lift: domain.LiftSquat, Type: w, LoadKg: 100 * f, Reps: 5},
			{Lift: domain.LiftBenchPress, Type: w, LoadKg: 80 * f, Reps: 5},
		} {
			st.ObserveSet(day0+domain.Day(d), s, 0, th)
		}
		res := st.Step(th)
		if res.NewRecommendation && firstRec == 0 {
			firstRec = domain.Day(d)
			summary = Summary(res)
			if res.RuleFired != domain.RuleSustainedDecline {
				t.Errorf("rule %q, want %s", res.RuleFired, domain.RuleSustainedDecline)
			}
		}
		if !res.NewRecommendation && domain.Day(d) < 42 && res.RuleFired != "" {
			t.Fatalf("day %d: rule %q fired before three weeks of decline", d, res.RuleFired)
		}
	}
	// Week 4 is -2.5%, week 5 -5%, week 6 -7.5% against weeks 0-3 (Epley of 100 and 80 kg x
	// 5). Day 45 is the first day every week of its 21-day window (days 25-31, 32-38, 39-45)
	// holds exposures at -2.5% or lower: three weeks of decline, from the first lower session
	// on day 28.
	if firstRec == 0 {
		t.Fatal("no recommendation after six weeks of falling strength")
	}
	if firstRec != 45 {
		t.Errorf("first recommendation on day %d, want day 45", firstRec)
	}
	for _, want := range []string{"sustained_decline", "Lower confidence: without RPE or RIR", "e1RM from Epley"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q: %s", want, summary)
		}
	}
}
