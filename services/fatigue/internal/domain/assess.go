package domain

import (
	"math"
)

// Result is one assessment: the published payload and what the service needs besides it.
type Result struct {
	Assessed *Assessment
	// Mask has a bit per abnormal non-context family (bit code-1, see Family).
	Mask uint8
	// RuleFired is the deload rule that holds today ("" when none), whether or not it is
	// suppressed by an open episode or the cooldown.
	RuleFired string
	// Fired are the families behind RuleFired.
	Fired []Family
	// NewRecommendation is set by Conclude when this assessment opens a recommendation.
	NewRecommendation bool
	// Changed is set by Conclude when status, score band or abnormal families differ from the
	// last published assessment.
	Changed bool
	// ConfidenceNote says why confidence is what it is.
	ConfidenceNote string
	// Plateau is true when the main lifts are flat and nothing else is abnormal: WATCH, and a
	// reason to bring the planned deload forward, never a reactive recommendation.
	Plateau bool
	// NewPlateau is set by Conclude when this assessment starts a plateau episode.
	NewPlateau bool
	// Checks says how far each applicable rule is from holding.
	Checks []*RuleCheck
}

// Assess evaluates every family as of day d (which must be in the ring) and the deload rule over
// the masks of the previous days. It does not change the state; Conclude does.
func (s *State) Assess(d Day, th Thresholds) Result {
	lc := s.lifting(d, th)
	epleyOnly := lc.latest.ok && !lc.rated
	plateau, decline := lc.plateau, lc.strengthDecline()
	fams := []family{plateau, decline, s.rpeDrift(d, th), s.barSpeed(d, th)}
	sore, mot := s.wellness(d, th)
	fams = append(fams, sore, mot, s.readiness(d, th))
	load, spike := s.load(d, th)

	t := tallyFamilies(fams)
	t.evidence = append(t.evidence, spike.evidence...)
	// Stagnation and decline are one strength group: count its missing data once.
	if plateau.insufficient && decline.insufficient {
		t.insufficient--
	}
	persistent, fired := s.calendarRule(d, t.mask, th)
	score := t.score + 5*float64(min(persistent, th.Rule.MinAbnormalDays))
	shape := s.shape(d)
	daily := shape == ShapeSetsWellness || shape == ShapeFull

	// Where rated main lifts were scored in the rule's window, strength is measured, and the
	// calendar rule does not fire without it (see firedRule), unless a recommendation came
	// within afterEpisodeDays (see there).
	sinceRecommendation := s.Episode.LastRecommendationDay > 0 && d-s.Episode.LastRecommendationDay <= afterEpisodeDays
	calendarCounts := sinceRecommendation || !lc.shortfall.measuresStrength(d-Day(th.Rule.WindowDays)+1, d)
	var res Result
	res.RuleFired, res.Fired = firedRule(lc, t.mask, persistent, fired, calendarCounts, th.Rule)
	res.Plateau = lc.plateau.abnormal && t.mask&^bit(famStagnation) == 0 && res.RuleFired == ""
	res.Checks = s.ruleChecks(lc, th, persistent, t.mask, daily, calendarCounts)
	if spike.abnormal && t.mask != 0 {
		score += 10
	}
	score = math.Min(score, 100)

	history := uint32(d - s.FirstDay + 1)
	conf, note := confidence(t.insufficient, epleyOnly, history, th, spike.abnormal && t.mask != 0)
	res.Mask = t.mask
	res.ConfidenceNote = note
	res.Assessed = &Assessment{
		AsOf:             d,
		Score:            math.Round(score*10) / 10,
		Confidence:       conf,
		Evidence:         t.evidence,
		AbnormalFamilies: t.abnormal,
		Load:             load,
		Lifts:            lc.lifts,
		Coverage:         s.coverage(d),
		RuleFired:        res.RuleFired,
		RuleChecks:       res.Checks,
		Plateau:          res.Plateau,
	}
	return res
}

// strengthDecline is the decline family: the lifting-day check when ratings carry it, else the
// sustained one; the other's evidence stays in the explanation, and so does the missed-reps
// evidence, which makes the family abnormal when its rule holds.
func (lc liftingCheck) strengthDecline() family {
	decline := lc.decline
	if lc.sustained.abnormal || (!lc.rated && len(lc.sustained.evidence) > 0) {
		decline.abnormal = decline.abnormal || lc.sustained.abnormal
		decline.insufficient = false
	}
	decline.evidence = append(decline.evidence, lc.sustained.evidence...)
	if lc.missed.abnormal {
		decline.abnormal, decline.insufficient = true, false
	}
	decline.evidence = append(decline.evidence, lc.missed.evidence...)
	return decline
}

// familyTally sums the verdicts of the families.
type familyTally struct {
	mask         uint8
	evidence     []*Evidence
	abnormal     []Family
	insufficient int
	score        float64
}

func tallyFamilies(fams []family) familyTally {
	var t familyTally
	for _, fm := range fams {
		t.evidence = append(t.evidence, fm.evidence...)
		if fm.insufficient {
			t.insufficient++
		}
		if fm.abnormal {
			t.mask |= bit(fm.f)
			t.abnormal = append(t.abnormal, fm.f)
			t.score += familyWeight[fm.f]
		}
	}
	return t
}

// calendarRule counts the days of the window, today's mask included, on which at least
// MinFamilies independent groups were abnormal, and the families the rule counts among them.
// It needs daily signals (questionnaires, devices); the lifting rules count lifting days
// instead.
func (s *State) calendarRule(d Day, mask uint8, th Thresholds) (persistent int, fired []Family) {
	var firedMask uint8
	groupsOf := ruleGroups(th.Rule)
	for day := d - Day(th.Rule.WindowDays) + 1; day <= d; day++ {
		m := mask
		if day != d {
			if !s.inRing(day) {
				continue
			}
			m = s.rec(day).Mask
		}
		groups := 0
		for _, g := range groupsOf {
			if m&g != 0 {
				groups++
			}
		}
		if groups >= th.Rule.MinFamilies {
			persistent++
			firedMask |= m
		}
	}
	// Only families the rule counts are what fired it (a plateau seen earlier in the window
	// is not, unless the team counts stagnation).
	var counted uint8
	for _, g := range groupsOf {
		counted |= g
	}
	firedMask &= counted
	for _, f := range Families {
		if f != famLoadSpike && firedMask&bit(f) != 0 {
			fired = append(fired, f)
		}
	}
	return persistent, fired
}

// afterEpisodeDays is how long after a recommendation two_families fires beside a measured
// strength trend. The trend takes in the days after an episode's cooldown, so once the athlete
// has settled at a lower level it reads that level as their own: fatigue in two families that
// lasts through a deload says the athlete did not come back, and the trend cannot. Eight
// weeks: the deload, and a training block after it.
const afterEpisodeDays = 56

// firedRule is the deload rule that holds today, in order of precedence, and the families
// behind it. calendarCounts is false where the window has rated lifting days scored against
// the strength trend: then two_families does not fire. Overreaching is a decrement of
// performance (Meeusen et al. 2013, the ECSS/ACSM consensus), and where the log rates its main
// lifts the trend measures it; slower bars and poor sleep beside strength that holds are
// fatigue that has not cost performance yet, WATCH, as decline_plus_subjective and
// lifting_decline still fire the day strength gives way. Logs without rated lifts (wellness
// and HRV only, or sets without RPE) keep the rule; the fatigue README has what it made on the
// simulated squads with and without this.
func firedRule(lc liftingCheck, mask uint8, persistent int, calendarFired []Family, calendarCounts bool, rt RuleThresholds) (string, []Family) {
	withDecline := func(also ...Family) []Family {
		out := []Family{famDecline}
		for _, f := range also {
			if mask&bit(f) != 0 {
				out = append(out, f)
			}
		}
		return out
	}
	subjective := mask&(bit(famSoreness)|bit(famMotSleep)) != 0
	switch {
	case calendarCounts && persistent >= rt.MinAbnormalDays:
		return RuleTwoFamilies, calendarFired
	case rt.DeclinePlusSubjective && mask&bit(famDecline) != 0 && subjective:
		return RuleDeclinePlusSubjective, withDecline(famSoreness, famMotSleep)
	case lc.decline.abnormal:
		return RuleLiftingDecline, withDecline(famRPE, famVelocity)
	case lc.sustained.abnormal:
		return RuleSustainedDecline, withDecline(famRPE)
	case lc.missed.abnormal:
		return RuleMissedReps, withDecline()
	}
	return "", nil
}
