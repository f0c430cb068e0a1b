package domain

// ruleChecks says, for every rule the athlete's data can feed, how far it is from holding: what
// a coach reads when nothing fired.
func (s *State) ruleChecks(lc liftingCheck, th Thresholds, persistent int, mask uint8, daily bool) []*RuleCheck {
	st := th.Strength
	var out []*RuleCheck
	if lc.rated {
		c := &RuleCheck{Rule: RuleLiftingDecline, Holds: lc.decline.abnormal, Count: uint32(len(lc.declineDays)), Needed: uint32(st.LiftingDaysNeeded)}
		c.Detail = textf("Strength below baseline on %d of the last %d lifting days; needs %d (latest %+.1f%%, a day counts at %.1f%% or lower)",
			len(lc.declineDays), lc.judged, st.LiftingDaysNeeded, lc.latest.meanPct, -dropNeeded(lc.latest, st))
		out = append(out, c)
	} else if lc.judged == 0 {
		out = append(out, &RuleCheck{Rule: RuleLiftingDecline, Needed: uint32(st.LiftingDaysNeeded),
			Detail: textf("Needs rated (RPE or RIR) main-lift sets on %d lifting days with %d earlier exposures per lift in the %d days before", st.LiftingDaysNeeded, st.MinBaselineExposures, st.BaselineDays)})
	}
	if st.MissedRepsDaysNeeded > 0 && lc.latest.ok {
		mc := &RuleCheck{Rule: RuleMissedReps, Holds: lc.missed.abnormal, Count: uint32(len(lc.missedDays)), Needed: uint32(st.MissedRepsDaysNeeded),
			Detail: textf("Reps short at the top load on %d lifting days in the last %d days; needs %d", len(lc.missedDays), st.MissedRepsWindowDays, st.MissedRepsDaysNeeded)}
		if lc.rated {
			mc.Detail = mc.Detail.plus(textf(" and a lifting day below baseline (%d of the last %d)", len(lc.declineDays), lc.judged))
		} else {
			mc.Detail = mc.Detail.plus(plainText(" (no RPE: lower confidence)"))
		}
		out = append(out, mc)
	}
	weeks := st.WindowDays / 7
	sc := &RuleCheck{Rule: RuleSustainedDecline, Holds: lc.sustained.abnormal, Count: uint32(lc.sustainedWeeks), Needed: uint32(weeks)}
	sc.Detail = textf("Strength down %.1f%% or more in %d of the last %d weeks; needs all %d", -st.DeclinePct, lc.sustainedWeeks, weeks, weeks)
	if !lc.rated {
		sc.Detail = sc.Detail.plus(plainText(" (no RPE: lower confidence)"))
	}
	out = append(out, sc)
	if daily {
		out = append(out, &RuleCheck{Rule: RuleTwoFamilies, Holds: persistent >= th.Rule.MinAbnormalDays, Count: uint32(persistent), Needed: uint32(th.Rule.MinAbnormalDays),
			Detail: textf("%d independent signal groups abnormal on %d of the last %d days; needs %d", th.Rule.MinFamilies, persistent, th.Rule.WindowDays, th.Rule.MinAbnormalDays)})
		if th.Rule.DeclinePlusSubjective {
			decl, subj := mask&bit(famDecline) != 0, mask&(bit(famSoreness)|bit(famMotSleep)) != 0
			n := 0
			for _, b := range []bool{decl, subj} {
				if b {
					n++
				}
			}
			out = append(out, &RuleCheck{Rule: RuleDeclinePlusSubjective, Holds: n == 2, Count: uint32(n), Needed: 2,
				Detail: textf("Strength decline %s, soreness or motivation/sleep %s; needs both", yesNo(decl), yesNo(subj))})
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
