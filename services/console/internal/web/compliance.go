package web

import (
	"context"
	"fmt"
	"slices"
	"time"

	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

// complianceView is the board's line on today's check-ins: who has and has not reported.
type complianceView struct {
	Reported, Total int
	// Missing are the names of those who have not reported today.
	Missing []string
}

// loadCompliance counts the athletes on the board who sent a wellness report on their own
// today (their profile's time zone, UTC without one). It reads the stored reports with the
// coach's token (IngestionService.Export of the team's wellness since yesterday, UTC), so it
// needs no new RPC; the profiles are read again for the time zones rather than threading them
// through the board's code.
func (s *Server) loadCompliance(ctx context.Context, sess *session, team string, rows []rowView) (*complianceView, error) {
	if s.clients.Ingestion == nil || len(rows) == 0 {
		return nil, nil
	}
	ctx = withCredential(ctx, sess)
	profiles, err := s.clients.Programming.ListAthleteProfiles(ctx, &programmingv1.ListAthleteProfilesRequest{TeamId: team})
	if err != nil {
		return nil, fmt.Errorf("athlete profiles: %w", err)
	}
	zones := map[string]*time.Location{}
	for _, p := range profiles.GetProfiles() {
		if loc, err := time.LoadLocation(p.GetTimeZone()); err == nil && p.GetTimeZone() != "" {
			zones[p.GetAthleteId()] = loc
		}
	}
	now := s.opts.Now()
	// Local "today" is within a day of UTC's in every time zone.
	since := now.UTC().AddDate(0, 0, -1)
	reports, err := s.exportRecords(ctx, team, "", ingestionv1.RecordKind_RECORD_KIND_WELLNESS, since)
	if err != nil {
		return nil, err
	}
	today := func(athlete string, t time.Time) bool {
		loc := zones[athlete]
		if loc == nil {
			loc = time.UTC
		}
		return t.In(loc).Format(time.DateOnly) == now.In(loc).Format(time.DateOnly)
	}
	reported := map[string]bool{}
	for _, ev := range reports {
		if today(ev.GetAthleteId(), ev.GetOccurredAt().AsTime()) {
			reported[ev.GetAthleteId()] = true
		}
	}
	v := &complianceView{Total: len(rows)}
	for _, r := range rows {
		if reported[r.AthleteID] {
			v.Reported++
		} else {
			v.Missing = append(v.Missing, r.Name)
		}
	}
	slices.Sort(v.Missing)
	return v, nil
}
