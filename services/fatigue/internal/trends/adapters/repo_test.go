package adapters

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

func TestMain(m *testing.M) { os.Exit(trendstest.Main(m)) }

var setCols = []string{"event_id", "team_id", "athlete_id", "occurred_at", "day", "recorded_at", "exercise", "lift_category",
	"set_type", "load_kg", "reps", "rpe", "effective_rir", "volume_load_kg", "is_working", "is_hard_set", "e1rm_kg"}

// set is a working set at RPE 8 (hard) of athlete on day d, recorded at minute rec past 18:00.
func set(id, athlete, d string, load float64, rec int) []any {
	day, err := time.Parse(time.DateOnly, d)
	if err != nil {
		panic(err)
	}
	at := day.Add(17 * time.Hour)
	return []any{id, "t1", athlete, at, day, day.Add(18*time.Hour + time.Duration(rec)*time.Minute), "Back Squat", "squat", "working",
		load, uint32(5), 8.0, 2.0, load * 5, true, true, load + 20}
}

// cellsOf flattens groups into their cells keyed by athlete, day and load, summing a cell's
// parts, and checks the order SetGroups promises on the way.
func cellsOf(t *testing.T, groups []SetGroup) map[string]SetCell {
	t.Helper()
	out := map[string]SetCell{}
	for i, g := range groups {
		if i > 0 && (groups[i-1].Athlete > g.Athlete || groups[i-1].Athlete == g.Athlete && groups[i-1].Exercise > g.Exercise) {
			t.Errorf("group %d (%s %s) out of order", i, g.Athlete, g.Exercise)
		}
		for _, c := range g.Cells {
			if c.Athlete != g.Athlete || c.Lift != g.Lift || c.Exercise != g.Exercise || c.Reps != g.Reps {
				t.Errorf("cell %+v in group %s/%s/%s/%d", c, g.Athlete, g.Lift, g.Exercise, g.Reps)
			}
			k := fmt.Sprintf("%s %s %g", c.Athlete, c.Day.Format(time.DateOnly), c.LoadKg)
			if p, ok := out[k]; ok {
				c.Rows += p.Rows
				c.Working += p.Working
				c.HardSets += p.HardSets
				c.VolumeKg += p.VolumeKg
				c.BestE1RM = max(c.BestE1RM, p.BestE1RM)
				c.RatedSets += p.RatedSets
				c.RPESum += p.RPESum
			}
			out[k] = c
		}
	}
	return out
}

// The rollup of migration 0601 answers like training_sets FINAL: on clean data from the rollup
// itself, and after a redelivered set and a re-recorded set (which the view counts twice) by
// reading those days raw.
func TestSetGroupsMatchFinal(t *testing.T) {
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		repo := Repo{Store: st}
		f := Filter{Team: "t1", From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), Bucket: domain.Week}
		must(t, st.InsertBatch(ctx, "training_sets", setCols, [][]any{
			set("s1", "a", "2026-01-05", 100, 0), set("s2", "a", "2026-01-05", 100, 0), set("s3", "a", "2026-01-06", 100, 0),
			set("s4", "b", "2026-01-05", 80, 0), set("s5", "b", "2026-01-07", 80, 0),
		}))
		check := func(wantCells, wantRolledRows map[string]uint64) {
			t.Helper()
			got, err := repo.SetGroups(ctx, f)
			must(t, err)
			raw, err := repo.RawSetGroups(ctx, f)
			must(t, err)
			rolled, err := repo.rolledSetGroups(ctx, f)
			must(t, err)
			gc, rc, rl := cellsOf(t, got), cellsOf(t, raw), cellsOf(t, rolled)
			if len(gc) != len(wantCells) || len(rc) != len(wantCells) {
				t.Fatalf("cells: got %v, raw %v, want %v", gc, rc, wantCells)
			}
			for k, n := range wantCells {
				if gc[k] != rc[k] || gc[k].Rows != n {
					t.Errorf("%s: got %+v, raw %+v, want %d rows", k, gc[k], rc[k], n)
				}
			}
			for k, n := range wantRolledRows {
				if rl[k].Rows != n {
					t.Errorf("rollup %s: %d rows, want %d (the view counts every insert)", k, rl[k].Rows, n)
				}
			}
		}
		check(map[string]uint64{"a 2026-01-05 100": 2, "a 2026-01-06 100": 1, "b 2026-01-05 80": 1, "b 2026-01-07 80": 1}, nil)

		// s6 joins a's 01-06 cell in an insert of its own: the rollup holds that cell in two rows
		// until ClickHouse merges them (merges are stopped here to keep both), and SetGroups
		// returns it in two parts that sum to what FINAL has.
		must(t, st.Exec(ctx, "SYSTEM STOP MERGES trend_set_cells"))
		must(t, st.InsertBatch(ctx, "training_sets", setCols, [][]any{set("s6", "a", "2026-01-06", 100, 0)}))
		clean := map[string]uint64{"a 2026-01-05 100": 2, "a 2026-01-06 100": 2, "b 2026-01-05 80": 1, "b 2026-01-07 80": 1}
		check(clean, clean)
		got, err := repo.SetGroups(ctx, f)
		must(t, err)
		parts := 0
		for _, g := range got {
			for _, c := range g.Cells {
				if c.Athlete == "a" && c.Day.Equal(time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)) {
					parts++
				}
			}
		}
		if parts != 2 {
			t.Errorf("a's 01-06 cell came in %d parts, want the rollup's 2 unmerged rows", parts)
		}

		// s1 delivered again: the rollup counts it twice, FINAL once.
		must(t, st.InsertBatch(ctx, "training_sets", setCols, [][]any{set("s1", "a", "2026-01-05", 100, 0)}))
		check(clean, map[string]uint64{"a 2026-01-05 100": 3})

		// s5 re-recorded later with a corrected load: FINAL keeps the newer row only, so b's
		// 01-07 cell moves from 80 kg to 85 kg; the rollup has both.
		must(t, st.InsertBatch(ctx, "training_sets", setCols, [][]any{set("s5", "b", "2026-01-07", 85, 30)}))
		fixed := map[string]uint64{"a 2026-01-05 100": 2, "a 2026-01-06 100": 2, "b 2026-01-05 80": 1, "b 2026-01-07 85": 1}
		check(fixed, map[string]uint64{"b 2026-01-07 80": 1, "b 2026-01-07 85": 1})
		got, err = repo.SetGroups(ctx, f)
		must(t, err)
		if c := cellsOf(t, got)["b 2026-01-07 85"]; c.VolumeKg != 425 || c.BestE1RM != 105 || c.RatedSets != 1 || c.RPESum != 8 {
			t.Errorf("re-recorded cell = %+v, want the corrected set's values", c)
		}

		// An athlete filter and an empty group reach both reads.
		fa := f
		fa.Athletes = []string{"b"}
		got, err = repo.SetGroups(ctx, fa)
		must(t, err)
		if cs := cellsOf(t, got); len(cs) != 2 || cs["b 2026-01-05 80"].Rows != 1 {
			t.Errorf("athlete b only: %v", cs)
		}
		fa.Athletes = []string{}
		if got, err = repo.SetGroups(ctx, fa); err != nil || len(got) != 0 {
			t.Errorf("empty group: %v, %v", got, err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The trend queries read arrays as text (see numbers): every Float64 must read back exactly,
// on both engines, including values without a short decimal form.
func TestArrayTextRoundTrip(t *testing.T) {
	values := []float64{0, 1, 102.5, 1.15 * 102, 0.1 + 0.2, 1.0 / 3, 2.0 / 3 * 1e-7, 4.35 * 3, 123456.789, 1e21, 1e-300,
		1.7976931348623157e308, -0.5, 9007199254740993, 3 * 1.1, 42, 123456789012345, 1234567890123456, 1e15, 1e16}
	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		var text string
		must(t, store.QueryRow(context.Background(), st, "SELECT toString(groupArray(x)) FROM (SELECT arrayJoin(?) AS x)", values).Scan(&text))
		got, err := numbers(text, nil)
		must(t, err)
		if len(got) != len(values) {
			t.Fatalf("%q read as %v", text, got)
		}
		for i, v := range values {
			if got[i] != v {
				t.Errorf("%v came back as %v (text %q)", v, got[i], text)
			}
		}
	})
	for _, bad := range []string{"", "1,2", "1,2]", "[1,2", "[1,,2]", "[x]", "[1,]"} {
		if _, err := numbers(bad, nil); err == nil {
			t.Errorf("numbers(%q) accepted", bad)
		}
	}
	// The whole-number fast path and ParseFloat agree where they meet.
	for _, tok := range []string{"0", "007", "35", "999999999999999", "1000000000000000", "-3", "1e5", "2.5", "inf"} {
		want, werr := strconv.ParseFloat(tok, 64)
		got, err := numbers("["+tok+"]", nil)
		if (err != nil) != (werr != nil) || err == nil && got[0] != want {
			t.Errorf("numbers([%s]) = %v, %v; ParseFloat: %v, %v", tok, got, err, want, werr)
		}
	}
	if got, err := numbers("[]", nil); err != nil || len(got) != 0 {
		t.Errorf("empty array: %v %v", got, err)
	}
}
