package simulate_test

import (
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/supercomp/supercomp/services/fatigue/internal/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// recs are the days each athlete got a recommendation.
type recs map[string][]time.Time

// quality is recall, precision and false recommendations per healthy athlete per 12 weeks.
type quality struct {
	recall, precision, falsePer12w  float64
	tp, fp, detected, over, healthy int
	// lags are the days from onset to each overreacher's first recommendation within 28
	// days; late counts those first recommended after the recall window.
	lags []float64
	late int
}

// medianLag is the median of the overreachers' days from onset to their first recommendation
// (those recommended within 28 days).
func (q quality) medianLag() float64 {
	if len(q.lags) == 0 {
		return math.NaN()
	}
	l := slices.Clone(q.lags)
	slices.Sort(l)
	if len(l)%2 == 1 {
		return l[len(l)/2]
	}
	return (l[len(l)/2-1] + l[len(l)/2]) / 2
}

func score(team simulate.Team, r recs, weeks int, recallWindowDays float64) quality {
	var q quality
	for _, t := range team.Truth {
		days := r[t.AthleteID]
		if !t.Overreacher {
			q.healthy++
			q.fp += len(days)
			continue
		}
		q.over++
		first := math.Inf(1)
		for _, d := range days {
			lag := d.Sub(t.Onset).Hours() / 24
			switch {
			case lag >= 0:
				q.tp++
				first = math.Min(first, lag)
			default:
				q.fp++
			}
		}
		switch {
		case first <= recallWindowDays:
			q.detected++
			q.lags = append(q.lags, first)
		case first <= 28:
			q.late++
			q.lags = append(q.lags, first)
		}
	}
	q.recall = float64(q.detected) / float64(max(q.over, 1))
	if q.tp+q.fp > 0 {
		q.precision = float64(q.tp) / float64(q.tp+q.fp)
	}
	q.falsePer12w = 0
	if q.healthy > 0 {
		falseOnHealthy := 0
		for _, t := range team.Truth {
			if !t.Overreacher {
				falseOnHealthy += len(r[t.AthleteID])
			}
		}
		q.falsePer12w = float64(falseOnHealthy) / float64(q.healthy) * 12 / float64(weeks)
	}
	return q
}

// run feeds the team through the assessor (the service's own per-event path) and, for the
// naive rule, fires whenever ACWR > 1.5 outside the same 21-day cooldown.
func run(team simulate.Team, th domain.Thresholds) (assessor, naive recs) {
	assessor, naive = recs{}, recs{}
	states := map[string]*domain.State{}
	lastNaive := map[string]time.Time{}
	for _, ev := range team.Events {
		st := states[ev.GetAthleteId()]
		if st == nil {
			st = &domain.State{}
			states[ev.GetAthleteId()] = st
		}
		out, ok := app.Step(st, ev, th)
		if !ok {
			continue
		}
		day := out.Result.Assessed.AsOf.Time()
		if out.Recommended != nil {
			assessor[ev.GetAthleteId()] = append(assessor[ev.GetAthleteId()], day)
		}
		if acwr := out.Result.Assessed.Load.ACWR; acwr != nil && *acwr > 1.5 {
			if last, seen := lastNaive[ev.GetAthleteId()]; !seen || day.Sub(last) > time.Duration(th.Rule.CooldownDays)*24*time.Hour {
				lastNaive[ev.GetAthleteId()] = day
				naive[ev.GetAthleteId()] = append(naive[ev.GetAthleteId()], day)
			}
		}
	}
	return assessor, naive
}

// Seeds the assessor's rules were tuned on, and held-out seeds the assertions use: a rule
// change that only fits the tuning seeds shows up as a gap between the two.
//
// Seeds 1-44 were looked at while choosing the rules' settings (until the lifting-day rules
// were revisited against the ceiling, 5-8 were the held-out ones); 45-64 were first run after
// the settings were fixed.
var (
	tuningSeeds  = seedRange(1, 44) // measured with SC_QUALITY_TUNING=1
	heldOutSeeds = seedRange(45, 64)
	// perAthlete logs every athlete's onset and recommendation days (SC_QUALITY_VERBOSE=1).
	perAthlete = os.Getenv("SC_QUALITY_VERBOSE") != ""
)

// cohort is one simulated squad shape the quality is measured on.
type cohort struct {
	name string
	cfg  simulate.Config
	// recallWindowDays is how soon after onset a recommendation counts as a detection.
	recallWindowDays float64
}

// classic is the original full-data squad with abrupt onsets, detected within a week.
var classic = cohort{name: "classic", cfg: simulate.Config{Team: "q", Athletes: 30, Overreachers: 10, Weeks: 12}, recallWindowDays: 7}

// measure runs the assessor and the naive rule over the seeds and pools their scores.
func measure(t *testing.T, name string, c cohort, seeds []uint64) (assessor, naive quality) {
	var total, totalNaive quality
	weeks := c.cfg.Weeks
	for _, seed := range seeds {
		cfg := c.cfg
		cfg.Seed = seed
		team := simulate.Generate(cfg)
		a, n := run(team, domain.DefaultThresholds())
		qa, qn := score(team, a, weeks, c.recallWindowDays), score(team, n, weeks, c.recallWindowDays)
		t.Logf("%s seed %d: assessor recall %.2f precision %.2f false/healthy/12w %.2f | naive ACWR>1.5 recall %.2f precision %.2f false/healthy/12w %.2f",
			name, seed, qa.recall, qa.precision, qa.falsePer12w, qn.recall, qn.precision, qn.falsePer12w)
		for _, tr := range team.Truth {
			if !perAthlete {
				break
			}
			if tr.Overreacher {
				t.Logf("  %s onset %s recs %v", tr.AthleteID, tr.Onset.Format(time.DateOnly), fmtDays(a[tr.AthleteID]))
			} else if len(a[tr.AthleteID]) > 0 {
				t.Logf("  healthy %s recs %v", tr.AthleteID, fmtDays(a[tr.AthleteID]))
			}
		}
		total = add(total, qa)
		totalNaive = add(totalNaive, qn)
	}
	assessor, naive = finish(total, weeks, len(seeds)), finish(totalNaive, weeks, len(seeds))
	t.Logf("%s ALL: assessor recall %.2f precision %.2f F1 %.2f false/healthy/12w %.2f | naive recall %.2f precision %.2f F1 %.2f false/healthy/12w %.2f",
		name, assessor.recall, assessor.precision, f1(assessor), assessor.falsePer12w, naive.recall, naive.precision, f1(naive), naive.falsePer12w)
	return assessor, naive
}

// seedRange is the seeds from..to.
func seedRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func f1(q quality) float64 {
	if q.recall+q.precision == 0 {
		return 0
	}
	return 2 * q.recall * q.precision / (q.recall + q.precision)
}

func TestQualityAgainstGroundTruth(t *testing.T) {
	if os.Getenv("SC_QUALITY_TUNING") != "" { // logged only: the rules were chosen on these
		measure(t, "tuning", classic, tuningSeeds)
	}
	qa, qn := measure(t, "held-out", classic, heldOutSeeds)

	// The targets: recall >= 0.9, precision >= 0.8, <= 1 false recommendation per
	// healthy athlete per 12 weeks, better than the naive ACWR > 1.5 rule on recall, precision
	// and F1. Measured on the held-out seeds (20 x 30 athletes): recall 0.99, precision 0.95,
	// 0.02 false per healthy athlete per 12 weeks; the naive rule 0.11, 0.28, 0.16. On the
	// false rate alone the naive rule can look as good only by
	// almost never firing, so besides the false rate's own target the comparison is on F1,
	// which charges both misses and false alarms.
	if qa.recall < 0.9 {
		t.Errorf("recall %.2f on held-out seeds, target at least 0.9", qa.recall)
	}
	if qa.precision < 0.8 {
		t.Errorf("precision %.2f on held-out seeds, target at least 0.8", qa.precision)
	}
	if qa.falsePer12w > 1 {
		t.Errorf("false recommendations per healthy athlete per 12 weeks %.2f, target at most 1", qa.falsePer12w)
	}
	if qa.recall <= qn.recall || qa.precision <= qn.precision || f1(qa) <= f1(qn) {
		t.Errorf("assessor no better than the naive ACWR rule: recall %.2f vs %.2f, precision %.2f vs %.2f, F1 %.2f vs %.2f",
			qa.recall, qn.recall, qa.precision, qn.precision, f1(qa), f1(qn))
	}
}

func add(a, b quality) quality {
	a.tp += b.tp
	a.fp += b.fp
	a.detected += b.detected
	a.over += b.over
	a.healthy += b.healthy
	a.falsePer12w += b.falsePer12w
	a.lags = append(a.lags, b.lags...)
	a.late += b.late
	return a
}

func finish(q quality, weeks, runs int) quality {
	q.recall = float64(q.detected) / float64(max(q.over, 1))
	if q.tp+q.fp > 0 {
		q.precision = float64(q.tp) / float64(q.tp+q.fp)
	}
	q.falsePer12w /= float64(runs)
	return q
}

func fmtDays(ds []time.Time) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}
