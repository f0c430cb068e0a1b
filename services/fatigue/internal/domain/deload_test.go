package domain

import (
	"slices"
	"testing"
)

// programmingCall is a PROGRAMMING event as the state sees it: what it does, and the day it
// occurred on (processed in time, it is applied once that day has been concluded).
type programmingCall struct {
	on    int
	apply func(st *State, th Thresholds)
}

func scheduledOn(on, weekStart int) programmingCall {
	return programmingCall{on, func(st *State, _ Thresholds) { st.DeloadScheduled(day0+Day(on+1), day0+Day(weekStart)) }}
}

func completedOn(weekStart, endedOn int) programmingCall {
	return programmingCall{endedOn, func(st *State, th Thresholds) { st.DeloadCompleted(day0+Day(weekStart), day0+Day(endedOn), th) }}
}

// decisions concludes days 0..last with the rule holding on the days fire says (a synthetic
// assessment, as in TestHysteresisAndCooldown) and the PROGRAMMING calls applied all before
// day 0 (ahead) or each after the day it occurred on (in time, TRAINING as far ahead as it
// can be). It returns the days recommendations opened on and the cooldown shown each day.
func decisions(th Thresholds, calls []programmingCall, ahead bool, fire func(d int) bool, last int) ([]int, map[int]Day) {
	st := &State{FirstDay: day0, LastDay: day0}
	if ahead {
		for _, c := range calls {
			c.apply(st, th)
		}
	}
	var recs []int
	cooldowns := map[int]Day{}
	for d := 0; d <= last; d++ {
		day := day0 + Day(d)
		st.advanceTo(day, th)
		r := Result{Assessed: &Assessment{AsOf: day, Score: 10}}
		if fire(d) {
			r.Assessed.Score, r.RuleFired = 60, RuleTwoFamilies
		}
		st.conclude(&r, th, true)
		if r.NewRecommendation {
			recs = append(recs, d)
		}
		if c := r.Assessed.CooldownUntil; c != 0 {
			cooldowns[d] = c - day0
		}
		if !ahead {
			for _, c := range calls {
				if c.on == d {
					c.apply(st, th)
				}
			}
		}
	}
	return recs, cooldowns
}

func between(from, to int) func(int) bool { return func(d int) bool { return d >= from && d <= to } }

// A deload known from programming holds off recommendations on the days it concerns that began
// after programming said so, and only then, whether PROGRAMMING was processed far ahead of the
// training days or just in time. (Cooldown 21 days.)
func TestDeloadWindowsHoldOffInEventTime(t *testing.T) {
	th := DefaultThresholds()
	for _, c := range []struct {
		name      string
		calls     []programmingCall
		fire      func(int) bool
		last      int
		recs      []int
		cooldowns map[int]Day // the cooldown shown on some days
	}{
		{"the days before a scheduled deload week are not held off",
			[]programmingCall{scheduledOn(9, 14)}, between(12, 13), 13, []int{12}, map[int]Day{12: 33}},
		{"a scheduled deload holds off its week",
			[]programmingCall{scheduledOn(9, 14)}, between(15, 21), 21, []int{21}, map[int]Day{15: 20, 20: 20}},
		{"a deload scheduled during its week does not reach back to the day it was scheduled",
			[]programmingCall{scheduledOn(16, 14)}, between(16, 16), 16, []int{16}, nil},
		{"a deload scheduled during its week holds off from the next day",
			[]programmingCall{scheduledOn(16, 14)}, between(17, 21), 21, []int{21}, map[int]Day{17: 20}},
		{"a completed deload does not hold off its last day",
			[]programmingCall{completedOn(14, 20)}, between(20, 20), 20, []int{20}, nil},
		{"a completed deload holds off the cooldown after its last day",
			[]programmingCall{completedOn(14, 20)}, between(21, 42), 42, []int{42}, map[int]Day{21: 41, 41: 41}},
		{"the deload week, then the cooldown after it",
			[]programmingCall{scheduledOn(2, 14), completedOn(14, 20)}, between(14, 42), 42, []int{42}, map[int]Day{14: 20, 20: 20, 21: 41}},
		{"a recommendation's own cooldown, then a deload's",
			[]programmingCall{scheduledOn(2, 14), completedOn(14, 20)}, func(d int) bool { return d == 5 || d >= 30 }, 42,
			[]int{5, 42}, map[int]Day{5: 26, 30: 41}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, ahead := range []bool{true, false} {
				recs, cooldowns := decisions(th, c.calls, ahead, c.fire, c.last)
				if !slices.Equal(recs, c.recs) {
					t.Errorf("ahead %v: recommendations on days %v, want %v", ahead, recs, c.recs)
				}
				for d, want := range c.cooldowns {
					if cooldowns[d] != want {
						t.Errorf("ahead %v: cooldown shown on day %d through day %d, want %d", ahead, d, cooldowns[d], want)
					}
				}
			}
		})
	}
}

// The episode a deload treated closes once the deload's last day is over: not before, however
// early the completion is processed, and on arrival when it comes after that day.
func TestCompletedDeloadClosesEpisodeAfterItsLastDay(t *testing.T) {
	th := DefaultThresholds()
	for _, c := range []struct {
		name      string
		processOn int // -1: before day 0
		closedOn  int // the first day concluded with the episode closed
	}{
		{"processed ahead", -1, 21},
		{"processed in time", 20, 21},
		{"processed late", 30, 31},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &State{FirstDay: day0, LastDay: day0}
			complete := func() { st.DeloadCompleted(day0+14, day0+20, th) }
			if c.processOn < 0 {
				complete()
			}
			dr, watch := StatusDeloadRecommended, StatusWatch
			var recs []int
			for d := 0; d <= 42; d++ {
				st.advanceTo(day0+Day(d), th)
				// The rule holds from day 5 on: the episode stays open until the deload closes it.
				r := Result{Assessed: &Assessment{AsOf: day0 + Day(d), Score: 10}}
				if d >= 5 {
					r.Assessed.Score, r.RuleFired = 60, RuleTwoFamilies
				}
				st.conclude(&r, th, true)
				if r.NewRecommendation {
					recs = append(recs, d)
				}
				want := dr
				if d >= c.closedOn && d < 42 {
					want = watch // closed and cooling down
				}
				if d >= 5 && r.Assessed.Status != want {
					t.Errorf("day %d: status %v, want %v", d, r.Assessed.Status, want)
				}
				if d == c.processOn {
					complete()
				}
			}
			if !slices.Equal(recs, []int{5, 42}) {
				t.Errorf("recommendations on days %v, want 5 and 42 (after the deload's cooldown)", recs)
			}
			// Delivered again, the completion leaves the later episode open.
			complete()
			if !st.Episode.Open || st.Episode.LastRecommendationDay != day0+42 {
				t.Errorf("a replayed completion closed the episode opened on day 42: %+v", st.Episode)
			}
		})
	}
}

func TestDeloadWindowsBoundedAndPruned(t *testing.T) {
	th := DefaultThresholds()
	st := &State{FirstDay: day0, LastDay: day0}
	// A repeating program's planned deloads, every 4 weeks for a year and a half, all published
	// at once, twice (a redelivery).
	for range 2 {
		for k := 1; k <= 20; k++ {
			st.DeloadScheduled(day0, day0+Day(28*k))
		}
	}
	windows := slices.Clone(st.deloads)
	if len(windows) != maxDeloadWindows || windows[0].From != day0+28 || windows[len(windows)-1].From != day0+28*maxDeloadWindows {
		t.Fatalf("kept %d windows from %v to %v, want the %d soonest", len(windows), windows[0].From, windows[len(windows)-1].From, maxDeloadWindows)
	}
	st.advanceTo(day0+28*2+7, th)
	if got := slices.Clone(st.deloads); len(got) != maxDeloadWindows-2 || got[0].From != day0+28*3 {
		t.Errorf("after the first two deload weeks: %d windows from %v", len(got), got[0].From)
	}
	st.DeloadScheduled(day0, day0+28) // over: nothing to keep
	if got := slices.Clone(st.deloads); len(got) != maxDeloadWindows-2 {
		t.Errorf("a deload week already over was kept again: %d windows", len(got))
	}

	// With no cooldown a completion still closes the episode after the deload's last day, then
	// goes. (The days pass without assessments, which count as recovered: a long recovery keeps
	// the episode open until the deload closes it.)
	th.Rule.CooldownDays, th.Rule.RecoveryDays = 0, 28
	st = &State{FirstDay: day0, LastDay: day0, Episode: Episode{Open: true, LastRecommendationDay: day0}}
	st.DeloadCompleted(day0+1, day0+7, th)
	if _, held := st.CooldownThrough(day0 + 8); held {
		t.Error("a 0-day cooldown holds off the day after the deload")
	}
	st.advanceTo(day0+7, th)
	if !st.Episode.Open {
		t.Error("closed on the deload's last day")
	}
	st.advanceTo(day0+8, th)
	if st.Episode.Open || len(slices.Clone(st.deloads)) != 0 {
		t.Errorf("after the deload: open %v, windows %v", st.Episode.Open, slices.Clone(st.deloads))
	}
}
