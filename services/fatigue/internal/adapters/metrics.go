package adapters

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/metricreg"
)

// AnalysisMetrics count what fatigue concluded. They count at publish, for events the stream
// had not stored yet, so a redelivered batch that republishes the same ids counts once.
type AnalysisMetrics struct {
	assessments     *prometheus.CounterVec
	recommendations *prometheus.CounterVec
}

// NewAnalysisMetrics registers the families on reg, or reuses them when another fatigue
// instance in the process registered them first.
func NewAnalysisMetrics(reg prometheus.Registerer) (*AnalysisMetrics, error) {
	assessments, err := metricreg.Shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_fatigue_assessments_total",
		Help: "Athlete assessments published (an assessment is published when it changed), by status: ok, watch, deload_recommended, ...",
	}, []string{"status"}))
	if err != nil {
		return nil, err
	}
	recommendations, err := metricreg.Shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_fatigue_recommendations_total",
		Help: "Deload recommendations published, by the rule that fired.",
	}, []string{"rule"}))
	if err != nil {
		return nil, err
	}
	return &AnalysisMetrics{assessments: assessments, recommendations: recommendations}, nil
}

// observe counts one newly stored event.
func (m *AnalysisMetrics) observe(ev *eventsv1.Event) {
	if m == nil {
		return
	}
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_AthleteAssessed:
		status := strings.ToLower(strings.TrimPrefix(p.AthleteAssessed.GetStatus().String(), "ATHLETE_STATUS_"))
		m.assessments.WithLabelValues(status).Inc()
	case *eventsv1.Event_DeloadRecommended:
		m.recommendations.WithLabelValues(p.DeloadRecommended.GetRuleFired()).Inc()
	}
}
