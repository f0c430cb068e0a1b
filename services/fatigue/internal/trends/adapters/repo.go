// Package adapters holds the trends' ClickHouse SQL, written once for both backends (ClickHouse
// 18.16 and chDB) against store.Store with bound parameters only. Reads of the raw tables use
// FINAL so replayed events count once, except the set cells, which come from a rollup checked
// against FINAL (SetGroups). The stored athlete days (days.go, migration 0602) are read without
// FINAL and checked against the insert counts instead.
package adapters

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// Repo runs the trend queries.
type Repo struct{ Store store.Store }

// Filter selects the rows of one trend query.
type Filter struct {
	Team string
	// Athletes restricts the query; nil means the whole team. An empty non-nil slice matches
	// nobody (a position group without members).
	Athletes []string
	From, To time.Time // inclusive days
	Bucket   domain.Bucketing
	// GrantedTeams, when not nil, are the teams the caller may read (auth.GrantedTeams): bound
	// into every query, so tenant isolation does not rest on the gRPC guard alone.
	GrantedTeams []string
	// Zone, when not nil, is the time zone whose calendar days From, To and the buckets are.
	// The raw tables' day column and both rollups (trend_set_cells, trend_athlete_days) are
	// keyed by UTC day, so a zoned query reads the raw rows and computes each row's day from
	// occurred_at in the zone (RawDay); nil reads the UTC days, rollups included.
	Zone *time.Location
}

// RawDay is the SQL day of a raw table's row (one with occurred_at and day columns) and its
// arguments: the stored UTC day, or occurred_at's day in f.Zone. The zone's name is bound like
// any value; ClickHouse reads it as the constant its toDate needs.
func (f Filter) RawDay() (string, []any) {
	if f.Zone == nil {
		return "day", nil
	}
	return "toDate(occurred_at, ?)", []any{f.Zone.String()}
}

// instants returns the UTC instants at which f's first day starts and the day after its last
// starts, in f's zone.
func (f Filter) instants() (time.Time, time.Time) {
	zone := f.Zone
	if zone == nil {
		zone = time.UTC
	}
	at := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zone) }
	return at(f.From), at(f.To.AddDate(0, 0, 1))
}

// teamCond is the team condition every trend query starts with.
func (f Filter) teamCond() (string, []any) {
	if f.GrantedTeams == nil {
		return "team_id = ?", []any{f.Team}
	}
	return "team_id = ? AND has(?, team_id)", []any{f.Team, nonEmpty(f.GrantedTeams)}
}

// where returns the team, athlete and day conditions on dayCol plus their arguments. Raw
// tables are partitioned by occurred_at, so they also get an occurred_at range for pruning; in a
// zone that range alone selects the days (from the first day's local midnight to the midnight
// after the last), as the UTC day column does not.
func (f Filter) where(dayCol string, raw bool) (string, []any) {
	cond, args := f.teamCond()
	if !raw || f.Zone == nil {
		cond += " AND " + dayCol + " >= toDate(?) AND " + dayCol + " <= toDate(?)"
		args = append(args, f.From, f.To)
	}
	if raw {
		from, to := f.instants()
		cond += " AND occurred_at >= ? AND occurred_at < ?"
		args = append(args, from, to)
	}
	if f.Athletes != nil {
		cond += " AND has(?, athlete_id)"
		args = append(args, nonEmpty(f.Athletes))
	}
	return cond, args
}

// nonEmpty keeps has() well typed on 18.16, where an empty array literal is Array(Nothing):
// a token that can never be an athlete id matches nobody.
func nonEmpty(ids []string) []string {
	if len(ids) == 0 {
		return []string{"."}
	}
	return ids
}

// bucketExpr is the bucket of a Date column; only these two constant fragments enter the SQL.
func bucketExpr(b domain.Bucketing, col string) string {
	if b == domain.Day {
		return col
	}
	return "toMonday(" + col + ")"
}

func query(ctx context.Context, st store.Store, what, q string, args []any, scan func(store.Rows) error) error {
	rows, err := st.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// numbers appends the values of a numeric array's text to dst: "[1,2.5,3]", what toString
// returns for an array.
//
// The trend queries return their arrays as text because clickhouse-go scans an array element by
// element through reflection: a squad's 12 weeks of set cells (about 500,000 numbers) took ~100
// ms to scan from ClickHouse 18.16 and take ~15 ms to format and parse as text; on chDB the text
// costs the same as the binary arrays. Both engines print a Float64 in the shortest form that
// reads back as the same value (double-conversion on 18.16), so nothing is rounded
// (TestArrayTextRoundTrip).
func numbers(text string, dst []float64) ([]float64, error) {
	if !strings.HasPrefix(text, "[") || !strings.HasSuffix(text, "]") {
		return nil, fmt.Errorf("not an array: %.40q", text)
	}
	body := text[1 : len(text)-1]
	if body == "" {
		return dst, nil
	}
	dst = slices.Grow(dst, strings.Count(body, ",")+1)
	for {
		tok, rest, more := strings.Cut(body, ",")
		v, ok := wholeNumber(tok)
		if !ok {
			var err error
			if v, err = strconv.ParseFloat(tok, 64); err != nil {
				return nil, fmt.Errorf("array element %q: %w", tok, err)
			}
		}
		dst = append(dst, v)
		if !more {
			return dst, nil
		}
		body = rest
	}
}

// wholeNumber parses tok when it is up to 15 decimal digits (below 2^53, so exact as a
// float64): counts and days, most of the numbers the trend arrays hold, at a fraction of
// ParseFloat's cost.
func wholeNumber(tok string) (float64, bool) {
	if len(tok) == 0 || len(tok) > 15 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(tok); i++ {
		c := tok[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + uint64(c)
	}
	return float64(n), true
}

// scanNumbers scans a row of key columns followed by numeric arrays as text (see numbers),
// checking the arrays have one value per element of the first.
func scanNumbers(rows store.Rows, keys []any, arrays ...*[]float64) error {
	text := make([]string, len(arrays))
	dest := keys
	for i := range text {
		dest = append(dest, &text[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	for i, a := range arrays {
		var err error
		if *a, err = numbers(text[i], (*a)[:0]); err != nil {
			return err
		}
		if len(*a) != len(*arrays[0]) {
			return fmt.Errorf("arrays of %d and %d values", len(*arrays[0]), len(*a))
		}
	}
	return nil
}

// LiftBucket is the team's working-set volume of one lift category in one bucket.
type LiftBucket struct {
	Bucket   time.Time
	Lift     string
	VolumeKg float64
	HardSets int64
	Athletes uint64 // athletes with working sets of this lift in the bucket
	Rows     int64  // stored set rows (warm-ups included)
}

// MainLifts are the lifts with per-lift strength series: the first four of
// domain.LiftCategories, so a lift's index there is its index here (the answer's reduction
// relies on it).
var MainLifts = domain.LiftCategories[:4]

// SetCell sums one athlete's sets of one exercise (and lift category) at one rep count and load
// on one day: the finest grain any set series needs, so every set metric of a query comes from
// a single scan.
type SetCell struct {
	Athlete   string
	Day       time.Time
	Lift      string
	Exercise  string
	Reps      uint32
	LoadKg    float64
	Rows      uint64  // stored set rows (warm-ups included)
	Working   uint64  // working and failure sets
	HardSets  uint64  // working sets at effective RIR <= 3
	VolumeKg  float64 // working-set volume-load
	BestE1RM  float64 // 0 when no set has an e1RM
	RatedSets uint64  // working sets with a load and an effective RIR
	RPESum    float64 // sum of 10 - effective RIR over the rated sets
}

var epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// SetGroup is one athlete's cells of one lift category, exercise and rep count. SetGroups
// orders groups by athlete, exercise, reps and lift category, so the groups of one athlete,
// exercise and rep count (what familiar loads compare) are adjacent.
type SetGroup struct {
	Athlete  string
	Lift     string
	Exercise string
	Reps     uint32
	// Cells are in no particular order, and one day's cell at one load may come in several
	// parts (rollup rows ClickHouse has not merged yet): readers sum the parts (BestE1RM: the
	// maximum), as the metrics do anyway.
	Cells []SetCell
}

// SetGroups reads the filter's sets as cells grouped by athlete, lift category, exercise and
// reps, each set counted once although the recorder may insert one twice (at-least-once).
//
// The cells come from trend_set_cells (migration 0601), the rollup a materialized view keeps,
// next to a count of each athlete's and day's sets as training_sets FINAL keeps them
// (finalDayRows). Where the rollup saw as many rows as FINAL keeps, it holds exactly those sets;
// a day where it saw more (a duplicate, a re-recorded set) or fewer is read from training_sets
// FINAL instead. Both reads run at once.
//
// Measured on the 12-week squad benchmark (2,000 athletes, 51.1M sets, one squad of 100, 16
// weeks read with the RPE baselines; best of 5, load average ~4): the grouped FINAL read of
// training_sets took 264-483 ms on ClickHouse 18.16 and 87-155 ms on chDB; the rollup 84-114 ms
// and 47-63 ms, the day count 62-83 ms and 40-60 ms. So the server gains most (the two run in
// parallel there); chDB runs them in turn, about as long as the raw read.
// Computing the RPE-at-familiar-load baselines in SQL (commit 879bae8, reverted by 908dfd8) was
// slower than doing it in Go: the lambdas copy each group's arrays once per exposure.
func (r Repo) SetGroups(ctx context.Context, f Filter) ([]SetGroup, error) {
	if f.Zone != nil {
		return r.RawSetGroups(ctx, f) // the rollup's cells are UTC days
	}
	var rolled []SetGroup
	var final map[athleteDay]uint64
	rollErr := make(chan error, 1)
	go func() {
		var err error
		rolled, err = r.rolledSetGroups(ctx, f)
		rollErr <- err
	}()
	final, err := r.finalDayRows(ctx, f)
	if err := <-rollErr; err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	seen := make(map[athleteDay]uint64, len(final))
	for _, g := range rolled {
		for _, c := range g.Cells {
			seen[athleteDay{c.Athlete, c.Day.Unix()}] += c.Rows
		}
	}
	stale := map[athleteDay]bool{}
	for k, n := range seen {
		if final[k] != n {
			stale[k] = true
		}
	}
	for k := range final {
		if _, ok := seen[k]; !ok {
			stale[k] = true
		}
	}
	if len(stale) == 0 {
		return rolled, nil
	}
	// Read the stale days raw: their athletes over the days' span, keeping the stale days only.
	rf := f
	rf.Athletes = nil
	first := true
	athletes := map[string]bool{}
	for k := range stale {
		d := time.Unix(k.day, 0).UTC()
		if first || d.Before(rf.From) {
			rf.From = d
		}
		if first || d.After(rf.To) {
			rf.To = d
		}
		first = false
		if !athletes[k.athlete] {
			athletes[k.athlete] = true
			rf.Athletes = append(rf.Athletes, k.athlete)
		}
	}
	raw, err := r.RawSetGroups(ctx, rf)
	if err != nil {
		return nil, err
	}
	return mergeGroups(rolled, raw, stale), nil
}

// athleteDay is one athlete's day (the day as Unix seconds).
type athleteDay struct {
	athlete string
	day     int64
}

// mergeGroups returns rolled's cells except the stale days' plus raw's cells of the stale days,
// grouped and ordered as SetGroups promises.
func mergeGroups(rolled, raw []SetGroup, stale map[athleteDay]bool) []SetGroup {
	type key struct {
		athlete, lift, exercise string
		reps                    uint32
	}
	per := map[key][]SetCell{}
	total := 0
	add := func(groups []SetGroup, wantStale bool) {
		for _, g := range groups {
			k := key{g.Athlete, g.Lift, g.Exercise, g.Reps}
			for _, c := range g.Cells {
				if stale[athleteDay{c.Athlete, c.Day.Unix()}] == wantStale {
					per[k] = append(per[k], c)
					total++
				}
			}
		}
	}
	add(rolled, false)
	add(raw, true)
	keys := make([]key, 0, len(per))
	for k := range per {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(strings.Compare(a.athlete, b.athlete), strings.Compare(a.exercise, b.exercise), cmp.Compare(a.reps, b.reps),
			strings.Compare(a.lift, b.lift))
	})
	cells := make([]SetCell, 0, total)
	out := make([]SetGroup, 0, len(keys))
	for _, k := range keys {
		start := len(cells)
		cells = append(cells, per[k]...)
		out = append(out, SetGroup{Athlete: k.athlete, Lift: k.lift, Exercise: k.exercise, Reps: k.reps, Cells: cells[start:len(cells):len(cells)]})
	}
	return out
}

// finalDayRows counts the filter's sets per athlete and day as training_sets FINAL keeps them:
// FINAL keeps one row per sorting key (team, athlete, occurred_at, event_id), and a set's day is
// its occurred_at's UTC day (migration 0100), so that count is the distinct (occurred_at,
// event_id) pairs per athlete and day. Counted with uniqExact over the raw rows it costs a third
// of a FINAL read on ClickHouse 18.16, whose FINAL merges every column it reads.
//
// The pairs are counted by their 64-bit cityHash64, which hashes and compares faster than the
// pairs themselves (34 vs 42 ms on chDB, 58 vs 64 ms on 18.16). Two sets of one day whose hashes
// collide count as one, so that day looks stale and is read raw: a collision costs speed, not
// correctness, unless it exactly offsets a set the rollup lacks on the same day.
func (r Repo) finalDayRows(ctx context.Context, f Filter) (map[athleteDay]uint64, error) {
	cond, args := f.where("day", true)
	q := `SELECT athlete_id, toString(groupArray(d)), toString(groupArray(n)) FROM (
    SELECT athlete_id, toUInt16(day) AS d, uniqExact(cityHash64(occurred_at, event_id)) AS n FROM training_sets
    WHERE ` + cond + `
    GROUP BY athlete_id, day)
GROUP BY athlete_id`
	out := map[athleteDay]uint64{}
	err := query(ctx, r.Store, "set rows per day", q, args, func(rows store.Rows) error {
		var a string
		var days, ns []float64
		if err := scanNumbers(rows, []any{&a}, &days, &ns); err != nil {
			return err
		}
		for i, d := range days {
			out[athleteDay{a, fromDayNumber(d).Unix()}] = uint64(ns[i])
		}
		return nil
	})
	return out, err
}

// cellColumns select a group's cells from a subquery of cells (n, w, h, v, e, rs, rp), each
// array as text (see numbers); days as days since 1970.
const cellColumns = `athlete_id, lift_category, exercise, reps, toString(groupArray(toUInt16(cell_day))), toString(groupArray(load_kg)),
    toString(groupArray(n)), toString(groupArray(w)), toString(groupArray(h)), toString(groupArray(v)), toString(groupArray(e)),
    toString(groupArray(rs)), toString(groupArray(rp))`

// cellGroupOrder groups and orders the cells as SetGroup promises.
const cellGroupOrder = `GROUP BY athlete_id, lift_category, exercise, reps
ORDER BY athlete_id, exercise, reps, lift_category`

// rolledSetGroups reads the filter's cells from the rollup, as the view counted them. Each
// rollup row is finalised on its own rather than merged with the other rows of its cell first:
// until ClickHouse merges a cell's rows (one per insert that touched it), the cell comes back in
// parts, which every reader sums (see SetGroup). Skipping that merge, a GROUP BY over seven
// aggregate states and six keys, took the read from 110 to 30 ms on ClickHouse 18.16 and from 47 to
// 33-39 ms on chDB (the 12-week squad benchmark).
func (r Repo) rolledSetGroups(ctx context.Context, f Filter) ([]SetGroup, error) {
	cond, args := f.where("day", false)
	q := `SELECT ` + cellColumns + `
FROM (
    SELECT athlete_id, day AS cell_day, lift_category, exercise, reps, load_kg, finalizeAggregation(set_rows) AS n,
        finalizeAggregation(working_sets) AS w, finalizeAggregation(hard_sets) AS h, finalizeAggregation(volume_load_kg) AS v,
        finalizeAggregation(best_e1rm_kg) AS e, finalizeAggregation(rated_sets) AS rs, finalizeAggregation(rpe_sum) AS rp
    FROM trend_set_cells WHERE ` + cond + `)
` + cellGroupOrder
	return r.cellGroups(ctx, "set cells", q, args)
}

// RawSetGroups is SetGroups read from training_sets FINAL alone (deduplicated by event id),
// without the rollup: what the rollup must equal.
func (r Repo) RawSetGroups(ctx context.Context, f Filter) ([]SetGroup, error) {
	cond, args := f.where("day", true)
	dayExpr, dayArgs := f.RawDay()
	args = append(dayArgs, args...)
	const rated = "is_working = 1 AND isNotNull(effective_rir) AND load_kg > 0"
	q := `SELECT ` + cellColumns + `
FROM (
    SELECT athlete_id, ` + dayExpr + ` AS cell_day, lift_category, exercise, reps, load_kg, count() AS n, sum(is_working) AS w, sum(is_hard_set) AS h,
        sum(if(is_working = 1, volume_load_kg, 0.)) AS v, max(ifNull(e1rm_kg, 0.)) AS e,
        countIf(` + rated + `) AS rs, sumIf(10 - assumeNotNull(effective_rir), ` + rated + `) AS rp
    FROM training_sets FINAL WHERE ` + cond + `
    GROUP BY athlete_id, cell_day, lift_category, exercise, reps, load_kg)
` + cellGroupOrder
	return r.cellGroups(ctx, "raw set cells", q, args)
}

// cellGroups runs a query selecting cellColumns.
func (r Repo) cellGroups(ctx context.Context, what, q string, args []any) ([]SetGroup, error) {
	type arrays struct {
		days, loads, volumes, bests, rpes []float64
		rows, working, hard, rated        []float64
	}
	var groups []SetGroup
	var values []arrays
	total := 0
	err := query(ctx, r.Store, what, q, args, func(rows store.Rows) error {
		var g SetGroup
		var a arrays
		if err := scanNumbers(rows, []any{&g.Athlete, &g.Lift, &g.Exercise, &g.Reps}, &a.days, &a.loads, &a.rows, &a.working,
			&a.hard, &a.volumes, &a.bests, &a.rated, &a.rpes); err != nil {
			return err
		}
		groups = append(groups, g)
		values = append(values, a)
		total += len(a.days)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// One allocation of the exact size shared by all groups: growing a slice of these cells
	// was a third of the query's time at squad size.
	cells := make([]SetCell, 0, total)
	for gi := range groups {
		g, a := &groups[gi], values[gi]
		start := len(cells)
		for i := range a.days {
			cells = append(cells, SetCell{Athlete: g.Athlete, Day: fromDayNumber(a.days[i]), Lift: g.Lift,
				Exercise: g.Exercise, Reps: g.Reps, LoadKg: a.loads[i], Rows: uint64(a.rows[i]), Working: uint64(a.working[i]),
				HardSets: uint64(a.hard[i]), VolumeKg: a.volumes[i], BestE1RM: a.bests[i], RatedSets: uint64(a.rated[i]),
				RPESum: a.rpes[i]})
		}
		g.Cells = cells[start:len(cells):len(cells)]
	}
	return groups, nil
}

// DailyLoad is one athlete's session load on one day.
type DailyLoad struct {
	Athlete string
	Day     time.Time
	LoadAU  float64
	Rows    uint64
}

// DailySessionLoad returns the athletes' session load (sRPE x minutes) per day, ordered by
// athlete and day; sessions without sRPE are left out (never invented). The days come back as
// arrays per athlete, like the set cells (see numbers).
func (r Repo) DailySessionLoad(ctx context.Context, f Filter) ([]DailyLoad, error) {
	cond, args := f.where("day", true)
	dayExpr, dayArgs := f.RawDay()
	args = append(dayArgs, args...)
	q := `SELECT athlete_id, toString(groupArray(d)), toString(groupArray(l)), toString(groupArray(n)) FROM (
    SELECT athlete_id, toUInt16(` + dayExpr + `) AS d, sum(assumeNotNull(session_load_au)) AS l, count() AS n
    FROM training_sessions FINAL WHERE ` + cond + ` AND isNotNull(session_load_au)
    GROUP BY athlete_id, d)
GROUP BY athlete_id ORDER BY athlete_id`
	var out []DailyLoad
	err := query(ctx, r.Store, "daily session load", q, args, func(rows store.Rows) error {
		var a string
		var days, loads, ns []float64
		if err := scanNumbers(rows, []any{&a}, &days, &loads, &ns); err != nil {
			return err
		}
		start := len(out)
		for i, d := range days {
			out = append(out, DailyLoad{Athlete: a, Day: fromDayNumber(d), LoadAU: loads[i], Rows: uint64(ns[i])})
		}
		athlete := out[start:]
		slices.SortFunc(athlete, func(x, y DailyLoad) int { return x.Day.Compare(y.Day) })
		return nil
	})
	return out, err
}

// FirstLoadDays returns each athlete's first day with session load (their ACWR history start).
func (r Repo) FirstLoadDays(ctx context.Context, f Filter) (map[string]time.Time, error) {
	dayExpr, args := f.RawDay()
	cond, teamArgs := f.teamCond()
	args = append(args, teamArgs...)
	if f.Zone == nil {
		cond += " AND day <= toDate(?)"
		args = append(args, f.To)
	} else {
		_, end := f.instants()
		cond += " AND occurred_at < ?"
		args = append(args, end)
	}
	cond += " AND isNotNull(session_load_au)"
	if f.Athletes != nil {
		cond += " AND has(?, athlete_id)"
		args = append(args, nonEmpty(f.Athletes))
	}
	out := map[string]time.Time{}
	err := query(ctx, r.Store, "first load days", "SELECT athlete_id, min("+dayExpr+") FROM training_sessions WHERE "+cond+" GROUP BY athlete_id",
		args, func(rows store.Rows) error {
			var a string
			var d time.Time
			if err := rows.Scan(&a, &d); err != nil {
				return err
			}
			out[a] = d
			return nil
		})
	return out, err
}

// WellnessColumns are the training_wellness columns averaged per item (and the order of the
// wellness arrays of trend_athlete_days, migration 0602), in the order of
// WellnessBucket.Sums.
var WellnessColumns = [...]string{"fatigue", "sleep_quality", "soreness", "stress", "mood", "motivation", "joint_pain_max", "sleep_hours", "readiness"}

// WellnessBucket holds per-item sums and counts of one bucket's reports.
type WellnessBucket struct {
	Bucket   time.Time
	Reports  uint64
	Athletes uint64
	Sums     []float64
	Counts   []uint64
	ItemAths []uint64
}

// Wellness sums every item per bucket (NULL = skipped, not 0), the buckets being days or weeks
// of f.Zone.
func (r Repo) Wellness(ctx context.Context, f Filter) ([]WellnessBucket, error) {
	dayExpr, args := f.RawDay()
	cond, condArgs := f.where("day", true)
	args = append(args, condArgs...)
	var cols []string
	for _, c := range WellnessColumns {
		cols = append(cols, "sum(toFloat64(ifNull("+c+", 0)))", "countIf(isNotNull("+c+"))", "uniqExactIf(athlete_id, isNotNull("+c+"))")
	}
	q := `SELECT ` + bucketExpr(f.Bucket, dayExpr) + ` AS b, count(), uniqExact(athlete_id), ` + strings.Join(cols, ", ") + `
FROM training_wellness FINAL WHERE ` + cond + ` GROUP BY b ORDER BY b`
	var out []WellnessBucket
	err := query(ctx, r.Store, "wellness", q, args, func(rows store.Rows) error {
		n := len(WellnessColumns)
		wb := WellnessBucket{Sums: make([]float64, n), Counts: make([]uint64, n), ItemAths: make([]uint64, n)}
		dest := []any{&wb.Bucket, &wb.Reports, &wb.Athletes}
		for i := range n {
			dest = append(dest, &wb.Sums[i], &wb.Counts[i], &wb.ItemAths[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		out = append(out, wb)
		return nil
	})
	return out, err
}

// AthleteStatus is an athlete's most concerning status in a bucket.
type AthleteStatus struct {
	Athlete string
	Bucket  time.Time
	Status  uint8
	Rows    uint64
}

// Statuses returns each assessed athlete's most concerning status per bucket (from the
// fatigue service's fatigue_assessments, migration 0200).
func (r Repo) Statuses(ctx context.Context, f Filter) ([]AthleteStatus, error) {
	cond, args := f.where("as_of", false)
	q := `SELECT athlete_id, ` + bucketExpr(f.Bucket, "as_of") + ` AS b, max(status), count()
FROM fatigue_assessments FINAL WHERE ` + cond + ` AND status > 0 GROUP BY athlete_id, b ORDER BY b, athlete_id`
	var out []AthleteStatus
	err := query(ctx, r.Store, "statuses", q, args, func(rows store.Rows) error {
		var s AthleteStatus
		if err := rows.Scan(&s.Athlete, &s.Bucket, &s.Status, &s.Rows); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}
