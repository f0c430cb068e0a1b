package app

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// athleteHistory is what one athlete's two streams hold, each in its own stream order.
type athleteHistory struct {
	athlete     string
	training    []*eventsv1.Event
	programming []*eventsv1.Event
}

// recommendedDay is an athlete and the day a recommendation was opened for.
type recommendedDay struct {
	athlete string
	day     domain.Day
}

func (r recommendedDay) String() string { return r.athlete + " " + r.day.String() }

func onlyOf(athlete string, recs []recommendedDay) []recommendedDay {
	var out []recommendedDay
	for _, r := range recs {
		if r.athlete == athlete {
			out = append(out, r)
		}
	}
	return out
}

// interleaving picks, event by event, which stream the next event comes from: true is TRAINING.
// Each stream keeps its own order whatever the picks.
type interleaving func(h athleteHistory, rng *rand.Rand) []bool

func programmingFirst(h athleteHistory, _ *rand.Rand) []bool {
	return slices.Concat(make([]bool, len(h.programming)), repeatTrue(len(h.training)))
}

func trainingFirst(h athleteHistory, _ *rand.Rand) []bool {
	return slices.Concat(repeatTrue(len(h.training)), make([]bool, len(h.programming)))
}

// byOccurrence delivers events in the order they happened: a service that keeps up.
func byOccurrence(h athleteHistory, _ *rand.Rand) []bool {
	before := make([]int, len(h.programming))
	for j, p := range h.programming {
		before[j] = countWhile(h.training, func(ev *eventsv1.Event) bool { return ev.GetOccurredAt().AsTime().Before(p.GetOccurredAt().AsTime()) })
	}
	return withTrainingBefore(h, before)
}

// justInTime delivers each PROGRAMMING event as late as it can be while no TRAINING of a later
// day than its own went first: TRAINING as far ahead as the event time allows.
func justInTime(h athleteHistory, _ *rand.Rand) []bool {
	return withTrainingBefore(h, latestInTime(h))
}

// aheadOfTraining is a random interleaving in which PROGRAMMING runs anywhere from far ahead of
// TRAINING (a TRAINING consumer that lags behind a ClickHouse outage or a big import) to just
// in time: each PROGRAMMING event goes after a random number of training events, from as
// many as the previous one to the most justInTime allows.
func aheadOfTraining(h athleteHistory, rng *rand.Rand) []bool {
	latest := latestInTime(h)
	before := make([]int, len(h.programming))
	prev := 0
	for j := range before {
		before[j] = prev + rng.IntN(latest[j]-prev+1)
		prev = before[j]
	}
	return withTrainingBefore(h, before)
}

// latestInTime counts, for each PROGRAMMING event, the training events that can go before it:
// those of its own day or earlier.
func latestInTime(h athleteHistory) []int {
	latest := make([]int, len(h.programming))
	for j, p := range h.programming {
		day := domain.DayOf(p.GetOccurredAt().AsTime())
		latest[j] = countWhile(h.training, func(ev *eventsv1.Event) bool { return domain.DayOf(ev.GetOccurredAt().AsTime()) <= day })
	}
	return latest
}

// countWhile counts the leading events that satisfy ok.
func countWhile(evs []*eventsv1.Event, ok func(*eventsv1.Event) bool) int {
	n := 0
	for n < len(evs) && ok(evs[n]) {
		n++
	}
	return n
}

// withTrainingBefore interleaves so that before[j] training events precede PROGRAMMING event j
// (before must not decrease).
func withTrainingBefore(h athleteHistory, before []int) []bool {
	var picks []bool
	ti := 0
	for _, n := range before {
		for ; ti < n; ti++ {
			picks = append(picks, true)
		}
		picks = append(picks, false)
	}
	return append(picks, repeatTrue(len(h.training)-ti)...)
}

func repeatTrue(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

// replay runs one athlete's history in the given interleaving through the per-event path of
// the service (Step for TRAINING, ObserveProgramming for PROGRAMMING) and returns the days
// recommendations were opened for. With restarts, the state also goes through its snapshot
// now and then, as it does when the service restarts or a partition moves.
func replay(t *testing.T, h athleteHistory, picks []bool, th domain.Thresholds, restarts *rand.Rand) []recommendedDay {
	t.Helper()
	st := &domain.State{}
	var out []recommendedDay
	ti, pi := 0, 0
	for _, takeTraining := range picks {
		if takeTraining {
			o, _ := Step(st, h.training[ti], th)
			ti++
			if o.Recommended != nil {
				out = append(out, recommendedDay{h.athlete, DayOf(o.Recommended.GetDeloadRecommended().GetAsOf())})
			}
		} else {
			ObserveProgramming(st, h.programming[pi], th)
			pi++
		}
		if restarts != nil && restarts.IntN(50) == 0 {
			data, err := st.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			st = &domain.State{}
			if err := st.UnmarshalBinary(data); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// programmingAt builds a PROGRAMMING event of the athlete.
func programmingAt(athlete string, at time.Time, id string, payload any) *eventsv1.Event {
	ev := &eventsv1.Event{Id: id, TeamId: "t1", AthleteId: athlete, Source: "programming", OccurredAt: timestamppb.New(at)}
	switch p := payload.(type) {
	case *eventsv1.DeloadScheduled:
		ev.Payload = &eventsv1.Event_DeloadScheduled{DeloadScheduled: p}
	case *eventsv1.DeloadDecided:
		ev.Payload = &eventsv1.Event_DeloadDecided{DeloadDecided: p}
	case *eventsv1.DeloadCompleted:
		ev.Payload = &eventsv1.Event_DeloadCompleted{DeloadCompleted: p}
	}
	return ev
}

// deloadWeek is a deload as programming publishes it: scheduled at one time, completed at the
// end of its week unless skipped.
type deloadWeek struct {
	id          string
	kind        commonv1.DeloadKind
	monday      time.Time
	scheduledAt time.Time
	// approvedAt is when a coach approved a deload that was pending approval (zero: none).
	approvedAt time.Time
	// skippedAt is when programming skipped a planned deload (zero: never): it is not completed,
	// nor published at all if that was to happen later.
	skippedAt time.Time
}

func (w deloadWeek) events(athlete string) []*eventsv1.Event {
	if !w.skippedAt.IsZero() && w.skippedAt.Before(w.scheduledAt) {
		return nil
	}
	week := WireDay(domain.DayOf(w.monday))
	status := commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED
	if !w.approvedAt.IsZero() {
		status = commonv1.DeloadStatus_DELOAD_STATUS_PENDING_APPROVAL
	}
	out := []*eventsv1.Event{programmingAt(athlete, w.scheduledAt, w.id+"-scheduled",
		&eventsv1.DeloadScheduled{DeloadId: w.id, Kind: w.kind, Status: status, WeekStart: week})}
	if !w.approvedAt.IsZero() {
		out = append(out, programmingAt(athlete, w.approvedAt, w.id+"-approved", &eventsv1.DeloadDecided{DeloadId: w.id, Kind: w.kind,
			Decision: commonv1.DeloadDecision_DELOAD_DECISION_APPROVE, Status: commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED, WeekStart: week}))
	}
	if w.skippedAt.IsZero() {
		last := w.monday.AddDate(0, 0, 6)
		out = append(out, programmingAt(athlete, last.AddDate(0, 0, 1).Add(-time.Second), w.id+"-completed",
			&eventsv1.DeloadCompleted{DeloadId: w.id, Kind: w.kind, WeekStart: week, EndedOn: WireDay(domain.DayOf(last))}))
	}
	return out
}

func programmingStream(athlete string, weeks []deloadWeek) []*eventsv1.Event {
	var out []*eventsv1.Event
	for _, w := range weeks {
		out = append(out, w.events(athlete)...)
	}
	slices.SortStableFunc(out, func(a, b *eventsv1.Event) int { return a.GetOccurredAt().AsTime().Compare(b.GetOccurredAt().AsTime()) })
	return out
}

// squadHistories simulates a squad, overreachers included, and the deloads programming would
// publish for it: planned deloads every 5 or 6 weeks (the first published when the program was
// assigned, the others a few days before their week, as a re-plan does), a deload a coach
// added in the middle of a week, and for each athlete's first recommendation a reactive deload
// the week after, approved by the coach the next day, with the planned deload it makes
// redundant skipped.
func squadHistories(t *testing.T, th domain.Thresholds) []athleteHistory {
	t.Helper()
	const weeks = 20
	sim := simulate.Generate(simulate.Config{Team: "t1", Athletes: 6, Overreachers: 4, Weeks: weeks, Seed: 42, OnsetFrom: 30, OnsetTo: 100})
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // simulate's default start, a Monday
	end := start.AddDate(0, 0, 7*weeks)
	var out []athleteHistory
	for i, truth := range sim.Truth {
		h := athleteHistory{athlete: truth.AthleteID}
		for _, ev := range sim.Events {
			if ev.GetAthleteId() == truth.AthleteID {
				h.training = append(h.training, ev)
			}
		}
		interval := 5 + i%2
		var plan []deloadWeek
		for n := interval; ; n += interval {
			monday := start.AddDate(0, 0, 7*(n-1))
			if !monday.AddDate(0, 0, 7).Before(end) {
				break
			}
			published := monday.AddDate(0, 0, -5).Add(9 * time.Hour)
			if n == interval {
				published = start.Add(9 * time.Hour)
			}
			plan = append(plan, deloadWeek{id: fmt.Sprintf("%s-planned-%d", truth.AthleteID, n), kind: commonv1.DeloadKind_DELOAD_KIND_PLANNED,
				monday: monday, scheduledAt: published})
		}
		if i == 1 {
			// A coach deloads the athlete from Wednesday of week 9, the week already under way.
			monday := start.AddDate(0, 0, 7*8)
			plan = append(plan, deloadWeek{id: truth.AthleteID + "-manual", kind: commonv1.DeloadKind_DELOAD_KIND_MANUAL,
				monday: monday, scheduledAt: monday.AddDate(0, 0, 2).Add(8 * time.Hour)})
		}
		h.programming = programmingStream(truth.AthleteID, plan)
		// The reactive deload answers the first recommendation the athlete gets with the planned
		// deloads alone, delivered as they happened.
		if recs := replay(t, h, byOccurrence(h, nil), th, nil); len(recs) > 0 {
			recAt := recs[0].day.Time().Add(18 * time.Hour)
			monday := recs[0].day.Time().AddDate(0, 0, 7-(int(recs[0].day.Time().Weekday())+6)%7)
			for j, p := range plan {
				if days := int(p.monday.Sub(monday).Hours() / 24); days >= 0 && days <= 10 {
					plan[j].skippedAt = recAt // DOMAIN: a planned deload within 10 days after a reactive one is skipped
				}
			}
			plan = append(plan, deloadWeek{id: truth.AthleteID + "-reactive", kind: commonv1.DeloadKind_DELOAD_KIND_REACTIVE,
				monday: monday, scheduledAt: recAt, approvedAt: recAt.Add(15 * time.Hour)})
			h.programming = programmingStream(truth.AthleteID, plan)
		}
		out = append(out, h)
	}
	return out
}

// The same TRAINING and PROGRAMMING histories give the same recommendations whatever their
// interleaving, as long as PROGRAMMING is not behind TRAINING in event time: a service that
// keeps up, one whose TRAINING consumer lags far behind PROGRAMMING (a ClickHouse outage, a big
// import), and everything in between. Now and then a state goes through its snapshot, as on a
// restart.
func TestRecommendationsDoNotDependOnInterleaving(t *testing.T) {
	th := domain.DefaultThresholds()
	histories := squadHistories(t, th)
	run := func(order interleaving, rng *rand.Rand) []recommendedDay {
		var all []recommendedDay
		for _, h := range histories {
			all = append(all, replay(t, h, order(h, rng), th, rng)...)
		}
		return all
	}
	want := run(byOccurrence, nil)
	recommended := map[string]bool{}
	for _, r := range want {
		recommended[r.athlete] = true
	}
	if len(recommended) < 3 {
		t.Fatalf("the squad must give several athletes a recommendation to compare; got %v", want)
	}
	t.Logf("in occurrence order: %v", want)
	check := func(name string, got []recommendedDay) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: recommendations %v, in occurrence order %v", name, got, want)
		}
	}
	check("all PROGRAMMING first", run(programmingFirst, nil))
	check("PROGRAMMING just in time", run(justInTime, nil))
	// PROGRAMMING behind TRAINING is the one order event time cannot undo: a day decided before
	// its deload was known keeps the recommendation it sent. With all TRAINING first, nothing
	// from PROGRAMMING was known on any day, so the recommendations are those of TRAINING
	// alone, and the late events leave them as they are.
	alone := run(func(h athleteHistory, _ *rand.Rand) []bool { return repeatTrue(len(h.training)) }, nil)
	if got := run(trainingFirst, nil); !slices.Equal(got, alone) {
		t.Errorf("all TRAINING first: recommendations %v, TRAINING alone %v", got, alone)
	}
	t.Logf("TRAINING alone (the deloads unknown): %v", alone)

	// 200 random interleavings (40 with -short), each of one athlete's streams, the athletes in
	// turn; they run in parallel (the histories are only read), each from its own seed.
	shuffles := 200
	if testing.Short() {
		shuffles = 40
	}
	seeds := rand.New(rand.NewPCG(2026, 12))
	for i := range shuffles {
		h, seed := histories[i%len(histories)], seeds.Uint64()
		t.Run(fmt.Sprintf("shuffle %d of %s", i, h.athlete), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0))
			got := replay(t, h, aheadOfTraining(h, rng), th, rng)
			if mine := onlyOf(h.athlete, want); !slices.Equal(got, mine) {
				t.Errorf("recommendations %v, in occurrence order %v", got, mine)
			}
		})
	}
}
