package domain

// rpeDrift compares the RPE of the main lifts on each of the athlete's last RecentSessions
// lifting days with the median RPE of the same lift at the same load (+-tolerance) and reps in
// the BaselineDays before that day's recent window: the baseline ends before the last
// RecentLiftingDays lifting days, so a drift that began inside them cannot have absorbed into
// it (a 28-day median ending yesterday takes in two to three weeks of a three-week drift). The
// family is abnormal when DaysNeeded of the judged days are up by RPERise.
func (s *State) rpeDrift(d Day, th Thresholds) family {
	fm := family{f: famRPE}
	st := th.Strength
	var upDays []Day
	var parts []Text
	var latest float64
	judged := 0
	var baseFrom, baseTo Day
	for _, day := range s.liftingDaysUpTo(d, th.RPEDrift.RecentSessions, st) {
		baseEnd := s.recentLiftingStart(day, st)
		var drifts []float64
		for li := range s.lifts {
			cur := s.liftOn(li, day)
			if cur == nil || cur.NRPE == 0 {
				continue
			}
			var base []float64
			for _, ld := range s.lifts[li] {
				bd := Day(ld.Day)
				if bd <= baseEnd && bd > baseEnd-Day(th.RPEDrift.BaselineDays) && ld.NRPE > 0 && ld.TopReps == cur.TopReps &&
					within(float64(ld.TopLoad), float64(cur.TopLoad), th.RPEDrift.LoadTolerancePct) {
					base = append(base, float64(ld.RPE))
					if baseFrom == 0 || bd < baseFrom {
						baseFrom = bd
					}
					baseTo = max(baseTo, bd)
				}
			}
			if len(base) == 0 {
				continue
			}
			b := Median(base)
			drifts = append(drifts, float64(cur.RPE)-b)
			parts = append(parts, textf("%s %s %.1f kg x %d at RPE %.1f vs %.1f", day, liftNames[mainLifts[li]], cur.TopLoad, cur.TopReps, cur.RPE, b))
		}
		if len(drifts) == 0 {
			continue
		}
		m, _ := MeanSD(drifts, false)
		if judged == 0 {
			latest = m
		}
		judged++
		if m >= th.RPEDrift.RPERise {
			upDays = append(upDays, day)
		}
	}
	if judged == 0 {
		fm.insufficient = true
		fm.evidence = []*Evidence{{Family: famRPE, Metric: "rpe_drift", Unit: "rpe", InsufficientData: true,
			Detail: textf("No rated main-lift set on the last %d lifting days at a load and reps rated in the %d days before them", th.RPEDrift.RecentSessions, th.RPEDrift.BaselineDays)}}
		return fm
	}
	fm.abnormal = len(upDays) >= th.RPEDrift.DaysNeeded
	fm.evidence = []*Evidence{{
		Family: famRPE, Metric: "rpe_drift", Value: f64(round2(latest)), Baseline: f64(0), Threshold: f64(th.RPEDrift.RPERise),
		Unit: "rpe", Abnormal: fm.abnormal, Dates: dates(upDays...), AbnormalDays: uint32(len(upDays)), WindowDays: uint32(d - s.recentLiftingStart(d, st)),
		BaselineFrom: baseFrom, BaselineTo: baseTo,
		Detail: textf("RPE at familiar loads up %+.1f or more on %d of the last %d lifting days (fires at %d; latest %+.1f vs the median of %s..%s): %s",
			th.RPEDrift.RPERise, len(upDays), judged, th.RPEDrift.DaysNeeded, latest, baseFrom, baseTo, textList{parts, "; "}),
	}}
	return fm
}
