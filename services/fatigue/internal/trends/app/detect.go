package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// Publisher publishes an event and returns once the stream has it (deduplicated on its id).
type Publisher func(ctx context.Context, ev *eventsv1.Event) error

// IDer derives deterministic ids (events.DeterministicID).
type IDer func(parts ...string) string

// TeamZones tells the detector each team's time zone (auth.TeamZones, which follows the
// teams' records).
type TeamZones interface {
	Zone(team string) *time.Location
}

// Detector checks teams for team-wide trends and publishes one TeamTrendDetected per episode
// and a TeamTrendEnded when it ends. Checks are serialised, so the periodic and the
// event-driven check never race on one episode.
//
// Weeks are the team's: Monday to Sunday in its time zone (Zones), so a set at 23:30 on a
// Sunday counts in the week it ends, wherever the team is. Without Zones every team is in UTC.
type Detector struct {
	Trends  Trends
	Rules   domain.Rules
	Publish Publisher
	ID      IDer
	Now     func() time.Time
	Zones   TeamZones

	mu sync.Mutex
}

// zone is team's time zone as adapters.Filter takes it: nil for UTC, so UTC teams keep reading
// the UTC-day rollups.
func (d *Detector) zone(team string) *time.Location {
	if d.Zones == nil {
		return nil
	}
	loc := d.Zones.Zone(team)
	if loc == nil || loc == time.UTC || loc.String() == "UTC" || loc.String() == "Etc/UTC" {
		return nil
	}
	return loc
}

// squad is the team or one position group.
type squad struct {
	group    string
	athletes []string // nil: whole team
}

// CheckTeam evaluates every rule for the team and each position group on the latest complete
// week and the current week, and advances their episodes.
func (d *Detector) CheckTeam(ctx context.Context, team string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	zone := d.zone(team)
	today := domain.Today(d.Now(), zone)
	cur := domain.Monday(today)
	prev := cur.AddDate(0, 0, -7)
	squads := []squad{{}}
	groups, err := d.Trends.Repo.Groups(ctx, team)
	if err != nil {
		return err
	}
	for g, members := range groups {
		squads = append(squads, squad{group: g, athletes: members})
	}
	stored, err := d.Trends.Repo.Episodes(ctx, team, time.Time{}, time.Time{}, false)
	if err != nil {
		return err
	}
	latest := map[string]adapters.StoredEpisode{} // by group/rule: the open one, else the newest
	for _, e := range stored {
		k := e.Group + "/" + e.Detected.GetRule().String()
		if cur, ok := latest[k]; !ok || (e.State.Open && !cur.State.Open) {
			latest[k] = e
		}
	}
	var errs []error
	for _, sq := range squads {
		prevWeek, err := d.squadWeek(ctx, team, zone, sq, prev, prev.AddDate(0, 0, 6))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		curWeek, err := d.squadWeek(ctx, team, zone, sq, cur, today)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		prevFindings, curFindings := d.Rules.Evaluate(prevWeek), d.Rules.Evaluate(curWeek)
		for i, f := range curFindings {
			k := sq.group + "/" + WireRule(f.Rule).String()
			var ep *domain.Episode
			old, had := latest[k]
			if had {
				ep = &old.State
			}
			next, opened, ended := domain.Step(ep, prevFindings[i].Holds, f.Holds, prev, cur)
			switch {
			case opened:
				errs = append(errs, d.open(ctx, team, sq, curWeek, f, next))
			case ended:
				errs = append(errs, d.end(ctx, old, next))
			case had && old.State.Open && !next.LastHeld.Equal(old.State.LastHeld):
				old.State = next
				errs = append(errs, d.Trends.Repo.SaveEpisode(ctx, old))
			}
		}
	}
	return errors.Join(errs...)
}

func (d *Detector) open(ctx context.Context, team string, sq squad, w domain.SquadWeek, f domain.Finding, st domain.Episode) error {
	id := d.ID("team_trend", team, sq.group, WireRule(f.Rule).String(), st.Start.Format(time.DateOnly))
	flagged := len(w.Flagged)
	det := &eventsv1.TeamTrendDetected{
		EpisodeId: id, Rule: WireRule(f.Rule), WeekStart: WireDate(st.Start), PositionGroup: sq.group,
		AthleteIds: f.Athletes, SquadSize: uint32(len(w.Squad)), FlaggedCount: uint32(flagged), Evidence: wireEvidence(f.Evidence),
		SuggestsTeamDeload: true, Severity: commonv1.Severity_SEVERITY_CRITICAL,
	}
	if len(w.Squad) > 0 {
		det.FlaggedShare = float64(flagged) / float64(len(w.Squad))
	}
	who := "Team " + team
	if sq.group != "" {
		who += " (" + sq.group + ")"
	}
	det.Summary = fmt.Sprintf("%s: %s. Consider a team deload.", who, f.Summary)
	ev := &eventsv1.Event{Id: d.ID("team_trend_detected", id), TeamId: team, OccurredAt: timestamppb.New(d.Now()), Source: "fatigue",
		Payload: &eventsv1.Event_TeamTrendDetected{TeamTrendDetected: det}}
	// Publish before saving: a failed save retries with the same event id, which the stream
	// deduplicates, whereas a saved but unpublished episode would never be announced.
	if err := d.Publish(ctx, ev); err != nil {
		return fmt.Errorf("publish team trend %s: %w", id, err)
	}
	return d.Trends.Repo.SaveEpisode(ctx, adapters.StoredEpisode{ID: id, Team: team, Group: sq.group, Detected: det, State: st})
}

func (d *Detector) end(ctx context.Context, e adapters.StoredEpisode, st domain.Episode) error {
	ended := &eventsv1.TeamTrendEnded{EpisodeId: e.ID, Rule: e.Detected.GetRule(), PositionGroup: e.Group,
		EndedWeekStart: WireDate(st.Ended)}
	ev := &eventsv1.Event{Id: d.ID("team_trend_ended", e.ID), TeamId: e.Team, OccurredAt: timestamppb.New(d.Now()), Source: "fatigue",
		Payload: &eventsv1.Event_TeamTrendEnded{TeamTrendEnded: ended}}
	if err := d.Publish(ctx, ev); err != nil {
		return fmt.Errorf("publish team trend end %s: %w", e.ID, err)
	}
	e.State = st
	return d.Trends.Repo.SaveEpisode(ctx, e)
}

// wellnessCore are the 1-5 items (indexes into adapters.WellnessColumns) the falling-wellness
// rule averages.
const wellnessCore = 6

// squadWeek gathers what the rules need for one squad and week (week..end, days of zone; nil
// is UTC).
func (d *Detector) squadWeek(ctx context.Context, team string, zone *time.Location, sq squad, week, end time.Time) (domain.SquadWeek, error) {
	w := domain.SquadWeek{Week: week}
	f := adapters.Filter{Team: team, Athletes: sq.athletes, From: week, To: end, Bucket: domain.Week, Zone: zone}
	sts, err := d.Trends.Repo.Statuses(ctx, f)
	if err != nil {
		return w, err
	}
	for _, s := range sts {
		w.Squad = append(w.Squad, s.Athlete)
		if s.Status >= uint8(commonv1.AthleteStatus_ATHLETE_STATUS_WATCH) {
			w.Flagged = append(w.Flagged, s.Athlete)
		}
	}
	rf := f
	rf.From = week.AddDate(0, 0, -7*d.Rules.RPERisingWeeks)
	weekly, _, err := d.Trends.rpeWeeklyFor(ctx, rf)
	if err != nil {
		return w, err
	}
	for wk := rf.From; !wk.After(week); wk = wk.AddDate(0, 0, 7) {
		v, ok := domain.Median(values(weekly[wk]))
		w.RPE = append(w.RPE, domain.WeekValue{Week: wk, Value: v, OK: ok})
	}
	for a := range weekly[week] {
		w.RPEAthletes = append(w.RPEAthletes, a)
	}
	// Team ACWR: the ACWR of the squad's summed daily session load.
	lf := f
	lf.From = week.AddDate(0, 0, -domain.ACWRLookbackDays)
	daily, err := d.Trends.Repo.DailySessionLoad(ctx, lf)
	if err != nil {
		return w, err
	}
	team1 := map[time.Time]float64{}
	var first time.Time
	seen := map[string]bool{}
	for _, x := range daily {
		day := domain.Date(x.Day)
		team1[day] += x.LoadAU
		if first.IsZero() || day.Before(first) {
			first = day
		}
		if !day.Before(week) && !seen[x.Athlete] {
			seen[x.Athlete] = true
			w.LoadAthletes = append(w.LoadAthletes, x.Athlete)
		}
	}
	firsts, err := d.Trends.Repo.FirstLoadDays(ctx, f)
	if err != nil {
		return w, err
	}
	for _, fd := range firsts {
		if first.IsZero() || fd.Before(first) {
			first = fd
		}
	}
	if v, ok := domain.ACWRAt(team1, lf.From, first, end); ok {
		w.ACWR = domain.WeekValue{Week: week, Value: v, OK: true}
	}
	wf := f
	wf.From = week.AddDate(0, 0, -7)
	wbs, err := d.Trends.Repo.Wellness(ctx, wf)
	if err != nil {
		return w, err
	}
	for _, wb := range wbs {
		var sum float64
		var n uint64
		for i := 0; i < wellnessCore; i++ {
			sum += wb.Sums[i]
			n += wb.Counts[i]
		}
		if n == 0 {
			continue
		}
		v := domain.WeekValue{Week: wb.Bucket, Value: sum / float64(n), OK: true}
		if wb.Bucket.Equal(week) {
			w.Wellness = v
		} else {
			w.PrevWellness = v
		}
	}
	return w, nil
}
