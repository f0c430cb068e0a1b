package domain

import (
	"fmt"
	"math"
	"strings"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Signal families, short names.
const (
	famStagnation = commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION
	famDecline    = commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE
	famRPE        = commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS
	famVelocity   = commonv1.SignalFamily_SIGNAL_FAMILY_SLOWER_BAR_SPEED
	famSoreness   = commonv1.SignalFamily_SIGNAL_FAMILY_SORENESS_JOINT_DISCOMFORT
	famMotSleep   = commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP
	famLoadSpike  = commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE
	famReadiness  = commonv1.SignalFamily_SIGNAL_FAMILY_READINESS
)

// Rule names as published in rule_fired.
const (
	RuleTwoFamilies           = "two_families"
	RuleDeclinePlusSubjective = "decline_plus_subjective"
)

func bit(f commonv1.SignalFamily) uint8 { return 1 << (uint(f) - 1) }

// ruleGroups are the independent sources of evidence the deload rule counts. Stagnation and
// decline are one group (a declining lift is not two pieces of evidence), and so are the two
// subjective families: they come from the same morning questionnaire, so a bad week of
// answers is one source, not two. Stagnation joins the strength group only when the team
// says so (Rule.StagnationCounts): a lift that stalls for three weeks is common in healthy
// training, so by default only a decline is strength evidence of fatigue.
func ruleGroups(rt RuleThresholds) [5]uint8 {
	strength := bit(famDecline)
	if rt.StagnationCounts {
		strength |= bit(famStagnation)
	}
	return [5]uint8{
		strength,
		bit(famRPE),
		bit(famVelocity),
		bit(famSoreness) | bit(famMotSleep),
		bit(famReadiness),
	}
}

// familyWeight is each family's share of the 0-100 concern score.
var familyWeight = map[commonv1.SignalFamily]float64{
	famStagnation: 10, famDecline: 30, famRPE: 20, famVelocity: 20,
	famSoreness: 15, famMotSleep: 15, famReadiness: 15,
}

// Result is one assessment: the published payload and what the service needs besides it.
type Result struct {
	Assessed *eventsv1.AthleteAssessed
	// Mask has a bit per abnormal non-context family (bit family-1).
	Mask uint8
	// RuleFired is the deload rule that holds today ("" when none), whether or not it is
	// suppressed by an open episode or the cooldown.
	RuleFired string
	// Fired are the families behind RuleFired.
	Fired []commonv1.SignalFamily
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
	Checks []*eventsv1.RuleCheck
}

// family is the verdict of one family.
type family struct {
	f            commonv1.SignalFamily
	abnormal     bool
	insufficient bool
	evidence     []*eventsv1.Evidence
}

func f64(v float64) *float64 { return &v }

// Assess evaluates every family as of day d (which must be in the ring) and the deload rule over
// the masks of the previous days. It does not change the state; Conclude does.
func (s *State) Assess(d Day, th Thresholds) Result {
	lc := s.lifting(d, th)
	lifts := lc.lifts
	epleyOnly := lc.latest.ok && !lc.rated
	// The decline family is the lifting-day check when ratings carry it, else the sustained
	// one; the other's evidence stays in the explanation.
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
	strengthFams := []family{lc.plateau, decline}
	fams := append(strengthFams,
		s.rpeDrift(d, th),
		s.barSpeed(d, th),
	)
	sore, mot := s.wellness(d, th)
	fams = append(fams, sore, mot, s.readiness(d, th))
	load, spike := s.load(d, th)

	var mask uint8
	var evidence []*eventsv1.Evidence
	var abnormal []commonv1.SignalFamily
	insufficient := 0
	score := 0.0
	for _, fm := range fams {
		evidence = append(evidence, fm.evidence...)
		if fm.insufficient {
			insufficient++
		}
		if fm.abnormal {
			mask |= bit(fm.f)
			abnormal = append(abnormal, fm.f)
			score += familyWeight[fm.f]
		}
	}
	evidence = append(evidence, spike.evidence...)
	// Stagnation and decline are one strength group: count its missing data once.
	if strengthFams[0].insufficient && strengthFams[1].insufficient {
		insufficient--
	}

	// The calendar rule over the window, today's mask included: a day counts when at least
	// MinFamilies independent groups were abnormal that day. It needs daily signals
	// (questionnaires, devices); the lifting rules below count lifting days instead.
	var res Result
	persistent := 0
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
	var fired []commonv1.SignalFamily
	for f := famStagnation; f <= famReadiness; f++ {
		if f != famLoadSpike && firedMask&bit(f) != 0 {
			fired = append(fired, f)
		}
	}
	score += 5 * float64(min(persistent, th.Rule.MinAbnormalDays))
	shape := s.shape(d)
	daily := shape == eventsv1.DataShape_DATA_SHAPE_SETS_WELLNESS || shape == eventsv1.DataShape_DATA_SHAPE_FULL
	withDecline := func(also ...commonv1.SignalFamily) []commonv1.SignalFamily {
		out := []commonv1.SignalFamily{famDecline}
		for _, f := range also {
			if mask&bit(f) != 0 {
				out = append(out, f)
			}
		}
		return out
	}
	subjective := mask&(bit(famSoreness)|bit(famMotSleep)) != 0
	switch {
	case persistent >= th.Rule.MinAbnormalDays:
		res.RuleFired, res.Fired = RuleTwoFamilies, fired
	case th.Rule.DeclinePlusSubjective && mask&bit(famDecline) != 0 && subjective:
		res.RuleFired, res.Fired = RuleDeclinePlusSubjective, withDecline(famSoreness, famMotSleep)
	case lc.decline.abnormal:
		res.RuleFired, res.Fired = RuleLiftingDecline, withDecline(famRPE, famVelocity)
	case lc.sustained.abnormal:
		res.RuleFired, res.Fired = RuleSustainedDecline, withDecline(famRPE)
	case lc.missed.abnormal:
		res.RuleFired, res.Fired = RuleMissedReps, withDecline()
	}
	res.Plateau = lc.plateau.abnormal && mask&^bit(famStagnation) == 0 && res.RuleFired == ""
	res.Checks = s.ruleChecks(lc, th, persistent, mask, daily)
	if spike.abnormal && mask != 0 {
		score += 10
	}
	score = math.Min(score, 100)

	history := uint32(d - s.FirstDay + 1)
	conf, note := confidence(insufficient, epleyOnly, history, th, spike.abnormal && mask != 0)
	res.Mask = mask
	res.ConfidenceNote = note
	res.Assessed = &eventsv1.AthleteAssessed{
		AsOf:             d.Date(),
		Score:            math.Round(score*10) / 10,
		Confidence:       conf,
		Evidence:         evidence,
		AbnormalFamilies: abnormal,
		Load:             load,
		Lifts:            lifts,
		Coverage:         s.coverage(d),
		RuleFired:        res.RuleFired,
		RuleChecks:       res.Checks,
		Plateau:          res.Plateau,
	}
	return res
}

// confidence starts at 1 and drops 0.08 per family without enough data, 0.1 when every e1RM is
// an Epley estimate and 0.1 before 28 days of history; load-spike context adds 0.1.
func confidence(insufficient int, epleyOnly bool, history uint32, th Thresholds, spikeContext bool) (float64, string) {
	c := 1.0
	var notes []string
	if insufficient > 0 {
		c -= 0.08 * float64(insufficient)
		notes = append(notes, fmt.Sprintf("%d of 6 families without enough data", insufficient))
	}
	if epleyOnly {
		c -= 0.1
		notes = append(notes, "e1RM from Epley (no RPE/RIR)")
	}
	if history < uint32(th.Load.ACWRMinHistoryDays) {
		c -= 0.1
		notes = append(notes, fmt.Sprintf("only %d days of history", history))
	}
	if spikeContext {
		c += 0.1
		notes = append(notes, "load spike adds context")
	}
	c = math.Round(math.Max(0.05, math.Min(1, c))*100) / 100
	if len(notes) == 0 {
		return c, "all families had enough data"
	}
	return c, strings.Join(notes, "; ")
}

// Conclude turns the assessment into a status under the alert hygiene and records the day's
// mask: a rule that holds opens a recommendation unless one is open (hysteresis) or the
// cooldown runs; it reports whether the result differs from the last published one.
func (s *State) Conclude(res *Result, th Thresholds) { s.conclude(res, th, true) }

// conclude applies the alert hygiene. canOpen is false for the catch-up assessment of a day
// without events (advanceTo): nobody publishes that result, so a recommendation opened there
// would set the status without ever sending DeloadRecommended. The rule is left to open it on
// the next day with an event, when it still holds.
//
// The cooldown is judged in event time, as of day d: the latest recommendation's own cooldown
// and the deload windows that contain d, none of which starts before the first day that began
// after programming decided it, so a deload scheduled after d (processed early because
// TRAINING lags) does not hold d off.
func (s *State) conclude(res *Result, th Thresholds, canOpen bool) {
	a := res.Assessed
	d := DayFromDate(a.GetAsOf())
	status := commonv1.AthleteStatus_ATHLETE_STATUS_OK
	if a.GetScore() >= th.Rule.WatchScore {
		status = commonv1.AthleteStatus_ATHLETE_STATUS_WATCH
	}
	if res.Plateau {
		// A plateau is worth watching and brings the planned deload forward (programming
		// hears of it once per episode); it never pages the coach.
		if status == commonv1.AthleteStatus_ATHLETE_STATUS_OK {
			status = commonv1.AthleteStatus_ATHLETE_STATUS_WATCH
		}
		if canOpen && (s.Episode.LastPlateauDay == 0 || d > s.Episode.LastPlateauDay+Day(th.Strength.WindowDays)) {
			s.Episode.LastPlateauDay = d
			res.NewPlateau = true
		}
	}
	cooldownThrough, coolingDown := s.CooldownThrough(d)
	if res.RuleFired != "" {
		switch {
		case s.Episode.Open:
			status = commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED
		case coolingDown || !canOpen:
			status = commonv1.AthleteStatus_ATHLETE_STATUS_WATCH
		default:
			status = commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED
			s.Episode.Open = true
			s.Episode.OKStreak = 0
			s.Episode.CooldownUntil = d + Day(th.Rule.CooldownDays)
			s.Episode.LastRecommendationDay = d
			res.NewRecommendation = true
			cooldownThrough, coolingDown = s.CooldownThrough(d)
		}
	}
	a.Status = status
	a.PreviousStatus = s.Published.Status
	if coolingDown {
		a.CooldownUntil = cooldownThrough.Date()
	}
	if s.inRing(d) {
		r := s.rec(d)
		r.Mask, r.Status = res.Mask, uint8(status)
		r.Flags |= flagAssessed
	}
	band := uint8(a.GetScore() / 10)
	p := s.Published
	res.Changed = !p.Valid || p.Status != status || p.Mask != res.Mask || p.ScoreBand != band || res.NewRecommendation || res.NewPlateau
	if res.Changed {
		s.Published = Published{Valid: true, Status: status, ScoreBand: band, Mask: res.Mask, Day: d}
	}
}

// Step assesses the current day and concludes it: what the service runs after each event.
func (s *State) Step(th Thresholds) Result {
	res := s.Assess(s.LastDay, th)
	s.conclude(&res, th, true)
	return res
}

var liftNames = map[commonv1.LiftCategory]string{
	commonv1.LiftCategory_LIFT_CATEGORY_SQUAT:          "Squat",
	commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS:    "Bench press",
	commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT:       "Deadlift",
	commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS: "Overhead press",
}

func dates(days ...Day) []*commonv1.Date {
	out := make([]*commonv1.Date, 0, len(days))
	for _, d := range days {
		out = append(out, d.Date())
	}
	return out
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round2(x float64) float64 { return math.Round(x*100) / 100 }

func within(a, b, tolPct float64) bool { return math.Abs(a-b) <= b*tolPct/100+1e-9 }

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
	var parts []string
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
			parts = append(parts, fmt.Sprintf("%s %s %.1f kg x %d at RPE %.1f vs %.1f", day, liftNames[mainLifts[li]], cur.TopLoad, cur.TopReps, cur.RPE, b))
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
		fm.evidence = []*eventsv1.Evidence{{Family: famRPE, Metric: "rpe_drift", Unit: "rpe", InsufficientData: true,
			Detail: fmt.Sprintf("No rated main-lift set on the last %d lifting days at a load and reps rated in the %d days before them", th.RPEDrift.RecentSessions, th.RPEDrift.BaselineDays)}}
		return fm
	}
	fm.abnormal = len(upDays) >= th.RPEDrift.DaysNeeded
	fm.evidence = []*eventsv1.Evidence{{
		Family: famRPE, Metric: "rpe_drift", Value: f64(round2(latest)), Baseline: f64(0), Threshold: f64(th.RPEDrift.RPERise),
		Unit: "rpe", Abnormal: fm.abnormal, Dates: dates(upDays...), AbnormalDays: uint32(len(upDays)), WindowDays: uint32(d - s.recentLiftingStart(d, st)),
		BaselineFrom: dateOrNil(baseFrom), BaselineTo: dateOrNil(baseTo),
		Detail: fmt.Sprintf("RPE at familiar loads up %+.1f or more on %d of the last %d lifting days (fires at %d; latest %+.1f vs the median of %s..%s): %s",
			th.RPEDrift.RPERise, len(upDays), judged, th.RPEDrift.DaysNeeded, latest, baseFrom, baseTo, strings.Join(parts, "; ")),
	}}
	return fm
}

// barSpeed checks each lift's last Exposures velocity exposures against the athlete's own
// velocity at that load: the mean of earlier exposures at the same load (+-tolerance) within
// BaselineDays (at least minVelocityBaseline of them), or else the load-velocity profile fitted
// on them. A lift is slow when RequiredExposures of them are and the latest one is: a lift
// trained once a week keeps two slow exposures among its last three for up to three weeks,
// long after bar speed is back.
func (s *State) barSpeed(d Day, th Thresholds) family {
	fm := family{f: famVelocity}
	vt := th.Velocity
	var best *eventsv1.Evidence
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
		best = &eventsv1.Evidence{
			Family: famVelocity, Metric: "velocity_drop_pct", Value: f64(round1(lastDrop)), Baseline: f64(round2(lastBase)),
			Threshold: f64(vt.MinDropPct), Unit: "%", Abnormal: slow >= vt.RequiredExposures && lastSlow, LiftCategory: mainLifts[li],
			Dates: dates(slowDays...), AbnormalDays: uint32(slow), WindowDays: uint32(vt.BaselineDays),
			Detail: fmt.Sprintf("%s bar speed %.2f m/s at %.1f kg, %.1f%% below the usual %.2f m/s; slow on %d of the last %d exposures (fires at %d, drop > %.0f%%)",
				liftNames[mainLifts[li]], last.Vel, last.TopLoad, lastDrop, lastBase, slow, judged, vt.RequiredExposures, vt.MinDropPct),
		}
	}
	if best == nil {
		fm.insufficient = true
		best = &eventsv1.Evidence{Family: famVelocity, Metric: "velocity_drop_pct", Unit: "%", InsufficientData: true,
			Detail: "No recent bar-speed measurements with a baseline at that load"}
	}
	fm.abnormal = best.GetAbnormal()
	fm.evidence = []*eventsv1.Evidence{best}
	return fm
}

// wellnessItems of the motivation-and-sleep family.
type motSleepItem struct {
	slot int
	item commonv1.WellnessItem
	name string
}

var motSleepItems = []motSleepItem{
	{itemMotivation, commonv1.WellnessItem_WELLNESS_ITEM_MOTIVATION, "motivation"},
	{itemFatigue, commonv1.WellnessItem_WELLNESS_ITEM_FATIGUE, "fatigue"},
	{itemSleep, commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_QUALITY, "sleep quality"},
}

// minWellnessBaseline is the fewest baseline reports an item's mean and SD rest on: two weeks
// of answers, so a baseline of a few days cannot turn ordinary noise into z <= -1.
const minWellnessBaseline = 14

// wellness evaluates soreness/joint discomfort and motivation/sleep: z-scores of the last
// WindowReports reports (within 14 days) against the BaselineDays before them.
func (s *State) wellness(d Day, th Thresholds) (sore, mot family) {
	wt := th.Wellness
	sore, mot = family{f: famSoreness}, family{f: famMotSleep}
	var window []Day
	for day := d; day > d-14 && len(window) < wt.WindowReports; day-- {
		if s.inRing(day) && s.rec(day).Flags&flagWellness != 0 {
			window = append(window, day)
		}
	}
	zOf := func(value func(Day) (float64, bool)) (zs map[Day]float64, mean, sd float64, ok bool) {
		if len(window) == 0 {
			return nil, 0, 0, false
		}
		start := window[len(window)-1]
		var base []float64
		for day := start - 1; day >= start-Day(wt.BaselineDays); day-- {
			if s.inRing(day) {
				if v, has := value(day); has {
					base = append(base, v)
				}
			}
		}
		if len(base) < minWellnessBaseline {
			return nil, 0, 0, false
		}
		mean, sd = MeanSD(base, true)
		zs = map[Day]float64{}
		for _, day := range window {
			if v, has := value(day); has {
				zs[day] = WellnessZ(v, mean, sd)
			}
		}
		return zs, mean, sd, len(zs) >= 3
	}
	itemEvidence := func(fam commonv1.SignalFamily, value func(Day) (float64, bool), item commonv1.WellnessItem, name, metric string) (*eventsv1.Evidence, map[Day]bool, bool) {
		zs, mean, sd, ok := zOf(value)
		if !ok {
			return &eventsv1.Evidence{Family: fam, Metric: metric, Unit: "z", InsufficientData: true, WellnessItem: item,
				Detail: fmt.Sprintf("Too few %s reports (needs 3 of the last %d and %d in the %d days before)", name, wt.WindowReports, minWellnessBaseline, wt.BaselineDays)}, nil, false
		}
		flagged := map[Day]bool{}
		var fdays []Day
		for _, day := range window {
			if z, has := zs[day]; has && z <= wt.AmberZ {
				flagged[day] = true
				fdays = append(fdays, day)
			}
		}
		latest := zs[window[0]]
		for _, day := range window { // newest report that answered the item
			if z, has := zs[day]; has {
				latest = z
				break
			}
		}
		// A few low answers in an otherwise normal week are how 1-5 answers scatter around
		// a mean between two integers; the week as a whole must also lean low (mean z at or
		// below half the amber level).
		var zsum float64
		for _, z := range zs {
			zsum += z
		}
		meanZ := zsum / float64(len(zs))
		abn := len(fdays) >= wt.MinFlaggedReports && meanZ <= wt.AmberZ/2
		return &eventsv1.Evidence{
			Family: fam, Metric: metric, Value: f64(round2(latest)), Baseline: f64(round2(mean)), Threshold: f64(wt.AmberZ),
			Unit: "z", Abnormal: abn, Dates: dates(fdays...), AbnormalDays: uint32(len(fdays)), WindowDays: uint32(len(window)),
			WellnessItem: item,
			Detail: fmt.Sprintf("%s z <= %.1f on %d of the last %d reports (fires at %d with a mean z <= %.1f; mean z %.1f, latest %.1f vs baseline %.1f, SD %.2f)",
				capitalize(name), wt.AmberZ, len(fdays), len(window), wt.MinFlaggedReports, wt.AmberZ/2, meanZ, latest, mean, sd),
		}, flagged, true
	}

	ev, _, ok := itemEvidence(famSoreness, s.itemValue(itemSoreness), commonv1.WellnessItem_WELLNESS_ITEM_SORENESS, "soreness", "soreness_z")
	sore.evidence = append(sore.evidence, ev)
	sore.abnormal = ev.GetAbnormal()
	// Joint pain is absolute: any report in the last 7 days at or above the flag.
	var painDays []Day
	maxPain := uint8(0)
	reported := false
	for day := d; day > d-7; day-- {
		if s.inRing(day) && s.rec(day).Flags&flagWellness != 0 {
			reported = true
			if p := s.rec(day).JointPain; p > 0 {
				maxPain = max(maxPain, p)
				if int(p) >= wt.JointPainFlag {
					painDays = append(painDays, day)
				}
			}
		}
	}
	if reported {
		pain := &eventsv1.Evidence{Family: famSoreness, Metric: "joint_pain", Value: f64(float64(maxPain)), Threshold: f64(float64(wt.JointPainFlag)),
			Unit: "score", Abnormal: len(painDays) > 0, Dates: dates(painDays...), AbnormalDays: uint32(len(painDays)), WindowDays: 7,
			WellnessItem: commonv1.WellnessItem_WELLNESS_ITEM_JOINT_PAIN,
			Detail:       fmt.Sprintf("Highest joint pain in the last 7 days %d/5 (flag at %d/5)", maxPain, wt.JointPainFlag)}
		sore.evidence = append(sore.evidence, pain)
		sore.abnormal = sore.abnormal || pain.Abnormal
	}
	sore.insufficient = !ok && !reported

	// The family's verdict rests on the composite of its items (the mean answer of motivation,
	// fatigue and sleep quality per report, McLean 2010's summed score), z-scored against its
	// own baseline like an item: three items each tested alone fire three times as often on
	// noise, while overreaching moves them together. Each item's own z stays in the evidence
	// (informative, not deciding) so a coach sees which answers moved.
	ev, _, ok = itemEvidence(famMotSleep, s.compositeValue(motSleepItems), commonv1.WellnessItem_WELLNESS_ITEM_UNSPECIFIED,
		"motivation, fatigue and sleep (mean answer)", "motivation_sleep_composite_z")
	mot.evidence = append(mot.evidence, ev)
	mot.abnormal = ev.GetAbnormal()
	mot.insufficient = !ok
	for _, it := range motSleepItems {
		iev, _, _ := itemEvidence(famMotSleep, s.itemValue(it.slot), it.item, it.name, strings.ReplaceAll(it.name, " ", "_")+"_z")
		iev.Abnormal = false
		mot.evidence = append(mot.evidence, iev)
	}
	return sore, mot
}

// itemValue reads one wellness item of a day (false when not answered).
func (s *State) itemValue(slot int) func(Day) (float64, bool) {
	return func(d Day) (float64, bool) {
		v := s.rec(d).Wellness[slot]
		return float64(v), v > 0
	}
}

// compositeValue is the mean answer of the items a report answered (false when none).
func (s *State) compositeValue(items []motSleepItem) func(Day) (float64, bool) {
	return func(d Day) (float64, bool) {
		sum, n := 0.0, 0
		for _, it := range items {
			if v := s.rec(d).Wellness[it.slot]; v > 0 {
				sum += float64(v)
				n++
			}
		}
		if n == 0 {
			return 0, false
		}
		return sum / float64(n), true
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// minVelocityBaseline is the fewest earlier exposures at the same load (+-tolerance) whose mean
// is the usual velocity there.
const minVelocityBaseline = 2

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
		ev := &eventsv1.Evidence{Family: famReadiness, Metric: "hrv_ln_rmssd_7d", Value: f64(round2(h.Rolling)), Baseline: f64(round2(h.BaselineMean)),
			Threshold: f64(round2(h.Threshold)), Unit: "ln(ms)", Abnormal: h.Abnormal, Dates: dates(rollDays...),
			AbnormalDays: uint32(h.Mornings), WindowDays: uint32(rt.HRVRollingDays),
			Detail: fmt.Sprintf("HRV ln(rMSSD) %d-day mean %.2f vs baseline %.2f (band floor %.2f = mean - %.1f SD) from %d mornings",
				rt.HRVRollingDays, h.Rolling, h.BaselineMean, h.Threshold, rt.HRVSWCSD, h.Mornings)}
		fm.evidence = append(fm.evidence, ev)
		fm.abnormal = h.Abnormal
	} else {
		fm.evidence = append(fm.evidence, &eventsv1.Evidence{Family: famReadiness, Metric: "hrv_ln_rmssd_7d", Unit: "ln(ms)", InsufficientData: true,
			WindowDays: uint32(rt.HRVRollingDays),
			Detail:     fmt.Sprintf("HRV: %d mornings in the last %d days (needs %d) or a baseline under 14 mornings", len(rolling), rt.HRVRollingDays, rt.HRVMinMorningsPerWeek)})
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
		fm.evidence = append(fm.evidence, &eventsv1.Evidence{Family: famReadiness, Metric: "cmj_drop_pct", Value: f64(round1(drop)), Baseline: f64(round1(b)),
			Threshold: f64(rt.CMJMinDropPct), Unit: "%", Abnormal: abn, Dates: dates(recentDays...), WindowDays: 7,
			Detail: fmt.Sprintf("CMJ %.1f cm this week vs %.1f cm baseline (%.1f%% lower; fires above %.0f%%)", r, b, drop, rt.CMJMinDropPct)})
		fm.abnormal = fm.abnormal || abn
	}
	fm.insufficient = !hrvOK && !cmjOK
	return fm
}

// load computes the load metrics and the load-spike context family.
func (s *State) load(d Day, th Thresholds) (*eventsv1.LoadMetrics, family) {
	m, ctl7, hasCTL7, week := s.loadSeries(d, th)
	lm := &eventsv1.LoadMetrics{
		Ctl: f64(round1(m.CTL)), Atl: f64(round1(m.ATL)), Tsb: f64(round1(m.CTL - m.ATL)),
	}
	if hasCTL7 {
		lm.CtlRamp = f64(round1(m.CTL - ctl7))
	}
	unit := "kg"
	if s.HasSessionLoad {
		unit = "au"
	}
	fm := family{f: famLoadSpike}
	a, c := m.AcuteChronic(th.Load)
	if acwr, ok := m.ACWR(th.Load); ok {
		lm.Acwr, lm.AcuteLoadAu, lm.ChronicLoadAu = f64(round2(acwr)), f64(round1(a)), f64(round1(c))
		abn := acwr >= th.Load.ACWRHigh
		fm.abnormal = abn
		fm.evidence = append(fm.evidence, &eventsv1.Evidence{Family: famLoadSpike, Metric: "acwr", Value: f64(round2(acwr)), Baseline: f64(round1(c)),
			Threshold: f64(th.Load.ACWRHigh), Unit: "ratio", Abnormal: abn, ContextOnly: true, WindowDays: uint32(th.Load.ACWRChronicDays),
			Detail: fmt.Sprintf("ACWR %.2f (acute %.0f vs chronic %.0f %s/day; high at %.1f; context only)", acwr, a, c, unit, th.Load.ACWRHigh)})
	} else {
		fm.evidence = append(fm.evidence, &eventsv1.Evidence{Family: famLoadSpike, Metric: "acwr", Unit: "ratio", ContextOnly: true, InsufficientData: true,
			Detail: fmt.Sprintf("ACWR hidden for the first %d days of history", th.Load.ACWRMinHistoryDays)})
	}
	if mono, strain, ok := Monotony(week[:]); ok {
		lm.Monotony, lm.Strain = f64(round2(mono)), f64(round1(strain))
		abn := mono > th.Load.MonotonyHigh
		fm.abnormal = fm.abnormal || abn
		fm.evidence = append(fm.evidence, &eventsv1.Evidence{Family: famLoadSpike, Metric: "monotony", Value: f64(round2(mono)),
			Threshold: f64(th.Load.MonotonyHigh), Unit: "ratio", Abnormal: abn, ContextOnly: true, WindowDays: 7,
			Detail: fmt.Sprintf("Monotony %.2f over 7 days (high above %.1f), strain %.0f", mono, th.Load.MonotonyHigh, strain)})
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
		lm.WeeklySessionLoadAu = f64(round1(session))
	}
	lm.WeeklyVolumeLoadKg, lm.WeeklyHardSets = f64(round1(volume)), &hard
	return lm, fm
}

func (s *State) coverage(d Day) *eventsv1.DataCoverage {
	c := &eventsv1.DataCoverage{HistoryDays: uint32(d - s.FirstDay + 1), Shape: s.shape(d)}
	c.LiftingDays_28D = uint32(len(s.liftingDaysIn(d-28, d)))
	for day := d; day > d-28; day-- {
		if !s.inRing(day) {
			continue
		}
		r := s.rec(day)
		if r.Flags&flagSets != 0 {
			c.SetDays_28D++
		}
		if r.Flags&flagCMJ != 0 {
			c.CmjDays_28D++
		}
		if day > d-7 {
			if r.Flags&flagWellness != 0 {
				c.WellnessDays_7D++
			}
			if r.Flags&flagHRV != 0 {
				c.HrvDays_7D++
			}
		}
	}
	return c
}
