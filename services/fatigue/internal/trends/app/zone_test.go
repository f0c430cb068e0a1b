package app_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/ports"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

// seedNearMidnight stores, for athlete z of team tz, rows whose UTC day is not their local day:
//
//	squat 100x5 @8 and a 60-minute session at sRPE 7 and a wellness report, all at 2026-01-11
//	13:30 UTC: Sunday in UTC (week of 01-05), Monday 00:30 in Sydney (AEDT, week of 01-12);
//	bench 80x5 @7 at 2026-01-12 04:30 UTC: Monday in UTC and Sydney (15:30), Sunday 23:30 in New
//	York (EST, week of 01-05).
//
// The day column holds the UTC day, as ingestion stores it.
func seedNearMidnight(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	sydneyMonday := time.Date(2026, 1, 11, 13, 30, 0, 0, time.UTC)
	newYorkSunday := time.Date(2026, 1, 12, 4, 30, 0, 0, time.UTC)
	row := func(id, exercise, lift string, at time.Time, load float64) []any {
		return []any{id, "tz", "z", at, at, at, exercise, lift, "working", load, uint32(5), 8.0, 2.0, load * 5, true, true, nil}
	}
	must(t, st.InsertBatch(ctx, "training_sets", setCols, [][]any{
		row("zs1", "Back Squat", "squat", sydneyMonday, 100),
		row("zs2", "Bench Press", "bench_press", newYorkSunday, 80),
	}))
	must(t, st.InsertBatch(ctx, "training_sessions", []string{"event_id", "team_id", "athlete_id", "occurred_at", "day", "recorded_at",
		"duration_minutes", "session_rpe", "session_load_au"}, [][]any{
		{"zx1", "tz", "z", sydneyMonday, sydneyMonday, sydneyMonday, 60.0, 7.0, 420.0},
	}))
	must(t, st.InsertBatch(ctx, "training_wellness", []string{"event_id", "team_id", "athlete_id", "occurred_at", "day", "recorded_at",
		"fatigue", "joint_pain_max"}, [][]any{
		{"zw1", "tz", "z", sydneyMonday, sydneyMonday, sydneyMonday, 4, 0},
	}))
}

// bucketDate is the first day of resp's bucket i as YYYY-MM-DD.
func bucketDate(resp *trendsv1.GetTeamTrendsResponse, i int) string {
	b := resp.GetBuckets()[i]
	return time.Date(int(b.GetYear()), time.Month(b.GetMonth()), int(b.GetDay()), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// valued returns the bucket starts (YYYY-MM-DD) where s has a value.
func valued(resp *trendsv1.GetTeamTrendsResponse, s *trendsv1.TrendSeries) []string {
	var out []string
	for i, p := range s.GetPoints() {
		if p.Value != nil {
			out = append(out, bucketDate(resp, i))
		}
	}
	return out
}

func TestTeamTrendsInTimeZone(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		seedNearMidnight(t, st)
		// Monday 2026-01-12 01:00 in Sydney, still Sunday in UTC.
		now := time.Date(2026, 1, 11, 14, 0, 0, 0, time.UTC)
		srv := &ports.Server{Trends: app.Trends{Repo: adapters.Repo{Store: st}}, Now: func() time.Time { return now }}
		ask := func(zone string, bucket trendsv1.TrendBucket) *trendsv1.GetTeamTrendsResponse {
			t.Helper()
			resp, err := srv.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: "tz", TimeZone: zone, Bucket: bucket, Weeks: 2,
				Range: &commonv1.DateRange{Start: &commonv1.Date{Year: 2026, Month: 1, Day: 5}, End: &commonv1.Date{Year: 2026, Month: 1, Day: 18}}})
			if err != nil {
				t.Fatalf("%s %s: %v", zone, bucket, err)
			}
			return resp
		}
		vol, sum := trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD, trendsv1.TrendStatistic_TREND_STATISTIC_SUM
		share := trendsv1.TrendStatistic_TREND_STATISTIC_SHARE
		cases := []struct {
			zone                      string
			bucket                    trendsv1.TrendBucket
			squat, bench, load, check []string
		}{
			{"", trendsv1.TrendBucket_TREND_BUCKET_DAY, []string{"2026-01-11"}, []string{"2026-01-12"}, []string{"2026-01-11"}, []string{"2026-01-11"}},
			{"UTC", trendsv1.TrendBucket_TREND_BUCKET_WEEK, []string{"2026-01-05"}, []string{"2026-01-12"}, []string{"2026-01-05"}, []string{"2026-01-05"}},
			{"Australia/Sydney", trendsv1.TrendBucket_TREND_BUCKET_DAY, []string{"2026-01-12"}, []string{"2026-01-12"}, []string{"2026-01-12"}, []string{"2026-01-12"}},
			{"Australia/Sydney", trendsv1.TrendBucket_TREND_BUCKET_WEEK, []string{"2026-01-12"}, []string{"2026-01-12"}, []string{"2026-01-12"}, []string{"2026-01-12"}},
			{"America/New_York", trendsv1.TrendBucket_TREND_BUCKET_DAY, []string{"2026-01-11"}, []string{"2026-01-11"}, []string{"2026-01-11"}, []string{"2026-01-11"}},
			{"America/New_York", trendsv1.TrendBucket_TREND_BUCKET_WEEK, []string{"2026-01-05"}, []string{"2026-01-05"}, []string{"2026-01-05"}, []string{"2026-01-05"}},
		}
		for _, c := range cases {
			resp := ask(c.zone, c.bucket)
			got := map[string][]string{
				"squat": valued(resp, find(t, resp, vol, sum, "Volume-load squat (kg)")),
				"bench": valued(resp, find(t, resp, vol, sum, "Volume-load bench (kg)")),
				"load":  valued(resp, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_SESSION_LOAD, sum, "")),
				"wellness": valued(resp, find(t, resp, trendsv1.TrendMetric_TREND_METRIC_WELLNESS,
					trendsv1.TrendStatistic_TREND_STATISTIC_MEAN, "Wellness fatigue")),
			}
			want := map[string][]string{"squat": c.squat, "bench": c.bench, "load": c.load, "wellness": c.check}
			for k := range want {
				if !slices.Equal(got[k], want[k]) {
					t.Errorf("zone %q %s: %s on %v, want %v", c.zone, c.bucket, k, got[k], want[k])
				}
			}
			// Compliance counts the report on the same local day: one athlete-day of the bucket's.
			compliance := find(t, resp, trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE, share, "Check-in compliance")
			for i, p := range compliance.GetPoints() {
				if reported := slices.Contains(c.check, bucketDate(resp, i)); (p.GetRows() > 0) != reported {
					t.Errorf("zone %q %s: compliance of %s counts %d report days", c.zone, c.bucket, bucketDate(resp, i), p.GetRows())
				}
			}
		}

		// "Today" is the zone's: without a range the last day is Monday in Sydney, Sunday in UTC.
		for zone, want := range map[string]int32{"Australia/Sydney": 12, "": 11} {
			resp, err := srv.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: "tz", TimeZone: zone, Weeks: 1})
			must(t, err)
			if got := resp.GetRange().GetEnd().GetDay(); got != want {
				t.Errorf("zone %q: range ends on the %d, want the %d", zone, got, want)
			}
		}

		for _, bad := range []string{"Mars/Olympus", "Local", "../etc/passwd"} {
			// A *fault.Invalid is what the server's error mapping sends as InvalidArgument with
			// these field violations (pkg/server).
			_, err := srv.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: "tz", TimeZone: bad})
			var inv *fault.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("zone %q: %v, want field violations", bad, err)
			}
			var fields []string
			for _, v := range inv.Violations {
				fields = append(fields, v.Field)
			}
			if !slices.Equal(fields, []string{"time_zone"}) {
				t.Errorf("zone %q: field violations %v, want time_zone", bad, fields)
			}
		}
	})
}
