package adapters

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// Profile is an athlete's position group as last published by programming.
type Profile struct {
	Team, Athlete, Group string
	Active               bool
	Revision             uint64
}

// SaveProfiles records profile updates; the highest revision wins under FINAL.
func (r Repo) SaveProfiles(ctx context.Context, ps []Profile) error {
	if len(ps) == 0 {
		return nil
	}
	now := time.Now().UTC()
	rows := make([][]any, len(ps))
	for i, p := range ps {
		rows[i] = []any{p.Team, p.Athlete, p.Group, p.Active, p.Revision, now}
	}
	if err := r.Store.InsertBatch(ctx, "trend_athlete_profiles",
		[]string{"team_id", "athlete_id", "position_group", "active", "revision", "updated_at"}, rows); err != nil {
		return fmt.Errorf("save profiles: %w", err)
	}
	return nil
}

// GroupMembers returns the athletes of a position group (inactive ones included: their history
// stays in the group's trends).
func (r Repo) GroupMembers(ctx context.Context, team, group string) ([]string, error) {
	out := []string{}
	err := query(ctx, r.Store, "group members",
		"SELECT athlete_id FROM trend_athlete_profiles FINAL WHERE team_id = ? AND position_group = ? ORDER BY athlete_id",
		[]any{team, group}, func(rows store.Rows) error {
			var a string
			if err := rows.Scan(&a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	return out, err
}

// Groups returns a team's position groups with their active athletes.
func (r Repo) Groups(ctx context.Context, team string) (map[string][]string, error) {
	out := map[string][]string{}
	err := query(ctx, r.Store, "groups",
		"SELECT position_group, athlete_id FROM trend_athlete_profiles FINAL WHERE team_id = ? AND active = 1 AND position_group != '' ORDER BY position_group, athlete_id",
		[]any{team}, func(rows store.Rows) error {
			var g, a string
			if err := rows.Scan(&g, &a); err != nil {
				return err
			}
			out[g] = append(out[g], a)
			return nil
		})
	return out, err
}

// ActiveTeams returns the teams with assessments since the given day.
func (r Repo) ActiveTeams(ctx context.Context, since time.Time) ([]string, error) {
	var out []string
	err := query(ctx, r.Store, "active teams",
		"SELECT DISTINCT team_id FROM fatigue_assessments WHERE as_of >= toDate(?) ORDER BY team_id", []any{since},
		func(rows store.Rows) error {
			var t string
			if err := rows.Scan(&t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	return out, err
}

// StoredEpisode is a row of trend_episodes.
type StoredEpisode struct {
	ID       string
	Team     string
	Group    string
	Detected *eventsv1.TeamTrendDetected
	State    domain.Episode
}

var episodeColumns = []string{"episode_id", "team_id", "position_group", "rule", "week_start", "last_held_week", "is_open",
	"ended_week_start", "payload", "version"}

// SaveEpisode writes the episode's current state (a new version of its row).
func (r Repo) SaveEpisode(ctx context.Context, e StoredEpisode) error {
	payload, err := proto.Marshal(e.Detected)
	if err != nil {
		return fmt.Errorf("encode episode %s: %w", e.ID, err)
	}
	ended := e.State.Ended
	if ended.IsZero() {
		ended = time.Unix(0, 0).UTC()
	}
	row := []any{e.ID, e.Team, e.Group, uint8(e.Detected.GetRule()), e.State.Start, e.State.LastHeld, e.State.Open, ended,
		base64.StdEncoding.EncodeToString(payload), uint64(time.Now().UnixNano())}
	if err := r.Store.InsertBatch(ctx, "trend_episodes", episodeColumns, [][]any{row}); err != nil {
		return fmt.Errorf("save episode %s: %w", e.ID, err)
	}
	return nil
}

// Episodes lists a team's episodes that started within from..to (zero = open), newest first.
func (r Repo) Episodes(ctx context.Context, team string, from, to time.Time, openOnly bool) ([]StoredEpisode, error) {
	q := "SELECT episode_id, position_group, week_start, last_held_week, is_open, ended_week_start, payload FROM trend_episodes FINAL WHERE team_id = ?"
	args := []any{team}
	if !from.IsZero() {
		q += " AND week_start >= toDate(?)"
		args = append(args, from)
	}
	if !to.IsZero() {
		q += " AND week_start <= toDate(?)"
		args = append(args, to)
	}
	if openOnly {
		q += " AND is_open = 1"
	}
	q += " ORDER BY week_start DESC, episode_id"
	var out []StoredEpisode
	err := query(ctx, r.Store, "episodes", q, args, func(rows store.Rows) error {
		e := StoredEpisode{Team: team}
		var payload string
		var ended time.Time
		if err := rows.Scan(&e.ID, &e.Group, &e.State.Start, &e.State.LastHeld, &e.State.Open, &ended, &payload); err != nil {
			return err
		}
		if ended.Unix() > 0 {
			e.State.Ended = ended
		}
		raw, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return fmt.Errorf("episode %s payload: %w", e.ID, err)
		}
		e.Detected = &eventsv1.TeamTrendDetected{}
		if err := proto.Unmarshal(raw, e.Detected); err != nil {
			return fmt.Errorf("episode %s payload: %w", e.ID, err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
