package domain

// barSpeed checks each lift's last Exposures velocity exposures against the athlete's own
// velocity at that load: the mean of earlier exposures at the same load (+-tolerance) within
// BaselineDays (at least minVelocityBaseline of them), or else the load-velocity profile fitted
// on them. A lift is slow when RequiredExposures of them are and the latest one is: a lift
// trained once a week keeps two slow exposures among its last three for up to three weeks,
// long after bar speed is back.
func (s *State) barSpeed(d Day, th Thresholds) family {
	fm := family{f: famVelocity}
	vt := th.Velocity
	var best *Evidence
	bestSlow := -1
	for li, days := range s.lifts {
		var exp []liftDay
		for _, ld := range days {
			if ld.NVel > 0 && Day(ld.Day) <= d && Day(ld.Day) > d-Day(vt.BaselineDays) {
				exp = append(exp, ld)
			}
		}
		if len(exp) < 2 || Day(exp[len(exp)-1].Day) <= d-14 {
			continue
		}
		first := max(1, len(exp)-vt.Exposures)
		slow, judged := 0, 0
		var slowDays []Day
		var lastDrop, lastBase float64
		lastSlow := false
		for i := first; i < len(exp); i++ {
			e := exp[i]
			var same, loads, vels []float64
			for _, b := range exp[:i] {
				loads, vels = append(loads, float64(b.TopLoad)), append(vels, float64(b.Vel))
				if within(float64(b.TopLoad), float64(e.TopLoad), vt.LoadTolerancePct) {
					same = append(same, float64(b.Vel))
				}
			}
			// The usual velocity at that load is an average: one earlier exposure carries its
			// day's noise (about 3% of bar speed) into every comparison, so with fewer than
			// minVelocityBaseline exposures at the load the athlete's load-velocity profile
			// gives the expectation instead.
			base := 0.0
			if len(same) >= minVelocityBaseline {
				base, _ = MeanSD(same, false)
			} else if p, ok := FitLoadVelocity(loads, vels); ok {
				base = p.VelocityAt(float64(e.TopLoad))
			}
			if base <= 0 {
				continue
			}
			judged++
			drop := 100 * (base - float64(e.Vel)) / base
			lastDrop, lastBase = drop, base
			lastSlow = drop > vt.MinDropPct
			if drop > vt.MinDropPct {
				slow++
				slowDays = append(slowDays, Day(e.Day))
			}
		}
		if judged == 0 || slow <= bestSlow {
			continue
		}
		bestSlow = slow
		last := exp[len(exp)-1]
		best = &Evidence{
			Family: famVelocity, Metric: "velocity_drop_pct", Value: f64(round1(lastDrop)), Baseline: f64(round2(lastBase)),
			Threshold: f64(vt.MinDropPct), Unit: "%", Abnormal: slow >= vt.RequiredExposures && lastSlow, Lift: mainLifts[li],
			Dates: dates(slowDays...), AbnormalDays: uint32(slow), WindowDays: uint32(vt.BaselineDays),
			Detail: textf("%s bar speed %.2f m/s at %.1f kg, %.1f%% below the usual %.2f m/s; slow on %d of the last %d exposures (fires at %d, drop > %.0f%%)",
				liftNames[mainLifts[li]], last.Vel, last.TopLoad, lastDrop, lastBase, slow, judged, vt.RequiredExposures, vt.MinDropPct),
		}
	}
	if best == nil {
		fm.insufficient = true
		best = &Evidence{Family: famVelocity, Metric: "velocity_drop_pct", Unit: "%", InsufficientData: true,
			Detail: plainText("No recent bar-speed measurements with a baseline at that load")}
	}
	fm.abnormal = best.Abnormal
	fm.evidence = []*Evidence{best}
	return fm
}

// minVelocityBaseline is the fewest earlier exposures at the same load (+-tolerance) whose mean
// is the usual velocity there.
const minVelocityBaseline = 2
