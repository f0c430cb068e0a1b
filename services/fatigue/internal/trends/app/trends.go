// Package app answers trend queries and detects team trends: it runs the adapters' SQL, turns
// per-athlete aggregates into team series with the domain's statistics, and publishes
// TeamTrendDetected / TeamTrendEnded once per episode.
package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// Query is a validated GetTeamTrends request.
type Query struct {
	Team     string
	Group    string
	Athletes []string // nil: everyone (in the group)
	Range    domain.Range
	Bucket   domain.Bucketing
	Metrics  []trendsv1.TrendMetric // never empty
	// GrantedTeams, when not nil, limit every query to the caller's teams (see adapters.Filter).
	GrantedTeams []string
}

// Trends answers trend queries.
type Trends struct {
	Repo adapters.Repo
}

var liftEnum = map[string]commonv1.LiftCategory{
	"squat": commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, "bench_press": commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS,
	"deadlift": commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT, "overhead_press": commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS,
	"row": commonv1.LiftCategory_LIFT_CATEGORY_ROW, "pull_up": commonv1.LiftCategory_LIFT_CATEGORY_PULL_UP,
	"other": commonv1.LiftCategory_LIFT_CATEGORY_OTHER,
}

var liftOrder = []string{"squat", "bench_press", "deadlift", "overhead_press", "row", "pull_up", "other"}

var liftLabel = map[string]string{"squat": "squat", "bench_press": "bench", "deadlift": "deadlift", "overhead_press": "OHP",
	"row": "row", "pull_up": "pull-up", "other": "other"}

var wellnessItems = []struct {
	item  commonv1.WellnessItem
	label string
	unit  string
}{
	{commonv1.WellnessItem_WELLNESS_ITEM_FATIGUE, "fatigue", "1-5"},
	{commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_QUALITY, "sleep quality", "1-5"},
	{commonv1.WellnessItem_WELLNESS_ITEM_SORENESS, "soreness", "1-5"},
	{commonv1.WellnessItem_WELLNESS_ITEM_STRESS, "stress", "1-5"},
	{commonv1.WellnessItem_WELLNESS_ITEM_MOOD, "mood", "1-5"},
	{commonv1.WellnessItem_WELLNESS_ITEM_MOTIVATION, "motivation", "1-5"},
	{commonv1.WellnessItem_WELLNESS_ITEM_JOINT_PAIN, "joint pain", "0-5"},
	{commonv1.WellnessItem_WELLNESS_ITEM_SLEEP_HOURS, "sleep hours", "h"},
	{commonv1.WellnessItem_WELLNESS_ITEM_READINESS, "readiness", "0-10"},
}

// quantileStats are the spread statistics of distribution series.
var quantileStats = []struct {
	stat trendsv1.TrendStatistic
	q    float64
	name string
}{
	{trendsv1.TrendStatistic_TREND_STATISTIC_P10, 0.10, "p10"},
	{trendsv1.TrendStatistic_TREND_STATISTIC_P25, 0.25, "p25"},
	{trendsv1.TrendStatistic_TREND_STATISTIC_MEDIAN, 0.50, "median"},
	{trendsv1.TrendStatistic_TREND_STATISTIC_P75, 0.75, "p75"},
	{trendsv1.TrendStatistic_TREND_STATISTIC_P90, 0.90, "p90"},
}

// grid aligns points with the response's buckets.
type grid struct {
	buckets []time.Time
	index   map[time.Time]int
}

func newGrid(buckets []time.Time) grid {
	g := grid{buckets: buckets, index: map[time.Time]int{}}
	for i, b := range buckets {
		g.index[b] = i
	}
	return g
}

func (g grid) series(metric trendsv1.TrendMetric, stat trendsv1.TrendStatistic, unit, label string) *trendsv1.TrendSeries {
	s := &trendsv1.TrendSeries{Metric: metric, Statistic: stat, Unit: unit, Label: label}
	for _, b := range g.buckets {
		s.Points = append(s.Points, &trendsv1.TrendPoint{BucketStart: domain.DateProto(b)})
	}
	return s
}

func (g grid) set(s *trendsv1.TrendSeries, bucket time.Time, value float64, athletes uint64, rows uint64) {
	i, ok := g.index[domain.Date(bucket)]
	if !ok {
		return
	}
	v := value
	s.Points[i].Value = &v
	s.Points[i].Athletes = uint32(athletes)
	s.Points[i].Rows = rows
}

// TeamTrends answers GetTeamTrends.
func (t Trends) TeamTrends(ctx context.Context, q Query) (*trendsv1.GetTeamTrendsResponse, error) {
	f := adapters.Filter{Team: q.Team, Athletes: q.Athletes, From: q.Range.From, To: q.Range.To, Bucket: q.Bucket, GrantedTeams: q.GrantedTeams}
	if q.Group != "" {
		members, err := t.Repo.GroupMembers(ctx, q.Team, q.Group)
		if err != nil {
			return nil, err
		}
		f.Athletes = intersect(members, q.Athletes)
	}
	buckets := domain.Buckets(q.Range.From, q.Range.To, q.Bucket)
	g := newGrid(buckets)
	resp := &trendsv1.GetTeamTrendsResponse{
		Range:  &commonv1.DateRange{Start: domain.DateProto(q.Range.From), End: domain.DateProto(q.Range.To)},
		Bucket: bucketEnum(q.Bucket),
	}
	for _, b := range buckets {
		resp.Buckets = append(resp.Buckets, domain.DateProto(b))
	}
	// The set metrics share one scan; the RPE metric needs its baseline window before the range.
	sf := f
	if slices.Contains(q.Metrics, trendsv1.TrendMetric_TREND_METRIC_RPE_AT_FAMILIAR_LOADS) {
		sf.From = f.From.AddDate(0, 0, -domain.FamiliarWindowDays)
	}
	cells, err := t.Repo.SetCells(ctx, sf)
	if err != nil {
		return nil, err
	}
	others, err := t.Repo.Coverage(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, c := range cells {
		if !c.Day.Before(f.From) {
			others[c.Athlete] += c.Rows
		}
	}
	resp.AthletesCovered = uint32(len(others))
	for _, n := range others {
		resp.RowsCovered += n
	}
	// Session load and ACWR share one read, reaching back for the ACWR's chronic window.
	var wideLoads []adapters.DailyLoad
	if slices.Contains(q.Metrics, trendsv1.TrendMetric_TREND_METRIC_SESSION_LOAD) || slices.Contains(q.Metrics, trendsv1.TrendMetric_TREND_METRIC_ACWR) {
		wf := f
		wf.From = f.From.AddDate(0, 0, -domain.ACWRLookbackDays)
		if wideLoads, err = t.Repo.DailySessionLoad(ctx, wf); err != nil {
			return nil, err
		}
	}
	for _, m := range q.Metrics {
		var series []*trendsv1.TrendSeries
		var err error
		switch m {
		case trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD, trendsv1.TrendMetric_TREND_METRIC_HARD_SETS:
			series = liftSeries(liftBuckets(cells, f.From, f.Bucket), g, m)
		case trendsv1.TrendMetric_TREND_METRIC_SESSION_LOAD:
			series = sessionLoad(wideLoads, f, g)
		case trendsv1.TrendMetric_TREND_METRIC_ACWR:
			series, err = t.acwr(ctx, wideLoads, f, g)
		case trendsv1.TrendMetric_TREND_METRIC_WELLNESS:
			series, err = t.wellness(ctx, f, g)
		case trendsv1.TrendMetric_TREND_METRIC_E1RM_CHANGE:
			series = e1rmChange(bestE1RMs(cells, f.From, f.Bucket), g)
		case trendsv1.TrendMetric_TREND_METRIC_RPE_AT_FAMILIAR_LOADS:
			weekly, sets := rpeWeekly(cells, f)
			series = rpeFamiliar(weekly, sets, g)
		case trendsv1.TrendMetric_TREND_METRIC_STATUS_SHARE:
			series, err = t.statusShare(ctx, f, g)
		default:
			err = fmt.Errorf("metric %s is not supported", m)
		}
		if err != nil {
			return nil, err
		}
		resp.Series = append(resp.Series, series...)
	}
	return resp, nil
}

func bucketEnum(b domain.Bucketing) trendsv1.TrendBucket {
	if b == domain.Day {
		return trendsv1.TrendBucket_TREND_BUCKET_DAY
	}
	return trendsv1.TrendBucket_TREND_BUCKET_WEEK
}

// intersect returns the members also listed (all members when the list is nil); never nil.
func intersect(members, list []string) []string {
	out := []string{}
	if list == nil {
		return append(out, members...)
	}
	want := map[string]bool{}
	for _, a := range list {
		want[a] = true
	}
	for _, m := range members {
		if want[m] {
			out = append(out, m)
		}
	}
	return out
}

// liftBuckets sums the cells on or after from (the cells may reach back for RPE baselines) per
// bucket and lift category, ordered by bucket and lift.
func liftBuckets(cells []adapters.SetCell, from time.Time, b domain.Bucketing) []adapters.LiftBucket {
	type key struct {
		bucket time.Time
		lift   string
	}
	per := map[key]*adapters.LiftBucket{}
	working := map[key]map[string]bool{}
	for _, c := range cells {
		if c.Day.Before(from) {
			continue
		}
		k := key{domain.BucketStart(c.Day, b), c.Lift}
		lb := per[k]
		if lb == nil {
			lb = &adapters.LiftBucket{Bucket: k.bucket, Lift: k.lift}
			per[k] = lb
			working[k] = map[string]bool{}
		}
		lb.VolumeKg += c.VolumeKg
		lb.HardSets += int64(c.HardSets)
		lb.Rows += int64(c.Rows)
		if c.Working > 0 {
			working[k][c.Athlete] = true
		}
	}
	out := make([]adapters.LiftBucket, 0, len(per))
	for k, lb := range per {
		lb.Athletes = uint64(len(working[k]))
		out = append(out, *lb)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Bucket.Equal(out[j].Bucket) {
			return out[i].Bucket.Before(out[j].Bucket)
		}
		return out[i].Lift < out[j].Lift
	})
	return out
}

func liftSeries(lbs []adapters.LiftBucket, g grid, m trendsv1.TrendMetric) []*trendsv1.TrendSeries {
	byLift := map[string]*trendsv1.TrendSeries{}
	for _, lift := range liftOrder {
		var s *trendsv1.TrendSeries
		if m == trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD {
			s = g.series(m, trendsv1.TrendStatistic_TREND_STATISTIC_SUM, "kg", "Volume-load "+liftLabel[lift]+" (kg)")
		} else {
			s = g.series(m, trendsv1.TrendStatistic_TREND_STATISTIC_SUM, "sets", "Hard sets "+liftLabel[lift])
		}
		s.LiftCategory = liftEnum[lift]
		byLift[lift] = s
	}
	for _, lb := range lbs {
		s, ok := byLift[lb.Lift]
		if !ok {
			s = byLift["other"]
		}
		v := lb.VolumeKg
		if m == trendsv1.TrendMetric_TREND_METRIC_HARD_SETS {
			v = float64(lb.HardSets)
		}
		if lb.Athletes == 0 { // warm-ups only: no working sets to sum
			continue
		}
		g.set(s, lb.Bucket, v, lb.Athletes, uint64(max(lb.Rows, 0)))
	}
	var out []*trendsv1.TrendSeries
	for _, lift := range liftOrder {
		out = append(out, byLift[lift])
	}
	return out
}

// sessionLoad sums the daily loads within f's range (daily may reach back further).
func sessionLoad(daily []adapters.DailyLoad, f adapters.Filter, g grid) []*trendsv1.TrendSeries {
	type agg struct {
		sum      float64
		rows     uint64
		athletes map[string]bool
	}
	per := map[time.Time]*agg{}
	for _, d := range daily {
		if d.Day.Before(f.From) {
			continue
		}
		b := domain.BucketStart(d.Day, f.Bucket)
		a := per[b]
		if a == nil {
			a = &agg{athletes: map[string]bool{}}
			per[b] = a
		}
		a.sum += d.LoadAU
		a.rows += d.Rows
		a.athletes[d.Athlete] = true
	}
	m := trendsv1.TrendMetric_TREND_METRIC_SESSION_LOAD
	sum := g.series(m, trendsv1.TrendStatistic_TREND_STATISTIC_SUM, "au", "Session load, team (au)")
	mean := g.series(m, trendsv1.TrendStatistic_TREND_STATISTIC_MEAN, "au", "Session load per athlete (au)")
	for b, a := range per {
		n := uint64(len(a.athletes))
		g.set(sum, b, a.sum, n, a.rows)
		g.set(mean, b, a.sum/float64(n), n, a.rows)
	}
	return []*trendsv1.TrendSeries{sum, mean}
}

// acwrValues returns each athlete's ACWR at the end of every bucket (clipped to the range end),
// plus the rows that fed them. daily holds the loads from ACWRLookbackDays before f.From.
func (t Trends) acwrValues(ctx context.Context, daily []adapters.DailyLoad, f adapters.Filter, buckets []time.Time) (map[time.Time][]float64, uint64, error) {
	wf := f
	wf.From = f.From.AddDate(0, 0, -domain.ACWRLookbackDays)
	first, err := t.Repo.FirstLoadDays(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	loads := map[string]map[time.Time]float64{}
	var rows uint64
	for _, d := range daily {
		if loads[d.Athlete] == nil {
			loads[d.Athlete] = map[time.Time]float64{}
		}
		loads[d.Athlete][domain.Date(d.Day)] += d.LoadAU
		rows += d.Rows
	}
	out := map[time.Time][]float64{}
	athletes := make([]string, 0, len(loads))
	for a := range loads {
		athletes = append(athletes, a)
	}
	sort.Strings(athletes)
	for _, b := range buckets {
		end := domain.BucketEnd(b, f.Bucket, f.To)
		for _, a := range athletes {
			if v, ok := domain.ACWRAt(loads[a], wf.From, first[a], end); ok {
				out[b] = append(out[b], v)
			}
		}
	}
	return out, rows, nil
}

func (t Trends) acwr(ctx context.Context, daily []adapters.DailyLoad, f adapters.Filter, g grid) ([]*trendsv1.TrendSeries, error) {
	vals, rows, err := t.acwrValues(ctx, daily, f, g.buckets)
	if err != nil {
		return nil, err
	}
	m := trendsv1.TrendMetric_TREND_METRIC_ACWR
	var out []*trendsv1.TrendSeries
	for _, qs := range quantileStats {
		s := g.series(m, qs.stat, "ratio", "ACWR "+qs.name)
		for b, xs := range vals {
			if v, ok := domain.Quantile(xs, qs.q); ok {
				g.set(s, b, v, uint64(len(xs)), rows)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func (t Trends) wellness(ctx context.Context, f adapters.Filter, g grid) ([]*trendsv1.TrendSeries, error) {
	wbs, err := t.Repo.Wellness(ctx, f)
	if err != nil {
		return nil, err
	}
	m := trendsv1.TrendMetric_TREND_METRIC_WELLNESS
	var out []*trendsv1.TrendSeries
	for i, it := range wellnessItems {
		s := g.series(m, trendsv1.TrendStatistic_TREND_STATISTIC_MEAN, it.unit, "Wellness "+it.label)
		s.WellnessItem = it.item
		for _, wb := range wbs {
			if wb.Counts[i] > 0 {
				g.set(s, wb.Bucket, wb.Sums[i]/float64(wb.Counts[i]), wb.ItemAths[i], wb.Counts[i])
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// bestE1RMs returns each athlete's best e1RM per main lift and bucket (with their working sets
// of it) from the cells on or after from, ordered by bucket, athlete and lift.
func bestE1RMs(cells []adapters.SetCell, from time.Time, b domain.Bucketing) []domain.BestE1RM {
	type key struct {
		athlete, lift string
		bucket        time.Time
	}
	per := map[key]*domain.BestE1RM{}
	for _, c := range cells {
		if c.Day.Before(from) || !slices.Contains(adapters.MainLifts, c.Lift) {
			continue
		}
		k := key{c.Athlete, c.Lift, domain.BucketStart(c.Day, b)}
		x := per[k]
		if x == nil {
			x = &domain.BestE1RM{Athlete: k.athlete, Lift: k.lift, Bucket: k.bucket}
			per[k] = x
		}
		x.Kg = max(x.Kg, c.BestE1RM)
		x.Sets += c.Working
	}
	out := make([]domain.BestE1RM, 0, len(per))
	for _, x := range per {
		if x.Kg > 0 {
			out = append(out, *x)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Bucket.Equal(b.Bucket) {
			return a.Bucket.Before(b.Bucket)
		}
		if a.Athlete != b.Athlete {
			return a.Athlete < b.Athlete
		}
		return a.Lift < b.Lift
	})
	return out
}

func e1rmChange(bests []domain.BestE1RM, g grid) []*trendsv1.TrendSeries {
	type cell struct {
		pcts []float64
		sets uint64
	}
	cells := map[string]map[time.Time]*cell{}
	for _, c := range domain.E1RMChanges(bests) {
		if cells[c.Lift] == nil {
			cells[c.Lift] = map[time.Time]*cell{}
		}
		x := cells[c.Lift][c.Bucket]
		if x == nil {
			x = &cell{}
			cells[c.Lift][c.Bucket] = x
		}
		x.pcts = append(x.pcts, c.Pct)
		x.sets += c.Sets
	}
	m := trendsv1.TrendMetric_TREND_METRIC_E1RM_CHANGE
	var out []*trendsv1.TrendSeries
	for _, lift := range adapters.MainLifts {
		for _, qs := range quantileStats[1:4] { // p25, median, p75: the median and its spread
			s := g.series(m, qs.stat, "%", "e1RM change "+liftLabel[lift]+" "+qs.name+" (%)")
			s.LiftCategory = liftEnum[lift]
			for b, x := range cells[lift] {
				if v, ok := domain.Quantile(x.pcts, qs.q); ok {
					g.set(s, b, v, uint64(len(x.pcts)), x.sets)
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// ratedExposures groups the cells' rated working sets by athlete, exercise, reps, load and day
// (a cell may split one exposure by lift category), with their mean RPE. An index map and one
// preallocated slice: this runs over every cell of a squad's weeks.
func ratedExposures(cells []adapters.SetCell) []domain.RatedExposure {
	type key struct {
		athlete, exercise string
		reps              uint32
		load              float64
		day               int64
	}
	idx := make(map[key]int, len(cells))
	out := make([]domain.RatedExposure, 0, len(cells))
	for _, c := range cells {
		if c.RatedSets == 0 {
			continue
		}
		k := key{c.Athlete, c.Exercise, c.Reps, c.LoadKg, c.Day.Unix()}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, domain.RatedExposure{Athlete: c.Athlete, Exercise: c.Exercise, Reps: c.Reps, LoadKg: c.LoadKg, Day: c.Day})
		}
		out[i].MeanRPE += c.RPESum // the sum until divided below
		out[i].Sets += c.RatedSets
	}
	for i := range out {
		out[i].MeanRPE /= float64(out[i].Sets)
	}
	return out
}

// rpeWeekly returns, per bucket, each athlete's mean RPE deviation at familiar loads and the
// sets behind them. cells must reach FamiliarWindowDays before f.From: exposures from that
// window serve as baselines only.
func rpeWeekly(cells []adapters.SetCell, f adapters.Filter) (map[time.Time]map[string]float64, map[time.Time]uint64) {
	exps := ratedExposures(cells)
	type acc struct {
		sum float64
		n   int
	}
	per := map[time.Time]map[string]*acc{}
	sets := map[time.Time]uint64{}
	for _, d := range domain.FamiliarLoadDeviations(exps, domain.FamiliarWindowDays, domain.FamiliarLoadTolerance) {
		if d.Day.Before(f.From) {
			continue
		}
		b := domain.BucketStart(d.Day, f.Bucket)
		if per[b] == nil {
			per[b] = map[string]*acc{}
		}
		a := per[b][d.Athlete]
		if a == nil {
			a = &acc{}
			per[b][d.Athlete] = a
		}
		a.sum += d.Delta
		a.n++
		sets[b] += d.Sets
	}
	out := map[time.Time]map[string]float64{}
	for b, m := range per {
		out[b] = map[string]float64{}
		for a, x := range m {
			out[b][a] = x.sum / float64(x.n)
		}
	}
	return out, sets
}

// rpeWeeklyFor reads the sets rpeWeekly needs for f.
func (t Trends) rpeWeeklyFor(ctx context.Context, f adapters.Filter) (map[time.Time]map[string]float64, map[time.Time]uint64, error) {
	wf := f
	wf.From = f.From.AddDate(0, 0, -domain.FamiliarWindowDays)
	cells, err := t.Repo.SetCells(ctx, wf)
	if err != nil {
		return nil, nil, err
	}
	weekly, sets := rpeWeekly(cells, f)
	return weekly, sets, nil
}

func values(m map[string]float64) []float64 {
	out := make([]float64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func rpeFamiliar(weekly map[time.Time]map[string]float64, sets map[time.Time]uint64, g grid) []*trendsv1.TrendSeries {
	m := trendsv1.TrendMetric_TREND_METRIC_RPE_AT_FAMILIAR_LOADS
	median := g.series(m, trendsv1.TrendStatistic_TREND_STATISTIC_MEDIAN, "rpe", "RPE at familiar loads vs baseline, median")
	p75 := g.series(m, trendsv1.TrendStatistic_TREND_STATISTIC_P75, "rpe", "RPE at familiar loads vs baseline, p75")
	for b, byAthlete := range weekly {
		xs := values(byAthlete)
		if v, ok := domain.Median(xs); ok {
			g.set(median, b, v, uint64(len(xs)), sets[b])
		}
		if v, ok := domain.Quantile(xs, 0.75); ok {
			g.set(p75, b, v, uint64(len(xs)), sets[b])
		}
	}
	return []*trendsv1.TrendSeries{median, p75}
}

var statuses = []struct {
	status commonv1.AthleteStatus
	label  string
}{
	{commonv1.AthleteStatus_ATHLETE_STATUS_OK, "ok"},
	{commonv1.AthleteStatus_ATHLETE_STATUS_WATCH, "watch"},
	{commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED, "deload recommended"},
}

func (t Trends) statusShare(ctx context.Context, f adapters.Filter, g grid) ([]*trendsv1.TrendSeries, error) {
	sts, err := t.Repo.Statuses(ctx, f)
	if err != nil {
		return nil, err
	}
	type agg struct {
		total uint64
		rows  uint64
		per   map[uint8]uint64
	}
	per := map[time.Time]*agg{}
	for _, s := range sts {
		a := per[s.Bucket]
		if a == nil {
			a = &agg{per: map[uint8]uint64{}}
			per[s.Bucket] = a
		}
		a.total++
		a.rows += s.Rows
		a.per[min(s.Status, uint8(commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED))]++
	}
	m := trendsv1.TrendMetric_TREND_METRIC_STATUS_SHARE
	var out []*trendsv1.TrendSeries
	for _, st := range statuses {
		s := g.series(m, trendsv1.TrendStatistic_TREND_STATISTIC_SHARE, "share", "Share "+st.label)
		s.Status = st.status
		for b, a := range per {
			g.set(s, b, float64(a.per[uint8(st.status)])/float64(a.total), a.total, a.rows)
		}
		out = append(out, s)
	}
	return out, nil
}
