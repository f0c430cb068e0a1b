package domain

import (
	"math"
	"slices"
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
	return s.appendLiftingDays(nil, from, to)
}

// dropNeeded is how far below baseline a strength view must be to count: the larger of the
// fixed drop and LiftingZ standard errors of the athlete's own day-to-day scatter, so an
// athlete whose e1RM scatters widely needs a larger drop than a steady one.
func dropNeeded(v strengthView, st StrengthThresholds) float64 {
	return math.Max(st.LiftingDropPct, st.LiftingZ*v.sdPct/math.Sqrt(float64(v.n)))
}

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
	// shortfall is the lifting_decline rule on rated logs (see rule_shortfall.go).
	shortfall shortfall
	lifts     []*LiftStrength
}

func liftList(v strengthView) textList {
	parts := make([]Text, 0, len(v.lifts))
	for _, l := range v.lifts {
		parts = append(parts, textf("%s %.1f vs %.1f kg", liftNames[mainLifts[l.li]], l.recent, l.level))
	}
	return textList{parts, ", "}
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
	s.judgeLiftingDays(&c, d, st)
	c.shortfall = s.judgeShortfall(d, th)
	if c.shortfall.judged {
		c.decline.abnormal = c.shortfall.holds
		c.decline.insufficient = false
		for _, ev := range c.decline.evidence {
			ev.Abnormal = c.decline.abnormal
		}
		c.decline.evidence = append(c.decline.evidence, c.shortfall.evidence(st))
	}
	s.judgeSustained(&c, d, st)
	s.judgeMissedReps(&c, d, st)
	if len(c.plateau.evidence) == 0 {
		c.plateau.insufficient = true
		c.plateau.evidence = []*Evidence{{Family: famStagnation, Metric: "e1rm_change_pct", Unit: "%", InsufficientData: true, WindowDays: uint32(st.WindowDays),
			Detail: textf("Not enough main-lift exposures to compare the last %d days with the %d before", st.WindowDays, st.BaselineDays)}}
	}
	return c
}

// judgeLiftingDays is the lifting_decline rule: the recent lifting days against the baseline
// before them, and the lifts the assessment shows.
func (s *State) judgeLiftingDays(c *liftingCheck, d Day, st StrengthThresholds) {
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
		c.lifts = append(c.lifts, &LiftStrength{Lift: mainLifts[l.li], E1RMKg: f64(round1(l.recent)), PreviousE1RMKg: f64(round1(l.level)),
			ChangePct: f64(round2(chg)), LowConfidence: l.epley, BestOn: l.lastOn})
	}
	if c.judged == 0 {
		c.decline.insufficient = true
		c.decline.evidence = []*Evidence{{Family: famDecline, Metric: "e1rm_vs_baseline_pct", Unit: "%", InsufficientData: true,
			Detail: textf("No recent lifting day with %d main-lift exposures and %d earlier ones per lift in the %d days before to compare with",
				minRecentExposures, st.MinBaselineExposures, st.BaselineDays)}}
	} else {
		need := dropNeeded(v, st)
		how := "effort-adjusted e1RM (load, reps and RPE; the rule fires on the cumulative shortfall below)"
		if !c.rated {
			how = "e1RM from Epley (no RPE; judged by the sustained rule)"
		}
		c.decline.evidence = []*Evidence{{
			Family: famDecline, Metric: "e1rm_vs_baseline_pct", Value: f64(round2(v.meanPct)), Baseline: f64(0), Threshold: f64(round2(-need)), Unit: "%",
			Abnormal: c.decline.abnormal, Dates: dates(c.declineDays...), AbnormalDays: uint32(len(c.declineDays)), WindowDays: uint32(d - v.recentFrom + 1),
			BaselineFrom: v.baseFrom, BaselineTo: v.baseTo, Lift: singleLift(v),
			Detail: textf("Main lifts %+.1f%% vs baseline %s..%s over the last %d lifting days, %s: %s; below baseline on %d of the last %d lifting days (a day counts at %.1f%% below, the larger of %.1f%% and %.0f standard errors of the athlete's %.1f%% day-to-day scatter)",
				v.meanPct, v.baseFrom, v.baseTo, st.RecentLiftingDays, how, liftList(v), len(c.declineDays), c.judged, need, st.LiftingDropPct, st.LiftingZ, v.sdPct),
		}}
	}

}

func singleLift(v strengthView) Lift {
	if len(v.lifts) == 1 {
		return mainLifts[v.lifts[0].li]
	}
	return 0
}
