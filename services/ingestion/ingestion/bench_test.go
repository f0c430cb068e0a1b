package ingestion_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/ingestion/internal/itest"
)

// benchSets is how many sets one iteration sends, in stream messages of benchMessage records:
// enough that the recorder's inserts overlap the intake for most of the run, so the rate is the
// pipeline's steady state rather than the latency of filling and draining it.
const (
	benchSets    = 100000
	benchMessage = 1000
)

func benchRecords(iter int) []*ingestionv1.Record {
	base := time.Now().Add(-24 * time.Hour)
	recs := make([]*ingestionv1.Record, benchSets)
	for i := range recs {
		recs[i] = &ingestionv1.Record{
			Meta: &ingestionv1.RecordMeta{AthleteId: fmt.Sprintf("a%d", i%25), Source: "bench",
				OccurredAt: timestamppb.New(base.Add(time.Duration(iter*benchSets+i) * time.Millisecond))},
			Data: &ingestionv1.Record_Set{Set: &ingestionv1.SetInput{SessionId: "s", Exercise: "Squat (Barbell)", Load: 100 + float64(i%50),
				Reps: uint32(1 + i%10), Rpe: f64(8), SetIndex: uint32(1 + i%5)}},
		}
	}
	return recs
}

// BenchmarkIngest measures sets/s end to end (client stream -> validation -> JetStream ack ->
// recorder -> rows in ClickHouse) and, in the same run, bare JetStream async publish of the
// same number of set events, and reports the ratio (target >= 0.5). acked_sets/s is the rate
// at which the stream RPC accepted them (JetStream acks, before ClickHouse).
func BenchmarkIngest(b *testing.B) {
	gc := gcTargetsFor(b)
	st := itest.ClickHouse(b)
	bs := itest.Bus(b)
	c := itest.Host(b, bs, st, factory)
	bare, _ := bustest.New(b)
	engines := newEnginePipeline(b, st)
	ctx := context.Background()
	var e2e, acked, pub, eng time.Duration
	var e2eCPU, pubCPU, serverCPU, engCPU, engServerCPU time.Duration
	server := clickHouseServer(b)
	for iter := 0; iter < b.N; iter++ {
		recs := benchRecords(iter)
		// Bare publish: the same sets as encoded events, async with acks awaited.
		msgs := make([]bus.OutMsg, len(recs))
		evs := make([]*eventsv1.Event, len(recs))
		for i, r := range recs {
			s := r.GetSet()
			ev := &eventsv1.Event{Id: events.NewID(), TeamId: "t1", AthleteId: r.GetMeta().GetAthleteId(), OccurredAt: r.GetMeta().GetOccurredAt(),
				RecordedAt: timestamppb.Now(), Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{
					SessionId: s.GetSessionId(), Exercise: s.GetExercise(), LoadKg: s.GetLoad(), Reps: s.GetReps(), Rpe: s.Rpe, SetIndex: s.GetSetIndex()}}}
			m, err := events.OutMsg(ev)
			if err != nil {
				b.Fatal(err)
			}
			msgs[i], evs[i] = m, ev
		}
		debug.SetGCPercent(gc.bare)
		settleMerges(b, st)
		runtime.GC() // the previous phase's garbage is not the bare publish's to collect
		start, cpu := time.Now(), processCPU(b)
		if _, err := bare.PublishBatch(ctx, msgs); err != nil {
			b.Fatal(err)
		}
		pub += time.Since(start)
		pubCPU += processCPU(b) - cpu

		// The engines alone, at their own defaults as the bare publish.
		blocks := engines.blocks(b, evs)
		runtime.GC()
		start, cpu = time.Now(), processCPU(b)
		serverStart := server.cpu(b)
		if err := engines.run(ctx, msgs, blocks); err != nil {
			b.Fatal(err)
		}
		eng += time.Since(start)
		engCPU += processCPU(b) - cpu
		engServerCPU += server.cpu(b) - serverStart
		settleMerges(b, st)

		debug.SetGCPercent(gc.service)
		runtime.GC() // nor the engines' garbage the service's
		start, cpu = time.Now(), processCPU(b)
		serverStart = server.cpu(b)
		stream, err := c.StreamRecords(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(recs); i += benchMessage {
			if err := stream.Send(&ingestionv1.StreamRecordsRequest{TeamId: "t1", Records: recs[i : i+benchMessage]}); err != nil {
				b.Fatal(err)
			}
		}
		resp, err := stream.CloseAndRecv()
		if err != nil || resp.GetCounts().GetAccepted() != benchSets {
			b.Fatalf("stream: %v %v", resp.GetCounts(), err)
		}
		acked += time.Since(start)
		want := uint64((iter + 1) * benchSets)
		for {
			var n uint64
			if err := store.QueryRow(ctx, st, "SELECT count() FROM training_sets").Scan(&n); err != nil {
				b.Fatal(err)
			}
			if n >= want {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		e2e += time.Since(start)
		e2eCPU += processCPU(b) - cpu
		serverCPU += server.cpu(b) - serverStart
	}
	sets := float64(b.N * benchSets)
	e2eRate, pubRate, engRate := sets/e2e.Seconds(), sets/pub.Seconds(), sets/eng.Seconds()
	b.ReportMetric(e2eRate, "sets/s")
	b.ReportMetric(sets/acked.Seconds(), "acked_sets/s")
	b.ReportMetric(pubRate, "bare_publish_msgs/s")
	b.ReportMetric(e2eRate/pubRate, "ratio")
	// The engines' pipeline: how close to the bare publish any ingest path could come here, and
	// how close this one comes to the engines.
	b.ReportMetric(engRate, "engines_sets/s")
	b.ReportMetric(engRate/pubRate, "engines_ratio")
	b.ReportMetric(e2eRate/engRate, "of_engines")
	// CPU of this process (client, services and the embedded NATS server; not the ClickHouse
	// server) per set: on 2 cores the end-to-end rate is bounded by how much more work a set
	// is than a bare publish.
	b.ReportMetric(float64(e2eCPU.Microseconds())/sets, "cpu_us/set")
	b.ReportMetric(float64(pubCPU.Microseconds())/sets, "bare_cpu_us/msg")
	b.ReportMetric(float64(engCPU.Microseconds())/sets, "engines_cpu_us/set")
	if server.known() {
		// The ClickHouse server shares the 2 cores: its CPU per set counts against the rate as
		// much as ours does.
		b.ReportMetric(float64(serverCPU.Microseconds())/sets, "server_cpu_us/set")
		b.ReportMetric(float64(engServerCPU.Microseconds())/sets, "engines_server_cpu_us/set")
	}
	b.ReportMetric(0, "ns/op")
}

// settleMerges waits until the ClickHouse server merges no parts of the benchmark's tables, so
// that a phase does not pay for the merges of the one before it: without it the bare publish
// shared the cores with the previous iteration's merges, which flattered the ratio.
func settleMerges(b *testing.B, st store.Store) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		// Merges are picked by a background scheduler shortly after an insert: give it the
		// chance before looking.
		time.Sleep(200 * time.Millisecond)
		var n uint64
		if err := store.QueryRow(ctx, st, "SELECT count() FROM system.merges WHERE database = currentDatabase()").Scan(&n); err != nil {
			b.Fatalf("merges: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// deployedGOGC is the GC target the ingestion deployment runs with (k8s/base/ingestion.yaml;
// TestDeployedGOGC keeps the two equal), so the benchmark measures the service as it runs.
const deployedGOGC = 400

// gcTargets are the GC targets of the benchmark's two phases.
type gcTargets struct{ bare, service int }

// gcTargetsFor: the bare publish runs with the process's own target (Go's default, or GOGC from
// the environment), the service with deployedGOGC unless GOGC is in the environment (GOGC=100
// measures the service at Go's default). The bare side does not get the service's setting: a
// larger heap made it slower (103k against 92k msgs/s), which would flatter the ratio.
func gcTargetsFor(b *testing.B) gcTargets {
	own := debug.SetGCPercent(-1)
	debug.SetGCPercent(own)
	t := gcTargets{bare: own, service: deployedGOGC}
	if _, set := os.LookupEnv("GOGC"); set {
		t.service = own
	}
	b.Cleanup(func() { debug.SetGCPercent(own) })
	return t
}

// clickHouseServer is the ClickHouse server process named by SC_CLICKHOUSE_PID (make bench sets
// it from scripts/clickhouse.sh's pid file); without it the server's CPU is not reported.
func clickHouseServer(b *testing.B) serverProcess {
	v := os.Getenv("SC_CLICKHOUSE_PID")
	if v == "" {
		return serverProcess{}
	}
	pid, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || pid <= 0 {
		b.Fatalf("SC_CLICKHOUSE_PID=%q is not a process id", v)
	}
	p := serverProcess{pid: pid}
	p.cpu(b) // fails now rather than after the first iteration if the process is not there
	return p
}

type serverProcess struct{ pid int }

func (p serverProcess) known() bool { return p.pid > 0 }

// cpu is the user and system CPU the process has used, from /proc/PID/stat (fields 14 and 15,
// in clock ticks of 1/100 s: USER_HZ is 100 on every Linux this runs on).
func (p serverProcess) cpu(b *testing.B) time.Duration {
	if !p.known() {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		b.Fatalf("ClickHouse server CPU: %v", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces: count fields after it.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		b.Fatalf("ClickHouse server CPU: short /proc/%d/stat", p.pid)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime and stime: fields 14 and 15 of the whole line
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatalf("ClickHouse server CPU: /proc/%d/stat: %v", p.pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// processCPU is the user and system CPU this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestDeployedGOGC keeps BenchmarkIngest's GC target the one the deployment sets.
func TestDeployedGOGC(t *testing.T) {
	manifest, err := os.ReadFile(filepath.Join("..", "..", "..", "k8s", "base", "ingestion.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`- name: GOGC\s+value: "(\d+)"`).FindSubmatch(manifest)
	if m == nil {
		t.Fatal("k8s/base/ingestion.yaml sets no GOGC")
	}
	if got := string(m[1]); got != strconv.Itoa(deployedGOGC) {
		t.Errorf("k8s/base/ingestion.yaml sets GOGC=%s, BenchmarkIngest runs with %d", got, deployedGOGC)
	}
}
