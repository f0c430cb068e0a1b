package app_test

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

func TestMain(m *testing.M) { os.Exit(trendstest.Main(m)) }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var setCols = []string{"event_id", "team_id", "athlete_id", "occurred_at", "day", "recorded_at", "exercise", "lift_category",
	"set_type", "load_kg", "reps", "rpe", "effective_rir", "volume_load_kg", "is_working", "is_hard_set", "e1rm_kg"}

// set is one stored set row; rpe 0 means unrated, e1rm 0 means none.
func set(id, athlete, d, exercise, lift string, working bool, load float64, reps uint32, rpe, e1rm float64) []any {
	at := day(d).Add(17 * time.Hour)
	var rpeV, rirV, e1 any
	hard := false
	if rpe > 0 {
		rpeV, rirV = rpe, 10-rpe
		hard = working && 10-rpe <= 3
	}
	if e1rm > 0 {
		e1 = e1rm
	}
	typ := "working"
	if !working {
		typ = "warm_up"
	}
	return []any{id, "t1", athlete, at, at, at, exercise, lift, typ, load, reps, rpeV, rirV, load * float64(reps), working, hard, e1}
}

// seed writes the hand-checkable squad: athlete a squats, athlete b benches, two weeks.
//
//	week 2026-01-05: a 3x(100x5 @8) squat e1RM 120 + a 60x5 warm-up; b 2x(80x5 @7) bench e1RM 100
//	week 2026-01-12: a 3x(100x5 @9) squat e1RM 126;                 b 2x(80x5 @7) bench e1RM 95
//	sessions: a 60 min sRPE 7 on 01-05 (420 au); b a session without sRPE on 01-06
//	wellness: a fatigue 3 soreness 2 on 01-05; b fatigue 5, soreness skipped, on 01-06
//	assessments: a OK on 01-05 then WATCH on 01-07; b OK on 01-06
//	profiles: a forwards, b backs
func seed(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	rows := [][]any{
		set("s1", "a", "2026-01-05", "Back Squat", "squat", true, 100, 5, 8, 120),
		set("s2", "a", "2026-01-05", "Back Squat", "squat", true, 100, 5, 8, 0),
		set("s3", "a", "2026-01-05", "Back Squat", "squat", true, 100, 5, 8, 0),
		set("s4", "a", "2026-01-05", "Back Squat", "squat", false, 60, 5, 0, 0),
		set("s5", "a", "2026-01-12", "Back Squat", "squat", true, 100, 5, 9, 126),
		set("s6", "a", "2026-01-12", "Back Squat", "squat", true, 100, 5, 9, 0),
		set("s7", "a", "2026-01-12", "Back Squat", "squat", true, 100, 5, 9, 0),
		set("s8", "b", "2026-01-06", "Bench Press", "bench_press", true, 80, 5, 7, 100),
		set("s9", "b", "2026-01-06", "Bench Press", "bench_press", true, 80, 5, 7, 0),
		set("s10", "b", "2026-01-13", "Bench Press", "bench_press", true, 80, 5, 7, 95),
		set("s11", "b", "2026-01-13", "Bench Press", "bench_press", true, 80, 5, 7, 0),
	}
	must(t, st.InsertBatch(ctx, "training_sets", setCols, rows))
	// A redelivered batch: s1 inserted again; the trends must count it once.
	must(t, st.InsertBatch(ctx, "training_sets", setCols, rows[:1]))
	at := func(d string) time.Time { return day(d).Add(7 * time.Hour) }
	must(t, st.InsertBatch(ctx, "training_sessions", []string{"event_id", "team_id", "athlete_id", "occurred_at", "day", "recorded_at",
		"duration_minutes", "session_rpe", "session_load_au"}, [][]any{
		{"x1", "t1", "a", at("2026-01-05"), at("2026-01-05"), at("2026-01-05"), 60.0, 7.0, 420.0},
		{"x2", "t1", "b", at("2026-01-06"), at("2026-01-06"), at("2026-01-06"), 45.0, nil, nil},
	}))
	must(t, st.InsertBatch(ctx, "training_wellness", []string{"event_id", "team_id", "athlete_id", "occurred_at", "day", "recorded_at",
		"fatigue", "soreness", "joint_pain_max"}, [][]any{
		{"w1", "t1", "a", at("2026-01-05"), at("2026-01-05"), at("2026-01-05"), 3, 2, 0},
		{"w2", "t1", "b", at("2026-01-06"), at("2026-01-06"), at("2026-01-06"), 5, nil, 0},
	}))
	must(t, st.InsertBatch(ctx, "fatigue_assessments", []string{"event_id", "team_id", "athlete_id", "as_of", "assessed_at", "status",
		"score", "confidence", "abnormal_families", "rule_fired", "payload", "recorded_at"}, [][]any{
		{"f1", "t1", "a", day("2026-01-05"), at("2026-01-05"), 1, 10.0, 0.5, []uint8{}, "", "", at("2026-01-05")},
		{"f2", "t1", "a", day("2026-01-07"), at("2026-01-07"), 2, 40.0, 0.5, []uint8{5}, "", "", at("2026-01-07")},
		{"f3", "t1", "b", day("2026-01-06"), at("2026-01-06"), 1, 5.0, 0.5, []uint8{}, "", "", at("2026-01-06")},
	}))
	repo := adapters.Repo{Store: st}
	must(t, repo.SaveProfiles(ctx, []adapters.Profile{
		{Team: "t1", Athlete: "a", Group: "forwards", Active: true, Revision: 1},
		{Team: "t1", Athlete: "b", Group: "backs", Active: true, Revision: 1},
	}))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func allMetrics() []trendsv1.TrendMetric {
	var out []trendsv1.TrendMetric
	for m := trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD; m <= trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE; m++ {
		out = append(out, m)
	}
	return out
}

// find returns the series matching metric, statistic and label (label "" = any).
func find(t *testing.T, resp *trendsv1.GetTeamTrendsResponse, m trendsv1.TrendMetric, st trendsv1.TrendStatistic, label string) *trendsv1.TrendSeries {
	t.Helper()
	for _, s := range resp.GetSeries() {
		if s.GetMetric() == m && s.GetStatistic() == st && (label == "" || s.GetLabel() == label) {
			return s
		}
	}
	t.Fatalf("no series %s %s %q", m, st, label)
	return nil
}

// point checks bucket i of s: want nil means no value.
func point(t *testing.T, s *trendsv1.TrendSeries, i int, want *float64, athletes uint32) {
	t.Helper()
	p := s.GetPoints()[i]
	switch {
	case want == nil && p.Value != nil:
		t.Errorf("%s bucket %d = %v, want no value", s.GetLabel(), i, p.GetValue())
	case want != nil && (p.Value == nil || math.Abs(p.GetValue()-*want) > 1e-9):
		t.Errorf("%s bucket %d = %v (set %v), want %v", s.GetLabel(), i, p.GetValue(), p.Value != nil, *want)
	case want != nil && p.GetAthletes() != athletes:
		t.Errorf("%s bucket %d athletes = %d, want %d", s.GetLabel(), i, p.GetAthletes(), athletes)
	}
}

func v(x float64) *float64 { return &x }

func twoWeeks(team string) app.Query {
	return app.Query{Team: team, Range: domain.Range{From: day("2026-01-05"), To: day("2026-01-18")}, Bucket: domain.Week, Metrics: allMetrics()}
}

func TestTeamTrends(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		seed(t, st)
		tr := app.Trends{Repo: adapters.Repo{Store: st}}
		resp, err := tr.TeamTrends(ctx, twoWeeks("t1"))
		must(t, err)
		if len(resp.GetBuckets()) != 2 || resp.GetAthletesCovered() != 2 {
			t.Fatalf("buckets %v athletes %d", resp.GetBuckets(), resp.GetAthletesCovered())
		}
		// 11 sets (the duplicate s1 counted once) + 2 sessions + 2 wellness + 3 assessments.
		if resp.GetRowsCovered() != 18 {
			t.Errorf("rows covered = %d, want 18", resp.GetRowsCovered())
		}
		vol := trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD
		sum := trendsv1.TrendStatistic_TREND_STATISTIC_SUM
		squat := find(t, resp, vol, sum, "Volume-load squat (kg)")
		point(t, squat, 0, v(1500), 1) // the 60 kg warm-up and the duplicate excluded
		point(t, squat, 1, v(1500), 1)
		point(t, find(t, resp, vol, sum, "Volume-load bench (kg)"), 0, v(800), 1)
		point(t, find(t, resp, vol, sum, "Volume-load deadlift (kg)"), 0, nil, 0)
		point(t, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_HARD_SETS, sum, "Hard sets squat"), 0, v(3), 1)
		sl := find(t, resp, trendsv1.TrendMetric_TREND_METRIC_SESSION_LOAD, sum, "")
		point(t, sl, 0, v(420), 1) // b's session has no sRPE: not invented
		point(t, sl, 1, nil, 0)
		med := trendsv1.TrendStatistic_TREND_STATISTIC_MEDIAN
		sq := find(t, resp, trendsv1.TrendMetric_TREND_METRIC_E1RM_CHANGE, med, "e1RM change squat median (%)")
		point(t, sq, 0, v(0), 1)
		point(t, sq, 1, v(5), 1) // 126 vs 120
		point(t, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_E1RM_CHANGE, med, "e1RM change bench median (%)"), 1, v(-5), 1)
		rpe := find(t, resp, trendsv1.TrendMetric_TREND_METRIC_RPE_AT_FAMILIAR_LOADS, med, "")
		point(t, rpe, 0, nil, 0)    // no baseline before the first week
		point(t, rpe, 1, v(0.5), 2) // a +1 (9 vs 8), b 0 (7 vs 7): median 0.5
		mean := trendsv1.TrendStatistic_TREND_STATISTIC_MEAN
		point(t, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_WELLNESS, mean, "Wellness fatigue"), 0, v(4), 2)
		point(t, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_WELLNESS, mean, "Wellness soreness"), 0, v(2), 1)
		share := trendsv1.TrendStatistic_TREND_STATISTIC_SHARE
		point(t, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_STATUS_SHARE, share, "Share watch"), 0, v(0.5), 2)
		point(t, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_STATUS_SHARE, share, "Share ok"), 0, v(0.5), 2)
		point(t, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_ACWR, med, ""), 0, nil, 0) // under 28 days of history
		compliance := find(t, resp, trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE, share, "Check-in compliance")
		point(t, compliance, 0, v(2.0/14), 2) // a on 01-05, b on 01-06: 2 of 2 athletes x 7 days
		point(t, compliance, 1, v(0), 0)      // nobody reported: 0, not missing

		// Per day: the share of the two athletes who reported that day.
		daily := twoWeeks("t1")
		daily.Bucket, daily.Metrics = domain.Day, []trendsv1.TrendMetric{trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE}
		byDay, err := tr.TeamTrends(ctx, daily)
		must(t, err)
		perDay := find(t, byDay, trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE, share, "Check-in compliance")
		point(t, perDay, 0, v(0.5), 1) // 01-05: a
		point(t, perDay, 1, v(0.5), 1) // 01-06: b
		point(t, perDay, 2, v(0), 0)   // 01-07: nobody
	})
}

func TestTeamTrendsFilters(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		seed(t, st)
		tr := app.Trends{Repo: adapters.Repo{Store: st}}
		vol, sum := trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD, trendsv1.TrendStatistic_TREND_STATISTIC_SUM

		empty, err := tr.TeamTrends(ctx, twoWeeks("nobody"))
		must(t, err)
		if empty.GetAthletesCovered() != 0 || empty.GetRowsCovered() != 0 || len(empty.GetSeries()) == 0 {
			t.Errorf("empty team: %d athletes %d rows %d series", empty.GetAthletesCovered(), empty.GetRowsCovered(), len(empty.GetSeries()))
		}
		for _, s := range empty.GetSeries() {
			for _, p := range s.GetPoints() {
				if p.Value != nil {
					t.Errorf("empty team %s has value %v", s.GetLabel(), p.GetValue())
				}
			}
		}

		q := twoWeeks("t1")
		q.Athletes = []string{"b"}
		one, err := tr.TeamTrends(ctx, q)
		must(t, err)
		if one.GetAthletesCovered() != 1 || one.GetRowsCovered() != 4+1+1+1 {
			t.Errorf("one athlete: %d athletes %d rows", one.GetAthletesCovered(), one.GetRowsCovered())
		}
		point(t, find(t, one, vol, sum, "Volume-load squat (kg)"), 0, nil, 0)
		point(t, find(t, one, vol, sum, "Volume-load bench (kg)"), 1, v(800), 1)

		q = twoWeeks("t1")
		q.Group = "forwards"
		fw, err := tr.TeamTrends(ctx, q)
		must(t, err)
		if fw.GetAthletesCovered() != 1 {
			t.Errorf("forwards: %d athletes", fw.GetAthletesCovered())
		}
		point(t, find(t, fw, trendsv1.TrendMetric_TREND_METRIC_STATUS_SHARE, trendsv1.TrendStatistic_TREND_STATISTIC_SHARE, "Share watch"), 0, v(1), 1)

		q.Group = "kickers" // a group nobody is in
		none, err := tr.TeamTrends(ctx, q)
		must(t, err)
		if none.GetAthletesCovered() != 0 || none.GetRowsCovered() != 0 {
			t.Errorf("empty group: %d athletes %d rows", none.GetAthletesCovered(), none.GetRowsCovered())
		}

		q = twoWeeks("t1")
		q.Bucket = domain.Day
		daily, err := tr.TeamTrends(ctx, q)
		must(t, err)
		if len(daily.GetBuckets()) != 14 {
			t.Fatalf("daily buckets = %d", len(daily.GetBuckets()))
		}
		point(t, find(t, daily, vol, sum, "Volume-load bench (kg)"), 1, v(800), 1) // 2026-01-06

		// Tenant isolation inside the queries: a caller granted other teams reads nothing of t1
		// even if a request for t1 got this far; granted t1 among others, it reads all of it.
		all, err := tr.TeamTrends(ctx, twoWeeks("t1"))
		must(t, err)
		q = twoWeeks("t1")
		q.GrantedTeams = []string{"t2", "t3"}
		denied, err := tr.TeamTrends(ctx, q)
		must(t, err)
		if denied.GetAthletesCovered() != 0 || denied.GetRowsCovered() != 0 {
			t.Errorf("t1 read with grants on t2,t3: %d athletes %d rows", denied.GetAthletesCovered(), denied.GetRowsCovered())
		}
		for _, s := range denied.GetSeries() {
			for _, p := range s.GetPoints() {
				if p.Value != nil {
					t.Errorf("t1 read with grants on t2,t3: %s has value %v", s.GetLabel(), p.GetValue())
				}
			}
		}
		q.GrantedTeams = []string{"t2", "t1"}
		granted, err := tr.TeamTrends(ctx, q)
		must(t, err)
		if granted.GetAthletesCovered() != all.GetAthletesCovered() || granted.GetRowsCovered() != all.GetRowsCovered() || granted.GetAthletesCovered() == 0 {
			t.Errorf("granted t1: %d athletes %d rows, unrestricted %d / %d", granted.GetAthletesCovered(), granted.GetRowsCovered(),
				all.GetAthletesCovered(), all.GetRowsCovered())
		}
		point(t, find(t, granted, vol, sum, "Volume-load bench (kg)"), 1, v(800), 1)
		_ = commonv1.LiftCategory_LIFT_CATEGORY_SQUAT
	})
}

// The seed stores squat set s1 twice (a replayed event): every set metric counts it once.
func TestDuplicatesCountOnce(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		seed(t, st)
		var raw uint64
		must(t, store.QueryRow(ctx, st, "SELECT count() FROM training_sets WHERE event_id = 's1'").Scan(&raw))
		if raw != 2 {
			t.Fatalf("seed stored s1 %d times, want 2 (the duplicate under test)", raw)
		}
		q := twoWeeks("t1")
		q.Range.To = day("2026-01-11")
		q.Athletes = []string{"a"}
		resp, err := app.Trends{Repo: adapters.Repo{Store: st}}.TeamTrends(ctx, q)
		must(t, err)
		vol, sum := trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD, trendsv1.TrendStatistic_TREND_STATISTIC_SUM
		point(t, find(t, resp, vol, sum, "Volume-load squat (kg)"), 0, v(1500), 1) // 3 x 100 x 5, not 2000
		hard := find(t, resp, trendsv1.TrendMetric_TREND_METRIC_HARD_SETS, sum, "Hard sets squat")
		point(t, hard, 0, v(3), 1)
		if got := hard.GetPoints()[0].GetRows(); got != 4 { // 3 working + 1 warm-up
			t.Errorf("squat set rows = %d, want 4", got)
		}
	})
}
