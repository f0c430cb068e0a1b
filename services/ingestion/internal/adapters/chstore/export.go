package chstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/ingestion/internal/domain"
	"github.com/supercomp/supercomp/services/ingestion/internal/records"
)

// ExportQuery selects stored records of one kind.
type ExportQuery struct {
	// Table is one of the Table* names.
	Table string
	Team  string
	// Athlete narrows to one athlete when set.
	Athlete string
	// From and To are inclusive UTC days; zero means open.
	From, To time.Time
	// PageSize is how many events each call of fn gets (default 1000).
	PageSize int
	// GrantedTeams, when not nil, are the only teams the caller may read: the query itself is
	// limited to them (bound), so tenant isolation does not rest on the interceptor alone.
	GrantedTeams []string
}

// Export calls fn with pages of stored records as events, oldest first, reading with FINAL so
// a replay that has not been merged away yet is still returned once. Pages follow the primary
// key (occurred_at, event_id), so a long export never re-reads what it already sent.
func (t *Tables) Export(ctx context.Context, q ExportQuery, fn func([]*eventsv1.Event) error) error {
	cols, ok := columns[q.Table]
	if !ok {
		return fmt.Errorf("export: unknown table %q", q.Table)
	}
	if q.PageSize <= 0 {
		q.PageSize = 1000
	}
	where := []string{"team_id = ?"}
	args := []any{q.Team}
	if q.GrantedTeams != nil {
		if len(q.GrantedTeams) == 0 {
			return nil // granted nothing: nothing to read (and 18.16 cannot type an empty array)
		}
		where = append(where, "has(?, team_id)")
		args = append(args, q.GrantedTeams)
	}
	if q.Athlete != "" {
		where = append(where, "athlete_id = ?")
		args = append(args, q.Athlete)
	}
	if !q.From.IsZero() {
		where = append(where, "day >= toDate(?)")
		args = append(args, q.From)
	}
	if !q.To.IsZero() {
		where = append(where, "day <= toDate(?)")
		args = append(args, q.To)
	}
	base := "SELECT " + strings.Join(cols, ", ") + " FROM " + q.Table + " FINAL WHERE " + strings.Join(where, " AND ")
	var (
		lastAt time.Time
		lastID string
		first  = true
	)
	for {
		query, qargs := base, append([]any(nil), args...)
		if !first {
			query += " AND (occurred_at > ? OR (occurred_at = ? AND event_id > ?))"
			qargs = append(qargs, lastAt, lastAt, lastID)
		}
		query += fmt.Sprintf(" ORDER BY occurred_at, event_id LIMIT %d", q.PageSize)
		page, err := t.readPage(ctx, q.Table, query, qargs)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) < q.PageSize {
			return nil
		}
		last := page[len(page)-1]
		lastAt, lastID, first = last.GetOccurredAt().AsTime(), last.GetId(), false
	}
}

func (t *Tables) readPage(ctx context.Context, table, query string, args []any) ([]*eventsv1.Event, error) {
	rows, err := t.st.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", table, err)
	}
	defer rows.Close()
	var page []*eventsv1.Event
	for rows.Next() {
		ev, err := scanEvent(table, rows)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", table, err)
		}
		page = append(page, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export %s: %w", table, err)
	}
	return page, nil
}

// scanEvent reads one row of table (selected with its full column list) back into the event
// that was recorded. Derived columns are skipped: they are recomputed from the payload.
func scanEvent(table string, rows store.Rows) (*eventsv1.Event, error) {
	var (
		ev                = &eventsv1.Event{}
		at, day, recorded time.Time
		skipF             *float64
		skipU8            uint8
		skipS             string
		skipFs            []float64
	)
	env := []any{&ev.Id, &ev.TeamId, &ev.AthleteId, &at, &day, &recorded, &ev.Source}
	switch table {
	case TableSets:
		s := &eventsv1.SetRecorded{}
		var category, setType, unit string
		var vol float64
		if err := rows.Scan(append(env, &s.SessionId, &s.Exercise, &category, &setType, &s.SetIndex, &s.LoadKg, &unit, &s.Reps,
			&s.Rpe, &s.Rir, &skipF, &vol, &skipU8, &skipU8, &skipF, &skipS, &skipU8, &skipFs, &skipF, &skipF, &s.Notes)...); err != nil {
			return nil, err
		}
		s.RepVelocitiesMps = skipFs
		if len(s.RepVelocitiesMps) == 0 {
			s.RepVelocitiesMps = nil
		}
		s.LiftCategory = records.WireLiftCategory(domain.ParseLiftCategory(category))
		s.SetType = records.WireSetType(domain.ParseSetType(setType))
		s.OriginalUnit = records.WireWeightUnit(domain.ParseWeightUnit(unit))
		ev.Payload = &eventsv1.Event_SetRecorded{SetRecorded: s}
	case TableSessions:
		s := &eventsv1.SessionRecorded{}
		if err := rows.Scan(append(env, &s.SessionId, &s.Name, &s.Activity, &s.DurationMinutes, &s.SessionRpe, &skipF, &s.Notes)...); err != nil {
			return nil, err
		}
		ev.Payload = &eventsv1.Event_SessionRecorded{SessionRecorded: s}
	case TableWellness:
		w := &eventsv1.WellnessReported{}
		var locs, areas []string
		var scores []uint32
		if err := rows.Scan(append(env, &w.Fatigue, &w.SleepQuality, &w.Soreness, &w.Stress, &w.Mood, &w.Motivation,
			&w.SleepHours, &w.Readiness, &locs, &scores, &skipU8, &areas, &w.Notes)...); err != nil {
			return nil, err
		}
		for i, l := range locs {
			jp := &eventsv1.JointPain{Location: l}
			if i < len(scores) {
				jp.Score = scores[i]
			}
			w.JointPain = append(w.JointPain, jp)
		}
		if len(areas) > 0 {
			w.SorenessAreas = areas
		}
		ev.Payload = &eventsv1.Event_WellnessReported{WellnessReported: w}
	case TableReadiness:
		r := &eventsv1.ReadinessMeasured{}
		if err := rows.Scan(append(env, &r.HrvRmssdMs, &skipF, &r.RestingHrBpm, &r.CmjHeightCm, &r.CmjJumpCount, &r.Notes)...); err != nil {
			return nil, err
		}
		ev.Payload = &eventsv1.Event_ReadinessMeasured{ReadinessMeasured: r}
	default:
		return nil, fmt.Errorf("unknown table %q", table)
	}
	ev.OccurredAt, ev.RecordedAt = ts(at), ts(recorded)
	return ev, nil
}
