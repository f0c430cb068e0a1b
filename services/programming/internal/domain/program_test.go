package domain

import (
	"testing"
)

func TestLinearTemplate(t *testing.T) {
	tmpl, _ := TemplateByID(TemplateLinear)
	weeks, v := tmpl.Generate(TemplateOptions{Lifts: []TemplateLift{{Exercise: "Back Squat", Lift: 1, Sets: 5, Reps: 5, StartPercent: 70}}})
	if len(v) > 0 {
		t.Fatalf("violations %v", v)
	}
	if len(weeks) != 8 {
		t.Fatalf("got %d weeks, want the default 8", len(weeks))
	}
	tests := []struct {
		week         int
		percent, rpe float64
	}{
		{1, 70, 7}, {2, 72.5, 7.5}, {3, 75, 8}, {5, 80, 9}, {8, 87.5, 9}, // RPE 7 + 0.5/week, capped at 9
	}
	for _, tt := range tests {
		w := weeks[tt.week-1]
		if len(w.Sessions) != 3 || w.Deload || w.Number != tt.week {
			t.Fatalf("week %d: %d sessions, deload %v", tt.week, len(w.Sessions), w.Deload)
		}
		for _, s := range w.Sessions {
			e := s.Exercises[0]
			if e.Sets != 5 || e.Reps != 5 || *e.Percent1RM != tt.percent || *e.TargetRPE != tt.rpe {
				t.Errorf("week %d %s: %dx%d at %v%% RPE %v, want 5x5 at %v%% RPE %v", tt.week, s.Name, e.Sets, e.Reps, *e.Percent1RM, *e.TargetRPE, tt.percent, tt.rpe)
			}
		}
	}
	// Mean RPE (7+7.5+8+8.5+9+9+9+9)/8 = 8.375; 5 sets x 3 sessions = 15 hard sets a week.
	if got := LoadOf(weeks); got.MeanWorkingRPE != 8.38 || got.HardSetsPerWeek != 15 {
		t.Errorf("LoadOf = %+v, want mean RPE 8.38 and 15 hard sets", got)
	}
}

func TestAccumulationTemplate(t *testing.T) {
	tmpl, _ := TemplateByID(TemplateAccumulation)
	weeks, v := tmpl.Generate(TemplateOptions{SessionsPerWeek: 2, Lifts: []TemplateLift{{Exercise: "Bench Press", Lift: 2, Sets: 3, Reps: 5, StartPercent: 70}}})
	if len(v) > 0 {
		t.Fatalf("violations %v", v)
	}
	tests := []struct {
		week         int
		deload       bool
		sets, reps   int
		percent, rpe float64
	}{
		{1, false, 3, 5, 70, 7},
		{2, false, 4, 5, 72.5, 7.5},
		{3, false, 5, 5, 75, 8},
		// Deload of week 3: floor(5 x 0.5) = 2 sets, round(5 x 0.67) = 3 reps, 75% x 0.6 = 45%, RPE 7.
		{4, true, 2, 3, 45, 7},
		{5, false, 3, 5, 72.5, 7}, // block 2 starts one step above block 1
		{7, false, 5, 5, 77.5, 8},
		{8, true, 2, 3, 46.5, 7}, // 77.5 x 0.6
	}
	for _, tt := range tests {
		w := weeks[tt.week-1]
		e := w.Sessions[1].Exercises[0]
		if w.Deload != tt.deload || e.Sets != tt.sets || e.Reps != tt.reps || *e.Percent1RM != tt.percent || *e.TargetRPE != tt.rpe {
			t.Errorf("week %d (%s): deload %v %dx%d at %v%% RPE %v, want deload %v %dx%d at %v%% RPE %v",
				tt.week, w.Label, w.Deload, e.Sets, e.Reps, *e.Percent1RM, *e.TargetRPE, tt.deload, tt.sets, tt.reps, tt.percent, tt.rpe)
		}
		if tt.deload && e.AllowFailure {
			t.Errorf("week %d allows failure", tt.week)
		}
	}
	// Per block: RPE 7 x 6 sets + 7.5 x 8 + 8 x 10 = 182 over 24 sets = 7.583; 48 hard sets / 6 weeks... per
	// normal week: (6 + 8 + 10) x 2 blocks / 6 weeks = 8.
	if got := LoadOf(weeks); got.MeanWorkingRPE != 7.58 || got.HardSetsPerWeek != 8 {
		t.Errorf("LoadOf = %+v, want mean RPE 7.58 and 8 hard sets", got)
	}
}

func TestTemplateValidation(t *testing.T) {
	tmpl, _ := TemplateByID(TemplateLinear)
	_, v := tmpl.Generate(TemplateOptions{Weeks: 60, SessionsPerWeek: 9, Lifts: []TemplateLift{{Sets: 0, Reps: 5, StartPercent: 120}}})
	got := map[string]bool{}
	for _, x := range v {
		got[x.Field] = true
	}
	for _, field := range []string{"template_options.weeks", "template_options.sessions_per_week", "template_options.lifts[0].exercise",
		"template_options.lifts[0].sets", "template_options.lifts[0].start_percent_1rm"} {
		if !got[field] {
			t.Errorf("no violation for %s (got %v)", field, got)
		}
	}
	if _, ok := TemplateByID("nope"); ok {
		t.Error("unknown template found")
	}
}
