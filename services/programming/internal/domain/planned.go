package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// BlockLoad summarises how hard a program block is, for the planned interval.
type BlockLoad struct {
	// MeanWorkingRPE over the block's working sets; 0 when the program states no effort.
	MeanWorkingRPE float64
	// HardSetsPerWeek: working sets at RIR <= 3 (RPE >= 7) per normal week.
	HardSetsPerWeek float64
}

// Interval is the planned-deload interval for one athlete and block, with the reason in words.
type Interval struct {
	Weeks  int
	Reason string
}

// PlannedInterval is the rule of docs/sports-science.md: novice 8 weeks, intermediate 6, advanced 5; one week
// earlier when the block is high intensity (mean working RPE >= 8.5) or high volume (one week in
// all, not one per cause); always within [MinWeeks, MaxWeeks].
func PlannedInterval(level Experience, block BlockLoad, p PlannedPolicy) Interval {
	weeks := p.IntermediateWeeks
	switch level {
	case ExperienceNovice:
		weeks = p.NoviceWeeks
	case ExperienceAdvanced:
		weeks = p.AdvancedWeeks
	}
	reason := fmt.Sprintf("planned: every %d weeks (%s)", weeks, level)

	var causes []string
	if block.MeanWorkingRPE > 0 && block.MeanWorkingRPE >= p.HighIntensityRPE {
		causes = append(causes, fmt.Sprintf("high-intensity block (mean working RPE %.1f >= %.1f)", block.MeanWorkingRPE, p.HighIntensityRPE))
	}
	if p.HighVolumeHardSetsPerWeek > 0 && block.HardSetsPerWeek >= float64(p.HighVolumeHardSetsPerWeek) {
		causes = append(causes, fmt.Sprintf("high-volume block (%.0f hard sets a week >= %d)", block.HardSetsPerWeek, p.HighVolumeHardSetsPerWeek))
	}
	if len(causes) > 0 {
		weeks--
		reason += ", 1 week earlier for a " + strings.Join(causes, " and a ")
	}
	switch {
	case weeks < p.MinWeeks:
		weeks = p.MinWeeks
		reason += fmt.Sprintf(", raised to the %d-week minimum", p.MinWeeks)
	case weeks > p.MaxWeeks:
		weeks = p.MaxWeeks
		reason += fmt.Sprintf(", lowered to the %d-week maximum", p.MaxWeeks)
	}
	return Interval{Weeks: weeks, Reason: reason}
}

// PlanInput is what the planned schedule of one assignment depends on.
type PlanInput struct {
	// Start is the Monday of program week 1.
	Start time.Time
	// Weeks is the horizon in program weeks.
	Weeks    int
	Interval Interval
	// Resets are the weeks (Mondays) of deloads that reset the planned clock: reactive and
	// manual deloads that are scheduled, running or done, and the program's own deload weeks.
	Resets []time.Time
	// BroughtForward are the planned deloads plateaus moved to an earlier week.
	BroughtForward []BroughtForward
}

// BroughtForward is a planned deload a plateau moved to an earlier week (BringForward).
type BroughtForward struct {
	// To is the week it moved to, From the week the clock had put it in.
	To, From time.Time
	// Since is the day the plateau was assessed. A deload starting after it and before To
	// already answered the plateau, and the move lapses.
	Since  time.Time
	Reason string
}

// PlannedWeek is one planned deload of a schedule.
type PlannedWeek struct {
	WeekStart time.Time
	// ProgramWeek is the 1-based program week.
	ProgramWeek int
	Reason      string
	// From is the week the clock had put it in when a plateau brought it forward; else zero.
	From time.Time
}

// PlanDeloads places planned deloads: the deload takes the last week of every Interval-week
// cycle (every 6 weeks: weeks 6, 12, ...), and any reset deload restarts the cycle from its own
// week, so the next planned deload is Interval weeks after it. A deload a plateau brought
// forward takes its new week instead of the clock's next one and restarts the cycle too.
func PlanDeloads(in PlanInput) []PlannedWeek {
	n := in.Interval.Weeks
	if n < 1 || in.Weeks < 1 {
		return nil
	}
	resets := slices.Clone(in.Resets)
	for i := range resets {
		resets[i] = Monday(resets[i])
	}
	slices.SortFunc(resets, func(a, b time.Time) int { return a.Compare(b) })

	start := Monday(in.Start)
	end := WeekStart(start, in.Weeks) // Monday of the last week
	var out []PlannedWeek
	last := start.AddDate(0, 0, -7) // a notional deload the week before week 1
	lastReason := ""
	// A deload shortly before the program starts already reset the clock.
	for _, r := range resets {
		if !r.After(last) && r.After(last.AddDate(0, 0, -7*n)) {
			last = r
			lastReason = fmt.Sprintf("clock reset by the deload in the week of %s", r.Format(time.DateOnly))
		}
	}
	for {
		next := last.AddDate(0, 0, 7*n)
		// The earliest reset after the last deload and no later than the next planned one
		// restarts the clock instead, unless a deload brought forward comes before it.
		reset := slices.IndexFunc(resets, func(r time.Time) bool { return r.After(last) && !r.After(next) })
		if moved, ok := broughtForwardBetween(in.BroughtForward, last, next, end); ok && (reset < 0 || moved.To.Before(resets[reset])) {
			out = append(out, PlannedWeek{WeekStart: moved.To, ProgramWeek: ProgramWeek(start, moved.To), Reason: moved.Reason, From: moved.From})
			last = moved.To
			lastReason = fmt.Sprintf("clock restarted by the deload brought forward to the week of %s", last.Format(time.DateOnly))
			continue
		}
		if reset >= 0 {
			last = resets[reset]
			lastReason = fmt.Sprintf("clock reset by the deload in the week of %s", last.Format(time.DateOnly))
			continue
		}
		if next.After(end) {
			break
		}
		reason := in.Interval.Reason
		if lastReason != "" {
			reason += "; " + lastReason
		}
		out = append(out, PlannedWeek{WeekStart: next, ProgramWeek: ProgramWeek(start, next), Reason: reason})
		last = next
		lastReason = ""
	}
	return out
}

// broughtForwardBetween is the earliest deload brought forward into a week after last and
// before next (the clock's own deload), within the horizon, whose plateau came after the last
// deload began: a plateau seen before a deload that has since happened is answered.
func broughtForwardBetween(moves []BroughtForward, last, next, end time.Time) (BroughtForward, bool) {
	var found BroughtForward
	ok := false
	for _, m := range moves {
		to := Monday(m.To)
		if !to.After(last) || !to.Before(next) || to.After(end) || Midnight(m.Since).Before(last) {
			continue
		}
		if !ok || to.Before(found.To) {
			found, ok = m, true
			found.To, found.From = to, Monday(m.From)
		}
	}
	return found, ok
}

// PlannedState is a planned deload already on the calendar.
type PlannedState struct {
	ID        string
	WeekStart time.Time
	// Active is true while it is scheduled; false once skipped (it may be revived).
	Active bool
	// Started is true once its week began (or it was decided on): it is history and never moves.
	Started bool
}

// Anchor is a reactive or manual deload that resets the planned clock.
type Anchor struct {
	ID        string
	WeekStart time.Time
}

// Skip is a planned deload that will not happen, with the rule that removed it.
type Skip struct {
	ID     string
	Reason string
}

// Reconciliation says how to bring the planned deloads on the calendar in line with a new plan.
type Reconciliation struct {
	// Skip lists scheduled planned deloads that are no longer wanted.
	Skip []Skip
	// Place lists the wanted weeks; an existing skipped deload of the same week is revived.
	Place []PlannedWeek
}

// ReconcilePlanned compares the planned deloads on the calendar with the wanted plan. A planned
// deload starting 0 to skipWithinDays days after an anchor is skipped by the rule of docs/sports-science.md; one
// a plateau brought forward is skipped saying where it went; one that the reset clock moved
// elsewhere is skipped as re-planned. Started deloads are left alone.
func ReconcilePlanned(existing []PlannedState, want []PlannedWeek, anchors []Anchor, skipWithinDays int) Reconciliation {
	wanted := map[time.Time]bool{}
	movedTo := map[time.Time]time.Time{} // week the clock had chosen -> week brought forward to
	for _, w := range want {
		wanted[Monday(w.WeekStart)] = true
		if !w.From.IsZero() {
			movedTo[Monday(w.From)] = Monday(w.WeekStart)
		}
	}
	var r Reconciliation
	activeWeeks := map[time.Time]bool{}
	for _, e := range existing {
		week := Monday(e.WeekStart)
		if e.Started {
			activeWeeks[week] = true
			continue
		}
		if !e.Active || wanted[week] {
			if e.Active {
				activeWeeks[week] = true
			}
			continue
		}
		reason := "re-planned: the planned-deload clock was reset"
		if to, ok := movedTo[week]; ok {
			r.Skip = append(r.Skip, Skip{ID: e.ID, Reason: fmt.Sprintf("brought forward to the week of %s", to.Format(time.DateOnly))})
			continue
		}
		for _, a := range anchors {
			if d := DaysBetween(a.WeekStart, week); d >= 0 && d <= skipWithinDays {
				reason = fmt.Sprintf("within %d days after the deload %s in the week of %s", skipWithinDays, a.ID, Monday(a.WeekStart).Format(time.DateOnly))
				break
			}
		}
		r.Skip = append(r.Skip, Skip{ID: e.ID, Reason: reason})
	}
	for _, w := range want {
		if !activeWeeks[Monday(w.WeekStart)] {
			r.Place = append(r.Place, w)
		}
	}
	return r
}
