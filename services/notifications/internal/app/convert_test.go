package app

import (
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// TestEnumConversions checks that every wire value has its own domain twin and comes back
// unchanged, so a value added to the proto without a domain code fails here rather than being
// stored as "unspecified".
func TestEnumConversions(t *testing.T) {
	for n := range commonv1.AlertKind_name {
		w := commonv1.AlertKind(n)
		d := KindOf(w)
		if w != commonv1.AlertKind_ALERT_KIND_UNSPECIFIED && d == domain.KindUnspecified {
			t.Errorf("AlertKind %v has no domain kind", w)
		}
		if WireKind(d) != w {
			t.Errorf("AlertKind %v -> %v -> %v", w, d, WireKind(d))
		}
	}
	for _, k := range domain.Kinds {
		if KindOf(WireKind(k)) != k || k.Name() == "unspecified" {
			t.Errorf("domain kind %d (%s) does not round-trip", k, k.Name())
		}
	}
	for n := range commonv1.Severity_name {
		w := commonv1.Severity(n)
		d := SeverityOf(w)
		if w != commonv1.Severity_SEVERITY_UNSPECIFIED && d == domain.SeverityUnspecified || WireSeverity(d) != w {
			t.Errorf("Severity %v -> %v -> %v", w, d, WireSeverity(d))
		}
	}
	for n := range commonv1.AlertState_name {
		w := commonv1.AlertState(n)
		d := StateOf(w)
		if w != commonv1.AlertState_ALERT_STATE_UNSPECIFIED && d == domain.StateUnspecified || WireState(d) != w {
			t.Errorf("AlertState %v -> %v -> %v", w, d, WireState(d))
		}
	}
	// Severities are compared by code (a subscription's minimum, quiet-hours bypass): the
	// domain order must be the wire order.
	if !(SeverityOf(commonv1.Severity_SEVERITY_INFO) < SeverityOf(commonv1.Severity_SEVERITY_WARNING) &&
		SeverityOf(commonv1.Severity_SEVERITY_WARNING) < SeverityOf(commonv1.Severity_SEVERITY_CRITICAL)) {
		t.Error("domain severities are not ordered like the wire's")
	}
}
