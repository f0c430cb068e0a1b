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
	lifts []*eventsv1.LiftStrength
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
	if len(c.plateau.evidence) == 0 {
		c.plateau.insufficient = true
		c.plateau.evidence = []*eventsv1.Evidence{{Family: famStagnation, Metric: "e1rm_change_pct", Unit: "%", InsufficientData: true, WindowDays: uint32(st.WindowDays),
			Detail: fmt.Sprintf("Not enough main-lift exposures to compare the last %d days with the %d before", st.WindowDays, st.BaselineDays)}}
	}
	return c
}

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
