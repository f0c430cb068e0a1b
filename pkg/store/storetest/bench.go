package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
)

// The insert benchmark fixture both backends use, so their rows/s compare like for like.

// BenchTableDDL creates the benchmark table: 8 columns shaped like recorded training sets.
const BenchTableDDL = `CREATE TABLE IF NOT EXISTS bench_sets (
    event_id String, team_id LowCardinality(String), athlete_id String, ts DateTime,
    load_kg Float64, reps UInt16, rpe Nullable(Float32), exercise String
) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (team_id, athlete_id, ts)`

// BenchColumns are the columns of BenchRows, in order.
var BenchColumns = []string{"event_id", "team_id", "athlete_id", "ts", "load_kg", "reps", "rpe", "exercise"}

// BenchRows returns n rows for BenchColumns; a quarter have no RPE (NULL).
func BenchRows(n int) [][]any {
	rows := make([][]any, n)
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	rpe := float32(8.5)
	for i := range rows {
		var r *float32
		if i%4 != 0 {
			r = &rpe
		}
		rows[i] = []any{fmt.Sprintf("018f6b2e-%08d", i), fmt.Sprintf("team-%d", i%20), fmt.Sprintf("athlete-%d", i%500),
			base.Add(time.Duration(i) * time.Second), 60 + float64(i%100)/2, uint16(1 + i%12), r, "squat"}
	}
	return rows
}

// BenchInsert creates the benchmark table in s and runs the "store" sub-benchmark (InsertBatch
// of 10,000 BenchRows per iteration). It returns the rows and the rows/s reporter for the
// backend's own raw sub-benchmarks.
func BenchInsert(b *testing.B, s store.Store) (rows [][]any, report func(*testing.B)) {
	ctx := context.Background()
	if err := s.Exec(ctx, BenchTableDDL); err != nil {
		b.Fatal(err)
	}
	rows = BenchRows(10000)
	report = func(b *testing.B) {
		b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			if err := s.InsertBatch(ctx, "bench_sets", BenchColumns, rows); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	return rows, report
}
