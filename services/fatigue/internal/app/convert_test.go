package app

import (
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// Every value the protocol defines has its domain counterpart and back: an enum value added to
// the protocol without one fails here rather than turning into "unspecified" in an assessment.
func TestEveryWireValueConverts(t *testing.T) {
	check := func(kind string, names map[int32]string, roundTrips func(int32) bool) {
		t.Helper()
		for v, name := range names {
			if v != 0 && !roundTrips(v) {
				t.Errorf("%s %s has no domain counterpart", kind, name)
			}
		}
	}
	check("family", commonv1.SignalFamily_name, func(v int32) bool {
		f := commonv1.SignalFamily(v)
		return FamilyOf(f) != domain.FamilyUnspecified && WireFamily(FamilyOf(f)) == f
	})
	check("status", commonv1.AthleteStatus_name, func(v int32) bool {
		s := commonv1.AthleteStatus(v)
		return StatusOf(s) != domain.StatusUnspecified && WireStatus(StatusOf(s)) == s
	})
	check("lift", commonv1.LiftCategory_name, func(v int32) bool {
		l := commonv1.LiftCategory(v)
		return LiftOf(l) != domain.LiftUnspecified && WireLift(LiftOf(l)) == l
	})
	check("set type", commonv1.SetType_name, func(v int32) bool {
		st := commonv1.SetType(v)
		return setTypeOf(st) != domain.SetUnspecified && setTypeWire[setTypeOf(st)] == st
	})
	check("wellness item", commonv1.WellnessItem_name, func(v int32) bool {
		_, ok := reverse(wellnessItemWire)[commonv1.WellnessItem(v)]
		return ok
	})
	check("data shape", eventsv1.DataShape_name, func(v int32) bool {
		_, ok := reverse(shapeWire)[eventsv1.DataShape(v)]
		return ok
	})
	// The families the domain counts are exactly the ones it converts.
	if len(domain.Families) != len(familyWire) {
		t.Errorf("%d domain families, %d converted", len(domain.Families), len(familyWire))
	}
}

// A day converts to the wire date and back, and the unset day is no date.
func TestDaysConvert(t *testing.T) {
	d := domain.Day(20543) // 2026-03-31
	w := WireDay(d)
	if w.GetYear() != 2026 || w.GetMonth() != 3 || w.GetDay() != 31 || DayOf(w) != d {
		t.Errorf("day %d converts to %v and back to %d", d, w, DayOf(w))
	}
	if WireDay(0) != nil {
		t.Error("the unset day converts to a date")
	}
}
