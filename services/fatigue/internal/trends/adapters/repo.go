// Package adapters holds the trends' ClickHouse SQL, written once for both backends (ClickHouse
// 18.16 and chDB) against store.Store with bound parameters only. Every query reads the raw
// tables with FINAL so replayed events count once; the set series share one grouped scan.
package adapters

import (
	"context"
	"fmt"
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
}

// where returns the team, athlete and day conditions on dayCol plus their arguments. Raw
// tables are partitioned by occurred_at, so they also get an occurred_at range for pruning.
func (f Filter) where(dayCol string, raw bool) (string, []any) {
	cond := "team_id = ? AND " + dayCol + " >= toDate(?) AND " + dayCol + " <= toDate(?)"
	args := []any{f.Team, f.From, f.To}
	if raw {
		cond += " AND occurred_at >= ? AND occurred_at < ?"
		args = append(args, f.From, f.To.AddDate(0, 0, 1))
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

// LiftBucket is the team's working-set volume of one lift category in one bucket.
type LiftBucket struct {
	Bucket   time.Time
	Lift     string
	VolumeKg float64
	HardSets int64
	Athletes uint64 // athletes with working sets of this lift in the bucket
	Rows     int64  // stored set rows (warm-ups included)
}

// MainLifts are the lifts with per-lift strength series.
var MainLifts = []string{"squat", "bench_press", "deadlift", "overhead_press"}

// SetBucket sums one athlete's stored sets of one lift category in one bucket.
type SetBucket struct {
	Athlete  string
	Bucket   time.Time
	Lift     string
	Rows     uint64  // stored set rows (warm-ups included)
	Working  uint64  // working and failure sets
	HardSets uint64  // working sets at effective RIR <= 3
	VolumeKg float64 // working-set volume-load
	BestE1RM float64 // 0 when no set has an e1RM
}

// FamiliarBucket sums one athlete's RPE deviations at familiar loads in one bucket
// (domain.FamiliarLoadDeviations, computed in SQL).
type FamiliarBucket struct {
	Athlete   string
	Bucket    time.Time
	DeltaSum  float64
	Exposures uint64
	Sets      uint64
}

// SetSummary holds every set metric's input of one query.
type SetSummary struct {
	Buckets  []SetBucket
	Familiar []FamiliarBucket // empty unless asked for
}

// setSummarySQL reads the sets once (FINAL: a replayed set counts once; grouping by the sort key
// with argMax instead measured 3-6x slower on 18.16) and reduces them in four steps, so a
// squad's 12 weeks come back as a few thousand rows instead of tens of thousands of cells:
//
//  1. cells: one athlete's sets of one exercise, lift, rep count and load on one day;
//  2. exposures: the cells of one exercise, rep count, load and day (lift categories merged),
//     with their rated sets' RPE sum;
//  3. per athlete, exercise and rep count: the exposures' day, load, mean RPE and sets as
//     parallel arrays (capturing plain arrays in the lambdas is cheaper than an array of tuples)
//     and their cells; each in-range exposure's baseline is the sorted mean RPEs of the earlier
//     exposures within the window at a load within tolerance, as domain.FamiliarLoadDeviations,
//     and its median (Quantile type 7: the middle element, or the two middle ones' midpoint) an
//     index into it, since 18.16 has no window functions;
//  4. one row per kind (0 cells, 1 deviations), athlete, bucket and lift.
//
// Placeholders: the range start six times, the window days, the tolerance, then the filter's.
const setSummarySQL = `SELECT tupleElement(o, 1) AS kind, athlete_id, %[1]s AS b, tupleElement(o, 3) AS lift,
    sum(tupleElement(o, 4)), sum(tupleElement(o, 5)), sum(tupleElement(o, 6)), sum(tupleElement(o, 7)), max(tupleElement(o, 8))
FROM (
  SELECT athlete_id, arrayConcat(
      arrayMap(c -> (toUInt8(0), c.1, c.2, c.6, c.3, c.4, c.5, c.7), arrayFilter(c -> c.1 >= toDate(?), cells)),
      arrayMap((d, r, n, base) -> (toUInt8(1), d, '', r - (arrayElement(base, intDiv(length(base) - 1, 2) + 1)
              + (arrayElement(base, intDiv(length(base) - 1, 2) + 1 + (length(base) - 1) %% 2) - arrayElement(base, intDiv(length(base) - 1, 2) + 1))
                * (0.5 * ((length(base) - 1) %% 2))),
            n, toUInt64(1), toUInt64(0), 0.),
        tds, trs, tns, bases)) AS out
  FROM (
    SELECT athlete_id, cells,
        arrayFilter((d, b) -> d >= toDate(?) AND length(b) > 0, ds, bs) AS tds,
        arrayFilter((r, b, d) -> d >= toDate(?) AND length(b) > 0, rs, bs, ds) AS trs,
        arrayFilter((n, b, d) -> d >= toDate(?) AND length(b) > 0, ns, bs, ds) AS tns,
        arrayFilter((b, d) -> d >= toDate(?) AND length(b) > 0, bs, ds) AS bases
    FROM (
      SELECT athlete_id, cells, ds, rs, ns,
          arrayMap((ed, el) -> if(ed < toDate(?), emptyArrayFloat64(),
              arraySort(arrayFilter((r, d, l) -> d < ed AND d >= ed - ? AND abs(l - el) <= ? * el, rs, ds, ls))), ds, ls) AS bs
      FROM (
        SELECT athlete_id, groupArrayIf(day, rated > 0) AS ds, groupArrayIf(load_kg, rated > 0) AS ls,
            groupArrayIf(rpe_sum / rated, rated > 0) AS rs, groupArrayIf(rated, rated > 0) AS ns, groupArrayArray(cs) AS cells
        FROM (
          SELECT athlete_id, exercise, reps, load_kg, day, sum(c_rated) AS rated, sum(c_rpe) AS rpe_sum,
              groupArray((day, lift_category, c_rows, c_working, c_hard, c_volume, c_e1rm)) AS cs
          FROM (
            SELECT athlete_id, day, lift_category, exercise, reps, load_kg, count() AS c_rows, sum(is_working) AS c_working,
                sum(is_hard_set) AS c_hard, sum(if(is_working = 1, volume_load_kg, 0.)) AS c_volume, max(ifNull(e1rm_kg, 0.)) AS c_e1rm,
                countIf(%[2]s) AS c_rated, sumIf(10 - assumeNotNull(effective_rir), %[2]s) AS c_rpe
            FROM training_sets FINAL WHERE %[3]s
            GROUP BY athlete_id, day, lift_category, exercise, reps, load_kg)
          GROUP BY athlete_id, exercise, reps, load_kg, day)
        GROUP BY athlete_id, exercise, reps)))
) ARRAY JOIN out AS o
GROUP BY kind, athlete_id, b, lift`

// SetSummary reduces the filter's sets to per-athlete buckets and, with familiar, to
// per-athlete RPE deviations at familiar loads; the scan then reaches FamiliarWindowDays before
// f.From for the baselines, whose exposures count nowhere else.
func (r Repo) SetSummary(ctx context.Context, f Filter, familiar bool) (SetSummary, error) {
	sf := f
	if familiar {
		sf.From = f.From.AddDate(0, 0, -domain.FamiliarWindowDays)
	}
	cond, condArgs := sf.where("day", true)
	const rated = "is_working = 1 AND isNotNull(effective_rir) AND load_kg > 0"
	q := fmt.Sprintf(setSummarySQL, bucketExpr(f.Bucket, "tupleElement(o, 2)"), rated, cond)
	args := append([]any{f.From, f.From, f.From, f.From, f.From, f.From, domain.FamiliarWindowDays, domain.FamiliarLoadTolerance}, condArgs...)
	var out SetSummary
	err := query(ctx, r.Store, "set summary", q, args, func(rows store.Rows) error {
		var kind uint8
		var sb SetBucket
		var x4 float64
		if err := rows.Scan(&kind, &sb.Athlete, &sb.Bucket, &sb.Lift, &x4, &sb.Rows, &sb.Working, &sb.HardSets, &sb.BestE1RM); err != nil {
			return err
		}
		if kind == 1 {
			if familiar {
				out.Familiar = append(out.Familiar, FamiliarBucket{Athlete: sb.Athlete, Bucket: sb.Bucket, DeltaSum: x4, Sets: sb.Rows, Exposures: sb.Working})
			}
			return nil
		}
		sb.VolumeKg = x4
		out.Buckets = append(out.Buckets, sb)
		return nil
	})
	return out, err
}

// DailyLoad is one athlete's session load on one day.
type DailyLoad struct {
	Athlete string
	Day     time.Time
	LoadAU  float64
	Rows    uint64
}

// DailySessionLoad returns the athletes' session load (sRPE x minutes) per day; sessions
// without sRPE are left out (never invented).
func (r Repo) DailySessionLoad(ctx context.Context, f Filter) ([]DailyLoad, error) {
	cond, args := f.where("day", true)
	q := `SELECT athlete_id, day, sum(assumeNotNull(session_load_au)), count()
FROM training_sessions FINAL WHERE ` + cond + ` AND isNotNull(session_load_au)
GROUP BY athlete_id, day ORDER BY athlete_id, day`
	var out []DailyLoad
	err := query(ctx, r.Store, "daily session load", q, args, func(rows store.Rows) error {
		var d DailyLoad
		if err := rows.Scan(&d.Athlete, &d.Day, &d.LoadAU, &d.Rows); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// FirstLoadDays returns each athlete's first day with session load (their ACWR history start).
func (r Repo) FirstLoadDays(ctx context.Context, f Filter) (map[string]time.Time, error) {
	cond := "team_id = ? AND day <= toDate(?) AND isNotNull(session_load_au)"
	args := []any{f.Team, f.To}
	if f.Athletes != nil {
		cond += " AND has(?, athlete_id)"
		args = append(args, nonEmpty(f.Athletes))
	}
	out := map[string]time.Time{}
	err := query(ctx, r.Store, "first load days", "SELECT athlete_id, min(day) FROM training_sessions WHERE "+cond+" GROUP BY athlete_id",
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

// WellnessColumns are the training_wellness columns averaged per item, in the order of
// WellnessBucket.Sums.
var WellnessColumns = []string{"fatigue", "sleep_quality", "soreness", "stress", "mood", "motivation", "joint_pain_max", "sleep_hours", "readiness"}

// WellnessBucket holds per-item sums and counts of one bucket's reports.
type WellnessBucket struct {
	Bucket   time.Time
	Reports  uint64
	Athletes uint64
	Sums     []float64
	Counts   []uint64
	ItemAths []uint64
}

// Wellness sums every item per bucket (NULL = skipped, not 0).
func (r Repo) Wellness(ctx context.Context, f Filter) ([]WellnessBucket, error) {
	cond, args := f.where("day", true)
	var cols []string
	for _, c := range WellnessColumns {
		cols = append(cols, "sum(toFloat64(ifNull("+c+", 0)))", "countIf(isNotNull("+c+"))", "uniqExactIf(athlete_id, isNotNull("+c+"))")
	}
	q := `SELECT ` + bucketExpr(f.Bucket, "day") + ` AS b, count(), uniqExact(athlete_id), ` + strings.Join(cols, ", ") + `
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

// Coverage returns the stored session, wellness and assessment rows per athlete in the filter
// (the sets' share comes from SetSummary).
func (r Repo) Coverage(ctx context.Context, f Filter) (map[string]uint64, error) {
	rawCond, rawArgs := f.where("day", true)
	asCond, asArgs := f.where("as_of", false)
	q := `SELECT athlete_id, sum(n) FROM (
    SELECT athlete_id, count() AS n FROM training_sessions FINAL WHERE ` + rawCond + ` GROUP BY athlete_id
    UNION ALL SELECT athlete_id, count() AS n FROM training_wellness FINAL WHERE ` + rawCond + ` GROUP BY athlete_id
    UNION ALL SELECT athlete_id, count() AS n FROM fatigue_assessments FINAL WHERE ` + asCond + ` GROUP BY athlete_id)
GROUP BY athlete_id`
	args := append(append(append([]any{}, rawArgs...), rawArgs...), asArgs...)
	out := map[string]uint64{}
	err := query(ctx, r.Store, "coverage", q, args, func(rows store.Rows) error {
		var a string
		var n uint64
		if err := rows.Scan(&a, &n); err != nil {
			return err
		}
		out[a] = n
		return nil
	})
	return out, err
}
