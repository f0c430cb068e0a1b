package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/chdbstore"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

// The generated history: 2,000 athletes in 20 squads of 100, 730 days from benchStart, 35 sets
// per athlete and day (51.1M set rows), one session, one wellness report per athlete and day,
// and a weekly assessment.
const (
	benchDB       = "trends_bench"
	benchSquadDB  = "trends_bench_squad" // one squad's history (BenchmarkSquadTrendsZoned)
	benchAthletes = 2000
	benchSquad    = 100
	benchDays     = 730
	benchSets     = 35
)

var benchStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday

// generate fills the bench database with the history of athletes athletes once; a complete
// history is reused.
func generate(b *testing.B, st store.Store, athletes int) {
	ctx := context.Background()
	want := uint64(athletes * benchDays * benchSets)
	// Each table is generated on its own when its row count is off, so an interrupted
	// generation resumes without redoing the 51M set rows.
	complete := func(table string, rows uint64) bool {
		var have uint64
		if err := store.QueryRow(ctx, st, "SELECT count() FROM "+table).Scan(&have); err != nil {
			b.Fatal(err)
		}
		if have == rows {
			return true
		}
		if err := st.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
			b.Fatal(err)
		}
		return false
	}
	started := time.Now()
	// n -> set s of athlete a on day d; loads cycle over 4-week blocks so RPE at familiar loads
	// and e1RM have something to compare.
	sets := `INSERT INTO training_sets (event_id, team_id, athlete_id, occurred_at, day, recorded_at, source, exercise, lift_category,
    set_type, load_kg, reps, rpe, effective_rir, volume_load_kg, is_working, is_hard_set, e1rm_kg)
SELECT toString(number) AS event_id, concat('b', toString(intDiv(a, ?))) AS team_id, concat('a', toString(a)) AS athlete_id,
    toDateTime(? + d * 86400 + 61200 + s * 60) AS occurred_at, toDate(occurred_at) AS day, occurred_at AS recorded_at, 'bench' AS source,
    arrayElement(['Back Squat', 'Bench Press', 'Deadlift', 'Overhead Press', 'Barbell Row'], lift + 1) AS exercise,
    arrayElement(['squat', 'bench_press', 'deadlift', 'overhead_press', 'row'], lift + 1) AS lift_category,
    if(s % 7 = 0, 'warm_up', 'working') AS set_type,
    toFloat64(60 + a % 40 + 2.5 * (intDiv(d, 7) % 4) + 10 * lift) AS load_kg, toUInt32(5) AS reps,
    7 + 0.5 * ((d + s) % 5) AS rpe, 10 - rpe AS effective_rir, load_kg * reps AS volume_load_kg,
    toUInt8(s % 7 != 0) AS is_working, toUInt8(s % 7 != 0 AND effective_rir <= 3) AS is_hard_set,
    if(s % 7 = 1, load_kg * 1.15, NULL) AS e1rm_kg
FROM (SELECT number, number % 35 AS s, intDiv(number, 35) % ? AS a, intDiv(number, 35 * ?) AS d, (number % 35) % 5 AS lift
      FROM (SELECT number + ? AS number FROM numbers(?)))`
	// In chunks, so no single statement outlives the client's read timeout (5 min on 18.16).
	const chunk = 5_110_000
	if !complete("training_sets", want) {
		for off := uint64(0); off < want; off += chunk {
			if err := st.Exec(ctx, sets, benchSquad, benchStart.Unix(), athletes, athletes, off, min(chunk, want-off)); err != nil {
				b.Fatal(err)
			}
		}
	}
	sessions := `INSERT INTO training_sessions (event_id, team_id, athlete_id, occurred_at, day, recorded_at, duration_minutes, session_rpe, session_load_au)
SELECT concat('x', toString(number)), concat('b', toString(intDiv(a, ?))), concat('a', toString(a)), toDateTime(? + d * 86400 + 61200) AS at,
    toDate(at), at, 60., toFloat64(5 + (d + a) % 4) AS srpe, srpe * 60
FROM (SELECT number, number % ? AS a, intDiv(number, ?) AS d FROM numbers(?))`
	if !complete("training_sessions", uint64(athletes*benchDays)) {
		if err := st.Exec(ctx, sessions, benchSquad, benchStart.Unix(), athletes, athletes, athletes*benchDays); err != nil {
			b.Fatal(err)
		}
	}
	wellness := `INSERT INTO training_wellness (event_id, team_id, athlete_id, occurred_at, day, recorded_at, fatigue, sleep_quality, soreness, stress, mood, motivation, sleep_hours, joint_pain_max)
SELECT concat('w', toString(number)), concat('b', toString(intDiv(a, ?))), concat('a', toString(a)), toDateTime(? + d * 86400 + 25200) AS at,
    toDate(at), at, toUInt8(1 + (a + d) % 5), toUInt8(1 + d % 5), toUInt8(1 + a % 5), toUInt8(3), toUInt8(4), toUInt8(1 + (a * d) % 5), 7.5, toUInt8(0)
FROM (SELECT number, number % ? AS a, intDiv(number, ?) AS d FROM numbers(?))`
	if !complete("training_wellness", uint64(athletes*benchDays)) {
		if err := st.Exec(ctx, wellness, benchSquad, benchStart.Unix(), athletes, athletes, athletes*benchDays); err != nil {
			b.Fatal(err)
		}
	}
	assessments := `INSERT INTO fatigue_assessments (event_id, team_id, athlete_id, as_of, assessed_at, status, score, confidence, abnormal_families, rule_fired, payload, recorded_at)
SELECT concat('f', toString(number)), concat('b', toString(intDiv(a, ?))), concat('a', toString(a)), toDate(at), at, toUInt8(1 + (a + w) % 3), 30., 0.7, [], '', '', at
FROM (SELECT number, number % ? AS a, intDiv(number, ?) AS w, toDateTime(? + intDiv(number, ?) * 7 * 86400 + 3600) AS at FROM numbers(?))`
	if !complete("fatigue_assessments", uint64(athletes*(benchDays/7))) {
		if err := st.Exec(ctx, assessments, benchSquad, athletes, athletes, benchStart.Unix(), athletes, athletes*(benchDays/7)); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("bench history checked/generated in %s", time.Since(started).Round(time.Second))
}

func benchTrends(b *testing.B, st store.Store) {
	trendstest.Migrate(b, st)
	generate(b, st, benchAthletes)
	ctx := context.Background()
	// The summarizer's pass brings the athlete days up to date (once: the whole history takes
	// minutes; later runs find nothing stale), as the service's periodic pass does.
	started := time.Now()
	sum := &app.Summarizer{Trends: app.Trends{Repo: adapters.Repo{Store: st}}, Now: time.Now}
	n, err := sum.SummarizeAll(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("summarized %d athlete days in %s", n, time.Since(started).Round(time.Millisecond))
	end := benchStart.AddDate(0, 0, benchDays-1)
	rg, err := domain.ResolveRange(nil, &end, 12, end)
	if err != nil {
		b.Fatal(err)
	}
	tr := app.Trends{Repo: adapters.Repo{Store: st}}
	q := app.Query{Team: "b7", Range: rg, Bucket: domain.Week, Metrics: allMetrics()}
	var rows uint64
	scan := func() time.Duration {
		t0 := time.Now()
		if err := store.QueryRow(ctx, st, "SELECT count() FROM training_sets WHERE team_id = ? AND occurred_at >= ? AND occurred_at < ?",
			q.Team, rg.From, rg.To.AddDate(0, 0, 1)).Scan(&rows); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	naive := func() time.Duration {
		t0 := time.Now()
		var n uint64
		if err := store.QueryRow(ctx, st, `SELECT count() FROM (SELECT toMonday(day) AS w, lift_category, athlete_id, sum(volume_load_kg), sum(is_hard_set), max(e1rm_kg)
FROM training_sets FINAL WHERE team_id = ? AND occurred_at >= ? AND occurred_at < ? GROUP BY w, lift_category, athlete_id)`,
			q.Team, rg.From, rg.To.AddDate(0, 0, 1)).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	var scanTotal, naiveTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := tr.TeamTrends(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if resp.GetAthletesCovered() != benchSquad {
			b.Fatalf("athletes covered = %d", resp.GetAthletesCovered())
		}
		b.StopTimer()
		scanTotal += scan()
		naiveTotal += naive()
		b.StartTimer()
	}
	perQuery := float64(b.Elapsed().Milliseconds()) / float64(b.N)
	b.ReportMetric(perQuery, "ms/query")
	b.ReportMetric(float64(scanTotal.Milliseconds())/float64(b.N), "count_ms")
	b.ReportMetric(float64(naiveTotal.Milliseconds())/float64(b.N), "naive_final_ms")
	b.ReportMetric(perQuery/max(float64(scanTotal.Microseconds())/1000/float64(b.N), 0.001), "x_count")
	b.ReportMetric(float64(rows), "set_rows_in_range")
}

// BenchmarkSquadTrends times the 12-week squad query (all metrics, one squad of 100 of the 2,000
// athletes, read from up-to-date summaries) against a bare count() and a naive FINAL
// aggregation over the same set rows.
func BenchmarkSquadTrends(b *testing.B) {
	onBothEngines(b, benchDB, benchTrends)
}

// onBothEngines runs bench on the ClickHouse server and on chDB, each in database db (kept
// between runs, so the data is loaded once).
func onBothEngines(b *testing.B, db string, bench func(*testing.B, store.Store)) {
	b.Run("clickhouse", func(b *testing.B) {
		base := storetest.ServerDSN(b)
		ctx := context.Background()
		admin, err := clickhousestore.Open(ctx, base, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		if err := admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db); err != nil {
			b.Fatal(err)
		}
		st, err := clickhousestore.Open(ctx, replaceDB(base, db), zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		bench(b, st)
	})
	b.Run("chdb", func(b *testing.B) {
		st, err := chdbstore.Open(context.Background(), trendstest.ChDBDir(), db, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		bench(b, st)
	})
}

// BenchmarkSquadTrendsZoned times the 12-week query of one squad of 100 athletes (two years of
// history: 35 sets, a session and a wellness report per athlete and day, 2.6M set rows) in UTC,
// read from the summaries, and in Australia/Sydney, read from the raw rows as every zone other
// than UTC is (the rollups are keyed by UTC day).
func BenchmarkSquadTrendsZoned(b *testing.B) {
	run := func(b *testing.B, st store.Store) {
		trendstest.Migrate(b, st)
		generate(b, st, benchSquad)
		ctx := context.Background()
		sum := &app.Summarizer{Trends: app.Trends{Repo: adapters.Repo{Store: st}}, Now: time.Now}
		if _, err := sum.SummarizeAll(ctx); err != nil {
			b.Fatal(err)
		}
		end := benchStart.AddDate(0, 0, benchDays-1)
		rg, err := domain.ResolveRange(nil, &end, 12, end)
		if err != nil {
			b.Fatal(err)
		}
		tr := app.Trends{Repo: adapters.Repo{Store: st}}
		sydney, err := time.LoadLocation("Australia/Sydney")
		if err != nil {
			b.Fatal(err)
		}
		for _, zone := range []*time.Location{nil, sydney} {
			name := "UTC"
			if zone != nil {
				name = zone.String()
			}
			b.Run(name, func(b *testing.B) {
				q := app.Query{Team: "b0", Range: rg, Bucket: domain.Week, Metrics: allMetrics(), Zone: zone}
				for b.Loop() {
					resp, err := tr.TeamTrends(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					if resp.GetAthletesCovered() != benchSquad {
						b.Fatalf("athletes covered = %d", resp.GetAthletesCovered())
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
			})
		}
	}
	onBothEngines(b, benchSquadDB, run)
}

// BenchmarkCheckTeamZoned times one detector check of a squad of 100 athletes (the history of
// BenchmarkSquadTrendsZoned) in UTC, read from the rollups, and in Australia/Sydney, read from the
// raw rows in the team's weeks. The zone comes from the team's record through auth.TeamZones, as
// in the service.
func BenchmarkCheckTeamZoned(b *testing.B) {
	run := func(b *testing.B, st store.Store) {
		trendstest.Migrate(b, st)
		generate(b, st, benchSquad)
		ctx := context.Background()
		bs, _ := bustest.New(b)
		teams, err := auth.OpenStore(ctx, bs)
		if err != nil {
			b.Fatal(err)
		}
		zones, err := auth.WatchTeamZones(ctx, bs)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = zones.Stop() }()
		now := benchStart.AddDate(0, 0, benchDays-1).Add(12 * time.Hour)
		det := &app.Detector{Trends: app.Trends{Repo: adapters.Repo{Store: st}}, Rules: domain.DefaultRules(), ID: events.DeterministicID,
			Now: func() time.Time { return now }, Zones: zones,
			Publish: func(ctx context.Context, ev *eventsv1.Event) error {
				_, err := events.Publish(ctx, bs, ev)
				return err
			}}
		for _, zone := range []string{"UTC", "Australia/Sydney"} {
			b.Run(zone, func(b *testing.B) {
				if _, err := teams.SetTeamTimeZone(ctx, "b0", zone); errors.Is(err, fault.ErrNotFound) {
					err = teams.CreateTeam(ctx, &auth.TeamRecord{ID: "b0", Name: "bench", TimeZone: zone})
					if err != nil {
						b.Fatal(err)
					}
				} else if err != nil {
					b.Fatal(err)
				}
				for zones.Zone("b0").String() != zone {
					time.Sleep(time.Millisecond)
				}
				for b.Loop() {
					if err := det.CheckTeam(ctx, "b0"); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/check")
			})
		}
	}
	onBothEngines(b, benchSquadDB, run)
}

func replaceDB(dsn, db string) string {
	for i := len(dsn) - 1; i >= 0; i-- {
		if dsn[i] == '/' {
			return dsn[:i+1] + db
		}
	}
	return dsn
}
