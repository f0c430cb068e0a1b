package adapters_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// recordingPublisher publishes through the real adapter and remembers the ids it was given.
type recordingPublisher struct {
	adapters.Publisher
	ids []string
}

func (r *recordingPublisher) Publish(ctx context.Context, outs []app.Output) error {
	for _, o := range outs {
		r.ids = append(r.ids, o.Event.GetId())
	}
	return r.Publisher.Publish(ctx, outs)
}

// An unreadable snapshot is reported (log, counter, DLQ with the reason) and the athlete is
// rebuilt from TRAINING: after the rest of the stream is applied, the snapshot is the very one
// an uninterrupted run saved, and the same events were published.
func TestUnreadableSnapshotIsRebuiltFromTraining(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, _ := bustest.New(t)
	team := simulate.Generate(simulate.Config{Team: "t1", Athletes: 2, Overreachers: 1, Weeks: 10, Seed: 3})
	msgs := publishTraining(ctx, t, b, team.Events)
	split := len(msgs) * 2 / 3

	states, err := adapters.NewStateKV(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	overrides, err := adapters.NewThresholdsKV(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	thresholds := app.Thresholds{Store: overrides}
	apply := func(p *app.Processor, batch []app.Message) {
		t.Helper()
		for i := 0; i < len(batch); i += 100 {
			if _, err := p.HandleTraining(ctx, batch[i:min(i+100, len(batch))]); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The uninterrupted run.
	first := &recordingPublisher{Publisher: adapters.Publisher{Bus: b}}
	apply(app.NewProcessor(states, first, thresholds), msgs[:split])
	before := len(first.ids)
	apply(app.NewProcessor(states, first, thresholds), msgs[split:])
	wantIDs := first.ids[before:]
	key := app.Key{Team: "t1", Athlete: "a01"}
	want := snapshotBytes(ctx, t, b, key)
	if len(wantIDs) == 0 {
		t.Fatal("the last third publishes nothing; the comparison would prove little")
	}

	// The same run, with a01's snapshot damaged where the last third starts.
	if err := b.JetStream().DeleteKeyValue(ctx, adapters.StateBucket); err != nil {
		t.Fatal(err)
	}
	if states, err = adapters.NewStateKV(ctx, b); err != nil {
		t.Fatal(err)
	}
	apply(app.NewProcessor(states, &recordingPublisher{Publisher: adapters.Publisher{Bus: b}}, thresholds), msgs[:split])
	garbage := []byte{99, 1, 2, 3}
	kv, err := b.JetStream().KeyValue(ctx, adapters.StateBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, key.String(), garbage); err != nil {
		t.Fatal(err)
	}
	var bad *app.UnreadableSnapshotError
	if _, err := states.Load(ctx, key); !errors.As(err, &bad) {
		t.Fatalf("loading a damaged snapshot: %v, want an UnreadableSnapshotError", err)
	}
	// A restore leaves the athlete out rather than failing the start or restoring it empty.
	all, err := states.All(ctx)
	if err != nil {
		t.Fatalf("list states with one damaged: %v", err)
	}
	if _, ok := all[key]; ok || len(all) != 1 {
		t.Errorf("listed %d states (the damaged one: %v), want only a02's", len(all), ok)
	}

	reg := prometheus.NewRegistry()
	quarantine, err := adapters.NewSnapshotQuarantine(b, bustest.Logger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	second := &recordingPublisher{Publisher: adapters.Publisher{Bus: b}}
	p := app.NewProcessor(states, second, thresholds)
	p.RebuildFrom(adapters.TrainingReplay{Bus: b, Durable: "fatigue"}, quarantine)
	apply(p, msgs[split:])

	if got := snapshotBytes(ctx, t, b, key); !bytes.Equal(got, want) {
		t.Errorf("rebuilt snapshot is %d bytes and differs from the uninterrupted run's (%d bytes)", len(got), len(want))
	}
	if !slices.Equal(second.ids, wantIDs) {
		t.Errorf("published %d events after the rebuild, want the uninterrupted run's %d", len(second.ids), len(wantIDs))
	}
	if n := counterValue(t, reg, adapters.UnreadableSnapshotsMetric); n != 1 {
		t.Errorf("%s = %v, want 1", adapters.UnreadableSnapshotsMetric, n)
	}
	letter := onlyDeadLetter(ctx, t, b)
	if !bytes.Equal(letter.Data, garbage) {
		t.Errorf("dead letter holds %v, want the damaged snapshot %v", letter.Data, garbage)
	}
	if reason := letter.Header.Get(bus.HeaderDLQReason); !strings.Contains(reason, "unreadable state snapshot") {
		t.Errorf("dead letter reason %q", reason)
	}
	if subject := letter.Header.Get(bus.HeaderDLQSubject); subject != "$KV."+adapters.StateBucket+"."+key.String() {
		t.Errorf("dead letter subject %q", subject)
	}
}

// publishTraining stores evs on TRAINING in order and returns them with their sequences.
func publishTraining(ctx context.Context, t *testing.T, b *bus.Bus, evs []*eventsv1.Event) []app.Message {
	t.Helper()
	out := make([]bus.OutMsg, len(evs))
	for i, ev := range evs {
		m, err := events.OutMsg(ev)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = m
	}
	res, err := b.PublishBatch(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]app.Message, len(evs))
	for i, r := range res {
		msgs[i] = app.Message{Seq: r.Ack.Sequence, Event: evs[i]}
	}
	return msgs
}

func snapshotBytes(ctx context.Context, t *testing.T, b *bus.Bus, k app.Key) []byte {
	t.Helper()
	e, err := b.LatestFromLeader(ctx, adapters.StateBucket, k.String())
	if err != nil {
		t.Fatal(err)
	}
	return e.Value
}

// counterValue reads a counter as the registry exports it.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("%s not exported", name)
	return 0
}

func onlyDeadLetter(ctx context.Context, t *testing.T, b *bus.Bus) *jetstream.RawStreamMsg {
	t.Helper()
	s, err := b.JetStream().Stream(ctx, bus.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("DLQ holds %d messages, want 1", info.State.Msgs)
	}
	m, err := s.GetMsg(ctx, info.State.LastSeq)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
