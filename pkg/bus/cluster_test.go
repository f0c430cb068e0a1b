package bus_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

// TestClusterRidesOutTheLossOfOneServer runs a three-node JetStream cluster in the process, the
// platform's streams at R3, and a client given every node's URL: with one node gone, publishing
// and consuming carry on and nothing acknowledged is lost.
func TestClusterRidesOutTheLossOfOneServer(t *testing.T) {
	servers, urls := bustest.Cluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b, err := bus.Connect(ctx, bus.Config{URL: strings.Join(urls, ","), Name: "cluster-test", Replicas: 3}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	// The cluster elects its JetStream meta leader after the routes form; stream creation waits.
	// Each attempt gets its own deadline: a request sent before the leader exists gets no answer.
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		err = b.EnsureStreams(attempt, bus.DefaultStreams(3)...)
		cancelAttempt()
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("R3 streams: %v", err)
	}
	info, err := b.JetStream().Stream(ctx, bus.StreamTraining)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.CachedInfo().Config.Replicas; got != 3 {
		t.Fatalf("TRAINING has %d replicas, want 3", got)
	}

	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			for {
				attempt, cancelAttempt := context.WithTimeout(ctx, 3*time.Second)
				_, err := b.Publish(attempt, bus.Subject(bus.StreamTraining, "t1", "a1", "set"), fmt.Sprintf("evt-%d", i), []byte("x"), nil)
				cancelAttempt()
				if err == nil {
					break
				}
				// During the failover a publish can time out; the same id makes the retry safe.
				if ctx.Err() != nil {
					t.Fatalf("publish %d: %v", i, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	publish(0, 50)

	// Lose the node the client is connected to, the harshest case.
	connected := b.Conn().ConnectedUrl()
	for i, u := range urls {
		if u == connected {
			servers[i].Shutdown()
		}
	}
	publish(50, 100)

	// Like the streams above: while the stream's leader is re-elected a request can go
	// unanswered, and one attempt must not wait out the whole test.
	var cons jetstream.Consumer
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		cons, err = b.JetStream().CreateOrUpdateConsumer(attempt, bus.StreamTraining, jetstream.ConsumerConfig{Durable: "check", AckPolicy: jetstream.AckExplicitPolicy})
		cancelAttempt()
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for len(seen) < 100 && ctx.Err() == nil {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			seen[m.Headers().Get("Nats-Msg-Id")] = true
			_ = m.Ack()
		}
	}
	if len(seen) != 100 {
		t.Fatalf("consumed %d distinct events after losing a node, want 100", len(seen))
	}
	if b.Conn().ConnectedUrl() == connected {
		t.Errorf("client still reports the lost node %s", connected)
	}
}
