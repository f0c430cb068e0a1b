// Package simulate generates a team's training data over weeks with known ground truth:
// athletes who progress normally and athletes who overreach from a known onset day (rising RPE
// at the same loads, e1RM flat then falling, slower bar speed, worse wellness and HRV), with
// realistic noise, skipped questionnaires, missed days and the odd hard week for everyone.
// The quality test measures the assessor on it and `make demo` streams it through ingestion.
package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Config shapes a simulated team.
type Config struct {
	Team string
	// Athletes in total, of which Overreachers overreach from an onset day.
	Athletes, Overreachers int
	Weeks                  int
	// Start is the first day (a Monday is natural; any day works).
	Start time.Time
	Seed  uint64
	// MissedDayRate is the chance an athlete sends nothing at all on a day (default 0.08);
	// SkippedReportRate the chance a wellness questionnaire is skipped (default 0.12).
	MissedDayRate, SkippedReportRate float64
	// OnsetFrom and OnsetTo bound the overreaching onset, in days from Start (default 42..70).
	OnsetFrom, OnsetTo int
	// Shape is what the team logs (default ShapeClassic, every signal).
	Shape Shape
	// SessionsPerWeek is how often the lifters of the non-classic shapes train: 2, 3 (default)
	// or 4.
	SessionsPerWeek int
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.Team == "" {
		c.Team = "sim"
	}
	if c.Athletes == 0 {
		c.Athletes = 30
	}
	if c.Weeks == 0 {
		c.Weeks = 12
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	}
	if c.MissedDayRate == 0 {
		c.MissedDayRate = 0.08
	}
	if c.SkippedReportRate == 0 {
		c.SkippedReportRate = 0.12
	}
	if c.OnsetFrom == 0 {
		c.OnsetFrom = 42
	}
	if c.OnsetTo == 0 {
		c.OnsetTo = min(70, c.Weeks*7-14)
	}
	if c.SessionsPerWeek == 0 {
		c.SessionsPerWeek = 3
	}
	return c
}

// Truth is the ground truth of one athlete.
type Truth struct {
	AthleteID   string
	Overreacher bool
	// Onset is the first day of overreaching (zero for normal progressors).
	Onset time.Time
	// HasVBT and HasHRV say which devices the athlete uses.
	HasVBT, HasHRV bool
	// Untouched is, in the shaped squads, each main lift's true e1RM in kg on every day had the
	// athlete not overreached, without the day-to-day noise: what an oracle compares the log
	// with to measure how early any detector could see an overreach (simulate's ceiling test).
	Untouched map[commonv1.LiftCategory][]float64
}

// Team is the generated data: every event in time order, and the truth per athlete.
type Team struct {
	Events []*eventsv1.Event
	Truth  []Truth
}

type lift struct {
	cat      commonv1.LiftCategory
	name     string
	mvt      float64
	e1rm     float64 // true capacity at Start
	exercise string
}

// weekly plan: the lifts trained on each weekday (0 = Monday).
var plan = map[int][]int{0: {0, 1}, 2: {2, 3}, 4: {0, 1}}

// Generate builds the team deterministically from cfg.Seed.
func Generate(cfg Config) Team {
	cfg = cfg.WithDefaults()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	if cfg.Shape != ShapeClassic {
		return generateShaped(cfg, rng)
	}
	var team Team
	for i := 0; i < cfg.Athletes; i++ {
		id := fmt.Sprintf("a%02d", i+1)
		t := Truth{AthleteID: id, Overreacher: i < cfg.Overreachers, HasVBT: rng.Float64() < 0.6, HasHRV: rng.Float64() < 0.5}
		onsetDay := -1
		if t.Overreacher {
			onsetDay = cfg.OnsetFrom + rng.IntN(cfg.OnsetTo-cfg.OnsetFrom+1)
			t.Onset = cfg.Start.AddDate(0, 0, onsetDay)
		}
		team.Truth = append(team.Truth, t)
		team.Events = append(team.Events, athlete(cfg, rng, t, onsetDay)...)
	}
	sort.SliceStable(team.Events, func(i, j int) bool {
		return team.Events[i].GetOccurredAt().AsTime().Before(team.Events[j].GetOccurredAt().AsTime())
	})
	return team
}

func athlete(cfg Config, rng *rand.Rand, t Truth, onsetDay int) []*eventsv1.Event {
	scale := 0.8 + 0.5*rng.Float64()
	lifts := []lift{
		{commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, "Squat (Barbell)", 0.30, 150 * scale, "Squat (Barbell)"},
		{commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, "Bench Press (Barbell)", 0.16, 105 * scale, "Bench Press (Barbell)"},
		{commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT, "Deadlift (Barbell)", 0.15, 180 * scale, "Deadlift (Barbell)"},
		{commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS, "Overhead Press (Barbell)", 0.19, 65 * scale, "Overhead Press (Barbell)"},
	}
	// Weekly gain of true strength and of the program's planned loads (the coach's
	// progression): normal progressors keep up with the plan.
	gain := 0.005 + 0.005*rng.Float64()
	morning := newMorningProfile(rng)
	// Everyone has a rough patch: a few days of poor sleep and motivation (exams, travel), and
	// some weeks with extra volume.
	roughStart := 20 + rng.IntN(cfg.Weeks*7-30)
	if onsetDay >= 0 && roughStart > onsetDay-10 && roughStart < onsetDay+20 {
		roughStart = max(14, onsetDay-30)
	}
	heavyWeek := map[int]bool{}
	for w := 2; w < cfg.Weeks; w++ {
		if rng.Float64() < 0.12 {
			heavyWeek[w] = true
		}
	}
	var out []*eventsv1.Event
	mk := eventMaker(cfg, t, &out)
	for day := 0; day < cfg.Weeks*7; day++ {
		if rng.Float64() < cfg.MissedDayRate {
			continue
		}
		week := day / 7
		// Overreaching ramps in over 3 days, then deepens slowly.
		over := 0.0
		if onsetDay >= 0 && day >= onsetDay {
			over = math.Min(1, float64(day-onsetDay+1)/3) + 0.02*float64(day-onsetDay)
		}
		rough := 0.0
		if day >= roughStart && day < roughStart+4 {
			rough = 1
		}
		// Morning readiness and wellness.
		if t.HasHRV && rng.Float64() < 0.85 {
			mk(day, 7, morning.readiness(rng, day, over))
		}
		if rng.Float64() >= cfg.SkippedReportRate {
			mk(day, 7.5, morning.wellness(rng, over, rough))
		}
		lifted, ok := plan[day%7]
		if !ok && !(heavyWeek[week] && day%7 == 5) {
			continue
		}
		if !ok {
			lifted = []int{0, 2}
		}
		session := fmt.Sprintf("%s-%s-d%d", cfg.Team, t.AthleteID, day)
		sets := 3
		if heavyWeek[week] {
			sets = 5
		}
		if onsetDay >= 0 && day >= onsetDay-10 {
			sets = 5 // overreaching follows a jump in volume
		}
		var rpeSum float64
		var n int
		for _, li := range lifted {
			l := lifts[li]
			planned := l.e1rm * (1 + gain*float64(week))
			capacity := planned * (1 + rng.NormFloat64()*0.012) * (1 - 0.07*math.Min(over, 1.5))
			load := math.Round(0.80*planned/2.5) * 2.5
			reps := 5
			for s := 1; s <= sets; s++ {
				pct := 100 * load / capacity
				rir := rirFor(pct, reps) - 0.3*float64(s-1)
				rpe := math.Max(6, math.Min(10, math.Round((10-rir+rng.NormFloat64()*0.3)*2)/2))
				set := &eventsv1.SetRecorded{SessionId: session, Exercise: l.exercise, LiftCategory: l.cat, LoadKg: load, Reps: uint32(reps),
					Rpe: proto.Float64(rpe), SetType: commonv1.SetType_SET_TYPE_WORKING, SetIndex: uint32(s), OriginalUnit: commonv1.WeightUnit_WEIGHT_UNIT_KG}
				if t.HasVBT {
					v := l.mvt + (1-pct/100)*1.4
					for r := 0; r < reps; r++ {
						set.RepVelocitiesMps = append(set.RepVelocitiesMps, math.Round(v*(1-0.02*float64(r))*(1+rng.NormFloat64()*0.025)*1000)/1000)
					}
				}
				rpeSum += rpe
				n++
				mk(day, 17+0.05*float64(n), set)
			}
		}
		srpe := math.Round(rpeSum/float64(n)*2)/2 - 1 + rng.NormFloat64()*0.3
		mk(day, 18.5, &eventsv1.SessionRecorded{SessionId: session, DurationMinutes: float64(45 + 6*sets), SessionRpe: proto.Float64(math.Max(1, math.Min(10, math.Round(srpe*2)/2))),
			Name: "Strength", Activity: "strength"})
	}
	return out
}

// rirFor inverts the RTS chart: the reps in reserve of reps at pct of 1RM.
func rirFor(pct float64, reps int) float64 {
	chart := []float64{0, 100, 95.5, 92.2, 89.2, 86.3, 83.7, 81.1, 78.6, 76.2, 73.9, 71.7, 69.5, 67.4}
	for n := 1; n < len(chart)-1; n++ {
		if pct <= chart[n] && pct >= chart[n+1] {
			eff := float64(n) + (chart[n]-pct)/(chart[n]-chart[n+1])
			return math.Max(0, eff-float64(reps))
		}
	}
	if pct > 100 {
		return 0
	}
	return 8
}

// morningProfile is how one athlete answers the morning questionnaire and what their devices
// read when rested; overreaching (over, 0-1 and beyond) and a rough few days (rough, 0 or 1)
// lower both.
type morningProfile struct {
	wellMean   [4]float64
	wellSD     float64
	lnHRV, cmj float64
}

func newMorningProfile(rng *rand.Rand) morningProfile {
	var m morningProfile
	for k := range m.wellMean {
		m.wellMean[k] = 3.4 + 0.8*rng.Float64()
	}
	m.wellSD = 0.45 + 0.25*rng.Float64()
	m.lnHRV = 4.0 + 0.4*rng.Float64()
	m.cmj = 35 + 10*rng.Float64()
	return m
}

// readiness is a morning HRV reading, with jumps on Tuesdays and Fridays.
func (m morningProfile) readiness(rng *rand.Rand, day int, over float64) *eventsv1.ReadinessMeasured {
	r := &eventsv1.ReadinessMeasured{HrvRmssdMs: proto.Float64(math.Exp(m.lnHRV - 0.12*over + rng.NormFloat64()*0.07))}
	if day%7 == 1 || day%7 == 4 {
		r.CmjHeightCm = proto.Float64(m.cmj * (1 - 0.05*over + rng.NormFloat64()*0.02))
		r.CmjJumpCount = proto.Uint32(3)
	}
	return r
}

// wellness is a morning questionnaire on the 1-5 scales.
func (m morningProfile) wellness(rng *rand.Rand, over, rough float64) *eventsv1.WellnessReported {
	item := func(k int, drop float64) *uint32 {
		v := math.Round(m.wellMean[k] - drop + rng.NormFloat64()*m.wellSD)
		return proto.Uint32(uint32(math.Max(1, math.Min(5, v))))
	}
	return &eventsv1.WellnessReported{
		Fatigue:      item(0, 1.0*over+0.6*rough),
		SleepQuality: item(1, 0.8*over+1.0*rough),
		Soreness:     item(2, 1.0*over+0.3*rough),
		Motivation:   item(3, 0.9*over+0.8*rough),
		Stress:       item(3, 0.3*rough),
		Mood:         item(3, 0.5*over),
	}
}
