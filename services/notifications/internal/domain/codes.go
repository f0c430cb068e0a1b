package domain

// The domain's own words for what the wire calls AlertState, Severity and AlertKind. Their
// codes are stored (as numbers) in the alert records of the notifications-alerts bucket, so
// they are fixed here, never derived from the proto enums: renumbering the wire must not change
// what a stored alert means. They happen to equal today's proto numbers, which is what the
// records written before this type existed hold. The app layer converts (app/convert.go).

// State is an alert's lifecycle state.
type State int32

// Lifecycle states: raised (open) -> acknowledged -> resolved. Delivery is tracked per channel
// target next to the state, because an alert is delivered to several receivers independently.
const (
	StateUnspecified  State = 0
	StateOpen         State = 1
	StateAcknowledged State = 2
	StateResolved     State = 3
)

// Severity is how urgent an alert is; a larger code is more urgent.
type Severity int32

// Severities.
const (
	SeverityUnspecified Severity = 0
	SeverityInfo        Severity = 1
	SeverityWarning     Severity = 2
	SeverityCritical    Severity = 3
)

// Kind is what an alert is about.
type Kind int32

// Kinds.
const (
	KindUnspecified       Kind = 0
	KindDeloadRecommended Kind = 1
	KindDeloadScheduled   Kind = 2
	KindDeloadDecided     Kind = 3
	KindTeamTrend         Kind = 4
	KindJointPain         Kind = 5
	KindTest              Kind = 6
)

// Kinds lists every kind but the unspecified one, for conversions and their tests.
var Kinds = []Kind{KindDeloadRecommended, KindDeloadScheduled, KindDeloadDecided, KindTeamTrend, KindJointPain, KindTest}

// Name is the kind's short lower-case name, e.g. "deload_recommended".
func (k Kind) Name() string {
	switch k {
	case KindDeloadRecommended:
		return "deload_recommended"
	case KindDeloadScheduled:
		return "deload_scheduled"
	case KindDeloadDecided:
		return "deload_decided"
	case KindTeamTrend:
		return "team_trend"
	case KindJointPain:
		return "joint_pain"
	case KindTest:
		return "test"
	}
	return "unspecified"
}
