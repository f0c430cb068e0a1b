package domain

import (
	"errors"
	"testing"
	"time"
)

func TestReactive(t *testing.T) {
	approval := DefaultPolicy() // cooldown 21 days, coach approval
	auto := DefaultPolicy()
	auto.AutoApproveReactive = true
	wed := Date(2026, time.March, 4) // next training week starts Monday 2026-03-09
	rec := Recommendation{ID: "rec-1", AsOf: wed}
	tests := []struct {
		name       string
		rec        Recommendation
		policy     Policy
		existing   []Existing
		wantAction ReactiveAction
		wantWeek   string
		wantStatus Status
		wantID     string
	}{
		{"first recommendation waits for approval", rec, approval, nil, ReactivePlace, "2026-03-09", StatusPendingApproval, ""},
		{"auto-approved team schedules it", rec, auto, nil, ReactivePlace, "2026-03-09", StatusScheduled, ""},
		{"assessed on a Monday goes to the following week", Recommendation{ID: "r", AsOf: Date(2026, time.March, 9)}, approval, nil,
			ReactivePlace, "2026-03-16", StatusPendingApproval, ""},
		{"same recommendation again", rec, approval,
			[]Existing{{ID: "d1", Kind: KindReactive, Status: StatusPendingApproval, WeekStart: Date(2026, time.March, 9), DurationDays: 7, RecommendationID: "rec-1"}},
			ReactiveDuplicate, "2026-03-09", 0, "d1"},
		{"duplicate even after a dismissal", rec, approval,
			[]Existing{{ID: "d1", Kind: KindReactive, Status: StatusDismissed, WeekStart: Date(2026, time.March, 9), DurationDays: 7, RecommendationID: "rec-1"}},
			ReactiveDuplicate, "2026-03-09", 0, "d1"},
		{"planned deload starting 7 days later covers it", rec, approval,
			[]Existing{{ID: "p1", Kind: KindPlanned, Status: StatusScheduled, WeekStart: Date(2026, time.March, 16), DurationDays: 7}},
			ReactiveCooldown, "2026-03-09", 0, "p1"},
		{"planned deload 28 days later does not", rec, approval,
			[]Existing{{ID: "p1", Kind: KindPlanned, Status: StatusScheduled, WeekStart: Date(2026, time.April, 6), DurationDays: 7}},
			ReactivePlace, "2026-03-09", StatusPendingApproval, ""},
		{"deload ended 14 days before is in cooldown", rec, approval,
			// Week of Feb 16 ends Feb 23; Feb 23 -> Mar 9 is 14 days < 21.
			[]Existing{{ID: "r0", Kind: KindReactive, Status: StatusCompleted, WeekStart: Date(2026, time.February, 16), DurationDays: 7}},
			ReactiveCooldown, "2026-03-09", 0, "r0"},
		{"deload ended exactly 21 days before is not", rec, approval,
			// Week of Feb 9 ends Feb 16; Feb 16 -> Mar 9 is 21 days.
			[]Existing{{ID: "r0", Kind: KindReactive, Status: StatusCompleted, WeekStart: Date(2026, time.February, 9), DurationDays: 7}},
			ReactivePlace, "2026-03-09", StatusPendingApproval, ""},
		{"another pending deload of the same week", Recommendation{ID: "rec-2", AsOf: wed}, approval,
			[]Existing{{ID: "d1", Kind: KindReactive, Status: StatusPendingApproval, WeekStart: Date(2026, time.March, 9), DurationDays: 7, RecommendationID: "rec-1"}},
			ReactiveCooldown, "2026-03-09", 0, "d1"},
		{"dismissed and skipped deloads do not count", rec, approval,
			[]Existing{
				{ID: "x", Kind: KindReactive, Status: StatusDismissed, WeekStart: Date(2026, time.March, 9), DurationDays: 7, RecommendationID: "other"},
				{ID: "y", Kind: KindPlanned, Status: StatusSkipped, WeekStart: Date(2026, time.March, 16), DurationDays: 7},
			},
			ReactivePlace, "2026-03-09", StatusPendingApproval, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Reactive(tt.rec, tt.policy, tt.existing)
			if got.Action != tt.wantAction || got.WeekStart.Format(time.DateOnly) != tt.wantWeek || got.ExistingID != tt.wantID {
				t.Fatalf("got %+v, want action %d week %s existing %q", got, tt.wantAction, tt.wantWeek, tt.wantID)
			}
			if tt.wantAction == ReactivePlace && got.Status != tt.wantStatus {
				t.Errorf("status = %v, want %v", got.Status, tt.wantStatus)
			}
			if got.Reason == "" {
				t.Error("no reason recorded")
			}
		})
	}
}

func TestEffectiveStatus(t *testing.T) {
	week := Date(2026, time.March, 9)
	tests := []struct {
		status Status
		today  time.Time
		want   Status
	}{
		{StatusScheduled, Date(2026, time.March, 8), StatusScheduled},
		{StatusScheduled, Date(2026, time.March, 9), StatusInProgress},
		{StatusScheduled, Date(2026, time.March, 15), StatusInProgress},
		{StatusScheduled, Date(2026, time.March, 16), StatusCompleted},
		{StatusPendingApproval, Date(2026, time.March, 20), StatusPendingApproval},
		{StatusDismissed, Date(2026, time.March, 10), StatusDismissed},
	}
	for _, tt := range tests {
		if got := EffectiveStatus(tt.status, week, 7, tt.today); got != tt.want {
			t.Errorf("EffectiveStatus(%v, %s) = %v, want %v", tt.status, tt.today.Format(time.DateOnly), got, tt.want)
		}
	}
}

func TestDecide(t *testing.T) {
	today := Date(2026, time.March, 4)
	week := Date(2026, time.March, 9)
	pending := DeloadState{Status: StatusPendingApproval, WeekStart: week, Params: DefaultDeloadParams()}
	scheduled := pending
	scheduled.Status = StatusScheduled
	edited := DefaultDeloadParams()
	edited.LoadPercent = 65
	tests := []struct {
		name          string
		cur           DeloadState
		req           DecisionRequest
		today         time.Time
		wantStatus    Status
		wantWeek      string
		wantViolation string
		wantErr       bool
		wantLoad      float64
	}{
		{"approve pending", pending, DecisionRequest{Decision: DecisionApprove, DecidedBy: "coach-kim"}, today, StatusScheduled, "2026-03-09", "", false, 60},
		{"approve twice", scheduled, DecisionRequest{Decision: DecisionApprove, DecidedBy: "coach-kim"}, today, 0, "", "", true, 0},
		{"who decides is required", pending, DecisionRequest{Decision: DecisionApprove}, today, 0, "", "decided_by.subject", false, 0},
		{"postpone to a later week", pending, DecisionRequest{Decision: DecisionPostpone, PostponeTo: Date(2026, time.March, 18), DecidedBy: "c"}, today,
			StatusPendingApproval, "2026-03-16", "", false, 60},
		{"postpone a scheduled deload keeps it scheduled", scheduled, DecisionRequest{Decision: DecisionPostpone, PostponeTo: Date(2026, time.March, 23), DecidedBy: "c"}, today,
			StatusScheduled, "2026-03-23", "", false, 60},
		{"postpone within the same week", pending, DecisionRequest{Decision: DecisionPostpone, PostponeTo: Date(2026, time.March, 12), DecidedBy: "c"}, today,
			0, "", "postpone_to", false, 0},
		{"postpone without a date", pending, DecisionRequest{Decision: DecisionPostpone, DecidedBy: "c"}, today, 0, "", "postpone_to", false, 0},
		{"dismiss with a reason", pending, DecisionRequest{Decision: DecisionDismiss, Reason: "travel week anyway", DecidedBy: "c"}, today,
			StatusDismissed, "2026-03-09", "", false, 60},
		{"dismiss without a reason", pending, DecisionRequest{Decision: DecisionDismiss, DecidedBy: "c"}, today, 0, "", "reason", false, 0},
		{"edit the load", scheduled, DecisionRequest{Decision: DecisionEdit, Params: DeloadParams{LoadPercent: 65}, DecidedBy: "c"}, today,
			StatusScheduled, "2026-03-09", "", false, 65},
		{"edit out of range", scheduled, DecisionRequest{Decision: DecisionEdit, Params: DeloadParams{LoadPercent: 80}, DecidedBy: "c"}, today,
			0, "", "parameters.load_percent", false, 0},
		{"no decision", pending, DecisionRequest{DecidedBy: "c"}, today, 0, "", "decision", false, 0},
		{"too late once the week started", scheduled, DecisionRequest{Decision: DecisionDismiss, Reason: "x", DecidedBy: "c"}, Date(2026, time.March, 10),
			0, "", "", true, 0},
		{"dismissed takes no more decisions", DeloadState{Status: StatusDismissed, WeekStart: week, Params: edited},
			DecisionRequest{Decision: DecisionApprove, DecidedBy: "c"}, today, 0, "", "", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, violations, err := Decide(tt.cur, tt.req, tt.today)
			switch {
			case tt.wantErr:
				if !errors.Is(err, ErrDecision) {
					t.Fatalf("err = %v, want ErrDecision", err)
				}
				return
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.wantViolation != "":
				if len(violations) != 1 || violations[0].Field != tt.wantViolation {
					t.Fatalf("violations = %+v, want one on %s", violations, tt.wantViolation)
				}
				return
			case len(violations) > 0:
				t.Fatalf("unexpected violations %+v", violations)
			}
			if got.Status != tt.wantStatus || got.WeekStart.Format(time.DateOnly) != tt.wantWeek || got.Params.LoadPercent != tt.wantLoad {
				t.Errorf("got %v week %s load %v, want %v week %s load %v", got.Status, got.WeekStart.Format(time.DateOnly), got.Params.LoadPercent,
					tt.wantStatus, tt.wantWeek, tt.wantLoad)
			}
		})
	}
}
