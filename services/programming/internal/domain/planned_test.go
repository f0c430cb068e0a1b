package domain

import (
	"strings"
	"testing"
	"time"
)

func TestPlannedInterval(t *testing.T) {
	def := DefaultPolicy().Planned
	shortAdvanced := def
	shortAdvanced.AdvancedWeeks = 4
	longNovice := def
	longNovice.NoviceWeeks = 10
	tests := []struct {
		name       string
		level      Experience
		block      BlockLoad
		policy     PlannedPolicy
		wantWeeks  int
		wantReason string
	}{
		{"novice", ExperienceNovice, BlockLoad{}, def, 8, "planned: every 8 weeks (novice)"},
		{"intermediate", ExperienceIntermediate, BlockLoad{MeanWorkingRPE: 7.5, HardSetsPerWeek: 12}, def, 6, "planned: every 6 weeks (intermediate)"},
		{"advanced", ExperienceAdvanced, BlockLoad{}, def, 5, "planned: every 5 weeks (advanced)"},
		{"unknown counts as intermediate", ExperienceUnknown, BlockLoad{}, def, 6, "planned: every 6 weeks (intermediate)"},
		{"novice high intensity at the threshold", ExperienceNovice, BlockLoad{MeanWorkingRPE: 8.5}, def, 7,
			"planned: every 8 weeks (novice), 1 week earlier for a high-intensity block (mean working RPE 8.5 >= 8.5)"},
		{"just below the intensity threshold", ExperienceIntermediate, BlockLoad{MeanWorkingRPE: 8.49}, def, 6, "planned: every 6 weeks (intermediate)"},
		{"advanced high intensity", ExperienceAdvanced, BlockLoad{MeanWorkingRPE: 9}, def, 4, "1 week earlier for a high-intensity block (mean working RPE 9.0 >= 8.5)"},
		{"intensity and volume count once", ExperienceAdvanced, BlockLoad{MeanWorkingRPE: 9, HardSetsPerWeek: 25}, def, 4,
			"1 week earlier for a high-intensity block (mean working RPE 9.0 >= 8.5) and a high-volume block (25 hard sets a week >= 20)"},
		{"intermediate high volume", ExperienceIntermediate, BlockLoad{HardSetsPerWeek: 20}, def, 5, "high-volume block (20 hard sets a week >= 20)"},
		{"just below the volume threshold", ExperienceIntermediate, BlockLoad{HardSetsPerWeek: 19.9}, def, 6, "planned: every 6 weeks (intermediate)"},
		{"clamped up to 4", ExperienceAdvanced, BlockLoad{MeanWorkingRPE: 9}, shortAdvanced, 4, "raised to the 4-week minimum"},
		{"clamped down to 8", ExperienceNovice, BlockLoad{}, longNovice, 8, "planned: every 10 weeks (novice), lowered to the 8-week maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PlannedInterval(tt.level, tt.block, tt.policy)
			if got.Weeks != tt.wantWeeks {
				t.Errorf("weeks = %d, want %d", got.Weeks, tt.wantWeeks)
			}
			if !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", got.Reason, tt.wantReason)
			}
		})
	}
}

// Program start Monday 2026-01-05: week n starts on 2026-01-05 + 7(n-1) days.
var start = Date(2026, time.January, 5)

func TestPlanDeloads(t *testing.T) {
	tests := []struct {
		name     string
		weeks    int
		interval int
		resets   []time.Time
		want     []string // week starts
		wantWeek []int
	}{
		{"novice every 8 weeks", 16, 8, nil, []string{"2026-02-23", "2026-04-20"}, []int{8, 16}},
		{"intermediate every 6 weeks", 18, 6, nil, []string{"2026-02-09", "2026-03-23", "2026-05-04"}, []int{6, 12, 18}},
		{"advanced every 5 weeks", 12, 5, nil, []string{"2026-02-02", "2026-03-09"}, []int{5, 10}},
		{"high-intensity advanced every 4 weeks", 12, 4, nil, []string{"2026-01-26", "2026-02-23", "2026-03-23"}, []int{4, 8, 12}},
		{"horizon shorter than the interval", 5, 6, nil, nil, nil},
		{"reactive in week 4 resets the clock", 18, 6, []time.Time{Date(2026, time.January, 28)}, // a Wednesday of week 4
			[]string{"2026-03-09", "2026-04-20"}, []int{10, 16}},
		{"reactive in the planned week replaces it", 12, 6, []time.Time{Date(2026, time.February, 9)}, []string{"2026-03-23"}, []int{12}},
		{"deload two weeks before the start", 12, 6, []time.Time{Date(2025, time.December, 22)}, []string{"2026-02-02", "2026-03-16"}, []int{5, 11}},
		{"program deload weeks every 4 weeks leave nothing to plan", 12, 6,
			[]time.Time{WeekStart(start, 4), WeekStart(start, 8), WeekStart(start, 12)}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PlanDeloads(PlanInput{Start: start, Weeks: tt.weeks, Interval: Interval{Weeks: tt.interval, Reason: "planned"}, Resets: tt.resets})
			if len(got) != len(tt.want) {
				t.Fatalf("got %d deloads %v, want %v", len(got), got, tt.want)
			}
			for i := range got {
				if d := got[i].WeekStart.Format(time.DateOnly); d != tt.want[i] || got[i].ProgramWeek != tt.wantWeek[i] {
					t.Errorf("deload %d = %s (week %d), want %s (week %d)", i, d, got[i].ProgramWeek, tt.want[i], tt.wantWeek[i])
				}
			}
		})
	}
}

func TestPlanDeloadsReasonNamesTheReset(t *testing.T) {
	got := PlanDeloads(PlanInput{Start: start, Weeks: 12, Interval: Interval{Weeks: 6, Reason: "planned: every 6 weeks (intermediate)"},
		Resets: []time.Time{Date(2026, time.January, 26)}})
	if len(got) != 1 || got[0].Reason != "planned: every 6 weeks (intermediate); clock reset by the deload in the week of 2026-01-26" {
		t.Fatalf("got %+v", got)
	}
}

func TestReconcilePlanned(t *testing.T) {
	// Intermediate, 12 weeks: planned in weeks 6 (Feb 9) and 12 (Mar 23). A reactive deload in
	// week 5 (Feb 2) resets the clock: the next planned one is week 11 (Mar 16).
	reactive := Anchor{ID: "r1", WeekStart: Date(2026, time.February, 2)}
	want := PlanDeloads(PlanInput{Start: start, Weeks: 12, Interval: Interval{Weeks: 6}, Resets: []time.Time{reactive.WeekStart}})
	if len(want) != 1 || !want[0].WeekStart.Equal(Date(2026, time.March, 16)) {
		t.Fatalf("want plan = %+v, expected week of 2026-03-16 only", want)
	}
	tests := []struct {
		name      string
		existing  []PlannedState
		wantSkip  map[string]string // id -> reason substring
		wantPlace []string
	}{
		{
			name: "skip within 10 days, re-plan the rest",
			existing: []PlannedState{
				{ID: "p6", WeekStart: Date(2026, time.February, 9), Active: true},
				{ID: "p12", WeekStart: Date(2026, time.March, 23), Active: true},
			},
			wantSkip:  map[string]string{"p6": "within 10 days after the deload r1 in the week of 2026-02-02", "p12": "re-planned"},
			wantPlace: []string{"2026-03-16"},
		},
		{
			name: "already placed and started deloads are kept",
			existing: []PlannedState{
				{ID: "p0", WeekStart: Date(2026, time.January, 12), Started: true},
				{ID: "p11", WeekStart: Date(2026, time.March, 16), Active: true},
			},
			wantSkip: map[string]string{},
		},
		{
			name:      "a skipped deload of a wanted week is placed again",
			existing:  []PlannedState{{ID: "p11", WeekStart: Date(2026, time.March, 16), Active: false}},
			wantSkip:  map[string]string{},
			wantPlace: []string{"2026-03-16"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ReconcilePlanned(tt.existing, want, []Anchor{reactive}, 10)
			if len(r.Skip) != len(tt.wantSkip) {
				t.Fatalf("skip = %+v, want %v", r.Skip, tt.wantSkip)
			}
			for _, s := range r.Skip {
				if !strings.Contains(s.Reason, tt.wantSkip[s.ID]) || tt.wantSkip[s.ID] == "" {
					t.Errorf("skip %s reason %q, want it to contain %q", s.ID, s.Reason, tt.wantSkip[s.ID])
				}
			}
			if len(r.Place) != len(tt.wantPlace) {
				t.Fatalf("place = %+v, want %v", r.Place, tt.wantPlace)
			}
			for i, p := range r.Place {
				if d := p.WeekStart.Format(time.DateOnly); d != tt.wantPlace[i] {
					t.Errorf("place %d = %s, want %s", i, d, tt.wantPlace[i])
				}
			}
		})
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		day        time.Time
		monday     string
		nextMonday string
		week       int
	}{
		{Date(2026, time.January, 5), "2026-01-05", "2026-01-12", 1},
		{Date(2026, time.January, 11), "2026-01-05", "2026-01-12", 1}, // Sunday
		{Date(2026, time.January, 12), "2026-01-12", "2026-01-19", 2},
		{Date(2026, time.March, 1), "2026-02-23", "2026-03-02", 8},
		{Date(2026, time.January, 4), "2025-12-29", "2026-01-05", 0}, // before the start
	}
	for _, tt := range tests {
		if got := Monday(tt.day).Format(time.DateOnly); got != tt.monday {
			t.Errorf("Monday(%s) = %s, want %s", tt.day.Format(time.DateOnly), got, tt.monday)
		}
		if got := NextMonday(tt.day).Format(time.DateOnly); got != tt.nextMonday {
			t.Errorf("NextMonday(%s) = %s, want %s", tt.day.Format(time.DateOnly), got, tt.nextMonday)
		}
		if got := ProgramWeek(start, tt.day); got != tt.week {
			t.Errorf("ProgramWeek(%s) = %d, want %d", tt.day.Format(time.DateOnly), got, tt.week)
		}
	}
}
