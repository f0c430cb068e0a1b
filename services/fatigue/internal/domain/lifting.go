package domain

import (
	"math"
	"slices"
)

// Lifting signals are judged on the athlete's own exposures: a lift trained twice a week gives
// two numbers a week, and a calendar window of 7 days holds at most three lifting days. So the
// strength and effort signals are computed per lifting day, persistence is counted over the
// last lifting days, and every baseline is taken from the exposures before the recent window,
// so an episode that began inside the window cannot have moved it.

// liftOn is lift li's record of day d, nil when not trained.
func (s *State) liftOn(li int, d Day) *liftDay {
	for i := range s.lifts[li] {
		if Day(s.lifts[li][i].Day) == d {
			return &s.lifts[li][i]
		}
	}
	return nil
}

// effortE1RM is the strength a lift showed on a day: with a rating, the e1RM of the top load and
// reps at the mean RPE of its top sets (one estimate from several ratings, steadier than the
// day's best set); without, the day's best estimate (Epley).
func effortE1RM(ld liftDay, st StrengthThresholds) (float64, bool) {
	if e, ok := ratedE1RM(ld, st); ok {
		return e, false
	}
	if ld.E1RM > 0 {
		return float64(ld.E1RM), ld.Flags&liftEpley != 0
	}
	return 0, false
}

// ratedE1RM is the e1RM of the day's top load and reps at the mean RPE of its top sets (RTS
// chart), when the rating is one the chart can be trusted with.
func ratedE1RM(ld liftDay, st StrengthThresholds) (float64, bool) {
	if ld.NRPE == 0 || float64(ld.RPE) < st.E1RMMinRPE || int(ld.TopReps) > st.E1RMMaxReps || ld.TopReps == 0 {
		return 0, false
	}
	pct, ok := RTSPercent(float64(ld.TopReps) + 10 - float64(ld.RPE))
	if !ok {
		return 0, false
	}
	return float64(ld.TopLoad) * 100 / pct, true
}

// maxPlausibleChange bounds the change of a lift's level that is read as strength: fatigue
// moves e1RM by a few percent (2-10% in overreaching studies), while a lift 20% away from its
// baseline in a few weeks is another exercise logged under the same lift (front squat for back
// squat, a machine or dumbbell variant) or a new program, not fatigue.
const maxPlausibleChange = 0.20

// strengthView is the athlete's recent strength against their own baseline, pooled over the
// main lifts: each exposure as a percentage of its lift's baseline level.
type strengthView struct {
	ok bool
	// meanPct is the mean of the recent lifting days (% vs baseline, each day the mean of its
	// lifts), sdPct the athlete's day-to-day scatter in the baseline period, n the recent
	// lifting days and exposures the recent lift exposures.
	meanPct, sdPct float64
	n, exposures   int
	// baseFrom..baseTo is the baseline period, recentFrom..recentTo the recent exposures.
	baseFrom, baseTo, recentFrom, recentTo Day
	epley                                  bool
	lifts                                  []liftView
}

// liftView is one lift's part of a strengthView.
type liftView struct {
	li            int
	level, recent float64 // baseline mean and recent mean e1RM, kg
	n             int
	epley         bool
	lastOn        Day
}

// recentLiftingStart is the day before the recent window up to d: the lifting days of the last
// RecentWindowDays, and at least the last RecentLiftingDays lifting days (within RecentDays at
// most). A week holds as many lifting days as the athlete trains (two to four), so four sessions
// a week are judged on four days over the same span, and two sessions a week on at least two.
func (s *State) recentLiftingStart(d Day, st StrengthThresholds) Day {
	days := s.liftingDaysIn(d-Day(st.RecentDays), d)
	if len(days) <= st.RecentLiftingDays {
		return d - Day(st.RecentDays)
	}
	return min(d-Day(st.RecentWindowDays), days[len(days)-st.RecentLiftingDays]-1)
}

// strengthAsOf compares the exposures of the last RecentLiftingDays lifting days up to d with
// the baseline period, the BaselineDays before them. While a recommendation is open the
// baseline stays the one it was judged against: a baseline that slid on into the episode would
// take the overreached level for normal, and an athlete who never deloaded would read as
// recovered after a few weeks.
func (s *State) strengthAsOf(d Day, st StrengthThresholds) strengthView {
	recentStart := s.recentLiftingStart(d, st)
	baseEnd := recentStart
	if s.Episode.Open && s.Episode.LastRecommendationDay > 0 && s.Episode.LastRecommendationDay <= d {
		baseEnd = min(baseEnd, s.recentLiftingStart(s.Episode.LastRecommendationDay, st))
	}
	return s.strengthWindow(baseEnd, recentStart, d, st)
}

// strengthSince compares the exposures after recentStart up to d with the BaselineDays before
// recentStart.
func (s *State) strengthSince(recentStart, d Day, st StrengthThresholds) strengthView {
	return s.strengthWindow(recentStart, recentStart, d, st)
}

// strengthWindow compares the exposures in (recentFrom, to] with the baseline period, the
// BaselineDays up to baseEnd.
func (s *State) strengthWindow(baseEnd, recentFrom, to Day, st StrengthThresholds) strengthView {
	v := strengthView{epley: true}
	d, recentStart := to, recentFrom
	baseStart := baseEnd - Day(st.BaselineDays)
	// Residuals are pooled per lifting day: the lifts of one session share that day's form
	// (sleep, food, time of day), so the day, not the exposure, is the independent sample.
	var baseRes, recRes dayMeanSet
	var base, rec [maxLiftDays]float64
	var baseDays, recDays [maxLiftDays]Day
	for li := range s.lifts {
		nb, nr := 0, 0
		epley := true
		for _, ld := range s.lifts[li] {
			day := Day(ld.Day)
			if day > d || day <= baseStart {
				continue
			}
			e, low := effortE1RM(ld, st)
			switch {
			case e == 0:
			case day > recentStart:
				rec[nr], recDays[nr] = e, day
				nr++
				epley = epley && low
			case day <= baseEnd:
				base[nb], baseDays[nb] = e, day
				nb++
			}
		}
		if nb < st.MinBaselineExposures || nr == 0 {
			continue
		}
		base, baseDays, rec, recDays := base[:nb], baseDays[:nb], rec[:nr], recDays[:nr]
		level, _ := MeanSD(base, false)
		recent, _ := MeanSD(rec, false)
		if math.Abs(recent/level-1) > maxPlausibleChange {
			continue
		}
		for i, b := range base {
			baseRes.add(baseDays[i], 100*(b/level-1))
		}
		for i, r := range rec {
			recRes.add(recDays[i], 100*(r/level-1))
		}
		v.exposures += len(rec)
		v.epley = v.epley && epley
		v.lifts = append(v.lifts, liftView{li: li, level: level, recent: recent, n: len(rec), epley: epley, lastOn: recDays[len(recDays)-1]})
		if v.baseFrom == 0 || baseDays[0] < v.baseFrom {
			v.baseFrom = baseDays[0]
		}
		v.baseTo = max(v.baseTo, baseDays[len(baseDays)-1])
		if v.recentFrom == 0 || recDays[0] < v.recentFrom {
			v.recentFrom = recDays[0]
		}
		v.recentTo = max(v.recentTo, recDays[len(recDays)-1])
	}
	if len(recRes) == 0 {
		return v
	}
	v.ok = true
	v.n = len(recRes)
	v.meanPct, _ = MeanSD(recRes.means(), false)
	// The levels were fitted on the baseline days themselves, so their scatter around them
	// loses a degree of freedom.
	ss := 0.0
	days := baseRes.means()
	for _, r := range days {
		ss += r * r
	}
	v.sdPct = st.MinScatterPct
	if len(days) > 1 {
		v.sdPct = math.Max(st.MinScatterPct, math.Sqrt(ss/float64(len(days)-1)))
	}
	return v
}

// dayMeanSet collects values per day, to average each day's values: a handful of days, so a
// slice kept in day order beats a map (no hashing, and sums in a fixed order, so the same data
// gives bit-for-bit the same verdict).
type dayMeanSet []dayMean

type dayMean struct {
	day Day
	sum float64
	n   int
}

func (s *dayMeanSet) add(d Day, v float64) {
	i, found := slices.BinarySearchFunc(*s, d, func(m dayMean, d Day) int { return int(m.day - d) })
	if !found {
		*s = slices.Insert(*s, i, dayMean{day: d})
	}
	(*s)[i].sum += v
	(*s)[i].n++
}

// means is each day's mean, in day order.
func (s dayMeanSet) means() []float64 {
	out := make([]float64, len(s))
	for i, m := range s {
		out[i] = m.sum / float64(m.n)
	}
	return out
}
