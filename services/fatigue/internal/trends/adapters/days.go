package adapters

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// LiftDay sums one athlete's sets of one lift category on one day.
type LiftDay struct {
	Rows     uint64  // stored set rows (warm-ups included)
	Working  uint64  // working and failure sets
	HardSets uint64  // working sets at effective RIR <= 3
	VolumeKg float64 // working-set volume-load
	BestE1RM float64 // 0 when no set has an e1RM
}

// AthleteDay is what the team trends need of one athlete's day (a row of trend_athlete_days,
// migration 0602): each metric's per-athlete input, so an answer is a sum over days and
// athletes.
type AthleteDay struct {
	Athlete string
	Day     time.Time
	// Token is the athlete's insert count over every day up to Day when the day was computed
	// (trend_day_inserts); 0 for days computed at query time.
	Token uint64
	Lifts [len(domain.LiftCategories)]LiftDay
	// RPE at familiar loads: the day's exposures that had a baseline.
	RPEDeviationSum  float64
	RPEDeviations    uint64
	RPEDeviationSets uint64
	SessionLoadAU    float64
	LoadSessions     uint64    // sessions with a session load
	FirstLoadDay     time.Time // the athlete's first day with session load, if on or before Day
	WellnessReports  uint64
	WellnessSums     [len(WellnessColumns)]float64 // per item, over the reports that answered it
	WellnessCounts   [len(WellnessColumns)]uint64
	Status           uint8  // most concerning assessment status (0: none)
	StatusRows       uint64 // assessments with a status
	OtherRows        uint64 // stored session, wellness and assessment rows
}

// SetRows is the day's stored set rows over every lift.
func (d *AthleteDay) SetRows() uint64 {
	var n uint64
	for _, l := range d.Lifts {
		n += l.Rows
	}
	return n
}

// fromDayNumber is the Date of ClickHouse's toUInt16 of it: days since 1970-01-01. UTC days are
// all 24 hours long, so this adds hours rather than calendar days (AddDate's civil-date round
// trip was visible in a squad's profile).
func fromDayNumber(n float64) time.Time { return epoch.Add(time.Duration(n) * 24 * time.Hour) }

// InsertCounts returns, per athlete of f with rows inserted on or before f.To, how many rows
// were ever inserted (trend_day_inserts, duplicates included) before the day from, and per day
// from then to f.To.
type InsertCounts struct {
	Before uint64
	Days   []time.Time // ascending
	Counts []uint64
}

// Cumulative returns the athlete's insert count over every day up to each of c.Days.
func (c InsertCounts) Cumulative() []uint64 {
	out := make([]uint64, len(c.Days))
	sum := c.Before
	for i, n := range c.Counts {
		sum += n
		out[i] = sum
	}
	return out
}

// DayInserts reads InsertCounts for the athletes of f (f.From is ignored) from the day from.
func (r Repo) DayInserts(ctx context.Context, f Filter, from time.Time) (map[string]InsertCounts, error) {
	cond, args := f.teamCond()
	cond += " AND day <= toDate(?)"
	args = append(args, f.To)
	if f.Athletes != nil {
		cond += " AND has(?, athlete_id)"
		args = append(args, nonEmpty(f.Athletes))
	}
	// One aggregation level, unmerged rows of a day summed here: half the time of grouping by
	// day in SQL first (6 vs 10 ms on chDB for a squad's two years).
	q := `SELECT athlete_id, sumIf(inserted, day < toDate(?)), toString(groupArrayIf(toUInt16(day), day >= toDate(?))),
    toString(groupArrayIf(inserted, day >= toDate(?)))
FROM trend_day_inserts WHERE ` + cond + ` GROUP BY athlete_id`
	out := map[string]InsertCounts{}
	err := query(ctx, r.Store, "day inserts", q, append([]any{from, from, from}, args...), func(rows store.Rows) error {
		var a string
		var c InsertCounts
		var days, ns []float64
		if err := scanNumbers(rows, []any{&a, &c.Before}, &days, &ns); err != nil {
			return err
		}
		// Days in order, the unmerged rows of one day added up.
		order := make([]int, len(days))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(x, y int) int { return cmp.Compare(days[x], days[y]) })
		c.Days = make([]time.Time, 0, len(days))
		c.Counts = make([]uint64, 0, len(days))
		for j, i := range order {
			if j > 0 && days[i] == days[order[j-1]] {
				c.Counts[len(c.Counts)-1] += uint64(ns[i])
				continue
			}
			c.Days = append(c.Days, fromDayNumber(days[i]))
			c.Counts = append(c.Counts, uint64(ns[i]))
		}
		out[a] = c
		return nil
	})
	return out, err
}

// SummaryTokens returns the tokens of the stored summary days of the team's athletes, per
// athlete and day (as Unix seconds).
func (r Repo) SummaryTokens(ctx context.Context, team string) (map[string]map[int64]uint64, error) {
	q := `SELECT athlete_id, toString(groupArray(toUInt16(day))), toString(groupArray(token))
FROM trend_athlete_days FINAL WHERE team_id = ? GROUP BY athlete_id`
	out := map[string]map[int64]uint64{}
	err := query(ctx, r.Store, "summary tokens", q, []any{team}, func(rows store.Rows) error {
		var a string
		var days, tokens []float64
		if err := scanNumbers(rows, []any{&a}, &days, &tokens); err != nil {
			return err
		}
		m := make(map[int64]uint64, len(days))
		for i, d := range days {
			m[fromDayNumber(d).Unix()] = uint64(tokens[i])
		}
		out[a] = m
		return nil
	})
	return out, err
}

// InsertTotals returns each team's count of rows ever inserted (trend_day_inserts).
func (r Repo) InsertTotals(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	err := query(ctx, r.Store, "insert totals", "SELECT team_id, sum(inserted) FROM trend_day_inserts GROUP BY team_id", nil,
		func(rows store.Rows) error {
			var t string
			var n uint64
			if err := rows.Scan(&t, &n); err != nil {
				return err
			}
			out[t] = n
			return nil
		})
	return out, err
}

var summaryColumns = []string{"team_id", "athlete_id", "day", "token", "version", "set_rows", "working_sets", "hard_sets",
	"volume_load_kg", "best_e1rm_kg", "rpe_deviation_sum", "rpe_deviations", "rpe_deviation_sets", "session_load_au",
	"load_sessions", "first_load_day", "wellness_reports", "wellness_sums", "wellness_counts", "status", "status_rows",
	"other_rows"}

// SaveDays stores computed days of team's athletes as version (newer versions replace older).
func (r Repo) SaveDays(ctx context.Context, team string, days []AthleteDay, version uint64) error {
	if len(days) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(days))
	const lifts = len(domain.LiftCategories)
	for i := range days {
		d := &days[i]
		setRows, working, hard := make([]uint64, lifts), make([]uint64, lifts), make([]uint64, lifts)
		volume, best := make([]float64, lifts), make([]float64, lifts)
		for j, l := range d.Lifts {
			setRows[j], working[j], hard[j], volume[j], best[j] = l.Rows, l.Working, l.HardSets, l.VolumeKg, l.BestE1RM
		}
		first := epoch
		if !d.FirstLoadDay.IsZero() {
			first = d.FirstLoadDay
		}
		rows = append(rows, []any{team, d.Athlete, d.Day, d.Token, version, setRows, working, hard, volume, best,
			d.RPEDeviationSum, d.RPEDeviations, d.RPEDeviationSets, d.SessionLoadAU, d.LoadSessions, first, d.WellnessReports,
			d.WellnessSums[:], d.WellnessCounts[:], d.Status, d.StatusRows, d.OtherRows})
	}
	if err := r.Store.InsertBatch(ctx, "trend_athlete_days", summaryColumns, rows); err != nil {
		return fmt.Errorf("save trend days: %w", err)
	}
	return nil
}

// StoredDays are one athlete's stored summary days over a query: their tokens (to check them
// against the insert counts) and the session loads of the days from the ACWR's warm-up on.
type StoredDays struct {
	Days   []time.Time // ascending
	Tokens []uint64
	Loads  []DailyLoad // the days with session load
	// FirstLoadDay is the athlete's first day with session load, when they have loads.
	FirstLoadDay time.Time
	// Duplicated: a day came back twice (a rewritten day not merged away yet). Such an athlete
	// is computed from the raw tables.
	Duplicated bool
}

// The summary reads take no FINAL: ClickHouse 18.16's FINAL made the bucket read 93 ms instead
// of 25 (chDB: about the same). A day the summarizer rewrote comes back twice until
// ClickHouse merges its parts; each read reports that (Duplicated), and the reader computes that
// athlete from the raw tables meanwhile, so no row is counted twice.

// StoredDays reads the stored days of f's athletes from loadsFrom to f.To, each athlete as one
// row of arrays (see numbers).
func (r Repo) StoredDays(ctx context.Context, f Filter, loadsFrom time.Time) (map[string]*StoredDays, error) {
	g := f
	g.From = loadsFrom
	cond, args := g.where("day", false)
	q := `SELECT athlete_id, toString(groupArray(toUInt16(day))), toString(groupArray(token)), toString(groupArray(session_load_au)),
    toString(groupArray(load_sessions)), toString(groupArray(toUInt16(first_load_day)))
FROM trend_athlete_days WHERE ` + cond + ` GROUP BY athlete_id`
	out := map[string]*StoredDays{}
	err := query(ctx, r.Store, "summary days", q, args, func(rows store.Rows) error {
		var a string
		var days, tokens, loads, sessions, firsts []float64
		if err := scanNumbers(rows, []any{&a}, &days, &tokens, &loads, &sessions, &firsts); err != nil {
			return err
		}
		order := make([]int, len(days))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(x, y int) int { return cmp.Compare(days[x], days[y]) })
		s := &StoredDays{Days: make([]time.Time, 0, len(days)), Tokens: make([]uint64, 0, len(days)), Loads: make([]DailyLoad, 0, len(days))}
		out[a] = s
		for j, i := range order {
			if j > 0 && days[i] == days[order[j-1]] {
				s.Duplicated = true
				return nil
			}
			d := fromDayNumber(days[i])
			s.Days = append(s.Days, d)
			s.Tokens = append(s.Tokens, uint64(tokens[i]))
			if sessions[i] > 0 {
				s.Loads = append(s.Loads, DailyLoad{Athlete: a, Day: d, LoadAU: loads[i], Rows: uint64(sessions[i])})
				if firsts[i] > 0 {
					s.FirstLoadDay = fromDayNumber(firsts[i])
				}
			}
		}
		return nil
	})
	return out, err
}

// StoredBuckets are one athlete's stored days of a query's range, every input but the session
// loads summed per bucket (the best e1RMs: their maximum), each dated on the bucket's first day
// within the range.
type StoredBuckets struct {
	Buckets    []AthleteDay
	Duplicated bool // as in StoredDays
}

// StoredBuckets reads the stored days of f's athletes summed per bucket of f, each athlete as one
// row of arrays, the per-lift and per-item arrays concatenated bucket after bucket. Summing per
// bucket in SQL returns a seventh of the numbers per-day rows would for a weekly answer: parsing
// those took longer than the query (107 of 149 ms on chDB for a squad's 12 weeks).
//
// The lift arrays and the rest are two queries, run at once: on ClickHouse 18.16 printing the
// arrays as text is most of the read (28 ms of it on one core for a squad's 12 weeks), and two
// halves use both cores. An athlete whose buckets differ between the two reads (a day stored in
// between) counts as Duplicated.
func (r Repo) StoredBuckets(ctx context.Context, f Filter) (map[string]*StoredBuckets, error) {
	cond, args := f.where("day", false)
	args = append([]any{f.From}, args...)
	from := `FROM (
    SELECT athlete_id, greatest(` + bucketExpr(f.Bucket, "day") + `, toDate(?)) AS b, count() - uniqExact(day) AS dup, %s
    FROM trend_athlete_days WHERE ` + cond + ` GROUP BY athlete_id, b)
GROUP BY athlete_id`
	liftsQ := `SELECT athlete_id, sum(dup), toString(groupArray(toUInt16(b))), toString(groupArrayArray(r)), toString(groupArrayArray(w)),
    toString(groupArrayArray(h)), toString(groupArrayArray(v)), toString(groupArrayArray(e))
` + fmt.Sprintf(from, `sumForEach(set_rows) AS r, sumForEach(working_sets) AS w, sumForEach(hard_sets) AS h,
        sumForEach(volume_load_kg) AS v, maxForEach(best_e1rm_kg) AS e`)
	restQ := `SELECT athlete_id, sum(dup), toString(groupArray(toUInt16(b))), toString(groupArray(ds)), toString(groupArray(dn)),
    toString(groupArray(dsets)), toString(groupArray(wr)), toString(groupArrayArray(ws)), toString(groupArrayArray(wc)),
    toString(groupArray(st)), toString(groupArray(str)), toString(groupArray(o))
` + fmt.Sprintf(from, `sum(rpe_deviation_sum) AS ds, sum(rpe_deviations) AS dn, sum(rpe_deviation_sets) AS dsets,
        sum(wellness_reports) AS wr, sumForEach(wellness_sums) AS ws, sumForEach(wellness_counts) AS wc, max(status) AS st,
        sum(status_rows) AS str, sum(other_rows) AS o`)
	const lifts, items = len(domain.LiftCategories), len(WellnessColumns)
	var liftCols, restCols map[string][][]float64
	liftsErr := make(chan error, 1)
	go func() {
		var err error
		liftCols, err = r.bucketArrays(ctx, "summary lift buckets", liftsQ, args, []int{1, lifts, lifts, lifts, lifts, lifts})
		liftsErr <- err
	}()
	restCols, err := r.bucketArrays(ctx, "summary buckets", restQ, args, []int{1, 1, 1, 1, 1, items, items, 1, 1, 1})
	if lerr := <-liftsErr; lerr != nil {
		return nil, lerr
	}
	if err != nil {
		return nil, err
	}
	out := map[string]*StoredBuckets{}
	for a, lc := range liftCols {
		rc := restCols[a]
		s := &StoredBuckets{}
		out[a] = s
		if lc == nil || rc == nil || !slices.Equal(lc[0], rc[0]) {
			s.Duplicated = true
			continue
		}
		n := len(lc[0])
		s.Buckets = make([]AthleteDay, 0, n)
		for i := range n {
			d := AthleteDay{Athlete: a, Day: fromDayNumber(lc[0][i]), RPEDeviationSum: rc[1][i], RPEDeviations: uint64(rc[2][i]),
				RPEDeviationSets: uint64(rc[3][i]), WellnessReports: uint64(rc[4][i]), Status: uint8(rc[7][i]),
				StatusRows: uint64(rc[8][i]), OtherRows: uint64(rc[9][i])}
			for j := range lifts {
				k := i*lifts + j
				d.Lifts[j] = LiftDay{Rows: uint64(lc[1][k]), Working: uint64(lc[2][k]), HardSets: uint64(lc[3][k]),
					VolumeKg: lc[4][k], BestE1RM: lc[5][k]}
			}
			for j := range items {
				d.WellnessSums[j] = rc[5][i*items+j]
				d.WellnessCounts[j] = uint64(rc[6][i*items+j])
			}
			s.Buckets = append(s.Buckets, d)
		}
	}
	for a := range restCols {
		if out[a] == nil {
			out[a] = &StoredBuckets{Duplicated: true}
		}
	}
	return out, nil
}

// bucketArrays runs a query selecting athlete_id, a duplicate count and arrays as text (the
// first the buckets), checking array i has stride[i] values per bucket. An athlete with
// duplicates maps to nil.
func (r Repo) bucketArrays(ctx context.Context, what, q string, args []any, stride []int) (map[string][][]float64, error) {
	out := map[string][][]float64{}
	err := query(ctx, r.Store, what, q, args, func(rows store.Rows) error {
		var a string
		var dup uint64
		text := make([]string, len(stride))
		dest := []any{&a, &dup}
		for i := range text {
			dest = append(dest, &text[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if dup > 0 {
			out[a] = nil
			return nil
		}
		cols := make([][]float64, len(text))
		for i, t := range text {
			var err error
			if cols[i], err = numbers(t, nil); err != nil {
				return err
			}
		}
		for i, c := range cols {
			if len(c) != len(cols[0])*stride[i] {
				return fmt.Errorf("%s of %s: array %d has %d values for %d buckets", what, a, i, len(c), len(cols[0]))
			}
		}
		out[a] = cols
		return nil
	})
	return out, err
}

// WellnessDay is one athlete's wellness reports of one day or bucket: per-item sums and counts
// (NULL is skipped, not 0), in the order of WellnessColumns.
type WellnessDay struct {
	Athlete string
	Day     time.Time // the bucket's first day within the range
	Reports uint64
	Sums    [len(WellnessColumns)]float64
	Counts  [len(WellnessColumns)]uint64
}

// bucketDay is the first day of a Date column's bucket of f within f's range.
func bucketDay(f Filter, col string) string {
	return "toUInt16(greatest(" + bucketExpr(f.Bucket, col) + ", toDate(?)))"
}

// rawBucketDay is bucketDay of a raw table's row day (see Filter.RawDay) and its arguments.
func rawBucketDay(f Filter) (string, []any) {
	dayExpr, args := f.RawDay()
	return bucketDay(f, dayExpr), append(args, f.From)
}

// WellnessDays sums every item per athlete and bucket of f.
func (r Repo) WellnessDays(ctx context.Context, f Filter) ([]WellnessDay, error) {
	cond, args := f.where("day", true)
	bucketExpr, bucketArgs := rawBucketDay(f)
	inner := bucketExpr + " AS d, count() AS n"
	outer := "toString(groupArray(d)), toString(groupArray(n))"
	for i, c := range WellnessColumns {
		inner += fmt.Sprintf(", sum(toFloat64(ifNull(%s, 0))) AS s%d, countIf(isNotNull(%s)) AS c%d", c, i, c, i)
		outer += fmt.Sprintf(", toString(groupArray(s%d)), toString(groupArray(c%d))", i, i)
	}
	q := `SELECT athlete_id, ` + outer + ` FROM (
    SELECT athlete_id, ` + inner + ` FROM training_wellness FINAL WHERE ` + cond + ` GROUP BY athlete_id, d)
GROUP BY athlete_id`
	var out []WellnessDay
	err := query(ctx, r.Store, "wellness days", q, append(bucketArgs, args...), func(rows store.Rows) error {
		var a string
		arrays := make([][]float64, 2+2*len(WellnessColumns))
		ptrs := make([]*[]float64, len(arrays))
		for i := range arrays {
			ptrs[i] = &arrays[i]
		}
		if err := scanNumbers(rows, []any{&a}, ptrs...); err != nil {
			return err
		}
		for i, d := range arrays[0] {
			w := WellnessDay{Athlete: a, Day: fromDayNumber(d), Reports: uint64(arrays[1][i])}
			for j := range WellnessColumns {
				w.Sums[j] = arrays[2+2*j][i]
				w.Counts[j] = uint64(arrays[3+2*j][i])
			}
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

// DayRows is how many rows one athlete has stored on one day or in one bucket.
type DayRows struct {
	Athlete string
	Day     time.Time // the bucket's first day within the range
	Rows    uint64
}

// OtherDayRows counts the stored session, wellness and assessment rows per athlete and bucket
// of f (the sets' come from the set cells).
func (r Repo) OtherDayRows(ctx context.Context, f Filter) ([]DayRows, error) {
	rawCond, rawArgs := f.where("day", true)
	rawBucket, rawBucketArgs := rawBucketDay(f)
	asCond, asArgs := f.where("as_of", false)
	q := `SELECT athlete_id, toString(groupArray(d)), toString(groupArray(n)) FROM (
    SELECT athlete_id, d, sum(n) AS n FROM (
        SELECT athlete_id, ` + rawBucket + ` AS d, count() AS n FROM training_sessions FINAL WHERE ` + rawCond + ` GROUP BY athlete_id, d
        UNION ALL SELECT athlete_id, ` + rawBucket + ` AS d, count() AS n FROM training_wellness FINAL WHERE ` + rawCond + ` GROUP BY athlete_id, d
        UNION ALL SELECT athlete_id, ` + bucketDay(f, "as_of") + ` AS d, count() AS n FROM fatigue_assessments FINAL WHERE ` + asCond + ` GROUP BY athlete_id, d)
    GROUP BY athlete_id, d)
GROUP BY athlete_id`
	// Each subquery binds the range start of its bucket expression, then its conditions.
	args := append(slices.Clone(rawBucketArgs), rawArgs...)
	args = append(append(args, rawBucketArgs...), rawArgs...)
	args = append(append(args, f.From), asArgs...)
	var out []DayRows
	err := query(ctx, r.Store, "other rows per day", q, args, func(rows store.Rows) error {
		var a string
		var days, ns []float64
		if err := scanNumbers(rows, []any{&a}, &days, &ns); err != nil {
			return err
		}
		for i, d := range days {
			out = append(out, DayRows{Athlete: a, Day: fromDayNumber(d), Rows: uint64(ns[i])})
		}
		return nil
	})
	return out, err
}

// GetBuckets returns s's buckets; none for a nil s (an athlete without stored days in the range).
func (s *StoredBuckets) GetBuckets() []AthleteDay {
	if s == nil {
		return nil
	}
	return s.Buckets
}
