package app_test

import (
	"context"
	"strings"
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

// A deload week that is over is closed once: a scheduled one is completed (one DeloadCompleted
// per deload, across teams), one never approved lapses (skipped, with DeloadSkipped saying
// why), and a deload still under way is left alone.
func TestDeloadWeeksThatAreOverAreClosedOnce(t *testing.T) {
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
	// A reactive recommendation of that Monday: pending approval (team policy) for the week of
	// 12 January.
	if err := svc.HandleRecommendation(ctx, recommendation("r-lapse", start)); err != nil {
		t.Fatal(err)
	}
	pending, err := svc.Deloads(ctx, team, athlete)
	if err != nil || len(pending) != 1 || pending[0].GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL {
		t.Fatalf("deloads of %s: %v (%v), want one pending approval", athlete, pending, err)
	}
	if c, l, err := svc.CloseEndedWeeks(ctx); err != nil || c != 0 || l != 0 {
		t.Fatalf("on the first deload's first day: completed %d, lapsed %d (%v), want 0, 0", c, l, err)
	}

	// Tuesday 13 January: t1's week (5-11 January) is over, t2's is under way.
	mu.Lock()
	now = start.AddDate(0, 0, 8).Add(3 * time.Hour)
	mu.Unlock()
	if c, l, err := svc.CloseEndedWeeks(ctx); err != nil || c != 1 || l != 0 {
		t.Fatalf("completed %d, lapsed %d (%v), want 1, 0", c, l, err)
	}
	if c, l, err := svc.CloseEndedWeeks(ctx); err != nil || c != 0 || l != 0 {
		t.Fatalf("second sweep: completed %d, lapsed %d (%v), want 0, 0", c, l, err)
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

	// Monday 19 January: t2's week is over too, and the week of 12 January went by unapproved.
	mu.Lock()
	now = start.AddDate(0, 0, 14).Add(time.Hour)
	mu.Unlock()
	if c, l, err := svc.CloseEndedWeeks(ctx); err != nil || c != 1 || l != 1 {
		t.Fatalf("completed %d, lapsed %d (%v), want 1 (t2), 1 (the unapproved one)", c, l, err)
	}
	lapsed, err := svc.Deload(ctx, team, pending[0].GetDeloadId())
	if err != nil {
		t.Fatal(err)
	}
	if lapsed.GetStatus() != commonv1.DeloadStatus_DELOAD_STATUS_SKIPPED || !strings.Contains(lapsed.GetReason(), "not approved before the week of 2026-01-12 ended") {
		t.Errorf("unapproved deload: %s, %q; want skipped, saying it was not approved in time", lapsed.GetStatus(), lapsed.GetReason())
	}
	skipped := 0
	for _, ev := range programmingEvents(t, b) {
		if sk := ev.GetDeloadSkipped(); sk != nil && sk.GetDeloadId() == lapsed.GetDeloadId() {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("%d DeloadSkipped events for the lapsed deload, want 1", skipped)
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
