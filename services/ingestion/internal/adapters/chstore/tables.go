// Package chstore keeps training records in the ClickHouse tables of migration 0100
// (training_sets, training_sessions, training_wellness, training_readiness) through the store
// interface, so the same code runs on a ClickHouse server and on embedded chDB.
package chstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/store"
)

// Table names, one per record kind.
const (
	TableSets      = "training_sets"
	TableSessions  = "training_sessions"
	TableWellness  = "training_wellness"
	TableReadiness = "training_readiness"
)

// TableOf maps a subject kind ("set", "session", "wellness", "readiness") to its table.
func TableOf(kind string) (string, bool) {
	t, ok := tableOfKind[kind]
	return t, ok
}

var tableOfKind = map[string]string{"set": TableSets, "session": TableSessions, "wellness": TableWellness, "readiness": TableReadiness}

// envelopeColumns start every table's column list.
var envelopeColumns = []string{"event_id", "team_id", "athlete_id", "occurred_at", "day", "recorded_at", "source"}

var columns = map[string][]string{
	TableSets: append(append([]string(nil), envelopeColumns...), "session_id", "exercise", "lift_category", "set_type", "set_index",
		"load_kg", "original_unit", "reps", "rpe", "rir", "effective_rir", "volume_load_kg", "is_working", "is_hard_set",
		"e1rm_kg", "e1rm_method", "e1rm_low_confidence", "rep_velocities_mps", "mean_velocity_mps", "best_velocity_mps", "notes"),
	TableSessions: append(append([]string(nil), envelopeColumns...), "session_id", "name", "activity", "duration_minutes",
		"session_rpe", "session_load_au", "notes"),
	TableWellness: append(append([]string(nil), envelopeColumns...), "fatigue", "sleep_quality", "soreness", "stress", "mood",
		"motivation", "sleep_hours", "readiness", "joint_pain_locations", "joint_pain_scores", "joint_pain_max", "soreness_areas", "notes"),
	TableReadiness: append(append([]string(nil), envelopeColumns...), "hrv_rmssd_ms", "ln_rmssd", "resting_hr_bpm", "cmj_height_cm",
		"cmj_jump_count", "notes"),
}

// Tables reads and writes the training tables.
type Tables struct {
	st store.Store
	// spanLimit overrides defaultSpanLimit (tests).
	spanLimit int
}

// New returns the training tables on st (migrated with store.Migrations).
func New(st store.Store) *Tables { return &Tables{st: st} }

// Insert writes events as rows, skipping those already stored, so a redelivered batch adds
// nothing even before ReplacingMergeTree merges. It returns how many rows it inserted.
// Events of other kinds are an error: the caller filters them first.
func (t *Tables) Insert(ctx context.Context, evs []*eventsv1.Event) (int, error) {
	stored, err := t.Stored(ctx, evs)
	if err != nil {
		return 0, err
	}
	blocks, err := Blocks(evs, stored)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range blocks {
		if err := t.st.InsertColumns(ctx, b.Table, b.Columns, b.Values); err != nil {
			return n, fmt.Errorf("insert %d rows into %s: %w", b.Rows, b.Table, err)
		}
		n += b.Rows
	}
	return n, nil
}

// Block is one table's rows of a batch, column by column, as store.InsertColumns takes them.
type Block struct {
	Table   string
	Columns []string
	Values  []any
	Rows    int
}

// Blocks turns events into one Block per table, in table name order, leaving out the ids in
// skip and every repeat of an id within evs. Events of other kinds are an error.
func Blocks(evs []*eventsv1.Event, skip map[string]bool) ([]Block, error) {
	// Each event's table, first: counting the rows per table lets every block make its columns
	// once at their final size.
	tables := make([]string, len(evs))
	rowsPerTable := map[string]int{}
	seen := make(map[string]bool, len(evs))
	for i, ev := range evs {
		if skip[ev.GetId()] || seen[ev.GetId()] {
			continue
		}
		seen[ev.GetId()] = true
		r, err := events.RouteOf(ev)
		if err != nil {
			return nil, err
		}
		table, ok := TableOf(r.Kind)
		if !ok {
			return nil, fmt.Errorf("event %s: a %s is not a training record", ev.GetId(), r.Kind)
		}
		tables[i] = table
		rowsPerTable[table]++
	}
	blocks := make(map[string]block, len(rowsPerTable))
	for table, n := range rowsPerTable {
		blocks[table] = newBlock(table)
		blocks[table].grow(n)
	}
	for i, ev := range evs {
		if tables[i] == "" {
			continue // skipped, or a repeat within the batch
		}
		if err := blocks[tables[i]].add(ev); err != nil {
			return nil, err
		}
	}
	out := make([]Block, 0, len(blocks))
	for _, table := range slices.Sorted(maps.Keys(blocks)) {
		b := blocks[table]
		out = append(out, Block{Table: table, Columns: columns[table], Values: b.values(), Rows: b.len()})
	}
	return out, nil
}

// Stored returns the ids among evs that are already in their tables: per table and team, the
// ids stored for the team's athletes within the events' time span, which the primary key
// prunes to a range scan. A duplicate has the same team, athlete and time as the stored row, so
// it is always inside that span. Sending the ids themselves would cost the server a parse of
// thousands of literals per call (~0.1-0.5 s for 5000 on 18.16); listing the span instead is
// cheap while it holds few rows, as a live stream's or a new import's does. Only when the span
// holds more than spanLimit rows (a batch mixing old and new records over a dense history) is
// the query narrowed to the ids.
func (t *Tables) Stored(ctx context.Context, evs []*eventsv1.Event) (map[string]bool, error) {
	type group struct {
		table, team string
	}
	groups := map[group]*span{}
	for _, ev := range evs {
		r, err := events.RouteOf(ev)
		if err != nil {
			continue
		}
		table, ok := TableOf(r.Kind)
		if !ok {
			continue
		}
		g := group{table, ev.GetTeamId()}
		at := ev.GetOccurredAt().AsTime()
		s := groups[g]
		if s == nil {
			s = &span{from: at, to: at, athletes: map[string]bool{}, ids: map[string]bool{}}
			groups[g] = s
		}
		s.athletes[ev.GetAthleteId()] = true
		if at.Before(s.from) {
			s.from = at
		}
		if at.After(s.to) {
			s.to = at
		}
		s.ids[ev.GetId()] = true
	}
	out := map[string]bool{}
	for g, s := range groups {
		if err := t.storedIn(ctx, g.table, g.team, s, out); err != nil {
			return nil, fmt.Errorf("look up stored ids in %s: %w", g.table, err)
		}
	}
	return out, nil
}

// span is what Stored looks up in one table for one team.
type span struct {
	from, to time.Time
	athletes map[string]bool
	ids      map[string]bool
}

// defaultSpanLimit is how many stored rows a span may hold before Stored sends the ids
// instead: reading 10k ids back (~400 KB) costs less than parsing a few thousand literals.
const defaultSpanLimit = 10000

// storedIn adds to out the ids of s stored in table for team.
func (t *Tables) storedIn(ctx context.Context, table, team string, s *span, out map[string]bool) error {
	athletes := make([]string, 0, len(s.athletes))
	for a := range s.athletes {
		athletes = append(athletes, a)
	}
	sort.Strings(athletes)
	ids := make([]string, 0, len(s.ids))
	for id := range s.ids {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	limit := t.spanLimit
	if limit <= 0 {
		limit = defaultSpanLimit
	}
	from, to := s.from.Truncate(time.Second), s.to.Truncate(time.Second).Add(time.Second)
	found := map[string]bool{}
	// Bound parameters are rendered into the query text, which ClickHouse caps (max_query_size,
	// 256 KiB by default): athletes and ids go in chunks that stay far below it.
	for chunk := range slices.Chunk(athletes, lookupAthletes) {
		// athlete_id IN (?, ...) rather than has(?, athlete_id): ClickHouse 18.16 prunes the
		// (team_id, athlete_id, occurred_at) key only for IN, and without it every lookup would
		// read the team's whole history.
		q := "SELECT event_id FROM " + table + " WHERE team_id = ? AND athlete_id IN (" +
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ") + ") AND occurred_at >= ? AND occurred_at <= ?"
		args := make([]any, 0, len(chunk)+4)
		args = append(args, team)
		for _, a := range chunk {
			args = append(args, a)
		}
		args = append(args, from, to)
		inSpan := map[string]bool{}
		n, err := t.scanIDs(ctx, q+" LIMIT "+strconv.Itoa(limit+1), inSpan, args...)
		if err != nil {
			return err
		}
		if n <= limit {
			maps.Copy(found, inSpan)
			continue
		}
		for idChunk := range slices.Chunk(ids, lookupIDs) {
			if _, err := t.scanIDs(ctx, q+" AND has(?, event_id)", found, append(args, idChunk)...); err != nil {
				return err
			}
		}
	}
	for id := range found {
		if s.ids[id] {
			out[id] = true
		}
	}
	return nil
}

// lookupAthletes and lookupIDs bound one stored-id query's parameters (ids of at most 64
// characters: ~35 KiB and ~80 KiB of query text).
const (
	lookupAthletes = 500
	lookupIDs      = 2000
)

func (t *Tables) scanIDs(ctx context.Context, q string, found map[string]bool, args ...any) (n int, err error) {
	rows, err := t.st.Query(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return n, err
		}
		found[id] = true
		n++
	}
	return n, rows.Err()
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// ts is a protobuf timestamp of a stored DateTime.
func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t.UTC()) }
