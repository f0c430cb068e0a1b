package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/ports"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

// analysis reads every ANALYSIS message on the team subject.
func analysis(t *testing.T, b *bus.Bus) []*eventsv1.Event {
	t.Helper()
	ctx := context.Background()
	s, err := b.JetStream().Stream(ctx, bus.StreamAnalysis)
	must(t, err)
	info, err := s.Info(ctx)
	must(t, err)
	var out []*eventsv1.Event
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		ev, err := events.Decode(m.Data)
		must(t, err)
		out = append(out, ev)
	}
	return out
}

var _ = jetstream.ErrMsgNotFound

// TestDetectorFlaggedShare: a squad of 6 where 2 overreach (a third) produces one
// TeamTrendDetected however often it is checked, and a TeamTrendEnded once the rule stops
// holding for a complete week.
func TestDetectorFlaggedShare(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		b, _ := bustest.New(t)
		var rows [][]any
		for i := 1; i <= 6; i++ {
			status := uint8(commonv1.AthleteStatus_ATHLETE_STATUS_OK)
			if i <= 2 {
				status = uint8(commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED)
			}
			at := day("2026-01-13").Add(8 * time.Hour)
			rows = append(rows, []any{fmt.Sprintf("f%d", i), "t9", fmt.Sprintf("a%d", i), day("2026-01-13"), at, status, 50.0, 0.8,
				[]uint8{}, "", "", at})
		}
		must(t, st.InsertBatch(ctx, "fatigue_assessments", []string{"event_id", "team_id", "athlete_id", "as_of", "assessed_at", "status",
			"score", "confidence", "abnormal_families", "rule_fired", "payload", "recorded_at"}, rows))
		now := day("2026-01-14").Add(12 * time.Hour)
		repo := adapters.Repo{Store: st}
		det := &app.Detector{Trends: app.Trends{Repo: repo}, Rules: domain.DefaultRules(), ID: events.DeterministicID,
			Now: func() time.Time { return now },
			Publish: func(ctx context.Context, ev *eventsv1.Event) error {
				_, err := events.Publish(ctx, b, ev)
				return err
			}}
		must(t, det.CheckTeam(ctx, "t9"))
		must(t, det.CheckTeam(ctx, "t9")) // same week again: no second event
		evs := analysis(t, b)
		if len(evs) != 1 || evs[0].GetTeamTrendDetected() == nil {
			t.Fatalf("events after two checks = %v; want one TeamTrendDetected", evs)
		}
		d := evs[0].GetTeamTrendDetected()
		if d.GetRule() != commonv1.TeamTrendRule_TEAM_TREND_RULE_FLAGGED_SHARE || d.GetSquadSize() != 6 || d.GetFlaggedCount() != 2 ||
			len(d.GetAthleteIds()) != 2 || d.GetAthleteIds()[0] != "a1" || len(d.GetEvidence()) == 0 ||
			d.GetWeekStart().GetDay() != 12 || evs[0].GetAthleteId() != "" {
			t.Errorf("detected = %v", d)
		}
		wantID := events.DeterministicID("team_trend", "t9", "", d.GetRule().String(), "2026-01-12")
		if d.GetEpisodeId() != wantID || evs[0].GetId() != events.DeterministicID("team_trend_detected", wantID) {
			t.Errorf("episode id %s / event id %s are not the deterministic ones", d.GetEpisodeId(), evs[0].GetId())
		}
		srv := &ports.Server{Trends: app.Trends{Repo: repo}, Now: func() time.Time { return now }}
		list, err := srv.ListTrendEpisodes(ctx, &trendsv1.ListTrendEpisodesRequest{TeamId: "t9", OpenOnly: true})
		must(t, err)
		if len(list.GetEpisodes()) != 1 || list.GetEpisodes()[0].GetEndedWeekStart() != nil {
			t.Fatalf("open episodes = %v", list)
		}

		// Two weeks later, no assessments in the complete week 01-19 nor in 01-26: it ends.
		now = day("2026-01-28").Add(12 * time.Hour)
		must(t, det.CheckTeam(ctx, "t9"))
		must(t, det.CheckTeam(ctx, "t9"))
		evs = analysis(t, b)
		if len(evs) != 2 || evs[1].GetTeamTrendEnded() == nil || evs[1].GetTeamTrendEnded().GetEpisodeId() != wantID {
			t.Fatalf("events = %v; want detected then ended", evs)
		}
		if e := evs[1].GetTeamTrendEnded().GetEndedWeekStart(); e.GetMonth() != 1 || e.GetDay() != 19 {
			t.Errorf("ended week = %v, want 2026-01-19", e)
		}
		list, err = srv.ListTrendEpisodes(ctx, &trendsv1.ListTrendEpisodesRequest{TeamId: "t9"})
		must(t, err)
		if len(list.GetEpisodes()) != 1 || list.GetEpisodes()[0].GetEndedWeekStart().GetDay() != 19 {
			t.Errorf("episodes = %v", list)
		}
	})
}

func TestParseQuery(t *testing.T) {
	today := day("2026-11-27")
	bad := []*trendsv1.GetTeamTrendsRequest{
		{},
		{TeamId: "t1.x"},
		{TeamId: "t1", AthleteIds: []string{"ok", "bad id"}},
		{TeamId: "t1", Metrics: []trendsv1.TrendMetric{99}},
		{TeamId: "t1", Bucket: 7},
		{TeamId: "t1", Weeks: 500},
		{TeamId: "t1", Range: &commonv1.DateRange{Start: &commonv1.Date{Year: 2026, Month: 2, Day: 30}}},
		{TeamId: "t1", Range: &commonv1.DateRange{Start: &commonv1.Date{Year: 2026, Month: 3, Day: 1}, End: &commonv1.Date{Year: 2026, Month: 2, Day: 1}}},
		{TeamId: "t1", Bucket: trendsv1.TrendBucket_TREND_BUCKET_DAY, Weeks: 60},
	}
	for i, req := range bad {
		if _, err := ports.ParseQuery(req, today); err == nil {
			t.Errorf("request %d (%v) accepted", i, req)
		}
	}
	q, err := ports.ParseQuery(&trendsv1.GetTeamTrendsRequest{TeamId: "t1"}, today)
	must(t, err)
	if len(q.Metrics) != 9 || q.Bucket != domain.Week || !q.Range.From.Equal(day("2026-09-07")) || q.Athletes != nil {
		t.Errorf("defaults = %+v", q)
	}
}
