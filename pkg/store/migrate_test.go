package store_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/internal/chsql"
)

func TestLoadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"0002_b.sql": {Data: []byte("CREATE TABLE b (x UInt8) ENGINE = Memory; -- done\n")},
		"0001_a.sql": {Data: []byte("SELECT 1;\nSELECT ';';")},
		"notes.txt":  {Data: []byte("ignored")},
		"sub":        {Mode: 0o755 | 1<<31},
	}
	ms, err := store.LoadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "0001_a.sql" || ms[1].Version != 2 {
		t.Fatalf("migrations = %+v", ms)
	}
	if got := ms[0].Statements; len(got) != 2 || got[1] != "SELECT ';'" {
		t.Errorf("statements = %q", got)
	}
	if len(ms[0].Checksum) != 64 {
		t.Errorf("checksum = %q", ms[0].Checksum)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"NNNN_name.sql":  {"1_a.sql": {Data: []byte("SELECT 1")}},
		"share version":  {"0001_a.sql": {Data: []byte("SELECT 1")}, "0001_b.sql": {Data: []byte("SELECT 1")}},
		"no statement":   {"0001_a.sql": {Data: []byte("-- nothing")}},
		"start at 0001":  {"0000_a.sql": {Data: []byte("SELECT 1")}},
		"NNNN_name.sql ": {"0001_Upper.sql": {Data: []byte("SELECT 1")}},
	} {
		_, err := store.LoadMigrations(fsys)
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(name)) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestPlatformMigrationsLoad(t *testing.T) {
	ms, err := store.LoadMigrations(store.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 {
		t.Fatalf("store.Migrations = %+v", ms)
	}
	for _, m := range ms {
		for _, stmt := range m.Statements {
			code := chsql.CodeOnly(stmt)
			// The compatibility floor (ClickHouse 18.16) has none of these.
			for _, banned := range []string{"DateTime64", "Map(", "toStartOfWeek", " OVER (", "OVER("} {
				if strings.Contains(code, banned) {
					t.Errorf("%s uses %s, which ClickHouse 18.16 lacks", m.Name, banned)
				}
			}
		}
	}
}
