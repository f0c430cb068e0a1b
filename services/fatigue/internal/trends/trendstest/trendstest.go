// Package trendstest runs trend tests against both store backends: the ClickHouse server
// (storetest's DSN rules) and chDB (one session per test process, opened by Main), each test on
// a fresh, migrated database.
package trendstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/chdbstore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

var chdbDir string

func sessionDir() (string, error) {
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		dir, err := os.MkdirTemp("", "trends-chdb-")
		if err == nil {
			cleanup = func() { os.RemoveAll(dir) }
		}
		return dir, err
	}
	if dir := os.Getenv("SC_TRENDS_BENCH_DIR"); dir != "" {
		return dir, os.MkdirAll(dir, 0o755)
	}
	home, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(home, "supercomp", "trends-bench-chdb")
	return dir, os.MkdirAll(dir, 0o755)
}

var cleanup = func() {}

// Main opens the process's chDB session (kept open for the whole run) and runs the tests. Under
// -bench the session lives in a persistent directory (SC_TRENDS_BENCH_DIR, default
// ~/.cache/supercomp/trends-bench-chdb) so the generated history is built once and reused.
func Main(m *testing.M) int {
	flag.Parse()
	dir, err := sessionDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	keeper, err := chdbstore.Open(context.Background(), dir, "default", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer keeper.Close()
	chdbDir = dir
	return m.Run()
}

// Backends runs fn once per backend on a fresh migrated database.
func Backends(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("clickhouse", func(t *testing.T) {
		st := storetest.OpenServer(t, "trends")
		migrate(t, st)
		fn(t, st)
	})
	t.Run("chdb", func(t *testing.T) {
		st := OpenChDB(t)
		migrate(t, st)
		fn(t, st)
	})
}

// OpenChDB opens a fresh database on the process's chDB session (dropped at cleanup).
func OpenChDB(t testing.TB) store.Store {
	t.Helper()
	if chdbDir == "" {
		t.Fatal("trendstest.Main did not run (call it from TestMain)")
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	db := "trends_" + hex.EncodeToString(b[:])
	st, err := chdbstore.Open(context.Background(), chdbDir, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		_ = st.Close()
	})
	return st
}

// Migrate applies the platform migrations.
func Migrate(t testing.TB, st store.Store) { migrate(t, st) }

// ChDBDir is the process's chDB session directory.
func ChDBDir() string { return chdbDir }

func migrate(t testing.TB, st store.Store) {
	t.Helper()
	// Generous: on the benchmark's 51M-row history a migration that backfills a rollup from
	// training_sets (0601) runs for minutes; on a test's fresh database it takes milliseconds.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := store.Migrate(ctx, st, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}
}
