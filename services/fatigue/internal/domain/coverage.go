package domain

import ()

func (s *State) coverage(d Day) *DataCoverage {
	c := &DataCoverage{HistoryDays: uint32(d - s.FirstDay + 1), Shape: s.shape(d)}
	c.LiftingDays28D = uint32(len(s.liftingDaysIn(d-28, d)))
	for day := d; day > d-28; day-- {
		if !s.inRing(day) {
			continue
		}
		r := s.rec(day)
		if r.Flags&flagSets != 0 {
			c.SetDays28D++
		}
		if r.Flags&flagCMJ != 0 {
			c.CMJDays28D++
		}
		if day > d-7 {
			if r.Flags&flagWellness != 0 {
				c.WellnessDays7D++
			}
			if r.Flags&flagHRV != 0 {
				c.HRVDays7D++
			}
		}
	}
	return c
}

// shape says which signals the last 28 days carry: devices (HRV, jumps, bar speed) make it
// full, a questionnaire on 2 days a week sets+wellness, ratings on half the lifting days
// sets+RPE, else sets alone.
func (s *State) shape(d Day) DataShape {
	var lifting, rated, vel int
	for li := range s.lifts {
		for _, ld := range s.lifts[li] {
			if day := Day(ld.Day); day <= d && day > d-28 {
				lifting++
				if ld.NRPE > 0 {
					rated++
				}
				if ld.NVel > 0 {
					vel++
				}
			}
		}
	}
	var wellness, devices int
	for day := d; day > d-28; day-- {
		if !s.inRing(day) {
			continue
		}
		r := s.rec(day)
		if r.Flags&flagWellness != 0 {
			wellness++
		}
		if r.Flags&(flagHRV|flagCMJ) != 0 {
			devices++
		}
	}
	switch {
	case lifting == 0:
		return ShapeUnspecified
	case devices >= 8 || vel >= 4:
		return ShapeFull
	case wellness >= 8:
		return ShapeSetsWellness
	case 2*rated >= lifting:
		return ShapeSetsRPE
	}
	return ShapeSets
}
