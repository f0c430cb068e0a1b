package records

import (
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/domain"
)

// Each wire value paired with its domain twin, written out rather than cast: TestConversions
// checks every proto value has one.

var lifts = map[commonv1.LiftCategory]domain.LiftCategory{
	commonv1.LiftCategory_LIFT_CATEGORY_UNSPECIFIED:    domain.LiftUnspecified,
	commonv1.LiftCategory_LIFT_CATEGORY_SQUAT:          domain.LiftSquat,
	commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS:    domain.LiftBenchPress,
	commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT:       domain.LiftDeadlift,
	commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS: domain.LiftOverheadPress,
	commonv1.LiftCategory_LIFT_CATEGORY_ROW:            domain.LiftRow,
	commonv1.LiftCategory_LIFT_CATEGORY_PULL_UP:        domain.LiftPullUp,
	commonv1.LiftCategory_LIFT_CATEGORY_OTHER:          domain.LiftOther,
}

var setTypes = map[commonv1.SetType]domain.SetType{
	commonv1.SetType_SET_TYPE_UNSPECIFIED: domain.SetUnspecified,
	commonv1.SetType_SET_TYPE_WARM_UP:     domain.SetWarmUp,
	commonv1.SetType_SET_TYPE_WORKING:     domain.SetWorking,
	commonv1.SetType_SET_TYPE_FAILURE:     domain.SetFailure,
	commonv1.SetType_SET_TYPE_DROP:        domain.SetDrop,
}

var units = map[commonv1.WeightUnit]domain.WeightUnit{
	commonv1.WeightUnit_WEIGHT_UNIT_UNSPECIFIED: domain.UnitUnspecified,
	commonv1.WeightUnit_WEIGHT_UNIT_KG:          domain.UnitKg,
	commonv1.WeightUnit_WEIGHT_UNIT_LB:          domain.UnitLb,
}

// inverse turns a wire-to-domain table into a slice indexed by the domain code: the ingest path
// converts every set's category, and indexing is about twenty times cheaper than a map lookup.
func inverse[W comparable, D ~uint8](m map[W]D) []W {
	size := 0
	for _, d := range m {
		size = max(size, int(d)+1)
	}
	out := make([]W, size)
	for w, d := range m {
		out[d] = w
	}
	return out
}

// wireOf is table[d], or the zero (unspecified) wire value for a code the table lacks.
func wireOf[W any, D ~uint8](table []W, d D) W {
	if int(d) < len(table) {
		return table[d]
	}
	var unspecified W
	return unspecified
}

var (
	wireLifts    = inverse(lifts)
	wireSetTypes = inverse(setTypes)
	wireUnits    = inverse(units)
)

// LiftCategory is the domain category of a wire category (unspecified when unknown).
func LiftCategory(c commonv1.LiftCategory) domain.LiftCategory { return lifts[c] }

// WireLiftCategory is the wire form of a domain category.
func WireLiftCategory(c domain.LiftCategory) commonv1.LiftCategory { return wireOf(wireLifts, c) }

// SetType is the domain set type of a wire set type (unspecified when unknown).
func SetType(t commonv1.SetType) domain.SetType { return setTypes[t] }

// WireSetType is the wire form of a domain set type.
func WireSetType(t domain.SetType) commonv1.SetType { return wireOf(wireSetTypes, t) }

// WeightUnit is the domain unit of a wire unit (unspecified when unknown).
func WeightUnit(u commonv1.WeightUnit) domain.WeightUnit { return units[u] }

// WireWeightUnit is the wire form of a domain unit.
func WireWeightUnit(u domain.WeightUnit) commonv1.WeightUnit { return wireOf(wireUnits, u) }

// LiftCategoryOf is domain.LiftCategoryOf in wire terms, for the importers and the ingest path
// that fill a SetRecorded.
func LiftCategoryOf(exercise string) commonv1.LiftCategory {
	return WireLiftCategory(domain.LiftCategoryOf(exercise))
}

// ToKg is domain.ToKg for a load entered in a wire unit.
func ToKg(load float64, unit commonv1.WeightUnit) float64 { return domain.ToKg(load, WeightUnit(unit)) }
