package simulate_test

import (
	"math"
	"slices"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// The estimating oracle: like the assessor it must learn each athlete's strength from their own
// log, but it is told the simulator's model of untouched strength: a level per lift and one
// linear progress for all lifts, with no drift (it is not told whether or when the athlete
// plateaus). On each lifting day it fits that model by least squares to every rated exposure
// at least a week old (a ridge keeps the progress near none, 0.5% a week, as the assessor's
// prior does) and scores the day by how far its lifts fall short of the fit, in one scatter for
// all athletes (it is not told theirs). It does not hold
// its reference during an episode, which only costs it. Its detectors are tuned on the seeds it
// is scored on, like the other oracles'. What it reaches is about what estimating the level
// from the log allows in this simulator.

// estimatingLagDays keeps the latest week out of the fit, as the assessor does.
const estimatingLagDays = 7

// liftFit is the least-squares fit of 100*ln(e1RM) = level[lift] + progress*day: the normal
// equations, accumulated exposure by exposure.
type liftFit struct {
	a [5][5]float64
	b [5]float64
	n [4]int
}

func (f *liftFit) add(li, day int, y float64) {
	var x [5]float64
	x[li], x[4] = 1, float64(day)
	for r := range x {
		for c := range x {
			f.a[r][c] += x[r] * x[c]
		}
		f.b[r] += x[r] * y
	}
	f.n[li]++
}

// predict is the fit's 100*ln(e1RM) of lift li on day, and false when the lift has fewer than
// two exposures in it.
func (f *liftFit) predict(li, day int) (float64, bool) {
	if f.n[li] < 2 {
		return 0, false
	}
	a, b := f.a, f.b
	for l := 0; l < 4; l++ {
		if f.n[l] == 0 {
			a[l][l] = 1 // a lift not seen yet: its level is 0, and out of the way
		}
	}
	// The ridge: the progress per day has a prior spread of 0.5% a week around none, against
	// one exposure's scatter of 1.75%.
	perDay := 0.5 / 7
	a[4][4] += 1.75 * 1.75 / (perDay * perDay)
	coef, ok := solve5(a, b)
	if !ok {
		return 0, false
	}
	return coef[li] + coef[4]*float64(day), true
}

// solve5 solves a x = b by Gaussian elimination with partial pivoting.
func solve5(a [5][5]float64, b [5]float64) ([5]float64, bool) {
	for c := 0; c < 5; c++ {
		p := c
		for r := c + 1; r < 5; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p], b[c], b[p] = a[p], a[c], b[p], b[c]
		if math.Abs(a[c][c]) < 1e-12 {
			return b, false
		}
		for r := c + 1; r < 5; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < 5; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	var x [5]float64
	for r := 4; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < 5; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// estimatingDays scores every athlete's lifting days against the least-squares fit of their
// exposures a week old and older: the mean over the day's lifts of how far (in percent) the
// day's effort-adjusted e1RM (the mean of its rated sets, as the assessor reads it) falls short.
func estimatingDays(team simulate.Team, cfg simulate.Config) map[string][]oracleDay {
	type exposure struct {
		athlete string
		li, day int
	}
	sum, n := map[exposure]float64{}, map[exposure]int{}
	st := domain.DefaultThresholds().Strength
	lifts := []commonv1.LiftCategory{commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS,
		commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT, commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS}
	for _, ev := range team.Events {
		set := ev.GetSetRecorded()
		li := slices.Index(lifts, set.GetLiftCategory())
		if set == nil || li < 0 || set.Rpe == nil || set.GetRpe() < st.E1RMMinRPE || set.GetReps() == 0 || int(set.GetReps()) > st.E1RMMaxReps {
			continue
		}
		pct, ok := domain.RTSPercent(float64(set.GetReps()) + 10 - set.GetRpe())
		if !ok {
			continue
		}
		k := exposure{ev.GetAthleteId(), li, int(ev.GetOccurredAt().AsTime().Sub(cfg.Start).Hours() / 24)}
		sum[k] += 100 * math.Log(set.GetLoadKg()*100/pct)
		n[k]++
	}
	byAthlete := map[string][]exposure{}
	for k := range sum {
		byAthlete[k.athlete] = append(byAthlete[k.athlete], k)
	}
	out := map[string][]oracleDay{}
	for id, exps := range byAthlete {
		slices.SortFunc(exps, func(a, b exposure) int {
			if a.day != b.day {
				return a.day - b.day
			}
			return a.li - b.li
		})
		var fit liftFit
		folded := 0
		for i := 0; i < len(exps); {
			day := exps[i].day
			for ; folded < len(exps) && exps[folded].day <= day-estimatingLagDays; folded++ {
				e := exps[folded]
				fit.add(e.li, e.day, sum[e]/float64(n[e]))
			}
			short, lifted := 0.0, 0
			for ; i < len(exps) && exps[i].day == day; i++ {
				e := exps[i]
				if want, ok := fit.predict(e.li, day); ok {
					short += want - sum[e]/float64(n[e])
					lifted++
				}
			}
			if lifted > 0 {
				out[id] = append(out[id], oracleDay{day: day, shortPct: short / float64(lifted)})
			}
		}
	}
	return out
}

// estimatingScatterPct is the scatter of a day's shortfall the estimating oracle scores in: one
// figure for every athlete (the mean over two or three lifts of exposures scattered by about
// 1.75%), since standardising by each athlete's healthy days, as the other oracles do, would
// tell it who plateaued and when.
const estimatingScatterPct = 1.2

func newEstimatingSquad(cfg simulate.Config) oracleSquad {
	cfg = cfg.WithDefaults()
	team := simulate.Generate(cfg)
	days := estimatingDays(team, cfg)
	for _, ds := range days {
		for i := range ds {
			ds[i].shortPct /= estimatingScatterPct
		}
	}
	return oracleSquad{team: team, start: cfg.Start, weeks: cfg.Weeks, z: days}
}

// estimatingSquads are the estimating oracle's squads of cfg's shape, one per seed.
func estimatingSquads(cfg simulate.Config, seeds []uint64) []oracleSquad {
	out := make([]oracleSquad, 0, len(seeds))
	for _, seed := range seeds {
		cfg.Seed = seed
		out = append(out, newEstimatingSquad(cfg))
	}
	return out
}
