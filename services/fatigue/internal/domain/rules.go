package domain

import (
	"fmt"
	"math"
	"slices"
	"strings"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Rules that fire on lifting data alone. The calendar rules (two_families,
// decline_plus_subjective) need daily signals that most teams do not have; these count the
// athlete's own lifting days instead.
const (
	// RuleLiftingDecline: effort-adjusted e1RM (from RPE/RIR) below the athlete's baseline on
	// LiftingDaysNeeded of the last LiftingDaysJudged lifting days.
	RuleLiftingDecline = "lifting_decline"
	// RuleSustainedDecline: e1RM below baseline by SustainedDropPct in every week of the last
	// SustainedDays, with or without RPE (lower confidence without).
	RuleSustainedDecline = "sustained_decline"
	// RuleMissedReps: on logs without RPE, a later set at the day's top load short of the first
	// set's reps on MissedRepsDaysNeeded lifting days within MissedRepsWindowDays.
	RuleMissedReps = "missed_reps"
)

// liftingDaysUpTo lists the athlete's last n lifting days (a working main-lift set) up to d and
// within RecentDays of it, newest first.
func (s *State) liftingDaysUpTo(d Day, n int, st StrengthThresholds) []Day {
	days := s.liftingDaysIn(d-Day(st.RecentDays), d)
	slices.Reverse(days)
	return days[:min(n, len(days))]
}

// liftingDaysIn lists the athlete's lifting days in (from, to], oldest first.
func (s *State) liftingDaysIn(from, to Day) []Day {
	var days []Day
	for li := range s.lifts {
		for _, ld := range s.lifts[li] {
			if day := Day(ld.Day); day <= to && day > from && (ld.E1RM > 0 || ld.NRPE > 0) {
				days = append(days, day)
			}
		}
	}
	slices.Sort(days)
	return slices.Compact(days)
}

// dropNeeded is how far below baseline a strength view must be to count: the larger of the
// fixed drop and LiftingZ standard errors of the athlete's own day-to-day scatter, so an
// athlete whose e1RM scatters widely needs a larger drop than a steady one.
func dropNeeded(v strengthView, st StrengthThresholds) float64 {
	return math.Max(st.LiftingDropPct, st.LiftingZ*v.sdPct/math.Sqrt(float64(v.n)))
}

// minRecentExposures is the fewest recent main-lift exposures a lifting day is judged on.
const minRecentExposures = 3

// liftingCheck is the lifting-day verdict of the strength families.
type liftingCheck struct {
	decline, sustained, plateau family
	// declineDays are the judged lifting days with a drop; judged how many had enough data.
	declineDays []Day
	judged      int
	latest      strengthView
	// sustainedWeeks counts the weeks of the sustained window down by SustainedDropPct.
	sustainedWeeks int
	// rated is true when the latest view rests on RPE/RIR ratings, not Epley.
	rated bool
	// missed is the missed-reps check of logs without ratings; missedDays the lifting days in
	// its window with a set short at the top load.
	missed     family
	missedDays []Day
	lifts      []*eventsv1.LiftStrength
}

func liftList(v strengthView) string {
	parts := make([]string, 0, len(v.lifts))
	for _, l := range v.lifts {
		parts = append(parts, fmt.Sprintf("%s %.1f vs %.1f kg", liftNames[mainLifts[l.li]], l.recent, l.level))
	}
	return strings.Join(parts, ", ")
}

// lifting judges strength on the athlete's own lifting days: the decline family on the last
// lifting days against a baseline from before them, the sustained decline week by week, and the
// plateau.
func (s *State) lifting(d Day, th Thresholds) liftingCheck {
	st := th.Strength
	c := liftingCheck{
		decline:   family{f: famDecline},
		sustained: family{f: famDecline},
		plateau:   family{f: famStagnation},
	}
	days := s.liftingDaysUpTo(d, st.LiftingDaysJudged, st)
	first := true
	for _, day := range days {
		v := s.strengthAsOf(day, st)
		if !v.ok || v.exposures < minRecentExposures {
			continue
		}
		if first {
			c.latest, first = v, false
		}
		c.judged++
		if v.meanPct <= -dropNeeded(v, st) {
			c.declineDays = append(c.declineDays, day)
		}
	}
	v := c.latest
	c.rated = v.ok && !v.epley
	// The lifts shown are the recent window's, or when it is too thin to judge (a lift or two
	// a week), the sustained window's.
	shown := v
	if !shown.ok {
		shown = s.strengthSince(d-Day(st.WindowDays), d, st)
	}
	for _, l := range shown.lifts {
		chg := 100 * (l.recent/l.level - 1)
		c.lifts = append(c.lifts, &eventsv1.LiftStrength{LiftCategory: mainLifts[l.li], E1RmKg: f64(round1(l.recent)), PreviousE1RmKg: f64(round1(l.level)),
			ChangePct: f64(round2(chg)), LowConfidence: l.epley, BestOn: l.lastOn.Date()})
	}
	if c.judged == 0 {
		c.decline.insufficient = true
		c.decline.evidence = []*eventsv1.Evidence{{Family: famDecline, Metric: "e1rm_vs_baseline_pct", Unit: "%", InsufficientData: true,
			Detail: fmt.Sprintf("No recent lifting day with %d main-lift exposures and %d earlier ones per lift in the %d days before to compare with",
				minRecentExposures, st.MinBaselineExposures, st.BaselineDays)}}
	} else {
		need := dropNeeded(v, st)
		c.decline.abnormal = c.rated && len(c.declineDays) >= st.LiftingDaysNeeded
		how := "effort-adjusted e1RM (load, reps and RPE)"
		if !c.rated {
			how = "e1RM from Epley (no RPE; judged by the sustained rule)"
		}
		c.decline.evidence = []*eventsv1.Evidence{{
			Family: famDecline, Metric: "e1rm_vs_baseline_pct", Value: f64(round2(v.meanPct)), Baseline: f64(0), Threshold: f64(round2(-need)), Unit: "%",
			Abnormal: c.decline.abnormal, Dates: dates(c.declineDays...), AbnormalDays: uint32(len(c.declineDays)), WindowDays: uint32(d - v.recentFrom + 1),
			BaselineFrom: v.baseFrom.Date(), BaselineTo: v.baseTo.Date(), LiftCategory: singleLift(v),
			Detail: fmt.Sprintf("Main lifts %+.1f%% vs baseline %s..%s over the last %d lifting days, %s: %s; below baseline on %d of the last %d lifting days (fires at %d; a day counts at %.1f%% below, the larger of %.1f%% and %.0f standard errors of the athlete's %.1f%% day-to-day scatter)",
				v.meanPct, v.baseFrom, v.baseTo, st.RecentLiftingDays, how, liftList(v), len(c.declineDays), c.judged, st.LiftingDaysNeeded, need, st.LiftingDropPct, st.LiftingZ, v.sdPct),
		}}
	}

	// Sustained decline: each week of the window against one baseline before it.
	weeks := st.WindowDays / 7
	baseEnd := d - Day(st.WindowDays)
	var weekVals []string
	var downDays []Day
	for k := weeks - 1; k >= 0; k-- {
		to := d - Day(7*k)
		wv := s.strengthWindow(baseEnd, to-7, to, st)
		if !wv.ok {
			weekVals = append(weekVals, "no data")
			continue
		}
		weekVals = append(weekVals, fmt.Sprintf("%+.1f%%", wv.meanPct))
		if wv.meanPct <= st.DeclinePct {
			c.sustainedWeeks++
			downDays = append(downDays, to)
		}
	}
	whole := s.strengthWindow(baseEnd, baseEnd, d, st)
	if whole.ok {
		c.sustained.abnormal = c.sustainedWeeks == weeks
		c.sustained.evidence = []*eventsv1.Evidence{{
			Family: famDecline, Metric: "e1rm_weekly_vs_baseline_pct", Value: f64(round2(whole.meanPct)), Baseline: f64(0), Threshold: f64(st.DeclinePct), Unit: "%",
			Abnormal: c.sustained.abnormal, Dates: dates(downDays...), AbnormalDays: uint32(c.sustainedWeeks), WindowDays: uint32(st.WindowDays),
			BaselineFrom: whole.baseFrom.Date(), BaselineTo: whole.baseTo.Date(), LiftCategory: singleLift(whole),
			Detail: fmt.Sprintf("Main lifts week by week vs baseline %s..%s: %s (a sustained decline needs every one of the last %d weeks at %.1f%% or lower)",
				whole.baseFrom, whole.baseTo, strings.Join(weekVals, ", "), weeks, st.DeclinePct),
		}}
		// A plateau: the main lifts no better than the baseline over the whole window, yet
		// not declining either.
		flat := whole.meanPct < st.StagnationMinGainPct && whole.meanPct > -st.LiftingDropPct && c.sustainedWeeks == 0
		pd := d - Day(st.WindowDays)
		pv := s.strengthWindow(pd, pd, d, st)
		if pv.ok && pv.exposures >= 2*minRecentExposures {
			c.plateau.abnormal = flat && pv.meanPct < st.StagnationMinGainPct && pv.meanPct > -st.LiftingDropPct
			c.plateau.evidence = []*eventsv1.Evidence{{
				Family: famStagnation, Metric: "e1rm_change_pct", Value: f64(round2(pv.meanPct)), Baseline: f64(0), Threshold: f64(st.StagnationMinGainPct), Unit: "%",
				Abnormal: c.plateau.abnormal, WindowDays: uint32(st.WindowDays), BaselineFrom: pv.baseFrom.Date(), BaselineTo: pv.baseTo.Date(), LiftCategory: singleLift(pv),
				Detail: fmt.Sprintf("Main lifts %+.1f%% over the last %d days vs baseline %s..%s (%s); progress needs %+.1f%%",
					pv.meanPct, st.WindowDays, pv.baseFrom, pv.baseTo, liftList(pv), st.StagnationMinGainPct),
			}}
		}
	}
	c.missed = s.missedReps(d, st)
	if c.missed.abnormal && c.latest.ok && c.latest.meanPct >= missedRepsProgressPct {
		// Lifts still clearly above their baseline are not failing: on the real logs these
		// were heavier loads taken on with sets to failure.
		c.missed.abnormal = false
		c.missed.evidence[0].Abnormal = false
		c.missed.evidence[0].Detail += fmt.Sprintf("; not counted while the main lifts are %+.1f%% above baseline", c.latest.meanPct)
	}
	if c.rated && c.missed.abnormal && len(c.declineDays) == 0 {
		// With ratings, missed reps count once the effort-adjusted e1RM agrees on a lifting
		// day: a set can fall short on a planned AMRAP or a bad day, and the ratings say which.
		c.missed.abnormal = false
		c.missed.evidence[0].Abnormal = false
		c.missed.evidence[0].Detail += "; with RPE it also needs a lifting day below baseline"
	}
	for _, e := range c.missed.evidence {
		for _, day := range e.GetDates() {
			c.missedDays = append(c.missedDays, DayFromDate(day))
		}
	}
	if len(c.plateau.evidence) == 0 {
		c.plateau.insufficient = true
		c.plateau.evidence = []*eventsv1.Evidence{{Family: famStagnation, Metric: "e1rm_change_pct", Unit: "%", InsufficientData: true, WindowDays: uint32(st.WindowDays),
			Detail: fmt.Sprintf("Not enough main-lift exposures to compare the last %d days with the %d before", st.WindowDays, st.BaselineDays)}}
	}
	return c
}

// missedReps is the missed-reps check: the lifting days in the last MissedRepsWindowDays on which
// a later set at the day's top load fell short of the first set's reps (5, 5, 4). Without RPE
// the load and reps are what the athlete chose, so e1RM says little until reps start to fail;
// missed reps at a working load are the first sign of fatigue such a log holds. On rated logs
// the lifting check asks the effort-adjusted e1RM to agree.
func (s *State) missedReps(d Day, st StrengthThresholds) family {
	fm := family{f: famDecline}
	if st.MissedRepsDaysNeeded == 0 {
		return fm
	}
	type short struct {
		day  Day
		text string
	}
	var shorts []short
	for li := range s.lifts {
		for i, ld := range s.lifts[li] {
			day := Day(ld.Day)
			// Sets of more than E1RMMaxReps are conditioning or hypertrophy work, where reps
			// falling across sets is the point, not a measure of strength.
			if day > d || day <= d-Day(st.MissedRepsWindowDays) || ld.Flags&liftShortSet == 0 || int(ld.TopReps) > st.E1RMMaxReps {
				continue
			}
			if before, ok := s.completedBefore(li, i); ok {
				shorts = append(shorts, short{day, fmt.Sprintf("%s %s %.1f kg x %d, a set short (every set made on %s)", day, liftNames[mainLifts[li]], ld.TopLoad, ld.TopReps, before)})
			}
		}
	}
	if len(s.liftingDaysIn(d-Day(st.MissedRepsWindowDays), d)) == 0 {
		return fm
	}
	slices.SortFunc(shorts, func(a, b short) int { return int(a.day - b.day) })
	var days []Day
	parts := make([]string, 0, len(shorts))
	for _, sh := range shorts {
		if len(days) == 0 || days[len(days)-1] != sh.day {
			days = append(days, sh.day)
		}
		parts = append(parts, sh.text)
	}
	fm.abnormal = len(days) >= st.MissedRepsDaysNeeded
	detail := fmt.Sprintf("A later set at the top load short of the first set's reps on %d lifting days in the last %d days (fires at %d)",
		len(days), st.MissedRepsWindowDays, st.MissedRepsDaysNeeded)
	if len(parts) > 0 {
		detail += ": " + strings.Join(parts, "; ")
	}
	fm.evidence = []*eventsv1.Evidence{{
		Family: famDecline, Metric: "missed_reps", Value: f64(float64(len(days))), Threshold: f64(float64(st.MissedRepsDaysNeeded)), Unit: "days",
		Abnormal: fm.abnormal, Dates: dates(days...), AbnormalDays: uint32(len(days)), WindowDays: uint32(st.MissedRepsWindowDays), Detail: detail,
	}}
	return fm
}

// missedRepsProgressPct is how far above baseline the main lifts may be for missed reps to
// count: twice the progress a lift is asked for (strength.stagnation_min_gain_pct's default),
// set on the real logs (at 1% the simulated no-RPE recall within 14 days falls from 0.70 to
// 0.62; at 3% a FitNotes stretch of +23% progress was recommended a deload).
const missedRepsProgressPct = 2.0

// familiarLoadPct is how close an earlier top load must be to count as the same load.
const familiarLoadPct = 2.5

// completedBefore finds an earlier exposure of lift li, within the baseline days before
// exposure i, at the same top load (within familiarLoadPct) for at least as many reps with
// every set made. Sets falling short at a load the athlete has not made before are how
// progression looks (the first session at a new weight, sets taken to failure); short at a load
// they made is a regression.
func (s *State) completedBefore(li, i int) (Day, bool) {
	cur := s.lifts[li][i]
	for j := i - 1; j >= 0; j-- {
		ld := s.lifts[li][j]
		if Day(cur.Day)-Day(ld.Day) > maxFamiliarDays {
			break
		}
		if ld.Flags&liftShortSet == 0 && ld.TopReps >= cur.TopReps && within(float64(ld.TopLoad), float64(cur.TopLoad), familiarLoadPct) {
			return Day(ld.Day), true
		}
	}
	return 0, false
}

// maxFamiliarDays bounds how far back a load counts as one the athlete has made.
const maxFamiliarDays = 28

func singleLift(v strengthView) commonv1.LiftCategory {
	if len(v.lifts) == 1 {
		return mainLifts[v.lifts[0].li]
	}
	return 0
}

// dateOrNil is the contract date of d, nil for the zero day (no such date).
func dateOrNil(d Day) *commonv1.Date {
	if d == 0 {
		return nil
	}
	return d.Date()
}

// shape says which signals the last 28 days carry: devices (HRV, jumps, bar speed) make it
// full, a questionnaire on 2 days a week sets+wellness, ratings on half the lifting days
// sets+RPE, else sets alone.
func (s *State) shape(d Day) eventsv1.DataShape {
	var lifting, rated, vel int
	for li := range s.lifts {
		for _, ld := range s.lifts[li] {
			if day := Day(ld.Day); day <= d && day > d-28 {
				lifting++
				if ld.NRPE > 0 {
					rated++
				}
				if ld.NVel > 0 {
					vel++
				}
			}
		}
	}
	var wellness, devices int
	for day := d; day > d-28; day-- {
		if !s.inRing(day) {
			continue
		}
		r := s.rec(day)
		if r.Flags&flagWellness != 0 {
			wellness++
		}
		if r.Flags&(flagHRV|flagCMJ) != 0 {
			devices++
		}
	}
	switch {
	case lifting == 0:
		return eventsv1.DataShape_DATA_SHAPE_UNSPECIFIED
	case devices >= 8 || vel >= 4:
		return eventsv1.DataShape_DATA_SHAPE_FULL
	case wellness >= 8:
		return eventsv1.DataShape_DATA_SHAPE_SETS_WELLNESS
	case 2*rated >= lifting:
		return eventsv1.DataShape_DATA_SHAPE_SETS_RPE
	}
	return eventsv1.DataShape_DATA_SHAPE_SETS
}

// ruleChecks says, for every rule the athlete's data can feed, how far it is from holding: what
// a coach reads when nothing fired.
func (s *State) ruleChecks(lc liftingCheck, th Thresholds, persistent int, mask uint8, daily bool) []*eventsv1.RuleCheck {
	st := th.Strength
	var out []*eventsv1.RuleCheck
	if lc.rated {
		c := &eventsv1.RuleCheck{Rule: RuleLiftingDecline, Holds: lc.decline.abnormal, Count: uint32(len(lc.declineDays)), Needed: uint32(st.LiftingDaysNeeded)}
		c.Detail = fmt.Sprintf("Strength below baseline on %d of the last %d lifting days; needs %d (latest %+.1f%%, a day counts at %.1f%% or lower)",
			len(lc.declineDays), lc.judged, st.LiftingDaysNeeded, lc.latest.meanPct, -dropNeeded(lc.latest, st))
		out = append(out, c)
	} else if lc.judged == 0 {
		out = append(out, &eventsv1.RuleCheck{Rule: RuleLiftingDecline, Needed: uint32(st.LiftingDaysNeeded),
			Detail: fmt.Sprintf("Needs rated (RPE or RIR) main-lift sets on %d lifting days with %d earlier exposures per lift in the %d days before", st.LiftingDaysNeeded, st.MinBaselineExposures, st.BaselineDays)})
	}
	if st.MissedRepsDaysNeeded > 0 && lc.latest.ok {
		mc := &eventsv1.RuleCheck{Rule: RuleMissedReps, Holds: lc.missed.abnormal, Count: uint32(len(lc.missedDays)), Needed: uint32(st.MissedRepsDaysNeeded),
			Detail: fmt.Sprintf("Reps short at the top load on %d lifting days in the last %d days; needs %d", len(lc.missedDays), st.MissedRepsWindowDays, st.MissedRepsDaysNeeded)}
		if lc.rated {
			mc.Detail += fmt.Sprintf(" and a lifting day below baseline (%d of the last %d)", len(lc.declineDays), lc.judged)
		} else {
			mc.Detail += " (no RPE: lower confidence)"
		}
		out = append(out, mc)
	}
	weeks := st.WindowDays / 7
	sc := &eventsv1.RuleCheck{Rule: RuleSustainedDecline, Holds: lc.sustained.abnormal, Count: uint32(lc.sustainedWeeks), Needed: uint32(weeks)}
	sc.Detail = fmt.Sprintf("Strength down %.1f%% or more in %d of the last %d weeks; needs all %d", -st.DeclinePct, lc.sustainedWeeks, weeks, weeks)
	if !lc.rated {
		sc.Detail += " (no RPE: lower confidence)"
	}
	out = append(out, sc)
	if daily {
		out = append(out, &eventsv1.RuleCheck{Rule: RuleTwoFamilies, Holds: persistent >= th.Rule.MinAbnormalDays, Count: uint32(persistent), Needed: uint32(th.Rule.MinAbnormalDays),
			Detail: fmt.Sprintf("%d independent signal groups abnormal on %d of the last %d days; needs %d", th.Rule.MinFamilies, persistent, th.Rule.WindowDays, th.Rule.MinAbnormalDays)})
		if th.Rule.DeclinePlusSubjective {
			decl, subj := mask&bit(famDecline) != 0, mask&(bit(famSoreness)|bit(famMotSleep)) != 0
			n := 0
			for _, b := range []bool{decl, subj} {
				if b {
					n++
				}
			}
			out = append(out, &eventsv1.RuleCheck{Rule: RuleDeclinePlusSubjective, Holds: n == 2, Count: uint32(n), Needed: 2,
				Detail: fmt.Sprintf("Strength decline %s, soreness or motivation/sleep %s; needs both", yesNo(decl), yesNo(subj))})
		}
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
