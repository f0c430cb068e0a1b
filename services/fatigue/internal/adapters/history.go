package adapters

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/app"
)

// AssessmentsTable is created by migration 0200.
const AssessmentsTable = "fatigue_assessments"

var assessmentColumns = []string{"event_id", "team_id", "athlete_id", "as_of", "assessed_at", "status", "score", "confidence",
	"abnormal_families", "rule_fired", "payload", "recorded_at"}

// History records and reads assessments in ClickHouse.
type History struct{ Store store.Store }

// Record inserts AthleteAssessed events (others are ignored).
func (h History) Record(ctx context.Context, evs []*eventsv1.Event) error {
	rows := make([][]any, 0, len(evs))
	now := time.Now().UTC()
	for _, ev := range evs {
		a := ev.GetAthleteAssessed()
		if a == nil {
			continue
		}
		payload, err := proto.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode assessment %s: %w", ev.GetId(), err)
		}
		fams := make([]uint8, 0, len(a.GetAbnormalFamilies()))
		for _, f := range a.GetAbnormalFamilies() {
			fams = append(fams, uint8(f))
		}
		rows = append(rows, []any{ev.GetId(), ev.GetTeamId(), ev.GetAthleteId(), app.DayOf(a.GetAsOf()).Time(),
			ev.GetOccurredAt().AsTime().UTC(), uint8(a.GetStatus()), a.GetScore(), a.GetConfidence(), fams, a.GetRuleFired(),
			base64.StdEncoding.EncodeToString(payload), now})
	}
	if len(rows) == 0 {
		return nil
	}
	if err := h.Store.InsertBatch(ctx, AssessmentsTable, assessmentColumns, rows); err != nil {
		return fmt.Errorf("insert assessments: %w", err)
	}
	return nil
}

// List returns an athlete's assessments newest first, from..to inclusive (zero = open).
func (h History) List(ctx context.Context, team, athlete string, from, to time.Time, eventID string, limit, offset int) ([]*fatiguev1.Assessment, error) {
	q := "SELECT event_id, assessed_at, payload FROM " + AssessmentsTable + " FINAL WHERE team_id = ? AND athlete_id = ?"
	args := []any{team, athlete}
	if !from.IsZero() {
		q += " AND as_of >= toDate(?)"
		args = append(args, from)
	}
	if !to.IsZero() {
		q += " AND as_of <= toDate(?)"
		args = append(args, to)
	}
	if eventID != "" {
		q += " AND event_id = ?"
		args = append(args, eventID)
	}
	q += fmt.Sprintf(" ORDER BY assessed_at DESC, event_id DESC LIMIT %d OFFSET %d", limit, offset)
	rows, err := h.Store.Query(ctx, q, args...)
	if err != nil {
		return nil, fault.Unavailable("assessment history: %w", err)
	}
	defer rows.Close()
	var out []*fatiguev1.Assessment
	for rows.Next() {
		var id, payload string
		var at time.Time
		if err := rows.Scan(&id, &at, &payload); err != nil {
			return nil, fmt.Errorf("scan assessment: %w", err)
		}
		raw, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return nil, fmt.Errorf("decode assessment %s: %w", id, err)
		}
		a := &eventsv1.AthleteAssessed{}
		if err := proto.Unmarshal(raw, a); err != nil {
			return nil, fmt.Errorf("decode assessment %s: %w", id, err)
		}
		out = append(out, &fatiguev1.Assessment{EventId: id, TeamId: team, AthleteId: athlete, AssessedAt: timestamppb.New(at), Result: a})
	}
	return out, rows.Err()
}
