package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Decision is a coach's decision about a deload.
type Decision int

// Decisions.
const (
	DecisionUnknown Decision = iota
	DecisionApprove
	DecisionPostpone
	DecisionDismiss
	DecisionEdit
)

// DecisionRequest is one decision with its arguments.
type DecisionRequest struct {
	Decision Decision
	// PostponeTo: any day of the week the deload moves to (POSTPONE).
	PostponeTo time.Time
	// Reason is required for DISMISS.
	Reason string
	// Params (EDIT): non-zero fields replace the current ones.
	Params DeloadParams
	// WeekStart (EDIT): any day of the new week; zero keeps the week.
	WeekStart time.Time
	// DecidedBy is who decides; required.
	DecidedBy string
}

// DeloadState is the part of a deload a decision changes.
type DeloadState struct {
	Status    Status
	WeekStart time.Time
	Params    DeloadParams
}

// ErrDecision marks a decision the deload's state does not allow (FailedPrecondition at the
// port); bad arguments are returned as violations instead.
var ErrDecision = errors.New("decision not allowed")

// Decide applies a decision made today to a deload. Approve turns a pending deload into a
// scheduled one; postpone moves a pending or scheduled deload to a later week (the status
// stays); dismiss ends it (a reason is required); edit changes parameters or week. A deload
// that has started, ended, been dismissed or skipped takes no more decisions.
func Decide(cur DeloadState, req DecisionRequest, today time.Time) (DeloadState, []Violation, error) {
	var v []Violation
	if strings.TrimSpace(req.DecidedBy) == "" {
		v = append(v, Violation{Field: "decided_by.subject", Description: "is required: who decides"})
	}
	next := cur
	switch req.Decision {
	case DecisionApprove:
	case DecisionPostpone:
		switch {
		case req.PostponeTo.IsZero():
			v = append(v, Violation{Field: "postpone_to", Description: "is required to postpone"})
		case !Monday(req.PostponeTo).After(Monday(cur.WeekStart)):
			v = append(v, Violation{Field: "postpone_to", Description: fmt.Sprintf("must fall in a week after the week of %s", Monday(cur.WeekStart).Format(time.DateOnly))})
		default:
			next.WeekStart = Monday(req.PostponeTo)
		}
	case DecisionDismiss:
		if strings.TrimSpace(req.Reason) == "" {
			v = append(v, Violation{Field: "reason", Description: "is required to dismiss"})
		}
		next.Status = StatusDismissed
	case DecisionEdit:
		next.Params = cur.Params.Merge(req.Params)
		for _, pv := range next.Params.Validate() {
			v = append(v, Violation{Field: "parameters." + pv.Field, Description: pv.Description})
		}
		if !req.WeekStart.IsZero() {
			next.WeekStart = Monday(req.WeekStart)
		}
	default:
		v = append(v, Violation{Field: "decision", Description: "must be APPROVE, POSTPONE, DISMISS or EDIT"})
	}
	if len(v) > 0 {
		return cur, v, nil
	}

	status := EffectiveStatus(cur.Status, cur.WeekStart, cur.Params.DurationDays, today)
	switch {
	case status != StatusPendingApproval && status != StatusScheduled:
		return cur, nil, fmt.Errorf("deload is %s: %w", status, ErrDecision)
	case req.Decision == DecisionApprove && status != StatusPendingApproval:
		return cur, nil, fmt.Errorf("deload is already scheduled: %w", ErrDecision)
	case req.Decision == DecisionApprove:
		next.Status = StatusScheduled
	}
	if (req.Decision == DecisionPostpone || req.Decision == DecisionEdit) && next.WeekStart.Before(Monday(today)) {
		return cur, []Violation{{Field: "week_start", Description: "must not be in a past week"}}, nil
	}
	return next, nil, nil
}

func (s Status) String() string {
	switch s {
	case StatusPendingApproval:
		return "pending approval"
	case StatusScheduled:
		return "scheduled"
	case StatusInProgress:
		return "in progress"
	case StatusCompleted:
		return "completed"
	case StatusDismissed:
		return "dismissed"
	case StatusSkipped:
		return "skipped"
	}
	return "unknown"
}
