package chdbstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/internal/chsql"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

// dataDir is the process's one chDB session directory, opened in TestMain by keeper (chDB
// allows one session per process, so every test and benchmark shares it, each on its own
// database).
var dataDir string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "chdbstore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	dataDir = dir
	keeper, err := Open(context.Background(), dir, "default", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := keeper.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		return 1
	}
	// With the last handle closed the session is gone, and another directory can be opened.
	if code == 0 {
		if err := reopenElsewhere(); err != nil {
			fmt.Fprintln(os.Stderr, "reopen after close:", err)
			return 1
		}
	}
	return code
}

func reopenElsewhere() error {
	dir, err := os.MkdirTemp("", "chdbstore-reopen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := Open(context.Background(), dir, "again", nil)
	if err != nil {
		return err
	}
	defer s.Close()
	var db string
	if err := store.QueryRow(context.Background(), s, "SELECT currentDatabase()").Scan(&db); err != nil {
		return err
	}
	if db != "again" {
		return fmt.Errorf("currentDatabase() = %q", db)
	}
	return nil
}

func open(t testing.TB, database string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dataDir, database, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, database string) store.Store { return open(t, database) })
}

func TestOneSessionPerProcess(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, t.TempDir(), "x", nil)
	if err == nil || !strings.Contains(err.Error(), "allows only one") {
		t.Fatalf("second directory: err = %v, want a one-session error", err)
	}

	// Handles on the same directory share the session, each on its own database.
	a, b := open(t, "handle_a"), open(t, "handle_b")
	defer func() {
		_ = a.Exec(ctx, "DROP DATABASE handle_a")
		_ = b.Exec(ctx, "DROP DATABASE handle_b")
		a.Close()
		b.Close()
	}()
	for i := 0; i < 3; i++ {
		for _, s := range []*Store{a, b, a} {
			var db string
			if err := store.QueryRow(ctx, s, "SELECT currentDatabase()").Scan(&db); err != nil {
				t.Fatal(err)
			}
			if db != s.Database() {
				t.Fatalf("handle on %s runs in %s", s.Database(), db)
			}
		}
	}
	if err := a.Exec(ctx, "CREATE TABLE only_in_a (x UInt8) ENGINE = MergeTree ORDER BY x"); err != nil {
		t.Fatal(err)
	}
	if err := b.Exec(ctx, "SELECT * FROM only_in_a"); err == nil {
		t.Error("handle b sees handle a's table without qualifying it")
	}
	if a.Path() != dataDir && !strings.HasSuffix(a.Path(), strings.TrimPrefix(dataDir, "/")) {
		t.Errorf("Path() = %q, want %q", a.Path(), dataDir)
	}

	c := open(t, "handle_c")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Exec(ctx, "SELECT 1"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Exec on a closed handle: err = %v, want store.ErrClosed", err)
	}
	// The shared session survives one handle closing.
	if _, err := a.ServerVersion(ctx); err != nil {
		t.Errorf("after another handle closed: %v", err)
	}
}

func TestInsertSplitsLargeBatches(t *testing.T) {
	ctx := context.Background()
	s := open(t, "chunks")
	defer func() {
		_ = s.Exec(ctx, "DROP DATABASE chunks")
		s.Close()
	}()
	defer func(old int) { maxInsertBytes = old }(maxInsertBytes)
	maxInsertBytes = 4 << 10
	if err := s.Exec(ctx, "CREATE TABLE c (id UInt32, s String) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, 5000)
	for i := range rows {
		rows[i] = []any{i, strings.Repeat("x", i%40)}
	}
	types := []*chsql.Type{{Name: "UInt32", Raw: "UInt32"}, {Name: "String", Raw: "String"}}
	stmts, err := buildInserts("INSERT INTO c (id, s)", types, []string{"id", "s"}, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) < 10 {
		t.Errorf("5000 rows in %d statements of at most 4 KiB", len(stmts))
	}
	if err := s.InsertBatch(ctx, "c", []string{"id", "s"}, rows); err != nil {
		t.Fatal(err)
	}
	var n, sum uint64
	if err := store.QueryRow(ctx, s, "SELECT count(), sum(length(s)) FROM c").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	want := uint64(0)
	for i := range rows {
		want += uint64(i % 40)
	}
	if n != 5000 || sum != want {
		t.Errorf("count = %d, sum(length) = %d; want 5000, %d", n, sum, want)
	}
}

func TestWaitingForTheSessionObeysContext(t *testing.T) {
	s := open(t, "default")
	defer s.Close()
	s.sess.sem <- struct{}{} // another call holds the session
	defer func() { <-s.sess.sem }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Exec(ctx, "SELECT 1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

// BenchmarkInsertBatch compares InsertBatch with the engine on its own in the same run: "raw"
// sends the identical INSERT ... VALUES text built once up front (so the ratio is the cost of
// converting and formatting the rows), "raw_select" generates the same rows inside the engine
// with INSERT ... SELECT FROM numbers (the engine's ceiling, no text parsing at all).
func BenchmarkInsertBatch(b *testing.B) {
	ctx := context.Background()
	db := fmt.Sprintf("sc_bench_%d", time.Now().UnixNano())
	s := open(b, db)
	defer func() {
		_ = s.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
		s.Close()
	}()
	rows, report := storetest.BenchInsert(b, s)

	prefix, err := chsql.InsertPrefix("bench_sets", storetest.BenchColumns)
	if err != nil {
		b.Fatal(err)
	}
	var stmts []string
	err = s.with(ctx, func() error {
		types, err := s.sess.columnTypes("bench_sets", storetest.BenchColumns)
		if err != nil {
			return err
		}
		stmts, err = buildInserts(prefix, types, storetest.BenchColumns, rows)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	raw := func(b *testing.B, stmts ...string) {
		for b.Loop() {
			err := s.with(ctx, func() error {
				for _, stmt := range stmts {
					if err := s.sess.run(stmt); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	}
	b.Run("raw", func(b *testing.B) { raw(b, stmts...) })
	b.Run("raw_select", func(b *testing.B) {
		raw(b, prefix+` SELECT concat('018f6b2e-', leftPad(toString(number), 8, '0')), concat('team-', toString(number % 20)),
            concat('athlete-', toString(number % 500)), toDateTime('2024-06-01 00:00:00', 'UTC') + number,
            60 + (number % 100) / 2, 1 + number % 12, if(number % 4 = 0, NULL, toFloat32(8.5)), 'squat'
            FROM numbers(10000)`)
	})
}
