// Package app answers trend queries and detects team trends: it runs the adapters' SQL, turns
// per-athlete aggregates into team series with the domain's statistics, and publishes
// TeamTrendDetected / TeamTrendEnded once per episode.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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
	// Zone is the time zone of the days and weeks; nil for UTC (see adapters.Filter.Zone).
	Zone *time.Location
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

var liftOrder = domain.LiftCategories

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
		s.Points = append(s.Points, &trendsv1.TrendPoint{BucketStart: WireDate(b)})
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
	f := adapters.Filter{Team: q.Team, Athletes: q.Athletes, From: q.Range.From, To: q.Range.To, Bucket: q.Bucket, GrantedTeams: q.GrantedTeams, Zone: q.Zone}
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
		Range:  &commonv1.DateRange{Start: WireDate(q.Range.From), End: WireDate(q.Range.To)},
		Bucket: bucketEnum(q.Bucket),
	}
	for _, b := range buckets {
		resp.Buckets = append(resp.Buckets, WireDate(b))
	}
	in, err := t.read(ctx, f, g)
	if err != nil {
		return nil, err
	}
	resp.AthletesCovered = uint32(len(in.covered))
	for _, n := range in.covered {
		resp.RowsCovered += n
	}
	for _, m := range q.Metrics {
		var series []*trendsv1.TrendSeries
		switch m {
		case trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD, trendsv1.TrendMetric_TREND_METRIC_HARD_SETS:
			series = liftSeries(in.lifts, g, m)
		case trendsv1.TrendMetric_TREND_METRIC_SESSION_LOAD:
			series = sessionLoad(in.wideLoads, f, g)
		case trendsv1.TrendMetric_TREND_METRIC_ACWR:
			series = acwr(in.wideLoads, in.firsts, f, g)
		case trendsv1.TrendMetric_TREND_METRIC_WELLNESS:
			series = wellness(in.wellness, g)
		case trendsv1.TrendMetric_TREND_METRIC_E1RM_CHANGE:
			series = e1rmChange(in.bests, g)
		case trendsv1.TrendMetric_TREND_METRIC_RPE_AT_FAMILIAR_LOADS:
			series = rpeFamiliar(in.rpeWeekly, in.rpeSets, g)
		case trendsv1.TrendMetric_TREND_METRIC_STATUS_SHARE:
			series = statusShare(in.statuses, g)
		case trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE:
			series = checkinCompliance(in.compliance, len(in.covered), g)
		default:
			return nil, fmt.Errorf("metric %s is not supported", m)
		}
		resp.Series = append(resp.Series, series...)
	}
	return resp, nil
}

// inputs are what one TeamTrends answer is built from: the rows read for it and what the set
// cells reduce to.
type inputs struct {
	covered   map[string]uint64 // stored rows per athlete in the range
	lifts     []adapters.LiftBucket
	bests     []domain.BestE1RM
	rpeWeekly map[time.Time]map[string]float64
	rpeSets   map[time.Time]uint64
	wideLoads []adapters.DailyLoad // from ACWRLookbackDays before the range
	firsts    map[string]time.Time
	wellness  []adapters.WellnessBucket
	statuses  []adapters.AthleteStatus
	// compliance is per bucket, in the grid's order.
	compliance []ComplianceBucket
}

// ComplianceBucket is one bucket's check-ins: the days of the range it holds, the athlete-days
// with a wellness report and the athletes who reported.
type ComplianceBucket struct {
	Bucket                      time.Time
	Days, ReportDays, Reporters uint64
}

// read returns what the answer is built from: the athlete inputs of f (see athleteInputs), from
// the ACWR's warm-up before the range on.
func (t Trends) read(ctx context.Context, f adapters.Filter, g grid) (inputs, error) {
	ai, err := t.athleteInputs(ctx, f, f.From.AddDate(0, 0, -domain.ACWRLookbackDays))
	if err != nil {
		return inputs{}, err
	}
	return reduce(ai, f, g), nil
}

// parallel runs jobs concurrently and returns the first error; the first failure cancels the
// others' context.
func parallel(ctx context.Context, jobs []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() {
			if errs[i] = job(ctx); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// The first error in job order, not a later job's "context canceled" it caused.
	var first error
	for _, err := range errs {
		if err != nil && (first == nil || errors.Is(first, context.Canceled)) {
			first = err
		}
	}
	return first
}

// bucketMemo returns domain.BucketStart for b, remembered per day: the cells of a squad's
// weeks repeat a few hundred days tens of thousands of times.
func bucketMemo(b domain.Bucketing) func(time.Time) time.Time {
	memo := map[int64]time.Time{}
	return func(day time.Time) time.Time {
		k := day.Unix()
		if v, ok := memo[k]; ok {
			return v
		}
		v := domain.BucketStart(day, b)
		memo[k] = v
		return v
	}
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
// plus the rows that fed them. daily holds the loads from ACWRLookbackDays before f.From; first
// is each athlete's first day with load.
func acwrValues(daily []adapters.DailyLoad, first map[string]time.Time, f adapters.Filter, buckets []time.Time) (map[time.Time][]float64, uint64) {
	wf := f
	wf.From = f.From.AddDate(0, 0, -domain.ACWRLookbackDays)
	// One athlete at a time through one reused map: a map per athlete was a tenth of a squad's
	// answer in allocation. The loads come grouped by athlete; sorting them is the fallback.
	byAthlete := daily
	seen := map[string]bool{}
	for i, d := range daily {
		if i > 0 && d.Athlete == daily[i-1].Athlete {
			continue
		}
		if seen[d.Athlete] {
			byAthlete = slices.Clone(daily)
			slices.SortStableFunc(byAthlete, func(x, y adapters.DailyLoad) int { return strings.Compare(x.Athlete, y.Athlete) })
			break
		}
		seen[d.Athlete] = true
	}
	ends := make([]time.Time, len(buckets))
	for i, b := range buckets {
		ends[i] = domain.BucketEnd(b, f.Bucket, f.To)
	}
	out := map[time.Time][]float64{}
	var rows uint64
	loads := map[time.Time]float64{}
	for start := 0; start < len(byAthlete); {
		a := byAthlete[start].Athlete
		clear(loads)
		end := start
		for ; end < len(byAthlete) && byAthlete[end].Athlete == a; end++ {
			loads[domain.Date(byAthlete[end].Day)] += byAthlete[end].LoadAU
			rows += byAthlete[end].Rows
		}
		start = end
		vals, oks := domain.ACWRsAt(loads, wf.From, first[a], ends)
		for i, b := range buckets {
			if oks[i] {
				out[b] = append(out[b], vals[i])
			}
		}
	}
	return out, rows
}

func acwr(daily []adapters.DailyLoad, first map[string]time.Time, f adapters.Filter, g grid) []*trendsv1.TrendSeries {
	vals, rows := acwrValues(daily, first, f, g.buckets)
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
	return out
}

func wellness(wbs []adapters.WellnessBucket, g grid) []*trendsv1.TrendSeries {
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

// runExposures appends the rated exposures of groups (one athlete, exercise and reps; a lift
// category each) to out in day and load order: their rated working sets per load and day, with
// their mean RPE. A cell may split one exposure by lift category; those are merged.
func runExposures(groups []adapters.SetGroup, out []domain.RatedExposure) []domain.RatedExposure {
	start := len(out)
	for _, g := range groups {
		for _, c := range g.Cells {
			if c.RatedSets > 0 {
				out = append(out, domain.RatedExposure{Athlete: c.Athlete, Exercise: c.Exercise, Reps: c.Reps, LoadKg: c.LoadKg, Day: c.Day,
					MeanRPE: c.RPESum, Sets: c.RatedSets}) // MeanRPE holds the sum until divided below
			}
		}
	}
	run := out[start:]
	slices.SortFunc(run, func(a, b domain.RatedExposure) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return cmp.Compare(a.LoadKg, b.LoadKg)
	})
	n := 0
	for i, e := range run {
		if n > 0 && run[n-1].Day.Equal(e.Day) && run[n-1].LoadKg == e.LoadKg {
			run[n-1].MeanRPE += e.MeanRPE
			run[n-1].Sets += e.Sets
			continue
		}
		run[n] = run[i]
		n++
	}
	run = run[:n]
	for i := range run {
		run[i].MeanRPE /= float64(run[i].Sets)
	}
	return out[:start+n]
}

// rpeDeviations returns the RPE deviation at familiar loads of every rated exposure in groups
// (SetGroups' order) that has a baseline in the groups' earlier days.
func rpeDeviations(groups []adapters.SetGroup) []domain.RPEDeviation {
	n := 0
	for _, g := range groups {
		n += len(g.Cells)
	}
	// At most one deviation per cell: sized once, as growing it cost more than computing it.
	devs := make([]domain.RPEDeviation, 0, n)
	var run []domain.RatedExposure
	for start := 0; start < len(groups); {
		end := start + 1
		for end < len(groups) && groups[end].Athlete == groups[start].Athlete && groups[end].Exercise == groups[start].Exercise &&
			groups[end].Reps == groups[start].Reps {
			end++
		}
		run = runExposures(groups[start:end], run[:0])
		devs = domain.FamiliarRunDeviations(run, domain.FamiliarWindowDays, domain.FamiliarLoadTolerance, devs)
		start = end
	}
	return devs
}

// rpeWeekly returns, per bucket, each athlete's mean RPE deviation at familiar loads and the
// sets behind them. groups (SetGroups' order) must reach FamiliarWindowDays before f.From:
// exposures from that window serve as baselines only.
func rpeWeekly(groups []adapters.SetGroup, f adapters.Filter) (map[time.Time]map[string]float64, map[time.Time]uint64) {
	devs := rpeDeviations(groups)
	type acc struct {
		sum float64
		n   int
	}
	type key struct {
		bucket  time.Time
		athlete string
	}
	per := map[key]*acc{}
	sets := map[time.Time]uint64{}
	bucket := bucketMemo(f.Bucket)
	for _, d := range devs {
		if d.Day.Before(f.From) {
			continue
		}
		k := key{bucket(d.Day), d.Athlete}
		a := per[k]
		if a == nil {
			a = &acc{}
			per[k] = a
		}
		a.sum += d.Delta
		a.n++
		sets[k.bucket] += d.Sets
	}
	out := map[time.Time]map[string]float64{}
	for k, x := range per {
		if out[k.bucket] == nil {
			out[k.bucket] = map[string]float64{}
		}
		out[k.bucket][k.athlete] = x.sum / float64(x.n)
	}
	return out, sets
}

// rpeWeeklyFor reads the sets rpeWeekly needs for f.
func (t Trends) rpeWeeklyFor(ctx context.Context, f adapters.Filter) (map[time.Time]map[string]float64, map[time.Time]uint64, error) {
	wf := f
	wf.From = f.From.AddDate(0, 0, -domain.FamiliarWindowDays)
	groups, err := t.Repo.SetGroups(ctx, wf)
	if err != nil {
		return nil, nil, err
	}
	weekly, sets := rpeWeekly(groups, f)
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

// checkinCompliance is the share of the roster (the athletes with data in the range) who
// reported wellness, per day of each bucket. A bucket is 0, not missing, when nobody reported:
// that is what a coach needs to see.
func checkinCompliance(cs []ComplianceBucket, roster int, g grid) []*trendsv1.TrendSeries {
	s := g.series(trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE, trendsv1.TrendStatistic_TREND_STATISTIC_SHARE, "share", "Check-in compliance")
	if roster == 0 {
		return []*trendsv1.TrendSeries{s}
	}
	for _, c := range cs {
		if c.Days > 0 {
			g.set(s, c.Bucket, float64(c.ReportDays)/float64(uint64(roster)*c.Days), c.Reporters, c.ReportDays)
		}
	}
	return []*trendsv1.TrendSeries{s}
}

var statuses = []struct {
	status commonv1.AthleteStatus
	label  string
}{
	{commonv1.AthleteStatus_ATHLETE_STATUS_OK, "ok"},
	{commonv1.AthleteStatus_ATHLETE_STATUS_WATCH, "watch"},
	{commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED, "deload recommended"},
}

func statusShare(sts []adapters.AthleteStatus, g grid) []*trendsv1.TrendSeries {
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
	return out
}
