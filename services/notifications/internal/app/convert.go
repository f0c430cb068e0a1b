package app

import (
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// The one place where the wire's alert enums and the domain's codes meet. Each pair is written
// out rather than cast, so a renumbered or inserted proto value cannot silently change what a
// stored alert means; TestEnumConversions checks every wire value has its domain twin.

var kinds = map[commonv1.AlertKind]domain.Kind{
	commonv1.AlertKind_ALERT_KIND_UNSPECIFIED:        domain.KindUnspecified,
	commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED: domain.KindDeloadRecommended,
	commonv1.AlertKind_ALERT_KIND_DELOAD_SCHEDULED:   domain.KindDeloadScheduled,
	commonv1.AlertKind_ALERT_KIND_DELOAD_DECIDED:     domain.KindDeloadDecided,
	commonv1.AlertKind_ALERT_KIND_TEAM_TREND:         domain.KindTeamTrend,
	commonv1.AlertKind_ALERT_KIND_JOINT_PAIN:         domain.KindJointPain,
	commonv1.AlertKind_ALERT_KIND_TEST:               domain.KindTest,
}

var severities = map[commonv1.Severity]domain.Severity{
	commonv1.Severity_SEVERITY_UNSPECIFIED: domain.SeverityUnspecified,
	commonv1.Severity_SEVERITY_INFO:        domain.SeverityInfo,
	commonv1.Severity_SEVERITY_WARNING:     domain.SeverityWarning,
	commonv1.Severity_SEVERITY_CRITICAL:    domain.SeverityCritical,
}

var states = map[commonv1.AlertState]domain.State{
	commonv1.AlertState_ALERT_STATE_UNSPECIFIED:  domain.StateUnspecified,
	commonv1.AlertState_ALERT_STATE_OPEN:         domain.StateOpen,
	commonv1.AlertState_ALERT_STATE_ACKNOWLEDGED: domain.StateAcknowledged,
	commonv1.AlertState_ALERT_STATE_RESOLVED:     domain.StateResolved,
}

// inverse turns a wire-to-domain table around.
func inverse[W, D comparable](m map[W]D) map[D]W {
	out := make(map[D]W, len(m))
	for w, d := range m {
		out[d] = w
	}
	return out
}

var (
	wireKinds      = inverse(kinds)
	wireSeverities = inverse(severities)
	wireStates     = inverse(states)
)

// KindOf is the domain kind of a wire kind; unknown values are unspecified.
func KindOf(k commonv1.AlertKind) domain.Kind { return kinds[k] }

// WireKind is the wire form of a domain kind.
func WireKind(k domain.Kind) commonv1.AlertKind { return wireKinds[k] }

// SeverityOf is the domain severity of a wire severity; unknown values are unspecified.
func SeverityOf(s commonv1.Severity) domain.Severity { return severities[s] }

// WireSeverity is the wire form of a domain severity.
func WireSeverity(s domain.Severity) commonv1.Severity { return wireSeverities[s] }

// StateOf is the domain state of a wire state; unknown values are unspecified.
func StateOf(s commonv1.AlertState) domain.State { return states[s] }

// WireState is the wire form of a domain state.
func WireState(s domain.State) commonv1.AlertState { return wireStates[s] }

// kindsOf converts a subscription's kinds; none stays none (every kind).
func kindsOf(ks []commonv1.AlertKind) []domain.Kind {
	if len(ks) == 0 {
		return nil
	}
	out := make([]domain.Kind, len(ks))
	for i, k := range ks {
		out[i] = KindOf(k)
	}
	return out
}
