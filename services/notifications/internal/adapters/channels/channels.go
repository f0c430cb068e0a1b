// Package channels delivers rendered alerts to receivers: signed JSON webhooks, Slack-style
// incoming webhooks and email over SMTP. Each attempt is a single try that reports the protocol
// status and latency; retrying is the caller's decision (domain.RetryPolicy). They implement the app's Sender and URLPolicy
// and are handed to it by the module's wiring.
package channels

import (
	"fmt"
	"strings"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/app"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// KindName is the lower-case kind shown to receivers.
func KindName(k commonv1.AlertKind) string { return app.KindOf(k).Name() }

// SeverityName is the lower-case severity shown to receivers.
func SeverityName(s commonv1.Severity) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SEVERITY_"))
}

// StateName is the lower-case alert state.
func StateName(s domain.State) string {
	return strings.ToLower(strings.TrimPrefix(app.WireState(s).String(), "ALERT_STATE_"))
}

// FamilyName is the lower-case signal family.
func FamilyName(f commonv1.SignalFamily) string {
	return strings.ToLower(strings.TrimPrefix(f.String(), "SIGNAL_FAMILY_"))
}

// EvidenceLine renders one piece of evidence as a sentence: the producer's detail when it has
// one, else metric, value and threshold.
func EvidenceLine(e *eventsv1.Evidence) string {
	if e.GetDetail() != "" {
		return e.GetDetail()
	}
	var b strings.Builder
	if e.GetFamily() != commonv1.SignalFamily_SIGNAL_FAMILY_UNSPECIFIED {
		fmt.Fprintf(&b, "%s: ", FamilyName(e.GetFamily()))
	}
	b.WriteString(e.GetMetric())
	if e.Value != nil {
		fmt.Fprintf(&b, " %.4g%s", e.GetValue(), unit(e.GetUnit()))
	}
	if e.Baseline != nil {
		fmt.Fprintf(&b, " (baseline %.4g%s)", e.GetBaseline(), unit(e.GetUnit()))
	}
	if e.Threshold != nil {
		fmt.Fprintf(&b, "; threshold %.4g%s", e.GetThreshold(), unit(e.GetUnit()))
	}
	if e.GetAbnormal() {
		b.WriteString(" [abnormal]")
	}
	return b.String()
}

func unit(u string) string {
	if u == "" || u == "%" {
		return u
	}
	return " " + u
}
