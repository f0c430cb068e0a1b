package domain

import (
	"fmt"
	"math"
)

// ruleChecks says, for every rule the athlete's data can feed, how far it is from holding: what
// a coach reads when nothing fired.
func (s *State) ruleChecks(lc liftingCheck, th Thresholds, persistent int, mask uint8, daily, calendarCounts bool) []*RuleCheck {
	st := th.Strength
	var out []*RuleCheck
	if sf := lc.shortfall; sf.judged {
		// Count and needed are the cumulative shortfall and its threshold in tenths of a SD.
		c := &RuleCheck{Rule: RuleLiftingDecline, Holds: lc.decline.abnormal, Count: uint32(math.Round(10 * sf.sum)), Needed: uint32(math.Round(10 * sf.needed))}
		switch {
		case sf.firedOn > 0:
			c.Detail = textf("Strength passed its cumulative shortfall threshold on %s", sf.firedOn)
			if !sf.holds {
				c.Detail = c.Detail.plus(textf("; the latest lifting day is back within %.2f SD of the trend", st.ShortfallSlackSD))
			}
		case len(sf.runDays) > 0:
			c.Detail = textf("Strength short of its trend since %s (%s): cumulative shortfall %.1f SD; needs more than %.1f over at least %d lifting days",
				sf.runDays[0], liftingDays(len(sf.runDays)), sf.sum, sf.needed, shortfallMinDays)
			if sf.belowLevel < shortfallBelowLevelSD {
				c.Detail = c.Detail.plus(textf(", and the lifts more than %.1f SD below their last level on average (now %.1f: short of the trend alone is a plateau)",
					shortfallBelowLevelSD, sf.belowLevel))
			}
		default:
			c.Detail = textf("Strength on or above its trend on the latest lifting day; a cumulative shortfall of more than %.1f SD fires", sf.needed)
		}
		out = append(out, c)
	} else if lc.judged == 0 {
		out = append(out, &RuleCheck{Rule: RuleLiftingDecline,
			Detail: plainText("Needs rated (RPE or RIR) main-lift sets: the trend of each lift's effort-adjusted e1RM, and later lifting days to compare with it")})
	}
	// On rated logs a short set is one more e1RM estimate in lifting_decline, and missed_reps
	// cannot fire: it is no rule to wait for there.
	if st.MissedRepsDaysNeeded > 0 && lc.latest.ok && !lc.rated {
		out = append(out, &RuleCheck{Rule: RuleMissedReps, Holds: lc.missed.abnormal, Count: uint32(len(lc.missedDays)), Needed: uint32(st.MissedRepsDaysNeeded),
			Detail: textf("Reps short at the top load on %d lifting days in the last %d days; needs %d (no RPE: lower confidence)",
				len(lc.missedDays), st.MissedRepsWindowDays, st.MissedRepsDaysNeeded)})
	}
	weeks := st.WindowDays / 7
	sc := &RuleCheck{Rule: RuleSustainedDecline, Holds: lc.sustained.abnormal, Count: uint32(lc.sustainedWeeks), Needed: uint32(weeks)}
	sc.Detail = textf("Strength down %.1f%% or more in %d of the last %d weeks; needs all %d", -st.DeclinePct, lc.sustainedWeeks, weeks, weeks)
	if !lc.rated {
		sc.Detail = sc.Detail.plus(plainText(" (no RPE: lower confidence)"))
	}
	out = append(out, sc)
	if daily {
		tf := &RuleCheck{Rule: RuleTwoFamilies, Holds: calendarCounts && persistent >= th.Rule.MinAbnormalDays, Count: uint32(persistent), Needed: uint32(th.Rule.MinAbnormalDays),
			Detail: textf("%d independent signal groups abnormal on %d of the last %d days; needs %d", th.Rule.MinFamilies, persistent, th.Rule.WindowDays, th.Rule.MinAbnormalDays)}
		if !calendarCounts {
			tf.Detail = tf.Detail.plus(plainText(", and counts only when no rated main-lift day is in them: here strength is measured, and fatigue signs while it holds up are WATCH"))
		}
		out = append(out, tf)
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

// liftingDays says n lifting days in words.
func liftingDays(n int) string {
	if n == 1 {
		return "1 lifting day"
	}
	return fmt.Sprintf("%d lifting days", n)
}
