package app

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supercomp/supercomp/pkg/metricreg"
)

// Metrics count what ingestion did with the records it was sent.
type Metrics struct {
	records  *prometheus.CounterVec
	rejected *prometheus.CounterVec
	lastData *prometheus.GaugeVec
}

// NewMetrics registers ingestion's families on reg, or reuses them when another Ingester in
// the process registered them first.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	records, err := metricreg.Shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_ingest_records_total",
		Help: "Records ingestion settled, by kind (set, session, wellness, ...) and outcome: accepted (published), duplicate, rejected or not_stored (an all-or-nothing call with a rejected record). Dry runs are not counted.",
	}, []string{"kind", "outcome"}))
	if err != nil {
		return nil, err
	}
	rejected, err := metricreg.Shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_ingest_rejected_total",
		Help: "Rejected records by reason: the first violated field, without the record's position in the request (e.g. set.load_kg, meta.occurred_at).",
	}, []string{"reason"}))
	if err != nil {
		return nil, err
	}
	lastData, err := metricreg.Shared(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sc_ingest_last_accepted_timestamp_seconds",
		Help: "Unix time this instance last accepted a record of the team; a team whose devices and apps went quiet stops moving it. Take the max over instances and over a few days of history, since the series starts afresh with each process.",
	}, []string{"team"}))
	if err != nil {
		return nil, err
	}
	return &Metrics{records: records, rejected: rejected, lastData: lastData}, nil
}

var outcomeLabels = map[Outcome]string{Accepted: "accepted", Duplicate: "duplicate", Rejected: "rejected", NotStored: "not_stored"}

// observe counts a settled batch.
func (m *Metrics) observe(b *batch) {
	if m == nil || b.opts.DryRun {
		return
	}
	accepted := false
	for i, r := range b.results {
		accepted = accepted || r.Outcome == Accepted
		outcome, ok := outcomeLabels[r.Outcome]
		if !ok {
			continue
		}
		kind := kindOf(b.items[i].Event)
		if kind == "" {
			kind = "unknown"
		}
		m.records.WithLabelValues(kind, outcome).Inc()
		if r.Outcome == Rejected && len(r.Violations) > 0 {
			m.rejected.WithLabelValues(rejectReason(r.Violations[0].Field, b.items[i].Prefix)).Inc()
		}
	}
	// Every record of a call is for the call's team (the API takes one team_id per request).
	if accepted && len(b.items) > 0 {
		m.lastData.WithLabelValues(b.items[0].Event.GetTeamId()).Set(float64(b.now.Unix()))
	}
}

// rejectReason is a violated field without the record's position ("records[3].set.load_kg"
// becomes "set.load_kg"), so the label has one value per field, not one per request shape.
func rejectReason(field, prefix string) string {
	if prefix != "" {
		field = strings.TrimPrefix(strings.TrimPrefix(field, prefix), ".")
	}
	if field == "" {
		return "record"
	}
	return field
}
