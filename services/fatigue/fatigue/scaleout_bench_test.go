package fatigue_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/fatigue/fatigue"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// benchPartitions divides evenly among 1, 2 and 3 instances.
const benchPartitions = 6

// scaleOutCase is one deployment shape of BenchmarkScaleOut.
type scaleOutCase struct {
	name      string
	replicas  int // 1: one server; 3: the three-node cluster
	instances int
}

var scaleOutCases = []scaleOutCase{
	{"r1x1", 1, 1},
	{"r3x1", 3, 1},
	{"r3x2", 3, 2},
	{"r3x3", 3, 3},
}

// BenchmarkScaleOut measures, per iteration and for every shape, ingest (PublishBatch of a
// simulated team's TRAINING events until the stream acknowledged them) and assessment (from the
// first publish until every partition consumer acknowledged everything) with 1, 2 and 3
// partitioned fatigue instances on a local three-node JetStream cluster with R3 streams and
// buckets, and with one instance on one server (R1). It reports events/s per shape and the
// ratios: scale-out (x2, x3 over x1 on R3) and the cost of replication (R3 over R1). On two
// cores the instances share the CPUs with the three servers, so the point is that the work
// spreads and what replication costs, not linear speed-up.
func BenchmarkScaleOut(b *testing.B) {
	single, e := bustest.New(b)
	_, urls := bustest.Cluster(b, 3)
	feedR3 := connectCluster(b, urls, "bench-feed")
	if err := ensureStreamsOnCluster(feedR3); err != nil {
		b.Fatalf("R3 streams: %v", err)
	}
	connect := func(c scaleOutCase, name string) *bus.Bus {
		if c.replicas == 1 {
			return bustest.Connect(b, e)
		}
		return connectCluster(b, urls, name)
	}
	ingest := map[string]time.Duration{}
	assess := map[string]time.Duration{}
	events := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for _, c := range scaleOutCases {
			// A team of its own per shape and iteration: nothing is deduplicated or skipped.
			team := simulate.Generate(simulate.Config{Team: fmt.Sprintf("%s%d", c.name, i), Athletes: 24, Overreachers: 8, Weeks: 8, Seed: 5})
			feed := feedR3
			if c.replicas == 1 {
				feed = single
			}
			instances := make([]*running, c.instances)
			for j := range instances {
				deps := service.Deps{Log: bustest.Logger(b), Bus: connect(c, fmt.Sprintf("bench-%s-%d", c.name, j))}
				instances[j] = startWith(b, deps, fatigue.Options{Partitions: benchPartitions})
			}
			began := time.Now()
			publishAll(b, feed, team.Events)
			published := time.Now()
			waitDrained(b, feed, benchPartitions)
			ingest[c.name] += published.Sub(began)
			assess[c.name] += time.Since(began)
			for _, in := range instances {
				in.stop()
			}
			if c == scaleOutCases[0] {
				events += len(team.Events)
			}
		}
	}
	rate := func(d time.Duration) float64 { return float64(events) / d.Seconds() }
	for _, c := range scaleOutCases {
		b.ReportMetric(rate(assess[c.name]), c.name+"_assessed/s")
	}
	b.ReportMetric(rate(ingest["r1x1"]), "r1_ingest/s")
	b.ReportMetric(rate(ingest["r3x1"]), "r3_ingest/s")
	b.ReportMetric(assess["r3x1"].Seconds()/assess["r3x2"].Seconds(), "x2_vs_x1")
	b.ReportMetric(assess["r3x1"].Seconds()/assess["r3x3"].Seconds(), "x3_vs_x1")
	b.ReportMetric(assess["r1x1"].Seconds()/assess["r3x1"].Seconds(), "r3_vs_r1_assessed")
	b.ReportMetric(ingest["r1x1"].Seconds()/ingest["r3x1"].Seconds(), "r3_vs_r1_ingest")
}

// publishAll publishes evs in batches of 1000, as the ingestion service does.
func publishAll(t testing.TB, b *bus.Bus, evs []*eventsv1.Event) {
	t.Helper()
	for lo := 0; lo < len(evs); lo += 1000 {
		publishRetrying(t, b, evs[lo:min(lo+1000, len(evs))])
	}
}
