package e2e

import (
	"context"
	"net/http"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/platform/internal/observability"
)

// metricsTeam keeps this workload's series apart from the scenario's.
const metricsTeam = "metrics"

// metricsAfterWorkload runs after overreachingAthlete, whose data went all the way to a
// webhook, adds a workload of its own (sets, one bad record, one poisoned message), then
// scrapes /metrics as Prometheus would and checks every family the issue asks for, with values
// that follow from what was done. Last, every metric the shipped alert rules and dashboard
// query must be among the families scraped.
func metricsAfterWorkload(t *testing.T, host *service.Host, conn *grpc.ClientConn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := "http://" + host.HTTP().Addr().String() + "/metrics"
	before := scrape(t, url)

	// Five good sets and one that is wrong (RPE 8 with 5 reps in reserve contradict each other).
	const good = 5
	at := time.Now().Add(-time.Hour)
	var records []*ingestionv1.Record
	for i := range good {
		records = append(records, setRecord(at.Add(time.Duration(i)*time.Minute), 8, nil))
	}
	rir := 5.0
	records = append(records, setRecord(at.Add(10*time.Minute), 8, &rir))
	resp, err := ingestionv1.NewIngestionServiceClient(conn).RecordBatch(ctx, &ingestionv1.RecordBatchRequest{TeamId: metricsTeam, Records: records})
	if err != nil {
		t.Fatalf("RecordBatch: %v", err)
	}
	if c := resp.GetCounts(); c.GetAccepted() != good || c.GetRejected() != 1 {
		t.Fatalf("RecordBatch counts %v, want %d accepted and 1 rejected", c, good)
	}
	// A message no consumer can decode goes to the DLQ.
	poisonSubject := bus.Subject(bus.StreamTraining, metricsTeam, "a1", "set")
	if _, err := host.Bus().Publish(ctx, poisonSubject, "metrics-poison-1", []byte("not a protobuf event"), nil); err != nil {
		t.Fatal(err)
	}

	var after map[string]*dto.MetricFamily
	eventually(t, time.Minute, "the poisoned message in the DLQ and the sets in ClickHouse", func() bool {
		after = scrape(t, url)
		return sum(after, "sc_dlq_messages", map[string]string{"stream": bus.StreamTraining}) > 0 &&
			sum(after, "sc_store_insert_rows_total", map[string]string{"table": "training_sets"}) >=
				sum(before, "sc_store_insert_rows_total", map[string]string{"table": "training_sets"})+good
	})

	delta := func(name string, labels map[string]string) float64 {
		return sum(after, name, labels) - sum(before, name, labels)
	}
	exact := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"sc_ingest_records_total", map[string]string{"kind": "set", "outcome": "accepted"}, good},
		{"sc_ingest_records_total", map[string]string{"kind": "set", "outcome": "rejected"}, 1},
		{"sc_ingest_rejected_total", map[string]string{"reason": "set.rir"}, 1},
		{"grpc_server_started_total", map[string]string{"grpc_type": "unary", "grpc_method": "RecordBatch"}, 1},
		{"grpc_server_handled_total", map[string]string{"grpc_type": "unary", "grpc_method": "RecordBatch", "grpc_code": "OK"}, 1},
		{"grpc_server_msg_received_total", map[string]string{"grpc_method": "RecordBatch"}, 1},
		{"grpc_server_msg_sent_total", map[string]string{"grpc_method": "RecordBatch"}, 1},
	}
	for _, c := range exact {
		if got := delta(c.name, c.labels); got != c.want {
			t.Errorf("%s%v went up by %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	// What the scenario before did: a webhook delivery, assessments and a recommendation,
	// inserts, consumers that settled messages; and what every process reports.
	positive := []struct {
		name   string
		labels map[string]string
	}{
		{"grpc_server_handling_seconds", map[string]string{"grpc_method": "RecordBatch"}},
		{"sc_notify_delivery_attempts_total", map[string]string{"channel": "webhook", "outcome": "delivered"}},
		{"sc_notify_delivery_seconds", map[string]string{"channel": "webhook"}},
		{"sc_fatigue_assessments_total", nil},
		{"sc_fatigue_recommendations_total", nil},
		{"sc_store_insert_seconds", map[string]string{"table": "training_sets"}},
		{"sc_bus_consumer_messages_total", map[string]string{"outcome": "acked"}},
		{"sc_dlq_messages", map[string]string{"stream": bus.StreamTraining}},
		{"supercomp_build_info", nil},
	}
	for _, c := range positive {
		if got := sum(after, c.name, c.labels); got <= 0 {
			t.Errorf("%s%v = %v, want > 0", c.name, c.labels, got)
		}
	}
	if last := sum(after, "sc_ingest_last_accepted_timestamp_seconds", map[string]string{"team": metricsTeam}); time.Since(time.Unix(int64(last), 0)) > 5*time.Minute {
		t.Errorf("sc_ingest_last_accepted_timestamp_seconds{team=%s} = %v, want about now", metricsTeam, last)
	}
	// Present, at sensible values: every durable has a backlog gauge (nothing published is
	// lost or negative), and a store without failures reports zero errors.
	for _, name := range []string{"sc_bus_consumer_pending_messages", "sc_bus_consumer_ack_pending_messages", "sc_bus_consumer_redelivered_messages"} {
		if n := series(after, name, nil); n < 5 {
			t.Errorf("%s has %d series, want one per durable consumer (at least 5)", name, n)
		}
	}
	if got := sum(after, "sc_store_insert_errors_total", map[string]string{"table": "training_sets"}); got != 0 || series(after, "sc_store_insert_errors_total", nil) == 0 {
		t.Errorf("sc_store_insert_errors_total{table=training_sets} = %v with %d series, want 0 and present",
			got, series(after, "sc_store_insert_errors_total", nil))
	}

	// Profiles are off unless --pprof asks for them, also next to the console at "/".
	pprofResp, err := http.Get("http://" + host.HTTP().Addr().String() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	pprofResp.Body.Close()
	if pprofResp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/ without --pprof = %s, want 404", pprofResp.Status)
	}

	// The shipped rules and dashboard query only what was scraped here.
	exported := map[string]bool{}
	for name := range after {
		exported[name] = true
	}
	exprs, err := observability.Expressions(observabilityDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exprs {
		names, err := observability.MetricNames(e.Expr)
		if err != nil {
			t.Errorf("%s: %v", e.Where, err)
			continue
		}
		for _, n := range names {
			if _, ok := observability.FamilyOf(n, exported); !ok {
				t.Errorf("%s queries %s, which the platform does not export", e.Where, n)
			}
		}
	}
}

func setRecord(at time.Time, rpe float64, rir *float64) *ingestionv1.Record {
	return &ingestionv1.Record{
		Meta: &ingestionv1.RecordMeta{AthleteId: "a1", OccurredAt: timestamppb.New(at), Source: "metrics-test"},
		Data: &ingestionv1.Record_Set{Set: &ingestionv1.SetInput{SessionId: "s1", Exercise: "Squat (Barbell)", Load: 100,
			LoadUnit: commonv1.WeightUnit_WEIGHT_UNIT_KG, Reps: 5, Rpe: &rpe, Rir: rir, SetIndex: uint32(at.Minute())}},
	}
}

func observabilityDir(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "deploy", "observability")
}

// scrape reads /metrics in the text format Prometheus asks for.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return families
}

// sum adds the values of name's series whose labels include want: a counter's or gauge's value,
// a histogram's observation count.
func sum(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	total := 0.0
	for _, m := range matching(families, name, want) {
		switch {
		case m.GetCounter() != nil:
			total += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			total += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		case m.GetUntyped() != nil:
			total += m.GetUntyped().GetValue()
		}
	}
	return total
}

func series(families map[string]*dto.MetricFamily, name string, want map[string]string) int {
	return len(matching(families, name, want))
}

func matching(families map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	f, ok := families[name]
	if !ok {
		return nil
	}
	var out []*dto.Metric
metric:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue metric
			}
		}
		out = append(out, m)
	}
	return out
}
