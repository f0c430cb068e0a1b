package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/natspub"
	"github.com/supercomp/supercomp/services/ingestion/internal/app"
)

// storedIDs is an app.Index that knows a fixed set of ids (the ClickHouse one is tested with
// the tables); it stands for "stored before the stream's dedupe window".
type storedIDs map[string]bool

func (s storedIDs) Stored(_ context.Context, evs []*eventsv1.Event) (map[string]bool, error) {
	out := map[string]bool{}
	for _, ev := range evs {
		if s[ev.GetId()] {
			out[ev.GetId()] = true
		}
	}
	return out, nil
}

func set(athlete string, at time.Time, id string) app.Item {
	return app.Item{PresentTime: true, Event: &eventsv1.Event{Id: id, TeamId: "t1", AthleteId: athlete, OccurredAt: timestamppb.New(at),
		Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{SessionId: "s", Exercise: "Row", LoadKg: 60, Reps: 10}}}}
}

// TestStreamPipeline submits more messages than the pipeline holds ahead: every message is
// reported in order with the right outcomes (a record already stored, a record repeated in a
// later message, a bad record), and the stream holds the accepted events in submission order.
func TestStreamPipeline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, _ := bustest.New(t)
	old := events.DeterministicID("stream-test", "old")
	in := app.NewIngester(natspub.New(b), storedIDs{old: true}, nil)

	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	const messages, perMessage = 3*app.StreamAhead + 2, 5
	repeated := events.DeterministicID("stream-test", "repeated")
	var want []string // accepted ids in submission order
	s := in.NewStream(ctx, app.Options{})
	var reported []int
	var outcomes []app.Outcome
	for m := 0; m < messages; m++ {
		items := make([]app.Item, perMessage)
		for i := range items {
			id := events.DeterministicID("stream-test", fmt.Sprint(m, i))
			items[i] = set(fmt.Sprintf("a%d", i%2), base.Add(time.Duration(m*perMessage+i)*time.Second), id)
		}
		switch m {
		case 1:
			items[0].Event.Id = old
		case 2:
			items[4].Event.Id = repeated
		case 7:
			items[2].Event.Id = repeated // sent again five messages later: the stream's dedupe
		case 9:
			items[3].Event.GetSetRecorded().Reps = 0
		}
		for i, it := range items {
			if !(m == 1 && i == 0) && !(m == 7 && i == 2) && !(m == 9 && i == 3) {
				want = append(want, it.Event.Id)
			}
		}
		m := m
		if err := s.Submit(items, func(results []app.Result) {
			reported = append(reported, m)
			for _, r := range results {
				outcomes = append(outcomes, r.Outcome)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i, m := range reported {
		if i != m {
			t.Fatalf("reports in order %v", reported)
		}
	}
	if len(reported) != messages {
		t.Fatalf("%d messages reported, want %d", len(reported), messages)
	}
	wantOutcome := func(m, i int) app.Outcome {
		switch {
		case m == 1 && i == 0, m == 7 && i == 2:
			return app.Duplicate
		case m == 9 && i == 3:
			return app.Rejected
		}
		return app.Accepted
	}
	for k, o := range outcomes {
		if w := wantOutcome(k/perMessage, k%perMessage); o != w {
			t.Errorf("message %d record %d: outcome %v, want %v", k/perMessage, k%perMessage, o, w)
		}
	}

	// The stream holds exactly the accepted events, in submission order.
	cons, err := b.JetStream().OrderedConsumer(ctx, bus.StreamTraining, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(len(want)+1, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for msg := range batch.Messages() {
		ev, err := events.Decode(msg.Data())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.GetId())
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stream order:\n got %v\nwant %v", got, want)
	}
}

// TestStreamPublishFailure: when the stream cannot take the events, Close returns an
// Unavailable error, nothing is reported accepted, and later Submits fail too.
func TestStreamPublishFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, _ := bustest.New(t)
	if err := b.JetStream().DeleteStream(ctx, bus.StreamTraining); err != nil {
		t.Fatal(err)
	}
	in := app.NewIngester(natspub.New(b), nil, nil)
	s := in.NewStream(ctx, app.Options{})
	accepted := 0
	report := func(results []app.Result) {
		for _, r := range results {
			if r.Outcome == app.Accepted {
				accepted++
			}
		}
	}
	base := time.Now().Add(-time.Hour)
	var submitErr error
	for m := 0; m < 3 && submitErr == nil; m++ {
		submitErr = s.Submit([]app.Item{set("a1", base.Add(time.Duration(m)*time.Second), "")}, report)
		time.Sleep(50 * time.Millisecond)
	}
	err := s.Close()
	if !errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("close: %v, want unavailable", err)
	}
	if submitErr != nil && !errors.Is(submitErr, fault.ErrUnavailable) {
		t.Errorf("submit after the failure: %v", submitErr)
	}
	if accepted != 0 {
		t.Errorf("%d records reported accepted without a stream", accepted)
	}
}
