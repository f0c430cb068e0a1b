package fatigue_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/fatigue/fatigue"
	"github.com/supercomp/supercomp/services/fatigue/internal/ports"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// TestPartitionedInstancesOnACluster runs the production shape in the process: a three-node
// JetStream cluster on loopback ports with every stream and bucket at R3, and three fatigue
// instances sharing 4 athlete partitions, each on its own connection given all three URLs. The
// outcome must equal one unpartitioned instance on one server fed the same events: the same
// athlete states (which carry the last applied TRAINING sequence), the same assessments per
// athlete in the same order, and every recommendation exactly once.
//
// The failover case also loses, mid-stream, the server one instance is connected to and stops
// another instance. It does NOT hold yet (issue 9): the outcome diverges from the reference
// (missing and different assessments, different states). Known causes: a batch whose publish or
// state save fails leaves the cached states advanced, so its redelivery is skipped as already
// applied (outputs never published, snapshot never saved); state snapshots are saved with an
// unconditional Put, so an instance that lost its partition can overwrite the new owner's newer
// snapshot. It runs with SC_FATIGUE_FAILOVER=1 until that is fixed.
func TestPartitionedInstancesOnACluster(t *testing.T) {
	t.Run("steady", func(t *testing.T) { runOnCluster(t, false) })
	t.Run("failover", func(t *testing.T) {
		if os.Getenv("SC_FATIGUE_FAILOVER") != "1" {
			t.Skip("known to diverge after a server loss (issue 9); set SC_FATIGUE_FAILOVER=1 to run")
		}
		runOnCluster(t, true)
	})
}

func runOnCluster(t *testing.T, failover bool) {
	team := simulate.Generate(simulate.Config{Team: "t1", Athletes: 8, Overreachers: 4, Weeks: 12, Seed: 11})
	chunks := split(team.Events, 4)
	ctx := context.Background()
	st := storetest.OpenServer(t, "fatigue_cluster")
	if err := store.Migrate(ctx, st, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}

	// The reference: one instance, no partitions, one server.
	single, _ := bustest.New(t)
	ref := start(t, service.Deps{Log: bustest.Logger(t), Bus: single, Store: st})
	publish(t, single, team.Events)
	waitConsumed(t, single, bus.StreamTraining, ports.DurableTraining)
	ref.stop()
	wantRecs := recommendationIDs(t, recommendations(t, single))
	if len(wantRecs) == 0 {
		t.Fatal("the single instance recommended nothing: the comparison would prove nothing")
	}
	wantAssessed := assessedByAthlete(t, single)
	wantStates := snapshots(t, single)

	servers, urls := bustest.Cluster(t, 3)
	feed := connectCluster(t, urls, "feed")
	if err := ensureStreamsOnCluster(feed); err != nil {
		t.Fatalf("R3 streams: %v", err)
	}
	opts := fatigue.Options{Partitions: testPartitions}
	instances := make([]*running, 3)
	buses := make([]*bus.Bus, 3)
	for i := range instances {
		buses[i] = connectCluster(t, urls, fmt.Sprintf("fatigue-%d", i))
		instances[i] = startWith(t, service.Deps{Log: bustest.Logger(t), Bus: buses[i], Store: st}, opts)
	}
	if info, err := feed.JetStream().Stream(ctx, ports.ViewPartitions); err != nil || info.CachedInfo().Config.Replicas != 3 {
		t.Fatalf("the partition view is not R3: %v", err)
	}

	publishRetrying(t, feed, chunks[0])
	publishRetrying(t, feed, chunks[1])
	// Mid-stream: the server instance 0 is connected to dies, then instance 1 stops while
	// chunk 2 is being consumed.
	lost := buses[0].Conn().ConnectedUrl()
	if failover {
		for i, u := range urls {
			if u == lost {
				servers[i].Shutdown()
			}
		}
	}
	publishRetrying(t, feed, chunks[2])
	time.Sleep(20 * time.Millisecond)
	if failover {
		instances[1].stop()
	}
	publishRetrying(t, feed, chunks[3])
	waitPartitionsDrained(t, feed)

	gotRecs := recommendationIDs(t, recommendations(t, feed))
	for id, n := range gotRecs {
		if n != 1 {
			t.Errorf("recommendation %s published %d times", id, n)
		}
	}
	if !equalKeys(gotRecs, wantRecs) {
		t.Errorf("recommendations on the cluster %v, with one instance %v", gotRecs, wantRecs)
	}
	gotAssessed := assessedByAthlete(t, feed)
	if len(gotAssessed) != len(wantAssessed) {
		t.Errorf("assessments for %d athletes on the cluster, %d with one instance", len(gotAssessed), len(wantAssessed))
	}
	for athlete, want := range wantAssessed {
		if got := gotAssessed[athlete]; !slices.Equal(got, want) {
			t.Errorf("%s assessments on the cluster (in stream order)\n %v\nwith one instance\n %v", athlete, got, want)
		}
	}
	gotStates := snapshots(t, feed)
	if len(gotStates) != len(wantStates) || len(wantStates) != len(team.Truth) {
		t.Errorf("%d states on the cluster, %d with one instance, %d athletes", len(gotStates), len(wantStates), len(team.Truth))
	}
	for k, want := range wantStates {
		if !bytes.Equal(gotStates[k], want) {
			t.Errorf("state of %s differs from the single instance's", k)
		}
	}
	if failover && (feed.Conn().ConnectedUrl() == lost || buses[0].Conn().ConnectedUrl() == lost) {
		t.Errorf("a client still reports the lost server %s", lost)
	}
}

// assessedByAthlete reads every AthleteAssessed on ANALYSIS, grouped by athlete in stream
// order: a duplicate, a lost event or two instances racing on one athlete changes a list.
func assessedByAthlete(t *testing.T, b *bus.Bus) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := b.JetStream().OrderedConsumer(ctx, bus.StreamAnalysis, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"sc.analysis.*.*.assessed"}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	pending, read := int(info.NumPending), 0
	for read < pending && ctx.Err() == nil {
		batch, err := c.Fetch(pending-read, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			ev, err := events.Decode(m.Data())
			if err != nil {
				t.Fatal(err)
			}
			out[ev.GetAthleteId()] = append(out[ev.GetAthleteId()], ev.GetId())
			n++
		}
		// An empty fetch is not the end on a loaded machine (an ordered consumer may be
		// recreated under it); the context bounds the retries.
		read += n
	}
	if read != pending {
		t.Fatalf("read %d of %d assessments", read, pending)
	}
	if pending == 0 {
		t.Fatal("no assessments: the comparison would prove nothing")
	}
	return out
}

// publishRetrying publishes evs, retrying through a failover: the events' ids make a retried
// batch land once.
func publishRetrying(t *testing.T, b *bus.Bus, evs []*eventsv1.Event) {
	t.Helper()
	msgs := make([]bus.OutMsg, 0, len(evs))
	for _, ev := range evs {
		m, err := events.OutMsg(ev)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := b.PublishBatch(ctx, msgs)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish through the failover: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// connectCluster connects to every URL with R3 streams and buckets.
func connectCluster(t *testing.T, urls []string, name string) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Connect(ctx, bus.Config{URL: strings.Join(urls, ","), Name: name, Replicas: 3}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// ensureStreamsOnCluster declares the default streams once the cluster has elected its
// JetStream meta leader; a request sent before that gets no answer, so each attempt has its
// own deadline.
func ensureStreamsOnCluster(b *bus.Bus) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		err := b.EnsureDefaultStreams(attempt)
		cancelAttempt()
		if err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}
