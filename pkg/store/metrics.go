package store

import (
	"context"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supercomp/supercomp/pkg/metricreg"
)

// insertMetrics are the families every instrumented store shares on one registry.
type insertMetrics struct {
	rows    *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	errors  *prometheus.CounterVec
}

// Instrument wraps s so its inserts are measured on reg: rows written, time per insert and
// failed inserts, by table. Queries and other statements pass through untouched. A second
// store instrumented on the same registry shares the families.
func Instrument(s Store, reg prometheus.Registerer) (Store, error) {
	rows, err := metricreg.Shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_store_insert_rows_total",
		Help: "Rows inserted into ClickHouse, by table (failed inserts not included).",
	}, []string{"table"}))
	if err != nil {
		return nil, err
	}
	seconds, err := metricreg.Shared(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sc_store_insert_seconds",
		Help: "Time one insert into ClickHouse took, failed ones included, by table.",
		// From a small batch into the embedded engine to a large one into a busy cluster.
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
	}, []string{"table"}))
	if err != nil {
		return nil, err
	}
	failed, err := metricreg.Shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sc_store_insert_errors_total",
		Help: "Inserts into ClickHouse that failed, by table; the caller retries or redelivers them.",
	}, []string{"table"}))
	if err != nil {
		return nil, err
	}
	return &instrumented{Store: s, m: insertMetrics{rows: rows, seconds: seconds, errors: failed}}, nil
}

type instrumented struct {
	Store
	m insertMetrics
}

func (s *instrumented) InsertBatch(ctx context.Context, table string, columns []string, rows [][]any) error {
	start := time.Now()
	err := s.Store.InsertBatch(ctx, table, columns, rows)
	s.observe(table, len(rows), start, err)
	return err
}

func (s *instrumented) InsertColumns(ctx context.Context, table string, columns []string, values []any) error {
	start := time.Now()
	err := s.Store.InsertColumns(ctx, table, columns, values)
	s.observe(table, columnLen(values), start, err)
	return err
}

func (s *instrumented) observe(table string, rows int, start time.Time, err error) {
	s.m.seconds.WithLabelValues(table).Observe(time.Since(start).Seconds())
	// The table's error series exists from its first insert, at zero until one fails, so
	// rate() and alerts on it have a series to work on.
	failed := s.m.errors.WithLabelValues(table)
	if err != nil {
		failed.Inc()
		return
	}
	s.m.rows.WithLabelValues(table).Add(float64(rows))
}

// columnLen is the row count of a column-wise insert: the length of its first column, a slice
// of whatever element type the column holds.
func columnLen(values []any) int {
	if len(values) == 0 {
		return 0
	}
	v := reflect.ValueOf(values[0])
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return 0
	}
	return v.Len()
}
