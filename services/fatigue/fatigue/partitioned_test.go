package fatigue_test

import (
	"bytes"
	"context"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/fatigue/fatigue"
	"github.com/supercomp/supercomp/services/fatigue/internal/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/ports"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

const testPartitions = 4

// Two instances with 4 partitions on one bus: A consumes alone, B joins (and must read A's
// progress, not its own stale copy), A stops in the middle of a chunk and B takes its partitions
// over. Every recommendation must be published exactly once and the final per-athlete states
// must be those of a single unpartitioned instance fed the same events.
func TestTwoPartitionedInstancesMatchOneInstance(t *testing.T) {
	team := simulate.Generate(simulate.Config{Team: "t1", Athletes: 8, Overreachers: 4, Weeks: 12, Seed: 11})
	chunks := split(team.Events, 4)
	ctx := context.Background()
	st := storetest.OpenServer(t, "fatigue_partitioned")
	if err := store.Migrate(ctx, st, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}

	// The reference: one instance, no partitions.
	single, _ := bustest.New(t)
	ref := start(t, service.Deps{Log: bustest.Logger(t), Bus: single, Store: st})
	publish(t, single, team.Events)
	waitConsumed(t, single, bus.StreamTraining, ports.DurableTraining)
	wantRecs := recommendationIDs(t, recommendations(t, single))
	if len(wantRecs) == 0 {
		t.Fatal("the single instance recommended nothing: the comparison would prove nothing")
	}
	wantBoard := board(t, ref.client)
	ref.stop()

	b, _ := bustest.New(t)
	deps := service.Deps{Log: bustest.Logger(t), Bus: b, Store: st}
	opts := fatigue.Options{Partitions: testPartitions}
	a := startWith(t, deps, opts)
	publish(t, b, chunks[0])
	waitPartitionsDrained(t, b)

	// B starts after A holds every partition: it waits, and restored A's snapshots of chunk 0.
	bInst := startWith(t, deps, opts)
	publish(t, b, chunks[1])
	waitPartitionsDrained(t, b)
	if got, want := board(t, bInst.client), board(t, a.client); !proto.Equal(got, want) {
		t.Errorf("instance B reads a stale board for athletes A owns:\n got %v\nwant %v", got, want)
	}

	// A stops while chunk 2 is being consumed; B takes the partitions over.
	publish(t, b, chunks[2])
	time.Sleep(20 * time.Millisecond)
	a.stop()
	publish(t, b, chunks[3])
	waitPartitionsDrained(t, b)

	gotRecs := recommendationIDs(t, recommendations(t, b))
	for id, n := range gotRecs {
		if n != 1 {
			t.Errorf("recommendation %s published %d times", id, n)
		}
	}
	if !equalKeys(gotRecs, wantRecs) {
		t.Errorf("recommendations with two instances %v, with one %v", gotRecs, wantRecs)
	}
	if got := board(t, bInst.client); !proto.Equal(got, wantBoard) {
		t.Errorf("final board differs from the single instance's:\n got %v\nwant %v", got, wantBoard)
	}
	wantStates, gotStates := snapshots(t, single), snapshots(t, b)
	if len(gotStates) != len(wantStates) || len(wantStates) != len(team.Truth) {
		t.Errorf("%d states with two instances, %d with one, %d athletes", len(gotStates), len(wantStates), len(team.Truth))
	}
	for k, want := range wantStates {
		if !bytes.Equal(gotStates[k], want) {
			t.Errorf("state of %s differs from the single instance's", k)
		}
	}
}

// split cuts evs into n consecutive chunks.
func split(evs []*eventsv1.Event, n int) [][]*eventsv1.Event {
	out := make([][]*eventsv1.Event, n)
	size := (len(evs) + n - 1) / n
	for i := range out {
		lo, hi := min(i*size, len(evs)), min((i+1)*size, len(evs))
		out[i] = evs[lo:hi]
	}
	return out
}

// waitPartitionsDrained waits until the view has sourced everything published to TRAINING
// and every partition consumer has acked what it was given, twice in a row.
func waitPartitionsDrained(t testing.TB, b *bus.Bus) {
	t.Helper()
	waitDrained(t, b, testPartitions)
}

func waitDrained(t testing.TB, b *bus.Bus, partitions int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	calm := 0
	for time.Now().Before(deadline) {
		if drained(ctx, b, partitions) {
			if calm++; calm == 2 {
				return
			}
		} else {
			calm = 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the partitioned view did not drain")
}

func drained(ctx context.Context, b *bus.Bus, partitions int) bool {
	training, err := b.JetStream().Stream(ctx, bus.StreamTraining)
	if err != nil {
		return false
	}
	ti, err := training.Info(ctx)
	if err != nil {
		return false
	}
	view, err := b.JetStream().Stream(ctx, ports.ViewPartitions)
	if err != nil {
		return false
	}
	vi, err := view.Info(ctx)
	if err != nil || vi.State.Msgs != 0 {
		return false
	}
	for _, src := range vi.Sources {
		if src.Name == bus.StreamTraining && src.Lag != 0 {
			return false
		}
	}
	// Everything TRAINING holds went through the view: the view's last sequence counts what it
	// ever stored (the instances purge what their checkpoints cover, so Msgs 0 above means all
	// were handled). Consumer
	// sequences are no measure: a partition's consumer is reset when it changes hands.
	if vi.State.LastSeq < ti.State.Msgs {
		return false
	}
	for p := 0; p < partitions; p++ {
		c, err := b.JetStream().Consumer(ctx, ports.ViewPartitions, bus.PartitionDurable(ports.DurablePartitions, p))
		if err != nil {
			return false
		}
		ci, err := c.Info(ctx)
		if err != nil || ci.NumPending != 0 || ci.NumAckPending != 0 {
			return false
		}
	}
	return true
}

func recommendationIDs(t *testing.T, evs []*eventsv1.Event) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, ev := range evs {
		out[ev.GetAthleteId()+"/"+ev.GetDeloadRecommended().GetRecommendationId()]++
	}
	return out
}

func equalKeys(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

func board(t *testing.T, c fatiguev1.FatigueServiceClient) *fatiguev1.ListTeamStatusResponse {
	t.Helper()
	resp, err := c.ListTeamStatus(context.Background(), &fatiguev1.ListTeamStatusRequest{TeamId: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetAthletes()) == 0 {
		t.Fatal("empty board")
	}
	return resp
}

// snapshots reads every saved athlete state, as stored.
func snapshots(t *testing.T, b *bus.Bus) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	kv, err := b.JetStream().KeyValue(ctx, adapters.StateBucket)
	if err != nil {
		t.Fatal(err)
	}
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string][]byte{}
	for _, k := range keys {
		// From the leader: a direct get may be answered by a lagging R3 follower.
		e, err := b.LatestFromLeader(ctx, adapters.StateBucket, k)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = e.Value
	}
	return out
}
