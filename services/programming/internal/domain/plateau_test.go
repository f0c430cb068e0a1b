package domain

import (
	"strings"
	"testing"
	"time"
)

func TestBringForward(t *testing.T) {
	def := DefaultPolicy().Planned // minimum 4 weeks, skip within 10 days after a reactive deload
	off := def
	off.Disabled = true
	wideSkip := def
	wideSkip.MinWeeks, wideSkip.SkipWithinDaysAfterReactive = 2, 14

	// Today is Wednesday 2026-03-04; the plateau was assessed on Tuesday, so the target week is
	// Monday 2026-03-09.
	today := Date(2026, time.March, 4)
	plateau := Plateau{ID: "pl-1", AsOf: Date(2026, time.March, 3), Summary: "strength plateau since 2026-02-10: squat e1RM flat for 3 weeks"}
	planned := func(id string, week time.Time, s Status) Existing {
		return Existing{ID: id, Kind: KindPlanned, Status: s, WeekStart: week, DurationDays: 7}
	}
	reactive := func(id string, week time.Time, s Status) Existing {
		return Existing{ID: id, Kind: KindReactive, Status: s, WeekStart: week, DurationDays: 7}
	}
	decided := planned("p1", Date(2026, time.April, 6), StatusScheduled)
	decided.Decided = true

	tests := []struct {
		name       string
		plateau    Plateau
		today      time.Time
		deloads    []Existing
		program    []time.Time
		policy     PlannedPolicy
		wantAction PlateauAction
		wantID     string
		wantTo     string
		wantReason string
	}{
		{"next planned deload five weeks out moves to next Monday", plateau, today,
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled), planned("p2", Date(2026, time.May, 18), StatusScheduled)}, nil, def,
			PlateauBringForward, "p1", "2026-03-09", "brought forward from 2026-04-06: strength plateau since 2026-02-10: squat e1RM flat for 3 weeks"},
		{"without a summary the reason names the day assessed", Plateau{ID: "pl-1", AsOf: plateau.AsOf}, today,
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauBringForward, "p1", "2026-03-09", "brought forward from 2026-04-06: strength plateau assessed on 2026-03-03"},
		{"late plateau never lands in a week already started", Plateau{ID: "pl-0", AsOf: Date(2026, time.February, 20)}, today,
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauBringForward, "p1", "2026-03-09", "brought forward from 2026-04-06"},
		{"assessed on Sunday, handled on Monday: the week after", Plateau{ID: "pl-2", AsOf: Date(2026, time.March, 8)}, Date(2026, time.March, 9),
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauBringForward, "p1", "2026-03-16", "brought forward from 2026-04-06"},
		{"skipped and dismissed deloads do not count", plateau, today,
			[]Existing{
				planned("p0", Date(2026, time.March, 16), StatusSkipped),
				{ID: "r0", Kind: KindReactive, Status: StatusDismissed, WeekStart: Date(2026, time.March, 16), DurationDays: 7, Decided: true},
				planned("p1", Date(2026, time.April, 6), StatusScheduled),
			}, nil, def,
			PlateauBringForward, "p1", "2026-03-09", "brought forward from 2026-04-06"},
		{"a reactive deload that lapsed unapproved does not count", plateau, today,
			[]Existing{reactive("r0", Date(2026, time.February, 16), StatusPendingApproval), planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauBringForward, "p1", "2026-03-09", "brought forward from 2026-04-06"},
		{"never sooner than 4 weeks after the last deload", plateau, today,
			[]Existing{planned("p0", Date(2026, time.February, 23), StatusScheduled), planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauBringForward, "p1", "2026-03-23", "brought forward from 2026-04-06"},
		{"never within the skip window after a reactive deload", plateau, today,
			// 2026-02-23 + 14 days is 2026-03-09, still within 14 days: the Monday after.
			[]Existing{reactive("r0", Date(2026, time.February, 23), StatusCompleted), planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, wideSkip,
			PlateauBringForward, "p1", "2026-03-16", "brought forward from 2026-04-06"},

		{"next deload already in the target week", plateau, today,
			[]Existing{planned("p1", Date(2026, time.March, 9), StatusScheduled)}, nil, def,
			PlateauKeep, "p1", "", "the next deload, in the week of 2026-03-09, is no later than the week of 2026-03-09"},
		{"the minimum interval reaches the next deload", plateau, today,
			[]Existing{planned("p0", Date(2026, time.February, 23), StatusCompleted), planned("p1", Date(2026, time.March, 23), StatusScheduled)}, nil, def,
			PlateauKeep, "p1", "", "the soonest allowed (4 weeks after the deload in the week of 2026-02-23)"},
		{"the skip window reaches the next deload", plateau, today,
			[]Existing{reactive("r0", Date(2026, time.February, 23), StatusCompleted), planned("p1", Date(2026, time.March, 16), StatusScheduled)}, nil, wideSkip,
			PlateauKeep, "p1", "", "the soonest allowed (more than 14 days after the reactive deload in the week of 2026-02-23)"},
		{"a deload is running", plateau, today,
			[]Existing{planned("p0", Date(2026, time.March, 2), StatusScheduled), planned("p1", Date(2026, time.April, 13), StatusScheduled)}, nil, def,
			PlateauKeep, "p0", "", "deload p0 in the week of 2026-03-02 is running"},
		{"a reactive deload pending approval comes first", plateau, today,
			[]Existing{reactive("r1", Date(2026, time.March, 9), StatusPendingApproval), planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauKeep, "r1", "", "reactive deload r1 in the week of 2026-03-09 is pending approval and comes first"},
		{"a reactive deload scheduled after the planned one still comes first", plateau, today,
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled), reactive("r1", Date(2026, time.April, 20), StatusScheduled)}, nil, def,
			PlateauKeep, "r1", "", "reactive deload r1 in the week of 2026-04-20 is scheduled"},
		{"a manual deload scheduled comes first", plateau, today,
			[]Existing{{ID: "m1", Kind: KindManual, Status: StatusScheduled, WeekStart: Date(2026, time.March, 23), DurationDays: 7}, planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauKeep, "m1", "", "manual deload m1"},
		{"a coach decided about the next planned deload", plateau, today,
			[]Existing{decided, planned("p2", Date(2026, time.May, 18), StatusScheduled)}, nil, def,
			PlateauKeep, "p1", "", "a coach decided about the next planned deload p1 in the week of 2026-04-06: it stays"},
		{"the program's own deload week comes next", plateau, today,
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled)}, []time.Time{Date(2026, time.March, 23)}, def,
			PlateauKeep, "", "", "the program's own deload week of 2026-03-23 comes next"},
		{"the program's own deload week is running", plateau, today,
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled)}, []time.Time{Date(2026, time.March, 2)}, def,
			PlateauKeep, "", "", "the program's own deload week of 2026-03-02 is running"},
		{"a past program deload week sets the minimum", plateau, today,
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled)}, []time.Time{Date(2026, time.February, 16)}, def,
			PlateauBringForward, "p1", "2026-03-16", "brought forward from 2026-04-06"},
		{"a deload that began after the day assessed answered the plateau", Plateau{ID: "pl-0", AsOf: Date(2026, time.February, 20)}, today,
			[]Existing{planned("p0", Date(2026, time.February, 23), StatusCompleted), planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauKeep, "p0", "", "the deload in the week of 2026-02-23 began after the plateau assessed on 2026-02-20 and answered it"},
		{"a coach dismissed a deload of the target week", plateau, today,
			[]Existing{{ID: "r1", Kind: KindReactive, Status: StatusDismissed, WeekStart: Date(2026, time.March, 9), DurationDays: 7, Decided: true},
				planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, def,
			PlateauKeep, "r1", "", "a coach dismissed deload r1 in the week of 2026-03-09"},
		{"no planned deload ahead", plateau, today,
			[]Existing{planned("p0", Date(2026, time.January, 5), StatusCompleted)}, nil, def,
			PlateauKeep, "", "", "no planned deload is ahead"},
		{"planned deloads turned off", plateau, today,
			[]Existing{planned("p1", Date(2026, time.April, 6), StatusScheduled)}, nil, off,
			PlateauKeep, "", "", "planned deloads are turned off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BringForward(PlateauInput{Plateau: tt.plateau, Today: tt.today, Deloads: tt.deloads, ProgramDeloadWeeks: tt.program, Policy: tt.policy})
			if got.Action != tt.wantAction || got.DeloadID != tt.wantID {
				t.Fatalf("got %+v, want action %d for deload %q", got, tt.wantAction, tt.wantID)
			}
			if !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("reason %q, want it to contain %q", got.Reason, tt.wantReason)
			}
			if tt.wantAction != PlateauBringForward {
				return
			}
			if to := got.To.Format(time.DateOnly); to != tt.wantTo {
				t.Errorf("to %s, want %s", to, tt.wantTo)
			}
			for _, d := range tt.deloads {
				if d.ID == got.DeloadID && !got.From.Equal(d.WeekStart) {
					t.Errorf("from %s, want the week of %s", got.From.Format(time.DateOnly), d.WeekStart.Format(time.DateOnly))
				}
			}
		})
	}
}

// Intermediate (every 6 weeks) over 18 weeks from 2026-01-05: the clock alone gives weeks 6
// (Feb 9), 12 (Mar 23) and 18 (May 4).
func TestPlanDeloadsBroughtForward(t *testing.T) {
	moved := BroughtForward{To: Date(2026, time.January, 26), From: Date(2026, time.February, 9), Since: Date(2026, time.January, 21), Reason: "brought forward from 2026-02-09: plateau"}
	tests := []struct {
		name   string
		resets []time.Time
		moves  []BroughtForward
		want   []string
	}{
		{"the clock restarts from the week brought forward", nil, []BroughtForward{moved},
			[]string{"2026-01-26", "2026-03-09", "2026-04-20"}},
		{"a reactive deload between the plateau and the new week answers it", []time.Time{Date(2026, time.January, 19)},
			[]BroughtForward{{To: moved.To, From: moved.From, Since: Date(2026, time.January, 14), Reason: moved.Reason}},
			[]string{"2026-03-02", "2026-04-13"}},
		{"a reactive deload after the new week resets from there", []time.Time{Date(2026, time.March, 2)}, []BroughtForward{moved},
			[]string{"2026-01-26", "2026-04-13"}},
		{"a brought-forward deload that started is a reset like any", []time.Time{moved.To}, []BroughtForward{moved},
			[]string{"2026-03-09", "2026-04-20"}},
		{"a move to the clock's own week changes nothing", nil,
			[]BroughtForward{{To: Date(2026, time.February, 9), From: Date(2026, time.March, 23), Since: Date(2026, time.February, 4)}},
			[]string{"2026-02-09", "2026-03-23", "2026-05-04"}},
		{"a move past the horizon is ignored", nil,
			[]BroughtForward{{To: Date(2026, time.May, 11), From: Date(2026, time.May, 18), Since: Date(2026, time.May, 6)}},
			[]string{"2026-02-09", "2026-03-23", "2026-05-04"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PlanDeloads(PlanInput{Start: start, Weeks: 18, Interval: Interval{Weeks: 6, Reason: "planned: every 6 weeks (intermediate)"},
				Resets: tt.resets, BroughtForward: tt.moves})
			var weeks []string
			for _, w := range got {
				weeks = append(weeks, w.WeekStart.Format(time.DateOnly))
			}
			if strings.Join(weeks, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("planned %v, want %v", weeks, tt.want)
			}
		})
	}

	got := PlanDeloads(PlanInput{Start: start, Weeks: 18, Interval: Interval{Weeks: 6, Reason: "planned: every 6 weeks (intermediate)"}, BroughtForward: []BroughtForward{moved}})
	if got[0].Reason != moved.Reason || !got[0].From.Equal(moved.From) || got[0].ProgramWeek != 4 {
		t.Errorf("moved deload %+v, want week 4 from 2026-02-09 with the plateau's reason", got[0])
	}
	if want := "planned: every 6 weeks (intermediate); clock restarted by the deload brought forward to the week of 2026-01-26"; got[1].Reason != want || !got[1].From.IsZero() {
		t.Errorf("next deload %+v, want reason %q", got[1], want)
	}
}

func TestReconcilePlannedBroughtForward(t *testing.T) {
	want := PlanDeloads(PlanInput{Start: start, Weeks: 18, Interval: Interval{Weeks: 6},
		BroughtForward: []BroughtForward{{To: Date(2026, time.January, 26), From: Date(2026, time.February, 9), Since: Date(2026, time.January, 21)}}})
	existing := []PlannedState{
		{ID: "p6", WeekStart: Date(2026, time.February, 9), Active: true},
		{ID: "p12", WeekStart: Date(2026, time.March, 23), Active: true},
		{ID: "p18", WeekStart: Date(2026, time.May, 4), Active: true},
	}
	r := ReconcilePlanned(existing, want, nil, 10)
	wantSkip := map[string]string{"p6": "brought forward to the week of 2026-01-26", "p12": "re-planned", "p18": "re-planned"}
	if len(r.Skip) != len(wantSkip) {
		t.Fatalf("skip %+v, want %v", r.Skip, wantSkip)
	}
	for _, s := range r.Skip {
		if !strings.HasPrefix(s.Reason, wantSkip[s.ID]) {
			t.Errorf("skip %s: %q, want %q", s.ID, s.Reason, wantSkip[s.ID])
		}
	}
	var placed []string
	for _, p := range r.Place {
		placed = append(placed, p.WeekStart.Format(time.DateOnly))
	}
	if strings.Join(placed, " ") != "2026-01-26 2026-03-09 2026-04-20" {
		t.Errorf("placed %v", placed)
	}
}
