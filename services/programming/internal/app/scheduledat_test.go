package app_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/services/programming/internal/app"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// A reactive deload, as its recommendation placed it, is scheduled as of the recommendation,
// whenever programming processes it (here a recommendation about a day of an imported history,
// a week before "now"); once a coach decides, the new revision is dated by the decision.
func TestReactiveDeloadScheduledAsOfItsRecommendation(t *testing.T) {
	e := newEnv(t) // now: 2026-01-05 10:00
	ctx := context.Background()
	e.assign(t, e.linearProgram(t))
	recAt := time.Date(2025, time.December, 29, 17, 5, 0, 0, time.UTC)
	rec := recommendation("rec-1", domain.Midnight(recAt))
	rec.OccurredAt = timestamppb.New(recAt)
	for range 2 { // the second time, as a redelivery
		if err := e.svc.HandleRecommendation(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	id := app.ReactiveDeloadID(team, athlete, "rec-1")
	if _, err := e.svc.Decide(ctx, approve(id, "coach-kim", nil)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.HandleRecommendation(ctx, rec); err != nil { // again, after the decision
		t.Fatal(err)
	}
	var at []time.Time
	for _, ev := range programmingEvents(t, e.bus) {
		if s := ev.GetDeloadScheduled(); s != nil && s.GetDeloadId() == id {
			at = append(at, ev.GetOccurredAt().AsTime())
		}
	}
	now := start.Add(10 * time.Hour)
	if len(at) != 2 || !at[0].Equal(recAt) || !at[1].Equal(now) {
		t.Errorf("DeloadScheduled of the reactive deload occurred at %v, want %v (as placed) then %v (as the coach approved it)", at, recAt, now)
	}
	d, err := e.svc.Deload(ctx, team, id)
	if err != nil {
		t.Fatal(err)
	}
	if !d.GetCreatedAt().AsTime().Equal(now) {
		t.Errorf("deload created at %v, want when it was placed, %v: the record keeps the wall clock", d.GetCreatedAt().AsTime(), now)
	}
}
