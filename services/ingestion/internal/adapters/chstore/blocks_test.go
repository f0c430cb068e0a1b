package chstore_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/chstore"
)

// Blocks makes one block per table in table order, with one value per row in every column,
// and leaves out skipped ids and repeats.
func TestBlocks(t *testing.T) {
	evs := sample()
	for i, ev := range evs {
		ev.Id = events.DeterministicID("blocks", string(rune('a'+i)))
	}
	repeat := proto.Clone(evs[0]).(*eventsv1.Event) // same id, same payload
	skipped := evs[1].GetId()
	blocks, err := chstore.Blocks(append(evs, repeat), map[string]bool{skipped: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, ev := range evs {
		if ev.GetId() == skipped {
			continue
		}
		r, _ := events.RouteOf(ev)
		table, _ := chstore.TableOf(r.Kind)
		rows[table]++
	}
	if len(blocks) != len(rows) {
		t.Fatalf("%d blocks, want %d (%v)", len(blocks), len(rows), rows)
	}
	for i, b := range blocks {
		if i > 0 && blocks[i-1].Table >= b.Table {
			t.Errorf("blocks out of table order: %s before %s", blocks[i-1].Table, b.Table)
		}
		if b.Rows != rows[b.Table] {
			t.Errorf("%s: %d rows, want %d", b.Table, b.Rows, rows[b.Table])
		}
		if len(b.Values) != len(b.Columns) {
			t.Fatalf("%s: %d columns of values for %d columns", b.Table, len(b.Values), len(b.Columns))
		}
		ids, ok := b.Values[0].([]string)
		if b.Columns[0] != "event_id" || !ok || len(ids) != b.Rows {
			t.Errorf("%s: first column %s holds %T of %d, want %d event ids", b.Table, b.Columns[0], b.Values[0], len(ids), b.Rows)
		}
		for _, id := range ids {
			if id == skipped {
				t.Errorf("%s: skipped id %s is in the block", b.Table, id)
			}
		}
	}

	notTraining := &eventsv1.Event{Id: "x", TeamId: "t1", AthleteId: "a1",
		Payload: &eventsv1.Event_DeloadScheduled{DeloadScheduled: &eventsv1.DeloadScheduled{}}}
	if _, err := chstore.Blocks([]*eventsv1.Event{notTraining}, nil); err == nil {
		t.Error("a deload event made a block")
	}
}
