package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/eventbus"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/kvstore"
	"github.com/supercomp/supercomp/services/programming/internal/app"
)

// A deload week that is over is completed once: one DeloadCompleted per deload, across teams,
// the stored status moves to completed, and a deload still under way is left alone.
func TestDeloadWeeksThatAreOverAreCompletedOnce(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := context.Background()
	tables, err := kvstore.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := start.Add(10 * time.Hour) // Monday 2026-01-05
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc := app.New(tables, eventbus.Publisher{Bus: b}, bustest.Logger(t), app.WithClock(clock))

	// t1's deload is the week of 5 January (7 days), t2's the week after.
	first, err := svc.ScheduleDeload(ctx, "t1", "a1", start, commonv1.DeloadKind_DELOAD_KIND_MANUAL, "planned by hand", nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.ScheduleDeload(ctx, "t2", "a9", start.AddDate(0, 0, 7), commonv1.DeloadKind_DELOAD_KIND_MANUAL, "planned by hand", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.CompleteEnded(ctx); err != nil || n != 0 {
		t.Fatalf("on the first deload's first day: completed %d (%v), want 0", n, err)
	}

	// Tuesday 13 January: t1's week (5-11 January) is over, t2's is under way.
	mu.Lock()
	now = start.AddDate(0, 0, 8).Add(3 * time.Hour)
	mu.Unlock()
	if n, err := svc.CompleteEnded(ctx); err != nil || n != 1 {
		t.Fatalf("completed %d (%v), want 1", n, err)
	}
	if n, err := svc.CompleteEnded(ctx); err != nil || n != 0 {
		t.Fatalf("second sweep completed %d (%v), want 0", n, err)
	}
	d, err := svc.Deload(ctx, "t1", first.GetDeloadId())
	if err != nil {
		t.Fatal(err)
	}
	if d.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_COMPLETED {
		t.Errorf("t1 deload status %s, want completed", d.GetStatus())
	}
	d2, err := svc.Deload(ctx, "t2", second.GetDeloadId())
	if err != nil {
		t.Fatal(err)
	}
	if d2.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_IN_PROGRESS {
		t.Errorf("t2 deload status %s, want in progress", d2.GetStatus())
	}

	// Monday 19 January: t2's week is over too.
	mu.Lock()
	now = start.AddDate(0, 0, 14).Add(time.Hour)
	mu.Unlock()
	if n, err := svc.CompleteEnded(ctx); err != nil || n != 1 {
		t.Fatalf("completed %d (%v), want 1 (t2)", n, err)
	}

	var completed []*eventsv1.DeloadCompleted
	for _, ev := range programmingEvents(t, b) {
		if c := ev.GetDeloadCompleted(); c != nil {
			completed = append(completed, c)
			if ev.GetTeamId() == "" || ev.GetAthleteId() == "" {
				t.Errorf("DeloadCompleted %s without team or athlete", c.GetDeloadId())
			}
		}
	}
	if len(completed) != 2 {
		t.Fatalf("%d DeloadCompleted events, want 2: %v", len(completed), completed)
	}
	got := completed[0]
	if got.GetDeloadId() != first.GetDeloadId() || app.DateOf(got.GetWeekStart()) != start ||
		app.DateOf(got.GetEndedOn()) != start.AddDate(0, 0, 6) || got.GetKind() != commonv1.DeloadKind_DELOAD_KIND_MANUAL {
		t.Errorf("first DeloadCompleted %v: want deload %s, week 2026-01-05, ended 2026-01-11, manual", got, first.GetDeloadId())
	}
	if completed[1].GetDeloadId() != second.GetDeloadId() {
		t.Errorf("second DeloadCompleted is for %s, want %s", completed[1].GetDeloadId(), second.GetDeloadId())
	}
}
