package domain

// readiness applies the HRV band and the CMJ drop.
func (s *State) readiness(d Day, th Thresholds) family {
	rt := th.Readiness
	fm := family{f: famReadiness}
	hrvAsOf := func(d Day) (HRVResult, []Day, bool) {
		var rolling, base []float64
		var rollDays []Day
		for day := d; day > d-Day(rt.HRVRollingDays+rt.HRVBaselineDays); day-- {
			if !s.inRing(day) || s.rec(day).Flags&flagHRV == 0 {
				continue
			}
			v := float64(s.rec(day).LnRMSSD) / 1000
			if day > d-Day(rt.HRVRollingDays) {
				rolling, rollDays = append(rolling, v), append(rollDays, day)
			} else {
				base = append(base, v)
			}
		}
		h, ok := AssessHRV(rolling, base, rt.HRVSWCSD, rt.HRVMinMorningsPerWeek)
		if !ok {
			return h, nil, false
		}
		return h, rollDays, true
	}
	hrvOK := false
	h, rollDays, ok := hrvAsOf(d)
	rolling := rollDays
	if ok && h.Abnormal {
		// The 0.5 SD band is the smallest worthwhile change: a 7-day mean of noisy mornings
		// crosses it on about one day in ten with nothing wrong, and one low morning keeps
		// it there for as long as the morning stays in the window. It counts as a sustained
		// drop only when the rolling mean was also below the band on each of the previous
		// HRVPersistDays days that had a valid rolling mean.
		for back := Day(1); back <= Day(rt.HRVPersistDays); back++ {
			if prev, _, pok := hrvAsOf(d - back); pok && !prev.Abnormal {
				h.Abnormal = false
				break
			}
		}
	}
	if ok {
		hrvOK = true
		ev := &Evidence{Family: famReadiness, Metric: "hrv_ln_rmssd_7d", Value: f64(round2(h.Rolling)), Baseline: f64(round2(h.BaselineMean)),
			Threshold: f64(round2(h.Threshold)), Unit: "ln(ms)", Abnormal: h.Abnormal, Dates: dates(rollDays...),
			AbnormalDays: uint32(h.Mornings), WindowDays: uint32(rt.HRVRollingDays),
			Detail: textf("HRV ln(rMSSD) %d-day mean %.2f vs baseline %.2f (band floor %.2f = mean - %.1f SD) from %d mornings",
				rt.HRVRollingDays, h.Rolling, h.BaselineMean, h.Threshold, rt.HRVSWCSD, h.Mornings)}
		fm.evidence = append(fm.evidence, ev)
		fm.abnormal = h.Abnormal
	} else {
		fm.evidence = append(fm.evidence, &Evidence{Family: famReadiness, Metric: "hrv_ln_rmssd_7d", Unit: "ln(ms)", InsufficientData: true,
			WindowDays: uint32(rt.HRVRollingDays),
			Detail:     textf("HRV: %d mornings in the last %d days (needs %d) or a baseline under 14 mornings", len(rolling), rt.HRVRollingDays, rt.HRVMinMorningsPerWeek)})
	}
	var recent, cbase []float64
	var recentDays []Day
	for day := d; day > d-7-Day(rt.CMJBaselineDays); day-- {
		if !s.inRing(day) || s.rec(day).Flags&flagCMJ == 0 {
			continue
		}
		v := float64(s.rec(day).CMJ) / 10
		if day > d-7 {
			recent, recentDays = append(recent, v), append(recentDays, day)
		} else {
			cbase = append(cbase, v)
		}
	}
	cmjOK := len(recent) > 0 && len(cbase) >= 3
	if cmjOK {
		r, _ := MeanSD(recent, false)
		b, _ := MeanSD(cbase, false)
		drop := round2(CMJDropPct(r, b)) // compared as shown, so 5.000000001% is not "above 5%"
		abn := drop > rt.CMJMinDropPct
		fm.evidence = append(fm.evidence, &Evidence{Family: famReadiness, Metric: "cmj_drop_pct", Value: f64(round1(drop)), Baseline: f64(round1(b)),
			Threshold: f64(rt.CMJMinDropPct), Unit: "%", Abnormal: abn, Dates: dates(recentDays...), WindowDays: 7,
			Detail: textf("CMJ %.1f cm this week vs %.1f cm baseline (%.1f%% lower; fires above %.0f%%)", r, b, drop, rt.CMJMinDropPct)})
		fm.abnormal = fm.abnormal || abn
	}
	fm.insufficient = !hrvOK && !cmjOK
	return fm
}
