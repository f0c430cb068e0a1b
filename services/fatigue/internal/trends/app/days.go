package app

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// An answer is built from athlete days (adapters.AthleteDay): each athlete's per-day inputs of
// every metric. They come from trend_athlete_days, which the Summarizer keeps, for every athlete
// whose stored days are still exact, and are computed from the raw tables (daysFromRaw, the
// same computation the Summarizer stores) for the others. Either way the answer is the same.

// days returns the athlete days of f: every metric's inputs from f.From, session loads alone
// from loadsFrom (the ACWR's warm-up).
func (t Trends) days(ctx context.Context, f adapters.Filter, loadsFrom time.Time) ([]adapters.AthleteDay, error) {
	var counts map[string]adapters.InsertCounts
	var stored []adapters.AthleteDay
	err := parallel(ctx, []func(context.Context) error{
		func(ctx context.Context) (err error) { counts, err = t.Repo.DayInserts(ctx, f, loadsFrom); return err },
		func(ctx context.Context) (err error) { stored, err = t.Repo.SummaryDays(ctx, f, loadsFrom); return err },
	})
	if err != nil {
		return nil, err
	}
	days, stale := exactDays(counts, stored)
	if len(stale) == 0 {
		return days, nil
	}
	rf := f
	rf.Athletes = stale
	raw, err := t.daysFromRaw(ctx, rf, loadsFrom)
	if err != nil {
		return nil, err
	}
	return append(days, raw...), nil
}

// exactDays keeps the stored days of the athletes whose every day with rows has a stored day
// whose token still equals the athlete's insert count up to that day, and names the athletes
// with rows that have not (stale). Days of athletes without counted rows are dropped: they
// cannot have rows.
func exactDays(counts map[string]adapters.InsertCounts, stored []adapters.AthleteDay) (exact []adapters.AthleteDay, stale []string) {
	byAthlete := map[string][]adapters.AthleteDay{}
	for _, d := range stored {
		byAthlete[d.Athlete] = append(byAthlete[d.Athlete], d)
	}
	for a, c := range counts {
		days := byAthlete[a]
		if dayTokensMatch(c, days) {
			exact = append(exact, days...)
		} else {
			stale = append(stale, a)
		}
	}
	slices.Sort(stale)
	return exact, stale
}

func dayTokensMatch(c adapters.InsertCounts, days []adapters.AthleteDay) bool {
	if len(days) != len(c.Days) {
		return false
	}
	tokens := make(map[int64]uint64, len(days))
	for _, d := range days {
		tokens[d.Day.Unix()] = d.Token
	}
	for i, cum := range c.Cumulative() {
		if tok, ok := tokens[c.Days[i].Unix()]; !ok || tok != cum {
			return false
		}
	}
	return true
}

// daysFromRaw computes the athlete days of f from the raw tables (deduplicated by event id):
// every metric's inputs for the days from f.From to f.To, and for the days from loadsFrom (when
// earlier) only their session loads. The RPE deviations of a day compare it with the sets of
// the FamiliarWindowDays before it, which are read too. Tokens are left 0.
func (t Trends) daysFromRaw(ctx context.Context, f adapters.Filter, loadsFrom time.Time) ([]adapters.AthleteDay, error) {
	var (
		groups   []adapters.SetGroup
		loads    []adapters.DailyLoad
		firsts   map[string]time.Time
		wellness []adapters.WellnessDay
		statuses []adapters.AthleteStatus
		others   []adapters.DayRows
	)
	sf, lf, df := f, f, f
	sf.From = f.From.AddDate(0, 0, -domain.FamiliarWindowDays)
	lf.From = loadsFrom
	df.Bucket = domain.Day
	err := parallel(ctx, []func(context.Context) error{
		func(ctx context.Context) (err error) { groups, err = t.Repo.SetGroups(ctx, sf); return err },
		func(ctx context.Context) (err error) { loads, err = t.Repo.DailySessionLoad(ctx, lf); return err },
		func(ctx context.Context) (err error) { firsts, err = t.Repo.FirstLoadDays(ctx, f); return err },
		func(ctx context.Context) (err error) { wellness, err = t.Repo.WellnessDays(ctx, f); return err },
		func(ctx context.Context) (err error) { statuses, err = t.Repo.Statuses(ctx, df); return err },
		func(ctx context.Context) (err error) { others, err = t.Repo.OtherDayRows(ctx, f); return err },
	})
	if err != nil {
		return nil, err
	}
	type key struct {
		athlete string
		day     int64
	}
	byKey := map[key]*adapters.AthleteDay{}
	day := func(athlete string, t time.Time) *adapters.AthleteDay {
		t = domain.Date(t)
		k := key{athlete, t.Unix()}
		d := byKey[k]
		if d == nil {
			d = &adapters.AthleteDay{Athlete: athlete, Day: t}
			byKey[k] = d
		}
		return d
	}
	for _, g := range groups {
		lift := domain.LiftIndex(g.Lift)
		for _, c := range g.Cells {
			if c.Day.Before(f.From) {
				continue // an RPE baseline only
			}
			l := &day(c.Athlete, c.Day).Lifts[lift]
			l.Rows += c.Rows
			l.Working += c.Working
			l.HardSets += c.HardSets
			l.VolumeKg += c.VolumeKg
			l.BestE1RM = max(l.BestE1RM, c.BestE1RM)
		}
	}
	for _, dev := range rpeDeviations(groups) {
		if dev.Day.Before(f.From) {
			continue
		}
		d := day(dev.Athlete, dev.Day)
		d.RPEDeviationSum += dev.Delta
		d.RPEDeviations++
		d.RPEDeviationSets += dev.Sets
	}
	for _, l := range loads {
		d := day(l.Athlete, l.Day)
		d.SessionLoadAU += l.LoadAU
		d.LoadSessions += l.Rows
	}
	for _, w := range wellness {
		d := day(w.Athlete, w.Day)
		d.WellnessReports += w.Reports
		for i := range w.Sums {
			d.WellnessSums[i] += w.Sums[i]
			d.WellnessCounts[i] += w.Counts[i]
		}
	}
	for _, s := range statuses {
		d := day(s.Athlete, s.Bucket)
		d.Status = max(d.Status, s.Status)
		d.StatusRows += s.Rows
	}
	for _, o := range others {
		day(o.Athlete, o.Day).OtherRows += o.Rows
	}
	out := make([]adapters.AthleteDay, 0, len(byKey))
	for _, d := range byKey {
		if first, ok := firsts[d.Athlete]; ok && !first.After(d.Day) {
			d.FirstLoadDay = domain.Date(first)
		}
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b adapters.AthleteDay) int {
		return cmp.Or(strings.Compare(a.Athlete, b.Athlete), a.Day.Compare(b.Day))
	})
	return out, nil
}

// inputsFromDays reduces athlete days to what the series are built from. Days before f.From
// contribute their session loads only.
func inputsFromDays(days []adapters.AthleteDay, f adapters.Filter) inputs {
	bucket := bucketMemo(f.Bucket)
	type liftKey struct {
		bucket time.Time
		lift   int
	}
	type athleteBucket struct {
		athlete string
		bucket  time.Time
	}
	type bestKey struct {
		athleteBucket
		lift int
	}
	type mean struct {
		sum float64
		n   uint64
	}
	lifts := map[liftKey]*adapters.LiftBucket{}
	liftAthletes := map[liftKey]map[string]bool{}
	bests := map[bestKey]*domain.BestE1RM{}
	rpe := map[athleteBucket]*mean{}
	wellness := map[time.Time]*adapters.WellnessBucket{}
	wellnessAthletes := map[time.Time]map[string]bool{}
	itemAthletes := map[time.Time][]map[string]bool{}
	statuses := map[athleteBucket]*adapters.AthleteStatus{}
	in := inputs{covered: map[string]uint64{}, firsts: map[string]time.Time{}, rpeWeekly: map[time.Time]map[string]float64{},
		rpeSets: map[time.Time]uint64{}}
	for i := range days {
		d := &days[i]
		if d.LoadSessions > 0 {
			in.wideLoads = append(in.wideLoads, adapters.DailyLoad{Athlete: d.Athlete, Day: d.Day, LoadAU: d.SessionLoadAU, Rows: d.LoadSessions})
			if !d.FirstLoadDay.IsZero() {
				in.firsts[d.Athlete] = d.FirstLoadDay
			}
		}
		if d.Day.Before(f.From) {
			continue
		}
		b := bucket(d.Day)
		if n := d.SetRows() + d.OtherRows; n > 0 {
			in.covered[d.Athlete] += n
		}
		for li, l := range d.Lifts {
			if l.Rows == 0 {
				continue
			}
			k := liftKey{b, li}
			lb := lifts[k]
			if lb == nil {
				lb = &adapters.LiftBucket{Bucket: b, Lift: domain.LiftCategories[li]}
				lifts[k] = lb
				liftAthletes[k] = map[string]bool{}
			}
			lb.VolumeKg += l.VolumeKg
			lb.HardSets += int64(l.HardSets)
			lb.Rows += int64(l.Rows)
			if l.Working > 0 {
				liftAthletes[k][d.Athlete] = true
			}
			if slices.Contains(adapters.MainLifts, domain.LiftCategories[li]) {
				bk := bestKey{athleteBucket{d.Athlete, b}, li}
				x := bests[bk]
				if x == nil {
					x = &domain.BestE1RM{Athlete: d.Athlete, Lift: domain.LiftCategories[li], Bucket: b}
					bests[bk] = x
				}
				x.Kg = max(x.Kg, l.BestE1RM)
				x.Sets += l.Working
			}
		}
		if d.RPEDeviations > 0 {
			k := athleteBucket{d.Athlete, b}
			m := rpe[k]
			if m == nil {
				m = &mean{}
				rpe[k] = m
			}
			m.sum += d.RPEDeviationSum
			m.n += d.RPEDeviations
			in.rpeSets[b] += d.RPEDeviationSets
		}
		if d.WellnessReports > 0 {
			wb := wellness[b]
			if wb == nil {
				n := len(adapters.WellnessColumns)
				wb = &adapters.WellnessBucket{Bucket: b, Sums: make([]float64, n), Counts: make([]uint64, n), ItemAths: make([]uint64, n)}
				wellness[b] = wb
				wellnessAthletes[b] = map[string]bool{}
				itemAthletes[b] = make([]map[string]bool, n)
				for i := range itemAthletes[b] {
					itemAthletes[b][i] = map[string]bool{}
				}
			}
			wb.Reports += d.WellnessReports
			wellnessAthletes[b][d.Athlete] = true
			for i := range d.WellnessSums {
				wb.Sums[i] += d.WellnessSums[i]
				wb.Counts[i] += d.WellnessCounts[i]
				if d.WellnessCounts[i] > 0 {
					itemAthletes[b][i][d.Athlete] = true
				}
			}
		}
		if d.StatusRows > 0 {
			k := athleteBucket{d.Athlete, b}
			s := statuses[k]
			if s == nil {
				s = &adapters.AthleteStatus{Athlete: d.Athlete, Bucket: b}
				statuses[k] = s
			}
			s.Status = max(s.Status, d.Status)
			s.Rows += d.StatusRows
		}
	}
	for k, lb := range lifts {
		lb.Athletes = uint64(len(liftAthletes[k]))
		in.lifts = append(in.lifts, *lb)
	}
	slices.SortFunc(in.lifts, func(a, b adapters.LiftBucket) int {
		return cmp.Or(a.Bucket.Compare(b.Bucket), strings.Compare(a.Lift, b.Lift))
	})
	for _, x := range bests {
		if x.Kg > 0 {
			in.bests = append(in.bests, *x)
		}
	}
	slices.SortFunc(in.bests, func(a, b domain.BestE1RM) int {
		return cmp.Or(a.Bucket.Compare(b.Bucket), strings.Compare(a.Athlete, b.Athlete), strings.Compare(a.Lift, b.Lift))
	})
	for k, m := range rpe {
		if in.rpeWeekly[k.bucket] == nil {
			in.rpeWeekly[k.bucket] = map[string]float64{}
		}
		in.rpeWeekly[k.bucket][k.athlete] = m.sum / float64(m.n)
	}
	for b, wb := range wellness {
		wb.Athletes = uint64(len(wellnessAthletes[b]))
		for i, as := range itemAthletes[b] {
			wb.ItemAths[i] = uint64(len(as))
		}
		in.wellness = append(in.wellness, *wb)
	}
	slices.SortFunc(in.wellness, func(a, b adapters.WellnessBucket) int { return a.Bucket.Compare(b.Bucket) })
	for _, s := range statuses {
		in.statuses = append(in.statuses, *s)
	}
	slices.SortFunc(in.statuses, func(a, b adapters.AthleteStatus) int {
		return cmp.Or(a.Bucket.Compare(b.Bucket), strings.Compare(a.Athlete, b.Athlete))
	})
	slices.SortFunc(in.wideLoads, func(a, b adapters.DailyLoad) int {
		return cmp.Or(strings.Compare(a.Athlete, b.Athlete), a.Day.Compare(b.Day))
	})
	return in
}
