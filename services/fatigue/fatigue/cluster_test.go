package fatigue_test

import (
	"bytes"
	"context"
	"fmt"
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
// The failover case also loses, mid-stream, the server one instance is connected to, and
// another instance stops; the crash case has that instance crash instead (its connection
// closes without acks or unpinning). What made these cases diverge before (issue 9): the server
// hands a pinned partition's redeliveries over out of stream order; a consumer leader elected
// after the server loss can count deliveries made just before it as acknowledged (and a
// work-queue view then deleted them, so the events a crashed instance had received were never
// assessed); a delivery lost with a connection only comes back after AckWait, behind later
// messages; and snapshots were read with direct gets, which a lagging R3 follower may answer.
// pkg/bus now restarts a partition from its own checkpoint whenever order may be lost, on a
// view that acks do not trim (partitioned_run.go), and snapshots are read from the bucket's
// leader. The reference replays TRAINING as the cluster stored it, since a publish retried
// through the failover may store a batch in another order. Losing the server that sources the
// partition view can stall it for about 40 s (the server's source-consumer timeout and retry).
func TestPartitionedInstancesOnACluster(t *testing.T) {
	t.Run("steady", func(t *testing.T) { runOnCluster(t, steady) })
	t.Run("failover", func(t *testing.T) { runOnCluster(t, serverLostInstanceStopped) })
	t.Run("crash", func(t *testing.T) { runOnCluster(t, serverLostInstanceCrashed) })
}

// clusterCase is what happens mid-stream in runOnCluster.
type clusterCase int

const (
	steady clusterCase = iota
	// The server instance 0 is connected to dies, then instance 1 stops.
	serverLostInstanceStopped
	// The server instance 0 is connected to dies, then instance 1 crashes.
	serverLostInstanceCrashed
)

func runOnCluster(t *testing.T, mode clusterCase) {
	failover := mode != steady
	team := simulate.Generate(simulate.Config{Team: "t1", Athletes: 8, Overreachers: 4, Weeks: 12, Seed: 11})
	chunks := split(team.Events, 4)
	ctx := context.Background()
	st := storetest.OpenServer(t, "fatigue_cluster")
	if err := store.Migrate(ctx, st, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}

	servers, urls := bustest.Cluster(t, 3)
	feed := connectCluster(t, urls, "feed")
	if err := ensureStreamsOnCluster(feed); err != nil {
		t.Fatalf("R3 streams: %v", err)
	}
	opts := fatigue.Options{Partitions: testPartitions}
	if mode == serverLostInstanceCrashed {
		// A crashed instance's partitions wait PartitionTTL before another instance takes them.
		opts.PartitionTTL = 5 * time.Second
	}
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
	// Mid-stream: the server instance 0 is connected to dies, then instance 1 stops or crashes
	// while chunk 2 is being consumed.
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
	switch mode {
	case serverLostInstanceStopped:
		instances[1].stop()
	case serverLostInstanceCrashed:
		instances[1].crash(buses[1])
	}
	publishRetrying(t, feed, chunks[3])
	waitPartitionsDrained(t, feed)

	// The reference: one instance, no partitions, one server, fed TRAINING as the cluster
	// stored it. A publish retried through the failover can store a batch's messages in another
	// order than they were sent (those lost with the server come after the ones that made it),
	// and stream order is the order the service promises to keep.
	stored := trainingEvents(t, feed)
	if len(stored) != len(team.Events) {
		t.Fatalf("TRAINING on the cluster holds %d events, %d were published", len(stored), len(team.Events))
	}
	single, _ := bustest.New(t)
	ref := start(t, service.Deps{Log: bustest.Logger(t), Bus: single, Store: st})
	publish(t, single, stored)
	waitConsumed(t, single, bus.StreamTraining, ports.DurableTraining)
	ref.stop()
	wantRecs := recommendationIDs(t, recommendations(t, single))
	if len(wantRecs) == 0 {
		t.Fatal("the single instance recommended nothing: the comparison would prove nothing")
	}
	wantAssessed := assessedByAthlete(t, single)
	wantStates := snapshots(t, single)

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

// trainingEvents reads every event on TRAINING in stream order.
func trainingEvents(t *testing.T, b *bus.Bus) []*eventsv1.Event {
	t.Helper()
	var out []*eventsv1.Event
	readAll(t, b, bus.StreamTraining, bus.SubjectsTraining, func(ev *eventsv1.Event) { out = append(out, ev) })
	return out
}

// assessedByAthlete reads every AthleteAssessed on ANALYSIS, grouped by athlete in stream
// order: a duplicate, a lost event or two instances racing on one athlete changes a list.
func assessedByAthlete(t *testing.T, b *bus.Bus) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	readAll(t, b, bus.StreamAnalysis, "sc.analysis.*.*.assessed", func(ev *eventsv1.Event) {
		out[ev.GetAthleteId()] = append(out[ev.GetAthleteId()], ev.GetId())
	})
	return out
}

// readAll decodes every message of stream on subject, in stream order.
func readAll(t *testing.T, b *bus.Bus, stream, subject string, each func(*eventsv1.Event)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := b.JetStream().OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
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
			each(ev)
			n++
		}
		// An empty fetch is not the end on a loaded machine (an ordered consumer may be
		// recreated under it); the context bounds the retries.
		read += n
	}
	if read != pending {
		t.Fatalf("read %d of %d messages of %s", read, pending, stream)
	}
	if pending == 0 {
		t.Fatalf("nothing on %s %s: the comparison would prove nothing", stream, subject)
	}
}

// publishRetrying publishes evs, retrying through a failover: the events' ids make a retried
// batch land once.
func publishRetrying(t testing.TB, b *bus.Bus, evs []*eventsv1.Event) {
	t.Helper()
	msgs := outMsgs(t, evs)
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
func connectCluster(t testing.TB, urls []string, name string) *bus.Bus {
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
