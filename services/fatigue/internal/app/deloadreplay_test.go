package app

import (
	"context"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// eventPub keeps every published event once per id, as the bus does.
type eventPub struct {
	seen map[string]bool
	evs  []*eventsv1.Event
}

func (p *eventPub) Publish(_ context.Context, out []Output) error {
	for _, o := range out {
		e := o.Event
		if !p.seen[e.GetId()] {
			p.seen[e.GetId()] = true
			p.evs = append(p.evs, e)
		}
	}
	return nil
}

func (p *eventPub) recommendations() []time.Time {
	var days []time.Time
	for _, e := range p.evs {
		if r := e.GetDeloadRecommended(); r != nil {
			days = append(days, e.GetOccurredAt().AsTime())
		}
	}
	return days
}

// PROGRAMMING events reach the processor again: after a crash, when a partition restarts from
// its checkpoint, and when a partitioned view is created over the stream's history. A deload
// completion applied again after the athlete's next episode opened must not close that episode,
// or the rule recommends a second deload for it. The run that re-applies the completion after
// every training day publishes and saves exactly what the run applying it once does.
func TestDeloadCompletionReappliedChangesNothing(t *testing.T) {
	team := simulate.Generate(simulate.Config{Team: "t1", Athletes: 1, Overreachers: 1, Weeks: 20, Seed: 7, OnsetFrom: 21, OnsetTo: 21})
	byDay := map[time.Time][]Message{}
	var days []time.Time
	for i, ev := range team.Events {
		d := ev.GetOccurredAt().AsTime().UTC().Truncate(24 * time.Hour)
		if _, ok := byDay[d]; !ok {
			days = append(days, d)
		}
		byDay[d] = append(byDay[d], Message{Seq: uint64(i + 1), Event: ev})
	}
	type result struct {
		recs  []time.Time
		saved map[Key][]byte
	}
	run := func(reapply bool) result {
		st, pub := &memStore{saved: map[Key][]byte{}}, &eventPub{seen: map[string]bool{}}
		p := NewProcessor(st, pub, fixedThresholds{})
		ctx := context.Background()
		var completion *eventsv1.Event
		var weekEnd time.Time
		for _, d := range days {
			if _, err := p.HandleTraining(ctx, byDay[d]); err != nil {
				t.Fatal(err)
			}
			// The coach takes the first recommended deload the next Monday; programming reports
			// it completed when its week has ended.
			if recs := pub.recommendations(); weekEnd.IsZero() && len(recs) > 0 {
				r := recs[0].UTC().Truncate(24 * time.Hour)
				monday := r.AddDate(0, 0, 7-(int(r.Weekday())+6)%7)
				weekEnd = monday.AddDate(0, 0, 6)
				completion = &eventsv1.Event{Id: "deload-completed-1", TeamId: "t1", AthleteId: "a01", OccurredAt: timestamppb.New(weekEnd),
					Payload: &eventsv1.Event_DeloadCompleted{DeloadCompleted: &eventsv1.DeloadCompleted{
						DeloadId: "d1", WeekStart: WireDay(domain.DayOf(monday)), EndedOn: WireDay(domain.DayOf(weekEnd))}}}
			}
			if completion != nil && d.Equal(weekEnd) {
				if err := p.HandleProgramming(ctx, []*eventsv1.Event{completion}); err != nil {
					t.Fatal(err)
				}
			} else if completion != nil && d.After(weekEnd) && reapply {
				p.Forget(func(Key) bool { return true }) // as a restarted partition does: reload the snapshot
				if err := p.HandleProgramming(ctx, []*eventsv1.Event{completion}); err != nil {
					t.Fatal(err)
				}
			}
		}
		return result{pub.recommendations(), st.saved}
	}
	once := run(false)
	if len(once.recs) < 2 {
		t.Fatalf("the scenario must open an episode after the deload; recommendations on %v", once.recs)
	}
	again := run(true)
	if !reflect.DeepEqual(again.recs, once.recs) {
		t.Errorf("re-applied completion: recommendations on %v, applied once: %v", again.recs, once.recs)
	}
	if !reflect.DeepEqual(again.saved, once.saved) {
		t.Error("re-applied completion: the saved snapshot differs from the run applying it once")
	}
}
