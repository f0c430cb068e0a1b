package domain

// judgeSustained is the sustained_decline rule (each week of the window against one baseline
// before it) and the plateau seen over the same window.
func (s *State) judgeSustained(c *liftingCheck, d Day, st StrengthThresholds) {
	weeks := st.WindowDays / 7
	baseEnd := d - Day(st.WindowDays)
	var weekVals []Text
	var downDays []Day
	for k := weeks - 1; k >= 0; k-- {
		to := d - Day(7*k)
		wv := s.strengthWindow(baseEnd, to-7, to, st)
		if !wv.ok {
			weekVals = append(weekVals, plainText("no data"))
			continue
		}
		weekVals = append(weekVals, textf("%+.1f%%", wv.meanPct))
		if wv.meanPct <= st.DeclinePct {
			c.sustainedWeeks++
			downDays = append(downDays, to)
		}
	}
	whole := s.strengthWindow(baseEnd, baseEnd, d, st)
	if whole.ok {
		c.sustained.abnormal = c.sustainedWeeks == weeks
		c.sustained.evidence = []*Evidence{{
			Family: famDecline, Metric: "e1rm_weekly_vs_baseline_pct", Value: f64(round2(whole.meanPct)), Baseline: f64(0), Threshold: f64(st.DeclinePct), Unit: "%",
			Abnormal: c.sustained.abnormal, Dates: dates(downDays...), AbnormalDays: uint32(c.sustainedWeeks), WindowDays: uint32(st.WindowDays),
			BaselineFrom: whole.baseFrom, BaselineTo: whole.baseTo, Lift: singleLift(whole),
			Detail: textf("Main lifts week by week vs baseline %s..%s: %s (a sustained decline needs every one of the last %d weeks at %.1f%% or lower)",
				whole.baseFrom, whole.baseTo, textList{weekVals, ", "}, weeks, st.DeclinePct),
		}}
		// A plateau: the main lifts no better than the baseline over the whole window, yet
		// not declining either.
		flat := whole.meanPct < st.StagnationMinGainPct && whole.meanPct > -st.LiftingDropPct && c.sustainedWeeks == 0
		pd := d - Day(st.WindowDays)
		pv := s.strengthWindow(pd, pd, d, st)
		if pv.ok && pv.exposures >= 2*minRecentExposures {
			c.plateau.abnormal = flat && pv.meanPct < st.StagnationMinGainPct && pv.meanPct > -st.LiftingDropPct
			c.plateau.evidence = []*Evidence{{
				Family: famStagnation, Metric: "e1rm_change_pct", Value: f64(round2(pv.meanPct)), Baseline: f64(0), Threshold: f64(st.StagnationMinGainPct), Unit: "%",
				Abnormal: c.plateau.abnormal, WindowDays: uint32(st.WindowDays), BaselineFrom: pv.baseFrom, BaselineTo: pv.baseTo, Lift: singleLift(pv),
				Detail: textf("Main lifts %+.1f%% over the last %d days vs baseline %s..%s (%s); progress needs %+.1f%%",
					pv.meanPct, st.WindowDays, pv.baseFrom, pv.baseTo, liftList(pv), st.StagnationMinGainPct),
			}}
		}
	}
}
