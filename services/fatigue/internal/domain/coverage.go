package domain

import (
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

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

// shape says which signals the last 28 days carry: devices (HRV, jumps, bar speed) make it
// full, a questionnaire on 2 days a week sets+wellness, ratings on half the lifting days
// sets+RPE, else sets alone.
func (s *State) shape(d Day) eventsv1.DataShape {
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
		return eventsv1.DataShape_DATA_SHAPE_UNSPECIFIED
	case devices >= 8 || vel >= 4:
		return eventsv1.DataShape_DATA_SHAPE_FULL
	case wellness >= 8:
		return eventsv1.DataShape_DATA_SHAPE_SETS_WELLNESS
	case 2*rated >= lifting:
		return eventsv1.DataShape_DATA_SHAPE_SETS_RPE
	}
	return eventsv1.DataShape_DATA_SHAPE_SETS
}
