package web

import (
	"context"
	"slices"
	"time"

	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
)

// complianceView is the board's line on today's check-ins: who has and has not reported.
type complianceView struct {
	Reported, Total int
	// Day is the team's today and Zone its time zone, in which the reports are counted.
	Day, Zone string
	// Missing are the names of those who have not reported today.
	Missing []string
}

// loadCompliance counts the athletes on the board who sent a wellness report on the team's
// today (the team's time zone, AuthService.GetTeam). It reads the stored reports with the
// coach's token (IngestionService.Export of the team's wellness since yesterday, UTC), so it
// needs no new RPC.
func (s *Server) loadCompliance(ctx context.Context, sess *session, team string, rows []rowView) (*complianceView, error) {
	if s.clients.Ingestion == nil || len(rows) == 0 {
		return nil, nil
	}
	loc := s.teamLocation(ctx, sess, team)
	ctx = withCredential(ctx, sess)
	now := s.opts.Now().In(loc)
	// Local "today" is within a day of UTC's in every time zone.
	since := now.UTC().AddDate(0, 0, -1)
	reports, err := s.exportRecords(ctx, team, "", ingestionv1.RecordKind_RECORD_KIND_WELLNESS, since)
	if err != nil {
		return nil, err
	}
	todayKey := now.Format(time.DateOnly)
	reported := map[string]bool{}
	for _, ev := range reports {
		if ev.GetOccurredAt().AsTime().In(loc).Format(time.DateOnly) == todayKey {
			reported[ev.GetAthleteId()] = true
		}
	}
	v := &complianceView{Total: len(rows), Day: todayKey, Zone: loc.String()}
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
