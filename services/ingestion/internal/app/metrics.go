package app

import (
	"errors"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count what ingestion did with the records it was sent.
type Metrics struct {
	records  *prometheus.CounterVec
	rejected *prometheus.CounterVec
}

// NewMetrics registers ingestion's families on reg, or reuses them when another Ingester in
// the process registered them first.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	records, err := registerOrReuse(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_ingest_records_total",
		Help: "Records ingestion settled, by kind (set, session, wellness, ...) and outcome: accepted (published), duplicate, rejected or not_stored (an all-or-nothing call with a rejected record). Dry runs are not counted.",
	}, []string{"kind", "outcome"}))
	if err != nil {
		return nil, err
	}
	rejected, err := registerOrReuse(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_ingest_rejected_total",
		Help: "Rejected records by reason: the first violated field, without the record's position in the request (e.g. set.load_kg, meta.occurred_at).",
	}, []string{"reason"}))
	if err != nil {
		return nil, err
	}
	return &Metrics{records: records, rejected: rejected}, nil
}

func registerOrReuse(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing, nil
			}
		}
		return nil, err
	}
	return c, nil
}

var outcomeLabels = map[Outcome]string{Accepted: "accepted", Duplicate: "duplicate", Rejected: "rejected", NotStored: "not_stored"}

// observe counts a settled batch.
func (m *Metrics) observe(b *batch) {
	if m == nil || b.opts.DryRun {
		return
	}
	for i, r := range b.results {
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
