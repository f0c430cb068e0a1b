package app

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/natspub"
)

// gatedIndex knows a fixed set of stored ids, holds its first lookup until release is closed,
// and records how many events each lookup was asked about.
type gatedIndex struct {
	stored  map[string]bool
	release chan struct{}

	mu    sync.Mutex
	calls []int
}

func (g *gatedIndex) Stored(_ context.Context, evs []*eventsv1.Event) (map[string]bool, error) {
	g.mu.Lock()
	first := len(g.calls) == 0
	g.calls = append(g.calls, len(evs))
	g.mu.Unlock()
	if first {
		<-g.release
	}
	out := map[string]bool{}
	for _, ev := range evs {
		if g.stored[ev.GetId()] {
			out[ev.GetId()] = true
		}
	}
	return out, nil
}

// TestStreamLooksUpTogether: the messages validated while a lookup runs are looked up together
// in the next one, and each still gets its own duplicates settled.
func TestStreamLooksUpTogether(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, _ := bustest.New(t)
	id := func(m, i int) string { return events.DeterministicID("lookup-test", fmt.Sprint(m, i)) }
	// One stored record in each of the messages that wait for the first lookup.
	idx := &gatedIndex{stored: map[string]bool{id(1, 0): true, id(2, 1): true, id(3, 2): true}, release: make(chan struct{})}
	in := NewIngester(natspub.New(b), idx, nil)
	s := in.NewStream(ctx, Options{})

	const messages, perMessage = 4, 3
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	results := make([][]Result, messages)
	for m := 0; m < messages; m++ {
		items := make([]Item, perMessage)
		for i := range items {
			items[i] = Item{PresentTime: true, Event: &eventsv1.Event{Id: id(m, i), TeamId: "t1", AthleteId: "a1",
				OccurredAt: timestamppb.New(base.Add(time.Duration(m*perMessage+i) * time.Second)),
				Payload:    &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{SessionId: "s", Exercise: "Row", LoadKg: 60, Reps: 10}}}}
		}
		if err := s.Submit(items, func(r []Result) { results[m] = r }); err != nil {
			t.Fatal(err)
		}
		if m == 0 {
			waitFor(t, func() bool { idx.mu.Lock(); defer idx.mu.Unlock(); return len(idx.calls) == 1 })
		}
	}
	// Messages 1-3 are validated and queued for the lookup stage while the first lookup waits.
	waitFor(t, func() bool { return len(s.validated) == messages-1 })
	close(idx.release)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	if fmt.Sprint(idx.calls) != fmt.Sprint([]int{perMessage, (messages - 1) * perMessage}) {
		t.Errorf("lookups of %v events, want one of message 0 and one of messages 1-3 together", idx.calls)
	}
	for m, rs := range results {
		if len(rs) != perMessage {
			t.Fatalf("message %d: %d results", m, len(rs))
		}
		for i, r := range rs {
			want := Accepted
			if idx.stored[id(m, i)] {
				want = Duplicate
			}
			if r.Outcome != want {
				t.Errorf("message %d record %d: %v, want %v", m, i, r.Outcome, want)
			}
		}
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
	}
}
