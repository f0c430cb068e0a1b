package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Shape is what a simulated team logs. Most teams, and every Strong, Hevy or FitNotes export,
// log lifting sets only; questionnaires and devices are the exception.
type Shape int

const (
	// ShapeClassic is the original full-data squad (every signal, abrupt onsets): the default,
	// kept as it was so the demo and the full-data quality numbers stay comparable.
	ShapeClassic Shape = iota
	// ShapeSetsRPE logs lifting sets with load, reps and RPE, nothing else.
	ShapeSetsRPE
	// ShapeSets logs lifting sets with load and reps, no RPE (FitNotes, most Hevy logs).
	ShapeSets
	// ShapeSetsWellness logs sets with RPE and a daily wellness questionnaire.
	ShapeSetsWellness
	// ShapeFull logs everything: sets with RPE and bar speed (for some), wellness, session RPE,
	// HRV and jumps (for some), with the gradual onsets of the other shapes.
	ShapeFull
)

// String names the shape as the quality table does.
func (s Shape) String() string {
	switch s {
	case ShapeSetsRPE:
		return "sets+RPE"
	case ShapeSets:
		return "sets, no RPE"
	case ShapeSetsWellness:
		return "sets+RPE+wellness"
	case ShapeFull:
		return "everything"
	}
	return "classic (everything, abrupt onsets)"
}

// lifterPlans are the main lifts trained on each weekday (0 = Monday) at 2, 3 and 4 sessions a
// week: the splits app users commonly run (full body twice, A/B three times, upper/lower four).
var lifterPlans = map[int]map[int][]int{
	2: {0: {0, 1, 2}, 3: {0, 1, 3}},
	3: {0: {0, 1}, 2: {2, 3}, 4: {0, 1}},
	4: {0: {0, 1}, 1: {2, 3}, 3: {0, 1}, 4: {2, 3}},
}

// liftState is how one simulated lifter runs one lift: the working load they are on, and how
// they progress it. Loads go up by a plate when the last exposure was made at RPE <= 8 (a
// common double-progression habit); they stay when it was harder, and drop 10% after two
// exposures in a row with missed reps (the linear-progression apps' reset).
type liftState struct {
	load       float64
	step       float64
	lastUp     int
	missedRuns int
}

// overreach is one athlete's overreaching: capacity falls by depth over ramp days from onset
// and stays there (the athlete never deloads in the simulation).
type overreach struct {
	onset, ramp int
	depth       float64
}

// frac is how far into the overreach day is (0 before onset, 1 once fully developed).
func (o overreach) frac(day int) float64 {
	if o.onset < 0 || day < o.onset {
		return 0
	}
	return math.Min(1, float64(day-o.onset+1)/float64(o.ramp))
}

// generateShaped builds a team of lifters who log the given shape. Athletes differ in strength,
// progression, rating noise, how often they miss sessions, whether they take a break, whether
// their lifts plateau (healthy athletes), and how fast and deep their overreaching develops:
// capacity down 4-8% over 1.5-4 weeks, which at steady loads is RPE up 1-2 points over three to
// four weeks, reps falling short and e1RM down 2-5%, the pattern coaches see in app logs.
func generateShaped(cfg Config, rng *rand.Rand) Team {
	var team Team
	spw := cfg.SessionsPerWeek
	if lifterPlans[spw] == nil {
		spw = 3
	}
	for i := 0; i < cfg.Athletes; i++ {
		id := fmt.Sprintf("a%02d", i+1)
		t := Truth{AthleteID: id, Overreacher: i < cfg.Overreachers}
		if cfg.Shape == ShapeFull {
			t.HasVBT, t.HasHRV = rng.Float64() < 0.6, rng.Float64() < 0.5
		}
		o := overreach{onset: -1}
		if t.Overreacher {
			o.onset = cfg.OnsetFrom + rng.IntN(cfg.OnsetTo-cfg.OnsetFrom+1)
			o.ramp = 10 + rng.IntN(19)
			o.depth = 0.04 + 0.04*rng.Float64()
			t.Onset = cfg.Start.AddDate(0, 0, o.onset)
		}
		team.Events = append(team.Events, lifter(cfg, spw, rng, &t, o)...)
		team.Truth = append(team.Truth, t)
	}
	sort.SliceStable(team.Events, func(i, j int) bool {
		return team.Events[i].GetOccurredAt().AsTime().Before(team.Events[j].GetOccurredAt().AsTime())
	})
	return team
}

func lifter(cfg Config, spw int, rng *rand.Rand, t *Truth, o overreach) []*eventsv1.Event {
	scale := 0.7 + 0.7*rng.Float64()
	lifts := []lift{
		{commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, "Squat (Barbell)", 0.30, 150 * scale, "Squat (Barbell)"},
		{commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, "Bench Press (Barbell)", 0.16, 105 * scale, "Bench Press (Barbell)"},
		{commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT, "Deadlift (Barbell)", 0.15, 180 * scale, "Deadlift (Barbell)"},
		{commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS, "Overhead Press (Barbell)", 0.19, 65 * scale, "Overhead Press (Barbell)"},
	}
	gain := 0.003 + 0.007*rng.Float64() // true strength gained per week
	// A quarter of healthy athletes stop gaining partway (a plateau without fatigue): the
	// case that must stay WATCH and never page the coach.
	plateauFrom := 1 << 30
	if !t.Overreacher && rng.Float64() < 0.25 {
		plateauFrom = 21 + rng.IntN(cfg.Weeks*7-35)
	}
	t.Untouched = map[commonv1.LiftCategory][]float64{}
	for _, l := range lifts {
		untouched := make([]float64, cfg.Weeks*7)
		for day := range untouched {
			untouched[day] = l.e1rm * (1 + gain*float64(min(day, plateauFrom))/7)
		}
		t.Untouched[l.cat] = untouched
	}
	dayNoise := 0.008 + 0.01*rng.Float64()   // day-to-day capacity (sleep, food, time of day)
	ratingNoise := 0.25 + 0.25*rng.Float64() // how consistently the athlete rates effort
	missRate := 0.04 + 0.14*rng.Float64()    // sessions skipped
	rpeLogged := 0.85 + 0.15*rng.Float64()   // share of sets the athlete rates
	reps := 5
	if rng.Float64() < 0.4 {
		reps = 3 + rng.IntN(6) // 3-8 rep work
	}
	// A break (holiday, illness) for some: no training for 7-12 days, away from the onset.
	breakFrom, breakLen := -1, 0
	if rng.Float64() < 0.3 {
		breakLen = 7 + rng.IntN(6)
		breakFrom = 14 + rng.IntN(cfg.Weeks*7-14-breakLen)
		if o.onset >= 0 && breakFrom+breakLen > o.onset-3 && breakFrom < o.onset+15 {
			breakFrom = max(7, o.onset-30-breakLen)
		}
	}
	// A rough few days everyone has (exams, travel): slightly weaker, worse questionnaire.
	roughStart := 14 + rng.IntN(cfg.Weeks*7-21)
	if o.onset >= 0 && roughStart > o.onset-10 && roughStart < o.onset+20 {
		roughStart = max(10, o.onset-30)
	}
	// Volume blocks: some weeks with an extra set for everyone, so extra volume alone does
	// not mark an overreacher.
	heavyWeek := map[int]bool{}
	for w := 2; w < cfg.Weeks; w++ {
		heavyWeek[w] = rng.Float64() < 0.15
	}
	morning := newMorningProfile(rng)
	withWellness := cfg.Shape == ShapeSetsWellness || cfg.Shape == ShapeFull
	p := lifterProfile{gain: gain, dayNoise: dayNoise, ratingNoise: ratingNoise, rpeLogged: rpeLogged, reps: reps,
		withRPE: cfg.Shape != ShapeSets, vbt: t.HasVBT}

	states := make([]liftState, len(lifts))
	for li, l := range lifts {
		step := 2.5
		if l.cat == commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS || l.cat == commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS {
			step = 1.25
		}
		// Start at about RPE 7.5 for the reps (2.5 in reserve), on the plates.
		states[li] = liftState{load: roundTo(l.e1rm*pctFor(float64(reps)+2.5)/100, step), step: step, lastUp: -7}
	}
	var out []*eventsv1.Event
	mk := eventMaker(cfg, *t, &out)
	plan := lifterPlans[spw]
	for day := 0; day < cfg.Weeks*7; day++ {
		if day >= breakFrom && day < breakFrom+breakLen {
			continue
		}
		over := o.frac(day)
		rough := 0.0
		if day >= roughStart && day < roughStart+4 {
			rough = 1
		}
		if t.HasHRV && rng.Float64() < 0.85 {
			mk(day, 7, morning.readiness(rng, day, over))
		}
		if withWellness && rng.Float64() >= cfg.SkippedReportRate {
			mk(day, 7.5, morning.wellness(rng, over, rough))
		}
		lifted, ok := plan[day%7]
		if !ok || rng.Float64() < missRate {
			continue
		}
		session := fmt.Sprintf("%s-%s-d%d", cfg.Team, t.AthleteID, day)
		week := float64(min(day, plateauFrom)) / 7
		sets := 3
		if over > 0 || heavyWeek[day/7] {
			sets = 4 // overreaching follows extra volume
		}
		var rpeSum float64
		n := 0
		d := lifterDay{day: day, week: week, over: over, rough: rough, sets: sets, session: session}
		for _, li := range lifted {
			var sum float64
			sum, n = p.trainLift(rng, d, o, lifts[li], &states[li], n, mk)
			rpeSum += sum
		}
		if cfg.Shape == ShapeFull && n > 0 {
			srpe := math.Round(rpeSum/float64(n)*2)/2 - 1 + rng.NormFloat64()*0.3
			mk(day, 18.5, &eventsv1.SessionRecorded{SessionId: session, DurationMinutes: float64(45 + 6*sets),
				SessionRpe: proto.Float64(math.Max(1, math.Min(10, math.Round(srpe*2)/2))), Name: "Strength", Activity: "strength"})
		}
	}
	return out
}

// lifterProfile is what stays the same about a simulated lifter from day to day.
type lifterProfile struct {
	gain, dayNoise, ratingNoise, rpeLogged float64
	reps                                   int
	withRPE, vbt                           bool
}

// lifterDay is one training day of a simulated lifter.
type lifterDay struct {
	day               int
	week, over, rough float64
	sets              int
	session           string
}

// trainLift logs the day's sets of one lift (n sets logged before them that day) and moves the
// lift's load on as the athlete would. It returns the sum of the RPEs logged and the new n.
func (p lifterProfile) trainLift(rng *rand.Rand, d lifterDay, o overreach, l lift, st *liftState, n int,
	mk func(day int, hour float64, payload any)) (float64, int) {
	day, reps, sets := d.day, p.reps, d.sets
	var rpeSum float64
	capacity := l.e1rm * (1 + p.gain*d.week)
	if o.onset >= 0 && day >= o.onset {
		capacity = l.e1rm * (1 + p.gain*float64(o.onset)/7) * (1 - o.depth*d.over)
	}
	capacity *= (1 + rng.NormFloat64()*p.dayNoise) * (1 - 0.02*d.rough)
	pct := 100 * st.load / capacity
	missed, topRPE := false, 0.0
	for s := 1; s <= sets; s++ {
		rir := rirFor(pct, reps) - 0.3*float64(s-1)
		done := reps
		if rir < 0 {
			done = max(1, reps+int(math.Floor(rir)))
			missed = true
			rir = 0
		}
		rpe := math.Max(6, math.Min(10, math.Round((10-rir+rng.NormFloat64()*p.ratingNoise)*2)/2))
		topRPE = max(topRPE, rpe)
		set := &eventsv1.SetRecorded{SessionId: d.session, Exercise: l.exercise, LiftCategory: l.cat, LoadKg: st.load, Reps: uint32(done),
			SetType: commonv1.SetType_SET_TYPE_WORKING, SetIndex: uint32(s), OriginalUnit: commonv1.WeightUnit_WEIGHT_UNIT_KG}
		if p.withRPE && rng.Float64() < p.rpeLogged {
			set.Rpe = proto.Float64(rpe)
		}
		if p.vbt {
			v := l.mvt + (1-pct/100)*1.4
			for r := 0; r < done; r++ {
				set.RepVelocitiesMps = append(set.RepVelocitiesMps, math.Round(v*(1-0.02*float64(r))*(1+rng.NormFloat64()*0.025)*1000)/1000)
			}
		}
		rpeSum += rpe
		n++
		mk(day, 17+0.05*float64(n), set)
	}
	switch {
	case missed:
		st.missedRuns++
		if st.missedRuns >= 2 {
			st.load, st.missedRuns, st.lastUp = roundTo(st.load*0.9, st.step), 0, day
		}
	case topRPE <= 8 && day-st.lastUp >= 6:
		st.load, st.missedRuns, st.lastUp = st.load+st.step, 0, day
	default:
		st.missedRuns = 0
	}
	return rpeSum, n
}

// eventMaker returns the function that appends one event of the athlete on a day and hour, with
// an id derived from its content (the same seed gives the same ids).
func eventMaker(cfg Config, t Truth, out *[]*eventsv1.Event) func(day int, hour float64, payload any) {
	return func(day int, hour float64, payload any) {
		at := cfg.Start.AddDate(0, 0, day).Add(time.Duration(hour * float64(time.Hour)))
		ev := &eventsv1.Event{TeamId: cfg.Team, AthleteId: t.AthleteID, Source: "simulator", OccurredAt: timestamppb.New(at), RecordedAt: timestamppb.New(at)}
		switch p := payload.(type) {
		case *eventsv1.SetRecorded:
			ev.Payload = &eventsv1.Event_SetRecorded{SetRecorded: p}
		case *eventsv1.SessionRecorded:
			ev.Payload = &eventsv1.Event_SessionRecorded{SessionRecorded: p}
		case *eventsv1.WellnessReported:
			ev.Payload = &eventsv1.Event_WellnessReported{WellnessReported: p}
		case *eventsv1.ReadinessMeasured:
			ev.Payload = &eventsv1.Event_ReadinessMeasured{ReadinessMeasured: p}
		}
		data, _ := proto.Marshal(ev)
		ev.Id = events.DeterministicID("sim", string(data))
		*out = append(*out, ev)
	}
}

func roundTo(x, step float64) float64 { return math.Round(x/step) * step }

// pctFor is the RTS chart's %1RM for effective reps (reps + reps in reserve), interpolated.
func pctFor(effReps float64) float64 {
	chart := []float64{100, 100, 95.5, 92.2, 89.2, 86.3, 83.7, 81.1, 78.6, 76.2, 73.9, 71.7, 69.5, 67.4}
	if effReps <= 1 {
		return 100
	}
	if effReps >= 13 {
		return chart[13]
	}
	lo := int(effReps)
	return chart[lo] + (chart[lo+1]-chart[lo])*(effReps-float64(lo))
}
