package domain

import ()

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
	d := a.AsOf
	status := StatusOK
	if a.Score >= th.Rule.WatchScore {
		status = StatusWatch
	}
	if res.Plateau {
		// A plateau is worth watching and brings the planned deload forward (programming
		// hears of it once per episode); it never pages the coach.
		if status == StatusOK {
			status = StatusWatch
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
			status = StatusDeloadRecommended
		case coolingDown || !canOpen:
			status = StatusWatch
		default:
			status = StatusDeloadRecommended
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
		a.CooldownUntil = cooldownThrough
	}
	if s.inRing(d) {
		r := s.rec(d)
		r.Mask, r.Status = res.Mask, uint8(status)
		r.Flags |= flagAssessed
	}
	band := uint8(a.Score / 10)
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
