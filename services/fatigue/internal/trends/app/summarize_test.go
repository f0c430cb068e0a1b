package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

func summarizer(st store.Store) *app.Summarizer {
	return &app.Summarizer{Trends: app.Trends{Repo: adapters.Repo{Store: st}}, Now: time.Now}
}

// summarize runs a pass and checks it wrote want days; then that a new summarizer, which checks
// every team, finds nothing stale (every day's token equals its insert count, so answers read
// the summaries), and that the first skips the teams without new rows.
func summarize(t *testing.T, st store.Store, want int) {
	t.Helper()
	ctx := context.Background()
	s := summarizer(st)
	n, err := s.SummarizeAll(ctx)
	must(t, err)
	if n != want {
		t.Errorf("summarized %d days, want %d", n, want)
	}
	if n, err := summarizer(st).SummarizeAll(ctx); err != nil || n != 0 {
		t.Errorf("a fresh check summarized %d days (%v), want 0", n, err)
	}
	if n, err := s.SummarizeAll(ctx); err != nil || n != 0 {
		t.Errorf("second pass summarized %d days (%v), want 0", n, err)
	}
}

func answers(t *testing.T, st store.Store, qs []app.Query) []*trendsv1.GetTeamTrendsResponse {
	t.Helper()
	tr := app.Trends{Repo: adapters.Repo{Store: st}}
	var out []*trendsv1.GetTeamTrendsResponse
	for _, q := range qs {
		resp, err := tr.TeamTrends(context.Background(), q)
		must(t, err)
		out = append(out, resp)
	}
	return out
}

func sameAnswers(t *testing.T, what string, got, want []*trendsv1.GetTeamTrendsResponse) {
	t.Helper()
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("%s: query %d differs:\n got %v\nwant %v", what, i, got[i], want[i])
		}
	}
}

func summaryQueries() []app.Query {
	byDay := twoWeeks("t1")
	byDay.Bucket = domain.Day
	group := twoWeeks("t1")
	group.Group = "forwards"
	late := twoWeeks("t1")
	late.Range.From = day("2026-01-12")
	midWeek := twoWeeks("t1") // weeks cut by the range: a Wednesday to a Tuesday
	midWeek.Range = domain.Range{From: day("2026-01-07"), To: day("2026-01-13")}
	return []app.Query{twoWeeks("t1"), byDay, group, late, midWeek}
}

// Answers read from the summaries equal the answers computed from the raw tables.
func TestSummariesAnswerAsRaw(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		seed(t, st)
		raw := answers(t, st, summaryQueries())
		// a: 01-05 (sets, session, wellness, assessment), 01-07 (assessment), 01-12 (sets);
		// b: 01-06 (sets, session, wellness, assessment), 01-13 (sets).
		summarize(t, st, 5)
		sameAnswers(t, "summarized", answers(t, st, summaryQueries()), raw)

		// A rewritten day is stored twice until ClickHouse merges the versions: the reads take no
		// FINAL, so they must notice and compute that athlete from the raw tables instead.
		ctx := context.Background()
		must(t, st.Exec(ctx, "SYSTEM STOP MERGES trend_athlete_days"))
		defer func() { must(t, st.Exec(ctx, "SYSTEM START MERGES trend_athlete_days")) }()
		cols := "team_id, athlete_id, day, token, version, set_rows, working_sets, hard_sets, volume_load_kg, best_e1rm_kg, " +
			"rpe_deviation_sum, rpe_deviations, rpe_deviation_sets, session_load_au, load_sessions, first_load_day, wellness_reports, " +
			"wellness_sums, wellness_counts, status, status_rows, other_rows"
		must(t, st.Exec(ctx, "INSERT INTO trend_athlete_days ("+cols+") SELECT "+strings.Replace(cols, "version", "version + 1", 1)+
			" FROM trend_athlete_days WHERE athlete_id = 'a'"))
		var dup uint64
		must(t, store.QueryRow(ctx, st, "SELECT count() - uniqExact(day) FROM trend_athlete_days WHERE athlete_id = 'a'").Scan(&dup))
		if dup != 3 {
			t.Fatalf("%d duplicated days stored, want a's 3", dup)
		}
		sameAnswers(t, "with rewritten days not merged", answers(t, st, summaryQueries()), raw)
	})
}

// A row recorded after the summaries (late, or a redelivered duplicate) makes its athlete's days
// from that day on stale: answers compute that athlete from the raw tables until the next pass
// rewrites those days, and count a duplicate once either way.
func TestLateRowsMakeSummariesStale(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		seed(t, st)
		s := summarizer(st)
		n, err := s.SummarizeAll(ctx)
		must(t, err)
		if n != 5 {
			t.Fatalf("summarized %d days, want 5", n)
		}
		late := set("s12", "a", "2026-01-06", "Back Squat", "squat", true, 100, 5, 8, 0)
		must(t, st.InsertBatch(ctx, "training_sets", setCols, [][]any{late}))
		again := set("s5", "a", "2026-01-12", "Back Squat", "squat", true, 100, 5, 9, 126)
		must(t, st.InsertBatch(ctx, "training_sets", setCols, [][]any{again}))

		stale := answers(t, st, summaryQueries())
		vol, sum := trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD, trendsv1.TrendStatistic_TREND_STATISTIC_SUM
		squat := find(t, stale[0], vol, sum, "Volume-load squat (kg)")
		point(t, squat, 0, v(2000), 1) // the late set counted
		point(t, squat, 1, v(1500), 1) // the duplicate not

		// The team's insert total moved, so the same summarizer checks it again.
		if n, err := s.SummarizeAll(ctx); err != nil || n != 3 { // a's 01-06, 01-07 and 01-12
			t.Fatalf("re-summarized %d days (%v), want 3", n, err)
		}
		summarize(t, st, 0)
		sameAnswers(t, "re-summarized", answers(t, st, summaryQueries()), stale)

		// With no summaries at all, every athlete is computed from the raw tables: the same.
		must(t, st.Exec(ctx, "TRUNCATE TABLE trend_athlete_days"))
		sameAnswers(t, "without summaries", answers(t, st, summaryQueries()), stale)
	})
}
