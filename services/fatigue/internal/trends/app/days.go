package app

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// An answer is built from athlete days (adapters.AthleteDay): each athlete's inputs of every
// metric per day or bucket. They come from trend_athlete_days, which the Summarizer keeps, for
// every athlete whose stored days are still exact, and are computed from the raw tables
// (rawInputs, the computation the Summarizer stores) for the others. Either way the answer is
// the same.

// athleteInputs are what an answer is reduced from: athlete days from f.From (stored ones
// summed per bucket, see adapters.StoredBuckets) and the session loads from the ACWR's warm-up on,
// with each loaded athlete's first day with load.
type athleteInputs struct {
	days   []adapters.AthleteDay // their session loads are not read: loads has them
	loads  []adapters.DailyLoad
	firsts map[string]time.Time
}

// athleteInputs reads f's inputs: from trend_athlete_days for every athlete whose stored days
// are all exact, from the raw tables for the others (and for everyone in a zone other than UTC).
func (t Trends) athleteInputs(ctx context.Context, f adapters.Filter, loadsFrom time.Time) (athleteInputs, error) {
	if f.Zone != nil {
		// The stored days are UTC days: a zone's days come from the raw rows.
		return t.rawInputs(ctx, f, loadsFrom)
	}
	var counts map[string]adapters.InsertCounts
	var stored map[string]*adapters.StoredDays
	var buckets map[string]*adapters.StoredBuckets
	err := parallel(ctx, []func(context.Context) error{
		func(ctx context.Context) (err error) { counts, err = t.Repo.DayInserts(ctx, f, loadsFrom); return err },
		func(ctx context.Context) (err error) { stored, err = t.Repo.StoredDays(ctx, f, loadsFrom); return err },
		func(ctx context.Context) (err error) { buckets, err = t.Repo.StoredBuckets(ctx, f); return err },
	})
	if err != nil {
		return athleteInputs{}, err
	}
	in := athleteInputs{firsts: map[string]time.Time{}}
	nDays, nLoads := 0, 0
	for a, s := range stored {
		nDays += len(buckets[a].GetBuckets())
		nLoads += len(s.Loads)
	}
	in.days = make([]adapters.AthleteDay, 0, nDays)
	in.loads = make([]adapters.DailyLoad, 0, nLoads)
	var stale []string
	for a, c := range counts {
		if len(c.Days) == 0 {
			continue // no rows in the window: nothing to read
		}
		s, b := stored[a], buckets[a]
		if s == nil || s.Duplicated || b != nil && b.Duplicated || !tokensMatch(c, s) {
			stale = append(stale, a)
			continue
		}
		in.days = append(in.days, b.GetBuckets()...)
		in.loads = append(in.loads, s.Loads...)
		if !s.FirstLoadDay.IsZero() {
			in.firsts[a] = s.FirstLoadDay
		}
	}
	// Stored days of athletes without counted rows are left out: they cannot have rows.
	if len(stale) == 0 {
		return in, nil
	}
	slices.Sort(stale)
	rf := f
	rf.Athletes = stale
	raw, err := t.rawInputs(ctx, rf, loadsFrom)
	if err != nil {
		return athleteInputs{}, err
	}
	in.days = append(in.days, raw.days...)
	in.loads = append(in.loads, raw.loads...)
	maps.Copy(in.firsts, raw.firsts)
	return in, nil
}

// tokensMatch reports whether s has a day for each of c's days, and no other, with the token
// c's cumulative count gives it. Both are in day order.
func tokensMatch(c adapters.InsertCounts, s *adapters.StoredDays) bool {
	if len(s.Days) != len(c.Days) {
		return false
	}
	for i, cum := range c.Cumulative() {
		if !s.Days[i].Equal(c.Days[i]) || s.Tokens[i] != cum {
			return false
		}
	}
	return true
}

// rawInputs computes f's athlete inputs from the raw tables (deduplicated by event id): every
// metric's input from f.From to f.To summed per athlete and bucket of f (dated on the bucket's
// first day within the range, as stored buckets are), and the session loads per day from
// loadsFrom. The RPE deviations of a day compare it with the sets of the FamiliarWindowDays
// before it, which are read too. With daily buckets the days are what the Summarizer stores.
func (t Trends) rawInputs(ctx context.Context, f adapters.Filter, loadsFrom time.Time) (athleteInputs, error) {
	var (
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
	// The set cells first and alone, as the longest read; the others share the server's cores
	// while the cells are reduced. All six at once were slower on a 2-core server.
	groups, err := t.Repo.SetGroups(ctx, sf)
	if err != nil {
		return athleteInputs{}, err
	}
	var devs []domain.RPEDeviation
	err = parallel(ctx, []func(context.Context) error{
		func(context.Context) error { devs = rpeDeviations(groups); return nil },
		func(ctx context.Context) (err error) { loads, err = t.Repo.DailySessionLoad(ctx, lf); return err },
		func(ctx context.Context) (err error) { firsts, err = t.Repo.FirstLoadDays(ctx, f); return err },
		func(ctx context.Context) (err error) { wellness, err = t.Repo.WellnessDays(ctx, f); return err },
		func(ctx context.Context) (err error) { statuses, err = t.Repo.Statuses(ctx, df); return err },
		func(ctx context.Context) (err error) { others, err = t.Repo.OtherDayRows(ctx, f); return err },
	})
	if err != nil {
		return athleteInputs{}, err
	}
	// The first day of each day's bucket within the range, by day number.
	firstDay := domain.Date(f.From)
	bucketDay := make([]time.Time, int(domain.Date(f.To).Sub(firstDay).Hours()/24)+1)
	for i := range bucketDay {
		bucketDay[i] = domain.BucketStart(firstDay.AddDate(0, 0, i), f.Bucket)
		if bucketDay[i].Before(firstDay) {
			bucketDay[i] = firstDay
		}
	}
	type key struct {
		athlete string
		day     int64
	}
	byKey := map[key]*adapters.AthleteDay{}
	at := func(athlete string, t time.Time) *adapters.AthleteDay {
		off := int(domain.Date(t).Sub(firstDay).Hours() / 24)
		if off < 0 || off >= len(bucketDay) {
			return &adapters.AthleteDay{} // outside the range: counted nowhere
		}
		b := bucketDay[off]
		k := key{athlete, b.Unix()}
		d := byKey[k]
		if d == nil {
			d = &adapters.AthleteDay{Athlete: athlete, Day: b}
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
			l := &at(c.Athlete, c.Day).Lifts[lift]
			l.Rows += c.Rows
			l.Working += c.Working
			l.HardSets += c.HardSets
			l.VolumeKg += c.VolumeKg
			l.BestE1RM = max(l.BestE1RM, c.BestE1RM)
		}
	}
	for _, dev := range devs {
		if dev.Day.Before(f.From) {
			continue
		}
		d := at(dev.Athlete, dev.Day)
		d.RPEDeviationSum += dev.Delta
		d.RPEDeviations++
		d.RPEDeviationSets += dev.Sets
	}
	for _, w := range wellness {
		d := at(w.Athlete, w.Day)
		d.WellnessReports += w.Reports
		for i := range w.Sums {
			d.WellnessSums[i] += w.Sums[i]
			d.WellnessCounts[i] += w.Counts[i]
		}
	}
	for _, s := range statuses {
		d := at(s.Athlete, s.Bucket)
		d.Status = max(d.Status, s.Status)
		d.StatusRows += s.Rows
	}
	for _, o := range others {
		at(o.Athlete, o.Day).OtherRows += o.Rows
	}
	in := athleteInputs{days: make([]adapters.AthleteDay, 0, len(byKey)), loads: loads, firsts: make(map[string]time.Time, len(firsts))}
	for _, d := range byKey {
		in.days = append(in.days, *d)
	}
	// Each athlete's days adjacent and in order, as reduce and the Summarizer want them.
	slices.SortFunc(in.days, func(a, b adapters.AthleteDay) int {
		return cmp.Or(strings.Compare(a.Athlete, b.Athlete), a.Day.Compare(b.Day))
	})
	for a, first := range firsts {
		in.firsts[a] = domain.Date(first)
	}
	return in, nil
}

// storedDays are the days the Summarizer stores, from rawInputs with daily buckets (and
// loadsFrom = f.From): each day's inputs with its session load and the athlete's first day with
// load when on or before it.
func (in athleteInputs) storedDays() []adapters.AthleteDay {
	type key struct {
		athlete string
		day     int64
	}
	index := make(map[key]int, len(in.days))
	days := slices.Clone(in.days)
	for i, d := range days {
		index[key{d.Athlete, d.Day.Unix()}] = i
	}
	for _, l := range in.loads {
		k := key{l.Athlete, domain.Date(l.Day).Unix()}
		i, ok := index[k]
		if !ok {
			i = len(days)
			index[k] = i
			days = append(days, adapters.AthleteDay{Athlete: l.Athlete, Day: domain.Date(l.Day)})
		}
		days[i].SessionLoadAU += l.LoadAU
		days[i].LoadSessions += l.Rows
	}
	for i := range days {
		if first, ok := in.firsts[days[i].Athlete]; ok && !first.After(days[i].Day) {
			days[i].FirstLoadDay = first
		}
	}
	return days
}

// reduce turns athlete inputs into what the series are built from, in arrays indexed by
// bucket and athlete rather than maps: allocation (and the collection it causes) was a third of a
// squad's answer. It relies on each athlete's days being adjacent in ai.days, as athleteInputs
// returns them.
// The cells reduce accumulates, per bucket (and lift or athlete).
type (
	liftCell struct {
		volume     float64
		hard, rows int64
		athletes   uint64
		last       int // 1 + the last athlete counted in athletes
	}
	best struct {
		kg   float64
		sets uint64
	}
	mean struct {
		sum float64
		n   uint64
	}
	wellnessCell struct {
		adapters.WellnessBucket
		last     int
		itemLast [len(adapters.WellnessColumns)]int
	}
)

// reduction is what reduce accumulated, before it is emitted in bucket order.
type reduction struct {
	liftCells []liftCell
	wellness  []wellnessCell
	athletes  []string
	bests     [][]best                   // per athlete: bucket x main lift
	rpe       [][]mean                   // per athlete: bucket
	statuses  [][]adapters.AthleteStatus // per athlete: bucket
}

// emit appends the non-empty cells to in, bucket by bucket.
func (r *reduction) emit(in *inputs, g grid) {
	const lifts = len(domain.LiftCategories)
	mainLifts := len(adapters.MainLifts)
	nb := len(g.buckets)
	liftCells, wellness, athletes, bests, rpe, statuses := r.liftCells, r.wellness, r.athletes, r.bests, r.rpe, r.statuses
	in.bests = make([]domain.BestE1RM, 0, len(athletes)*nb*mainLifts)
	in.statuses = make([]adapters.AthleteStatus, 0, len(athletes)*nb)
	for b, bucket := range g.buckets {
		for li := range lifts {
			if c := liftCells[b*lifts+li]; c.rows > 0 {
				in.lifts = append(in.lifts, adapters.LiftBucket{Bucket: bucket, Lift: domain.LiftCategories[li], VolumeKg: c.volume,
					HardSets: c.hard, Athletes: c.athletes, Rows: c.rows})
			}
		}
		if w := wellness[b]; w.Sums != nil {
			in.wellness = append(in.wellness, w.WellnessBucket)
		}
		for ax, a := range athletes {
			for li := range mainLifts {
				if x := bests[ax][b*mainLifts+li]; x.kg > 0 {
					in.bests = append(in.bests, domain.BestE1RM{Athlete: a, Lift: domain.LiftCategories[li], Bucket: bucket, Kg: x.kg, Sets: x.sets})
				}
			}
			if m := rpe[ax][b]; m.n > 0 {
				if in.rpeWeekly[bucket] == nil {
					in.rpeWeekly[bucket] = map[string]float64{}
				}
				in.rpeWeekly[bucket][a] = m.sum / float64(m.n)
			}
			if s := statuses[ax][b]; s.Rows > 0 {
				s.Athlete, s.Bucket = a, bucket
				in.statuses = append(in.statuses, s)
			}
		}
	}
}

func reduce(ai athleteInputs, f adapters.Filter, g grid) inputs {
	nb := len(g.buckets)
	// The bucket of each day of the range.
	firstDay := domain.Date(f.From)
	dayBucket := make([]int, int(domain.Date(f.To).Sub(firstDay).Hours()/24)+1)
	for i := range dayBucket {
		dayBucket[i] = g.index[domain.BucketStart(firstDay.AddDate(0, 0, i), f.Bucket)]
	}
	const lifts = len(domain.LiftCategories)
	r := reduction{liftCells: make([]liftCell, nb*lifts), wellness: make([]wellnessCell, nb)}
	liftCells, wellness := r.liftCells, r.wellness
	// Check-in compliance: athlete-days with a wellness report, and the athletes reporting.
	compliance := make([]ComplianceBucket, nb)
	complianceLast := make([]int, nb)
	var athletes []string
	var bests [][]best                      // per athlete: bucket x main lift
	var rpe [][]mean                        // per athlete: bucket
	var statuses [][]adapters.AthleteStatus // per athlete: bucket
	in := inputs{covered: map[string]uint64{}, firsts: ai.firsts, wideLoads: ai.loads, rpeWeekly: map[time.Time]map[string]float64{},
		rpeSets: map[time.Time]uint64{}}
	mainLifts := len(adapters.MainLifts)
	for i := range ai.days {
		d := &ai.days[i]
		off := int(d.Day.Sub(firstDay).Hours() / 24)
		if off < 0 || off >= len(dayBucket) {
			continue
		}
		b := dayBucket[off]
		if len(athletes) == 0 || athletes[len(athletes)-1] != d.Athlete {
			athletes = append(athletes, d.Athlete)
			bests = append(bests, make([]best, nb*mainLifts))
			rpe = append(rpe, make([]mean, nb))
			statuses = append(statuses, make([]adapters.AthleteStatus, nb))
		}
		ath := len(athletes) // 1-based, so 0 means none in the cells' last
		if n := d.SetRows() + d.OtherRows; n > 0 {
			in.covered[d.Athlete] += n
		}
		for li, l := range d.Lifts {
			if l.Rows == 0 {
				continue
			}
			c := &liftCells[b*lifts+li]
			c.volume += l.VolumeKg
			c.hard += int64(l.HardSets)
			c.rows += int64(l.Rows)
			if l.Working > 0 && c.last != ath {
				c.athletes++
				c.last = ath
			}
			if li < mainLifts {
				x := &bests[ath-1][b*mainLifts+li]
				x.kg = max(x.kg, l.BestE1RM)
				x.sets += l.Working
			}
		}
		if d.RPEDeviations > 0 {
			m := &rpe[ath-1][b]
			m.sum += d.RPEDeviationSum
			m.n += d.RPEDeviations
			in.rpeSets[g.buckets[b]] += d.RPEDeviationSets
		}
		if d.WellnessReports > 0 {
			c := &compliance[b]
			c.ReportDays++
			if complianceLast[b] != ath {
				c.Reporters++
				complianceLast[b] = ath
			}
			w := &wellness[b]
			if w.Sums == nil {
				n := len(adapters.WellnessColumns)
				w.Bucket = g.buckets[b]
				w.Sums, w.Counts, w.ItemAths = make([]float64, n), make([]uint64, n), make([]uint64, n)
			}
			w.Reports += d.WellnessReports
			if w.last != ath {
				w.Athletes++
				w.last = ath
			}
			for j := range d.WellnessSums {
				w.Sums[j] += d.WellnessSums[j]
				w.Counts[j] += d.WellnessCounts[j]
				if d.WellnessCounts[j] > 0 && w.itemLast[j] != ath {
					w.ItemAths[j]++
					w.itemLast[j] = ath
				}
			}
		}
		if d.StatusRows > 0 {
			s := &statuses[ath-1][b]
			s.Status = max(s.Status, d.Status)
			s.Rows += d.StatusRows
		}
	}
	for _, b := range dayBucket {
		compliance[b].Days++
	}
	for b, bucket := range g.buckets {
		compliance[b].Bucket = bucket
	}
	in.compliance = compliance
	r.athletes, r.bests, r.rpe, r.statuses = athletes, bests, rpe, statuses
	r.emit(&in, g)
	return in
}
