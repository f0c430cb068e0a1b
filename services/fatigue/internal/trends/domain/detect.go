package domain

import (
	"fmt"
	"sort"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Rules is the configuration of team-trend detection (docs/sports-science.md "Team-wide trends").
type Rules struct {
	// FlaggedShare: at least this share of the squad flagged (WATCH or worse) in one week.
	FlaggedShare float64
	// MinSquad: squads (or groups) smaller than this are not judged by the share rule, so one
	// flagged athlete out of two is not a "team" trend.
	MinSquad int
	// RPERisingWeeks: the team median RPE deviation at familiar loads rose this many weeks in a
	// row (so RPERisingWeeks+1 consecutive weekly values are needed).
	RPERisingWeeks int
	// MinRPEDrift: the latest weekly median must be above this (RPE points over baseline), so a
	// recovery from below baseline is not a drift.
	MinRPEDrift float64
	// ACWRHigh: the team session-load ACWR at or above this...
	ACWRHigh float64
	// WellnessDrop: ...while the team's mean wellness (1-5 items) fell by at least this vs the
	// previous week.
	WellnessDrop float64
}

// DefaultRules are the defaults of docs/sports-science.md.
func DefaultRules() Rules {
	return Rules{FlaggedShare: 0.30, MinSquad: 3, RPERisingWeeks: 3, MinRPEDrift: 0, ACWRHigh: 1.5, WellnessDrop: 0.1}
}

// Validate reports the first unusable setting.
func (r Rules) Validate() error {
	switch {
	case r.FlaggedShare <= 0 || r.FlaggedShare > 1:
		return fmt.Errorf("flagged share %v: must be in (0, 1]", r.FlaggedShare)
	case r.MinSquad < 1:
		return fmt.Errorf("min squad %d: must be at least 1", r.MinSquad)
	case r.RPERisingWeeks < 1:
		return fmt.Errorf("rpe rising weeks %d: must be at least 1", r.RPERisingWeeks)
	case r.ACWRHigh <= 0:
		return fmt.Errorf("acwr high %v: must be positive", r.ACWRHigh)
	case r.WellnessDrop < 0:
		return fmt.Errorf("wellness drop %v: must not be negative", r.WellnessDrop)
	}
	return nil
}

// WeekValue is a team value for one week; OK is false when there was no data.
type WeekValue struct {
	Week  time.Time
	Value float64
	OK    bool
}

// SquadWeek is what the rules look at for one squad (team or position group) and week.
type SquadWeek struct {
	Week time.Time
	// Squad: athletes assessed that week; Flagged: those WATCH or worse at some point that week.
	Squad, Flagged []string
	// RPE: weekly team median RPE deviation at familiar loads, oldest first, ending at Week.
	RPE []WeekValue
	// RPEAthletes: athletes with familiar-load exposures in Week.
	RPEAthletes []string
	// ACWR: team session-load ACWR at the end of Week (or today).
	ACWR WeekValue
	// Wellness and PrevWellness: mean of the 1-5 wellness items in Week and the week before.
	Wellness, PrevWellness WeekValue
	// LoadAthletes: athletes with session load in Week.
	LoadAthletes []string
}

// Finding is one rule's verdict on one squad week, with its evidence.
type Finding struct {
	Rule     commonv1.TeamTrendRule
	Holds    bool
	Athletes []string
	Evidence []*eventsv1.Evidence
	Summary  string
}

// Evaluate applies the three rules to a squad week.
func (r Rules) Evaluate(w SquadWeek) []Finding {
	return []Finding{r.flaggedShare(w), r.rpeDrift(w), r.loadSpike(w)}
}

func ptr(v float64) *float64 { return &v }

func (r Rules) flaggedShare(w SquadWeek) Finding {
	f := Finding{Rule: commonv1.TeamTrendRule_TEAM_TREND_RULE_FLAGGED_SHARE, Athletes: sorted(w.Flagged)}
	ev := &eventsv1.Evidence{Metric: "flagged_share", Unit: "share", Threshold: ptr(r.FlaggedShare), WindowDays: 7,
		Dates: []*commonv1.Date{DateProto(w.Week)}}
	if len(w.Squad) < r.MinSquad {
		ev.InsufficientData = true
		ev.Detail = fmt.Sprintf("%d athletes assessed this week; the share rule needs at least %d", len(w.Squad), r.MinSquad)
		f.Evidence = []*eventsv1.Evidence{ev}
		return f
	}
	share := float64(len(w.Flagged)) / float64(len(w.Squad))
	ev.Value = ptr(share)
	f.Holds = share >= r.FlaggedShare
	ev.Abnormal = f.Holds
	ev.Detail = fmt.Sprintf("%d of %d athletes (%.0f%%) flagged in the week of %s; threshold %.0f%%",
		len(w.Flagged), len(w.Squad), 100*share, w.Week.Format(time.DateOnly), 100*r.FlaggedShare)
	f.Evidence = []*eventsv1.Evidence{ev}
	f.Summary = ev.Detail
	return f
}

func (r Rules) rpeDrift(w SquadWeek) Finding {
	f := Finding{Rule: commonv1.TeamTrendRule_TEAM_TREND_RULE_RPE_DRIFT, Athletes: sorted(w.RPEAthletes)}
	need := r.RPERisingWeeks + 1
	ev := &eventsv1.Evidence{Family: commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS, Metric: "team_median_rpe_drift",
		Unit: "rpe", Threshold: ptr(r.MinRPEDrift), WindowDays: uint32(7 * need)}
	if len(w.RPE) < need {
		ev.InsufficientData = true
		ev.Detail = fmt.Sprintf("%d weekly values; the rule needs %d", len(w.RPE), need)
		f.Evidence = []*eventsv1.Evidence{ev}
		return f
	}
	tail := w.RPE[len(w.RPE)-need:]
	rising := 0
	for i, v := range tail {
		if !v.OK {
			ev.InsufficientData = true
			ev.Detail = fmt.Sprintf("no familiar-load exposures in the week of %s", v.Week.Format(time.DateOnly))
			f.Evidence = []*eventsv1.Evidence{ev}
			return f
		}
		ev.Dates = append(ev.Dates, DateProto(v.Week))
		if i > 0 && v.Value > tail[i-1].Value {
			rising++
		}
	}
	last := tail[len(tail)-1]
	ev.Value = ptr(last.Value)
	ev.Baseline = ptr(tail[0].Value)
	ev.AbnormalDays = uint32(rising)
	f.Holds = rising == r.RPERisingWeeks && last.Value > r.MinRPEDrift
	ev.Abnormal = f.Holds
	ev.Detail = fmt.Sprintf("team median RPE at familiar loads %+.2f vs %+.2f %d weeks earlier, rising %d of %d weeks",
		last.Value, tail[0].Value, r.RPERisingWeeks, rising, r.RPERisingWeeks)
	f.Evidence = []*eventsv1.Evidence{ev}
	f.Summary = ev.Detail
	return f
}

func (r Rules) loadSpike(w SquadWeek) Finding {
	f := Finding{Rule: commonv1.TeamTrendRule_TEAM_TREND_RULE_LOAD_SPIKE_FALLING_WELLNESS, Athletes: sorted(w.LoadAthletes)}
	acwr := &eventsv1.Evidence{Family: commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE, Metric: "team_acwr", Unit: "ratio",
		Threshold: ptr(r.ACWRHigh), WindowDays: ChronicDays}
	well := &eventsv1.Evidence{Family: commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP, Metric: "team_wellness_mean", Unit: "1-5",
		WindowDays: 14}
	f.Evidence = []*eventsv1.Evidence{acwr, well}
	if !w.ACWR.OK {
		acwr.InsufficientData = true
		acwr.Detail = "team ACWR hidden (under 28 days of session load)"
	} else {
		acwr.Value = ptr(w.ACWR.Value)
		acwr.Abnormal = w.ACWR.Value >= r.ACWRHigh
		acwr.Detail = fmt.Sprintf("team session-load ACWR %.2f; threshold %.2f", w.ACWR.Value, r.ACWRHigh)
	}
	if !w.Wellness.OK || !w.PrevWellness.OK {
		well.InsufficientData = true
		well.Detail = "no wellness reports this week or the week before"
	} else {
		well.Value = ptr(w.Wellness.Value)
		well.Baseline = ptr(w.PrevWellness.Value)
		well.Threshold = ptr(w.PrevWellness.Value - r.WellnessDrop)
		well.Abnormal = w.Wellness.Value <= w.PrevWellness.Value-r.WellnessDrop
		well.Detail = fmt.Sprintf("team wellness mean %.2f vs %.2f the week before; falling means at most %.2f",
			w.Wellness.Value, w.PrevWellness.Value, w.PrevWellness.Value-r.WellnessDrop)
	}
	f.Holds = acwr.Abnormal && well.Abnormal
	f.Summary = acwr.Detail + "; " + well.Detail
	return f
}

func sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

// DateProto converts a UTC day to the wire Date.
func DateProto(d time.Time) *commonv1.Date {
	y, m, dd := d.Date()
	return &commonv1.Date{Year: int32(y), Month: int32(m), Day: int32(dd)}
}

// Episode is the state of one (team, group, rule) episode.
type Episode struct {
	Start, LastHeld time.Time
	Open            bool
	Ended           time.Time // Monday of the first week the rule no longer held
}

// Step advances an episode with the verdicts for the latest complete week (prev) and the
// current week (cur). A rule holding in the current week opens an episode (start = cur) unless
// one is open; an open episode ends only once a complete week and the current week both do not
// hold, so a verdict flipping back and forth mid-week neither ends nor reopens it (one
// TeamTrendDetected per episode). ep is nil when no episode was ever opened for cur.
func Step(ep *Episode, holdsPrev, holdsCur bool, prev, cur time.Time) (next Episode, opened, ended bool) {
	if ep == nil || !ep.Open {
		if holdsCur && (ep == nil || !ep.Start.Equal(cur)) {
			return Episode{Start: cur, LastHeld: cur, Open: true}, true, false
		}
		if ep == nil {
			return Episode{}, false, false
		}
		return *ep, false, false
	}
	next = *ep
	if holdsCur {
		next.LastHeld = cur
		return next, false, false
	}
	if holdsPrev && !next.LastHeld.After(prev) {
		next.LastHeld = prev
	}
	if holdsPrev || next.LastHeld.After(prev) || prev.Before(next.Start) {
		return next, false, false
	}
	next.Open = false
	next.Ended = next.LastHeld.AddDate(0, 0, 7)
	if next.Ended.After(prev) {
		next.Ended = prev
	}
	return next, false, true
}
