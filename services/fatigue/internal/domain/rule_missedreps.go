package domain

import (
	"slices"
)

// missedReps is the missed-reps check: the lifting days in the last MissedRepsWindowDays on which
// a later set at the day's top load fell short of the first set's reps (5, 5, 4). Without RPE
// the load and reps are what the athlete chose, so e1RM says little until reps start to fail;
// missed reps at a working load are the first sign of fatigue such a log holds. On rated logs
// the lifting check asks the effort-adjusted e1RM to agree. days are the lifting days counted.
func (s *State) missedReps(d Day, st StrengthThresholds) (fm family, days []Day) {
	fm = family{f: famDecline}
	if st.MissedRepsDaysNeeded == 0 || len(s.liftingDaysIn(d-Day(st.MissedRepsWindowDays), d)) == 0 {
		return fm, nil
	}
	type short struct {
		day  Day
		text Text
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
				shorts = append(shorts, short{day, textf("%s %s %.1f kg x %d, a set short (every set made on %s)", day, liftNames[mainLifts[li]], ld.TopLoad, ld.TopReps, before)})
			}
		}
	}
	slices.SortFunc(shorts, func(a, b short) int { return int(a.day - b.day) })
	parts := make([]Text, 0, len(shorts))
	for _, sh := range shorts {
		if len(days) == 0 || days[len(days)-1] != sh.day {
			days = append(days, sh.day)
		}
		parts = append(parts, sh.text)
	}
	fm.abnormal = len(days) >= st.MissedRepsDaysNeeded
	detail := textf("A later set at the top load short of the first set's reps on %d lifting days in the last %d days (fires at %d)",
		len(days), st.MissedRepsWindowDays, st.MissedRepsDaysNeeded)
	if len(parts) > 0 {
		detail = detail.plus(textf(": %s", textList{parts, "; "}))
	}
	fm.evidence = []*Evidence{{
		Family: famDecline, Metric: "missed_reps", Value: f64(float64(len(days))), Threshold: f64(float64(st.MissedRepsDaysNeeded)), Unit: "days",
		Abnormal: fm.abnormal, Dates: dates(days...), AbnormalDays: uint32(len(days)), WindowDays: uint32(st.MissedRepsWindowDays), Detail: detail,
	}}
	return fm, days
}

// completedBefore finds an earlier exposure of lift li, within maxFamiliarDays before
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

// judgeMissedReps is the missed_reps rule as the lifting check counts it: not while the lifts
// are clearly above their baseline, and with ratings only once a lifting day agrees.
func (s *State) judgeMissedReps(c *liftingCheck, d Day, st StrengthThresholds) {
	c.missed, c.missedDays = s.missedReps(d, st)
	if c.missed.abnormal && c.latest.ok && c.latest.meanPct >= missedRepsProgressPct {
		// Lifts still clearly above their baseline are not failing: on the real logs these
		// were heavier loads taken on with sets to failure.
		c.missed.abnormal = false
		c.missed.evidence[0].Abnormal = false
		c.missed.evidence[0].Detail = c.missed.evidence[0].Detail.plus(textf("; not counted while the main lifts are %+.1f%% above baseline", c.latest.meanPct))
	}
	if c.rated && c.missed.abnormal {
		// With ratings, a set that fell short is already in the lifting_decline rule: its
		// reps and RPE are one more e1RM estimate of the day. Counted again here, it fired on
		// short sets the ratings explained (a planned AMRAP, one bad day), and it was most of
		// the rated logs' false recommendations in simulate.
		c.missed.abnormal = false
		c.missed.evidence[0].Abnormal = false
		c.missed.evidence[0].Detail = c.missed.evidence[0].Detail.plus(plainText("; with RPE the short sets count in the effort-adjusted e1RM instead"))
	}
}
