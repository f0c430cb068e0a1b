package store_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

// Inserts through an instrumented store are counted by table: rows of the ones that worked,
// every insert's time, and the ones that failed.
func TestInstrumentCountsInserts(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	st, err := store.Instrument(storetest.OpenServer(t, "sc_store_metrics_test"), reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Exec(ctx, "CREATE TABLE lifts (athlete String, kg Float64) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertBatch(ctx, "lifts", []string{"athlete", "kg"}, [][]any{{"a1", 100.0}, {"a2", 120.0}, {"a3", 90.0}}); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertColumns(ctx, "lifts", []string{"athlete", "kg"}, []any{[]string{"a4", "a5"}, []float64{80, 85}}); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertBatch(ctx, "no_such_table", []string{"x"}, [][]any{{1}}); err == nil {
		t.Fatal("insert into a missing table worked")
	}

	if rows := tableCounter(t, reg, "sc_store_insert_rows_total", "lifts"); rows != 5 {
		t.Errorf("sc_store_insert_rows_total{table=lifts} = %v, want 5", rows)
	}
	if got := tableCounter(t, reg, "sc_store_insert_errors_total", "no_such_table"); got != 1 {
		t.Errorf("sc_store_insert_errors_total{table=no_such_table} = %v, want 1", got)
	}
	if got := testutil.CollectAndCount(reg, "sc_store_insert_seconds"); got != 2 {
		t.Errorf("sc_store_insert_seconds has %d series, want 2 (lifts, no_such_table)", got)
	}
	// A second store on the same registry shares the families instead of failing.
	if _, err := store.Instrument(st, reg); err != nil {
		t.Errorf("second instrumented store: %v", err)
	}
}

// tableCounter reads the counter name{table}.
func tableCounter(t *testing.T, reg *prometheus.Registry, name, table string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == table {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{table=%q}", name, table)
	return 0
}
