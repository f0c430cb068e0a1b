package domain

import (
	"math"
	"slices"
)

// The lifting_decline rule on rated logs: each main lift's effort-adjusted e1RM (the mean over
// the day's rated sets, each from its load, reps and RPE) is followed by a local linear trend, a
// level and a weekly progress that both drift slowly (a Kalman filter on the log of the e1RM,
// fed the exposures of the kept 12 weeks less the latest week), and every lifting day is scored
// by how many standard deviations it falls short of the trend's forecast. The scores accumulate
// in a one-sided CUSUM (Page 1954): each day adds its shortfall less a slack, the sum never goes
// below zero, and the rule holds when it passes a threshold with the run's lifts also below
// their last level (short of the trend alone is a plateau). While a run of short days is open,
// through the cooldown of a run that fired, and while the recommendation is open, the forecast
// stays the one from before the run, so the episode being detected never moves its own
// reference.
//
// Why this and not a mean over a baseline window: on simulated sets+RPE logs an oracle that
// knows each athlete's untouched strength sees nearly every overreach within 14 days (simulate's
// TestDetectionCeiling); a 21-day mean of 6-9 exposures per lift misses a fifth of them, because
// its own uncertainty is as large as the early overreach. The trend filter uses the whole kept
// history, weighs recent exposures more, and keeps the athlete's progress in the forecast.

// Filter noise, in percent of e1RM (the filter works on 100*ln(e1RM)). Chosen with the rule's
// thresholds on the tuning seeds of simulate (see the fatigue README).
const (
	// shortfallObsSD is the scatter of one lift's effort-adjusted e1RM around its true level: a
	// day's form (1-2%) and the rating noise of a few sets.
	shortfallObsSD = 1.75
	// shortfallLevelDrift is how far the level may wander per day beyond the trend (% per
	// square-root day).
	shortfallLevelDrift = 0.2
	// shortfallProgressSD is the prior spread of a lift's weekly progress (% per week) around
	// no progress.
	shortfallProgressSD = 0.5
	// shortfallPerSession raises the threshold by this many SD per weekly lifting day above
	// three (and lowers it below): more lifting days give noise more chances to accumulate.
	shortfallPerSession = 0.75
	// shortfallMaxGapDays is how old a lift's last exposure may be for its forecast to count.
	shortfallMaxGapDays = 42
	// shortfallMinDays is the fewest lifting days a run needs to fire: one awful day (a cold,
	// a bad night) is not a trend, however far short it falls.
	shortfallMinDays = 2
	// shortfallBelowLevelSD is how far, on average over the run's days, the lifts must be
	// below their last level (the trend's forecast without its progress) for the run to fire.
	// An athlete who stops progressing falls short of a trend that expected progress, and the
	// sum grows with every week of the plateau; a plateau brings the next planned deload
	// forward and is no reason to page the coach (the rule), and it was most of the
	// false recommendations on rated logs in simulate. Overreaching takes strength below the
	// level it had.
	shortfallBelowLevelSD = 1.0
	// shortfallLagDays keeps the latest week out of the forecast: an overreach starts as days
	// just short of the trend, too little to open a run, and a forecast that took them in
	// would follow the athlete down before the run opened.
	shortfallLagDays = 7
)

// trendFilter is one lift's local linear trend: level (100*ln kg) and progress per day at day t,
// with their covariance.
type trendFilter struct {
	started       bool
	t             Day
	level, slope  float64
	pll, pls, pss float64
}

// forecast is the filter's expected 100*ln(e1RM) at day d and the variance of an observation
// there.
func (f *trendFilter) forecast(d Day) (mean, variance float64) {
	dt := float64(d - f.t)
	mean = f.level + f.slope*dt
	variance = f.pll + 2*dt*f.pls + dt*dt*f.pss + shortfallLevelDrift*shortfallLevelDrift*dt + shortfallObsSD*shortfallObsSD
	return mean, variance
}

// flatForecast is the filter's last level carried to day d without progress, and the variance
// of an observation there.
func (f *trendFilter) flatForecast(d Day) (mean, variance float64) {
	return f.level, f.pll + shortfallLevelDrift*shortfallLevelDrift*float64(d-f.t) + shortfallObsSD*shortfallObsSD
}

// observe folds one exposure into the filter.
func (f *trendFilter) observe(d Day, y float64) {
	if !f.started {
		perDay := shortfallProgressSD / 7
		*f = trendFilter{started: true, t: d, level: y, pll: shortfallObsSD * shortfallObsSD, pss: perDay * perDay}
		return
	}
	dt := float64(d - f.t)
	level := f.level + f.slope*dt
	pll := f.pll + 2*dt*f.pls + dt*dt*f.pss + shortfallLevelDrift*shortfallLevelDrift*dt
	pls := f.pls + dt*f.pss
	pss := f.pss
	innovationVar := pll + shortfallObsSD*shortfallObsSD
	kl, ks := pll/innovationVar, pls/innovationVar
	innovation := y - level
	f.t = d
	f.level, f.slope = level+kl*innovation, f.slope+ks*innovation
	f.pll, f.pls, f.pss = (1-kl)*pll, (1-kl)*pls, pss-ks*pls
}

// shortfall is the CUSUM's verdict as of a day.
type shortfall struct {
	// sum is the CUSUM (SD) on the latest lifting day, needed the threshold there.
	sum, needed float64
	// holds is true when the CUSUM passed the threshold on the latest lifting day, or passed it
	// within the cooldown before and the lifts are still short of the forecast it held.
	holds bool
	// runDays are the lifting days of the open run (or of the run that fired), runZ their scores.
	runDays []Day
	runZ    []float64
	// belowLevel is the run's mean score against the lifts' last level without progress.
	belowLevel float64
	// firedOn is the day the CUSUM passed the threshold (0 when it has not in the cooldown).
	firedOn Day
	// refFrom..refTo are the exposures the forecast rests on.
	refFrom, refTo Day
	// judged is false when there are no rated lifting days to score.
	judged bool
	// scoredOn is the latest rated lifting day scored against the trend.
	scoredOn Day
}

// measuresStrength says whether the trend scored a rated lifting day in the days from..to.
func (sf shortfall) measuresStrength(from, to Day) bool {
	return sf.judged && sf.scoredOn >= from && sf.scoredOn <= to
}

// ratedLiftDay is one lift's effort-adjusted e1RM on a day.
type ratedLiftDay struct {
	li  int
	day Day
	y   float64 // 100*ln(e1RM)
}

// appendRated appends the rated main-lift exposures up to d to buf, in day order. The caller
// passes a buffer with room for every kept exposure, so this allocation-free loop stays cheap on
// every assessment.
func (s *State) appendRated(buf []ratedLiftDay, d Day, st StrengthThresholds) []ratedLiftDay {
	for li := range s.lifts {
		for _, ld := range s.lifts[li] {
			if Day(ld.Day) > d {
				continue
			}
			if ld.NRated > 0 {
				buf = append(buf, ratedLiftDay{li: li, day: Day(ld.Day), y: float64(ld.Rated)})
			} else if e, ok := ratedE1RM(ld, st); ok {
				// An exposure kept from a snapshot written before the mean of the rated
				// sets was: its top sets are what there is.
				buf = append(buf, ratedLiftDay{li: li, day: Day(ld.Day), y: 100 * math.Log(e)})
			}
		}
	}
	slices.SortStableFunc(buf, func(a, b ratedLiftDay) int { return int(a.day - b.day) })
	return buf
}

// appendLiftingDays appends the athlete's lifting days in (from, to] to buf, in day order and
// each once.
func (s *State) appendLiftingDays(buf []Day, from, to Day) []Day {
	for li := range s.lifts {
		for _, ld := range s.lifts[li] {
			if day := Day(ld.Day); day <= to && day > from && (ld.E1RM > 0 || ld.NRPE > 0) {
				buf = append(buf, day)
			}
		}
	}
	slices.Sort(buf)
	return slices.Compact(buf)
}

// judgeShortfall replays the athlete's rated lifting days up to d through the trend filters and
// the CUSUM. It is a function of the kept exposures and the open recommendation, both kept in
// event time, so the same log gives the same verdict however late it was processed.
func (s *State) judgeShortfall(d Day, th Thresholds) shortfall {
	st := th.Strength
	var ratedBuf [len(mainLifts) * maxLiftDays]ratedLiftDay
	var liftedBuf [len(mainLifts) * maxLiftDays]Day
	var groupBuf [len(mainLifts)*maxLiftDays + 1][]ratedLiftDay
	rated := s.appendRated(ratedBuf[:0], d, st)
	lifted := s.appendLiftingDays(liftedBuf[:0], d-LiftRetentionDays, d)
	days := groupBuf[:0]
	for i := 0; i < len(rated); {
		j := i
		for j < len(rated) && rated[j].day == rated[i].day {
			j++
		}
		days = append(days, rated[i:j])
		i = j
	}
	var out shortfall
	var filters [len(mainLifts)]trendFilter
	folded := 0 // days[:folded] are in the filters
	sum, belowSum := 0.0, 0.0
	runFrom, holdFrom := -1, -1 // first day (index) of the open run, of the run that fired
	quietUntil := Day(0)
	// While a recommendation is open the forecast stays the one it was judged against, as the
	// strength baseline does: an athlete who never deloads must not read as recovered because
	// the trend followed them down.
	episodeFrom := Day(0)
	if s.Episode.Open && s.Episode.LastRecommendationDay > 0 && s.Episode.LastRecommendationDay <= d {
		episodeFrom = s.Episode.LastRecommendationDay
	}
	frozen := -1
	for i, today := range days {
		day := today[0].day
		if episodeFrom > 0 && day > episodeFrom && frozen < 0 {
			switch {
			case day < quietUntil:
				frozen = holdFrom
			case runFrom >= 0:
				frozen = runFrom
			default:
				frozen = i
				for frozen > 0 && days[frozen-1][0].day >= episodeFrom {
					frozen--
				}
			}
		}
		// The forecast rests on the days before the open run, or through the cooldown of a
		// run that fired on the days before that run, else on every earlier day.
		limit := i
		switch {
		case frozen >= 0:
			limit = frozen
		case day < quietUntil:
			limit = holdFrom
		case runFrom >= 0:
			limit = runFrom
		}
		if frozen < 0 && day >= quietUntil {
			for limit > 0 && days[limit-1][0].day > day-shortfallLagDays {
				limit--
			}
		}
		for ; folded < limit; folded++ {
			for _, r := range days[folded] {
				filters[r.li].observe(r.day, r.y)
			}
		}
		holding := day < quietUntil || frozen >= 0
		z, zFlat, n := 0.0, 0.0, 0
		for _, r := range today {
			f := &filters[r.li]
			if !f.started || !holding && day-f.t > shortfallMaxGapDays {
				continue
			}
			flatMean, flatVariance := f.flatForecast(day)
			zFlat += (flatMean - r.y) / math.Sqrt(flatVariance)
			mean, variance := f.forecast(day)
			if holding {
				// Held, the forecast grows less certain by the week; whether the lifts are
				// still short is judged on the scatter of one exposure around it, or an
				// athlete who never deloads would read as recovered after a few weeks.
				variance = f.pll + shortfallObsSD*shortfallObsSD
			}
			z += (mean - r.y) / math.Sqrt(variance)
			n++
		}
		if n == 0 {
			continue
		}
		z /= math.Sqrt(float64(n)) // the lifts of a day as one score (Stouffer)
		zFlat /= math.Sqrt(float64(n))
		out.judged, out.scoredOn = true, day
		if holding {
			// In the cooldown of a run that fired, or the open recommendation: the lifts stay
			// short of the forecast it held, or they do not.
			out.runDays, out.runZ = append(out.runDays, day), append(out.runZ, z)
			out.holds = z > st.ShortfallSlackSD
			continue
		}
		out.firedOn = 0
		prev := sum
		sum = math.Max(0, sum+z-st.ShortfallSlackSD)
		switch {
		case sum == 0:
			runFrom, belowSum = -1, 0
			out.runDays, out.runZ = nil, nil
		case prev == 0:
			runFrom, belowSum = i, zFlat
			out.runDays, out.runZ = []Day{day}, []float64{z}
		default:
			belowSum += zFlat
			out.runDays, out.runZ = append(out.runDays, day), append(out.runZ, z)
		}
		out.belowLevel = 0
		if len(out.runDays) > 0 {
			out.belowLevel = belowSum / float64(len(out.runDays))
		}
		// Lifting days a week over the four weeks before.
		from, _ := slices.BinarySearch(lifted, day-27)
		to, _ := slices.BinarySearch(lifted, day)
		out.needed = math.Max(st.ShortfallSDNeeded/2, st.ShortfallSDNeeded+shortfallPerSession*(float64(to-from)/4-3))
		out.sum = sum
		out.holds = sum > out.needed && len(out.runDays) >= shortfallMinDays && out.belowLevel >= shortfallBelowLevelSD
		if out.holds {
			out.firedOn = day
			holdFrom, quietUntil = runFrom, day+Day(th.Rule.CooldownDays)
			sum, runFrom = 0, -1
		}
	}
	if out.scoredOn < quietUntil && d >= quietUntil && frozen < 0 {
		// The cooldown of the run that fired is over with no lifting day since: what held in
		// it does not carry past it.
		out.holds = false
	}
	for _, f := range filters {
		if f.started && f.t > out.refTo {
			out.refTo = f.t
		}
	}
	if folded > 0 {
		out.refFrom = days[0][0].day
	}
	return out
}

// evidence explains the CUSUM: the run's days with their scores, the sum and the threshold.
func (sf shortfall) evidence(st StrengthThresholds) *Evidence {
	// The first days of the run and the latest ones: a run held through a long episode would
	// otherwise list every lifting day of it.
	zs := make([]Text, 0, len(sf.runZ))
	for i, z := range sf.runZ {
		if i == 2 && len(sf.runZ) > 6 {
			zs = append(zs, plainText("..."))
		}
		if i < 2 || i >= len(sf.runZ)-4 {
			zs = append(zs, textf("%s %.1f SD", sf.runDays[i], z))
		}
	}
	ev := &Evidence{
		Family: famDecline, Metric: "e1rm_shortfall_sd", Value: f64(round2(sf.sum)), Baseline: f64(0), Threshold: f64(round2(sf.needed)), Unit: "SD",
		Abnormal: sf.holds, Dates: dates(sf.runDays...), AbnormalDays: uint32(len(sf.runDays)), BaselineFrom: sf.refFrom, BaselineTo: sf.refTo,
	}
	switch {
	case sf.firedOn > 0 && sf.firedOn == sf.latest():
		ev.Detail = textf("Effort-adjusted e1RM (load, reps and RPE) short of each main lift's trend (exposures %s..%s) on the lifting days since %s (%s): cumulative shortfall %.2f SD, past %.2f (a day adds what it falls short beyond %.2f SD), and %.2f SD below the lifts' last level on average (a decline, not a plateau)",
			sf.refFrom, sf.refTo, sf.runDays[0], textList{zs, ", "}, sf.sum, sf.needed, st.ShortfallSlackSD, sf.belowLevel)
	case sf.firedOn > 0:
		ev.Value = f64(round2(sf.runZ[len(sf.runZ)-1]))
		ev.Detail = textf("Effort-adjusted e1RM passed its cumulative shortfall threshold on %s against each main lift's trend (exposures %s..%s); short since %s (%s; the decline holds while the latest lifting day is more than %.2f SD short)",
			sf.firedOn, sf.refFrom, sf.refTo, sf.runDays[0], textList{zs, ", "}, st.ShortfallSlackSD)
	case len(sf.runDays) > 0:
		ev.Detail = textf("Effort-adjusted e1RM short of each main lift's trend (exposures %s..%s) on the lifting days since %s (%s): cumulative shortfall %.2f SD, fires past %.2f with at least %d lifting days (a day adds what it falls short beyond %.2f SD) and the lifts %.1f SD or more below their last level on average (now %.2f; short of the trend alone is a plateau)",
			sf.refFrom, sf.refTo, sf.runDays[0], textList{zs, ", "}, sf.sum, sf.needed, shortfallMinDays, st.ShortfallSlackSD, shortfallBelowLevelSD, sf.belowLevel)
	default:
		ev.Detail = textf("Effort-adjusted e1RM on or above each main lift's trend (exposures %s..%s): no shortfall accumulating (fires past %.2f SD)", sf.refFrom, sf.refTo, sf.needed)
	}
	return ev
}

func (sf shortfall) latest() Day {
	if len(sf.runDays) == 0 {
		return 0
	}
	return sf.runDays[len(sf.runDays)-1]
}
