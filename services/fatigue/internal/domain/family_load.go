package domain

// load computes the load metrics and the load-spike context family.
func (s *State) load(d Day, th Thresholds) (*LoadMetrics, family) {
	m, ctl7, hasCTL7, week := s.loadSeries(d, th)
	lm := &LoadMetrics{
		CTL: f64(round1(m.CTL)), ATL: f64(round1(m.ATL)), TSB: f64(round1(m.CTL - m.ATL)),
	}
	if hasCTL7 {
		lm.CTLRamp = f64(round1(m.CTL - ctl7))
	}
	unit := "kg"
	if s.HasSessionLoad {
		unit = "au"
	}
	fm := family{f: famLoadSpike}
	a, c := m.AcuteChronic(th.Load)
	if acwr, ok := m.ACWR(th.Load); ok {
		lm.ACWR, lm.AcuteLoadAU, lm.ChronicLoadAU = f64(round2(acwr)), f64(round1(a)), f64(round1(c))
		abn := acwr >= th.Load.ACWRHigh
		fm.abnormal = abn
		fm.evidence = append(fm.evidence, &Evidence{Family: famLoadSpike, Metric: "acwr", Value: f64(round2(acwr)), Baseline: f64(round1(c)),
			Threshold: f64(th.Load.ACWRHigh), Unit: "ratio", Abnormal: abn, ContextOnly: true, WindowDays: uint32(th.Load.ACWRChronicDays),
			Detail: textf("ACWR %.2f (acute %.0f vs chronic %.0f %s/day; high at %.1f; context only)", acwr, a, c, unit, th.Load.ACWRHigh)})
	} else {
		fm.evidence = append(fm.evidence, &Evidence{Family: famLoadSpike, Metric: "acwr", Unit: "ratio", ContextOnly: true, InsufficientData: true,
			Detail: textf("ACWR hidden for the first %d days of history", th.Load.ACWRMinHistoryDays)})
	}
	if mono, strain, ok := Monotony(week[:]); ok {
		lm.Monotony, lm.Strain = f64(round2(mono)), f64(round1(strain))
		abn := mono > th.Load.MonotonyHigh
		fm.abnormal = fm.abnormal || abn
		fm.evidence = append(fm.evidence, &Evidence{Family: famLoadSpike, Metric: "monotony", Value: f64(round2(mono)),
			Threshold: f64(th.Load.MonotonyHigh), Unit: "ratio", Abnormal: abn, ContextOnly: true, WindowDays: 7,
			Detail: textf("Monotony %.2f over 7 days (high above %.1f), strain %.0f", mono, th.Load.MonotonyHigh, strain)})
	}
	var session, volume float64
	var hard uint32
	for day := d - 6; day <= d; day++ {
		if s.inRing(day) {
			r := s.rec(day)
			session += float64(r.SessionLoad)
			volume += float64(r.VolumeLoad)
			hard += uint32(r.HardSets)
		}
	}
	if s.HasSessionLoad {
		lm.WeeklySessionLoadAU = f64(round1(session))
	}
	lm.WeeklyVolumeLoadKg, lm.WeeklyHardSets = f64(round1(volume)), &hard
	return lm, fm
}
