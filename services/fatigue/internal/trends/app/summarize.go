package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// Summarizer keeps trend_athlete_days (migration 0602) up to date, so that answers read the
// athlete days instead of computing them from the raw tables. It is not safe for concurrent use;
// the service runs one pass at a time.
type Summarizer struct {
	Trends Trends
	// Settle is how long a pass waits after reading the insert counts before it reads the raw
	// rows. chDB commits the insert count's part and the table's part of one INSERT one after
	// the other, so for a moment a count may be visible before its rows; a summary computed in
	// that moment would claim rows it did not read. The wait outlasts that moment by far.
	Settle time.Duration
	Now    func() time.Time

	// checked holds each team's insert total when a pass last found (or left) all its days
	// summarized: a pass skips the teams whose total has not moved, so an idle platform costs one
	// small query per pass instead of two per team.
	checked map[string]uint64
}

// DefaultSettle is Summarizer.Settle in the service.
const DefaultSettle = time.Second

// allDays is the first day DayInserts keeps apart: a pass reads every day's count.
var allDays = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// summaryHorizon bounds the insert counts a pass reads: later than any day ingestion accepts.
var summaryHorizon = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// SummarizeAll summarizes every team with rows inserted since its last check; it returns the
// days written.
func (s *Summarizer) SummarizeAll(ctx context.Context) (int, error) {
	totals, err := s.Trends.Repo.InsertTotals(ctx)
	if err != nil {
		return 0, err
	}
	if s.checked == nil {
		s.checked = map[string]uint64{}
	}
	written := 0
	for _, team := range slices.Sorted(maps.Keys(totals)) {
		if seen, ok := s.checked[team]; ok && seen == totals[team] {
			continue
		}
		n, err := s.SummarizeTeam(ctx, team)
		written += n
		if err != nil {
			return written, fmt.Errorf("summarize team %s: %w", team, err)
		}
		// The total read before this team's pass: rows inserted during it move the total and
		// bring the team back next pass.
		s.checked[team] = totals[team]
	}
	return written, nil
}

// SummarizeTeam recomputes, for every athlete of team with a day whose stored summary is missing
// or stale (see migration 0602), their days from the earliest such day on, and stores them with
// the insert counts read before the raw rows as tokens. It returns the days written.
func (s *Summarizer) SummarizeTeam(ctx context.Context, team string) (int, error) {
	f := adapters.Filter{Team: team, To: summaryHorizon}
	counts, err := s.Trends.Repo.DayInserts(ctx, f, allDays)
	if err != nil {
		return 0, err
	}
	tokens, err := s.Trends.Repo.SummaryTokens(ctx, team)
	if err != nil {
		return 0, err
	}
	from := map[string]time.Time{}
	var first, last time.Time
	for a, c := range counts {
		stored := tokens[a]
		for i, cum := range c.Cumulative() {
			d := c.Days[i]
			if tok, ok := stored[d.Unix()]; ok && tok == cum {
				continue
			}
			from[a] = d
			if first.IsZero() || d.Before(first) {
				first = d
			}
			if end := c.Days[len(c.Days)-1]; end.After(last) {
				last = end
			}
			break
		}
	}
	if len(from) == 0 {
		return 0, nil
	}
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(s.Settle):
	}
	f.From, f.To = first, last
	for a := range from {
		f.Athletes = append(f.Athletes, a)
	}
	f.Bucket = domain.Day
	in, err := s.Trends.rawInputs(ctx, f, first)
	if err != nil {
		return 0, err
	}
	days := in.storedDays()
	cumulative := make(map[string][]uint64, len(from))
	for a := range from {
		cumulative[a] = counts[a].Cumulative()
	}
	keep := days[:0]
	for _, d := range days {
		start, ok := from[d.Athlete]
		if !ok || d.Day.Before(start) {
			continue // unchanged since its stored summary
		}
		d.Token = tokenAt(counts[d.Athlete], cumulative[d.Athlete], d.Day)
		keep = append(keep, d)
	}
	if err := s.Trends.Repo.SaveDays(ctx, team, keep, uint64(s.Now().UnixNano())); err != nil {
		return 0, err
	}
	return len(keep), nil
}

// tokenAt is the athlete's insert count up to day as read (cum is c.Cumulative()): for a day
// with rows inserted after the read, the count before them, so that day reads as stale until
// the next pass.
func tokenAt(c adapters.InsertCounts, cum []uint64, day time.Time) uint64 {
	n := sort.Search(len(c.Days), func(i int) bool { return c.Days[i].After(day) }) // days up to day
	if n == 0 {
		return c.Before
	}
	return cum[n-1]
}
