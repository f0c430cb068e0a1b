package store_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

func TestClusterDDL(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{
			name: "replacing table sharded by athlete",
			in: `-- a comment; with a semicolon
CREATE TABLE IF NOT EXISTS sets (event_id String, team_id String, athlete_id String, rpe Nullable(Float64), at DateTime)
ENGINE = ReplacingMergeTree(at) PARTITION BY toYYYYMM(at) ORDER BY (team_id, athlete_id, at, event_id)`,
			want: []string{
				"CREATE TABLE IF NOT EXISTS db.sets_local ON CLUSTER c (event_id String, team_id String, athlete_id String, rpe Nullable(Float64), at DateTime) " +
					"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/sets_local', '{replica}', at) PARTITION BY toYYYYMM(at) ORDER BY (team_id, athlete_id, at, event_id)",
				"CREATE TABLE IF NOT EXISTS db.sets ON CLUSTER c AS db.sets_local ENGINE = Distributed(c, db, sets_local, cityHash64(team_id, athlete_id))",
			},
		},
		{
			name: "aggregating table without engine arguments, sharded by team",
			in:   "CREATE TABLE roll (team_id String, s AggregateFunction(sum, Int64)) ENGINE = AggregatingMergeTree() ORDER BY team_id",
			want: []string{
				"CREATE TABLE db.roll_local ON CLUSTER c (team_id String, s AggregateFunction(sum, Int64)) " +
					"ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/db/roll_local', '{replica}') ORDER BY team_id",
				"CREATE TABLE db.roll ON CLUSTER c AS db.roll_local ENGINE = Distributed(c, db, roll_local, cityHash64(team_id))",
			},
		},
		{
			name: "plain MergeTree sharded by its first ORDER BY column",
			in:   "CREATE TABLE IF NOT EXISTS meta (key String, value String) ENGINE = MergeTree ORDER BY key",
			want: []string{
				"CREATE TABLE IF NOT EXISTS db.meta_local ON CLUSTER c (key String, value String) " +
					"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/db/meta_local', '{replica}') ORDER BY key",
				"CREATE TABLE IF NOT EXISTS db.meta ON CLUSTER c AS db.meta_local ENGINE = Distributed(c, db, meta_local, cityHash64(key))",
			},
		},
		{
			name: "materialized view reads and writes the local tables",
			in:   "CREATE MATERIALIZED VIEW IF NOT EXISTS r_mv TO roll AS SELECT team_id, sumState(toInt64(1)) AS s FROM sets WHERE team_id != 'FROM x' GROUP BY team_id",
			want: []string{
				"CREATE MATERIALIZED VIEW IF NOT EXISTS db.r_mv ON CLUSTER c TO db.roll_local AS SELECT team_id, sumState(toInt64(1)) AS s FROM db.sets_local WHERE team_id != 'FROM x' GROUP BY team_id",
			},
		},
		{
			name: "view over the distributed tables",
			in:   "CREATE VIEW IF NOT EXISTS v AS SELECT * FROM sets",
			want: []string{"CREATE VIEW IF NOT EXISTS db.v ON CLUSTER c AS SELECT * FROM sets"},
		},
		{
			name: "drop both tables, distributed first",
			in:   "DROP TABLE IF EXISTS roll",
			want: []string{"DROP TABLE IF EXISTS db.roll ON CLUSTER c", "DROP TABLE IF EXISTS db.roll_local ON CLUSTER c"},
		},
		{
			name: "column change on both tables, local first",
			in:   "ALTER TABLE sets ADD COLUMN IF NOT EXISTS note String",
			want: []string{"ALTER TABLE db.sets_local ON CLUSTER c ADD COLUMN IF NOT EXISTS note String", "ALTER TABLE db.sets ON CLUSTER c ADD COLUMN IF NOT EXISTS note String"},
		},
		{
			name: "mutation on the local table only",
			in:   "ALTER TABLE sets DELETE WHERE team_id = 'x'",
			want: []string{"ALTER TABLE db.sets_local ON CLUSTER c DELETE WHERE team_id = 'x'"},
		},
		{
			name: "database",
			in:   "CREATE DATABASE IF NOT EXISTS db",
			want: []string{"CREATE DATABASE IF NOT EXISTS db ON CLUSTER c"},
		},
		{
			name: "insert select runs through the distributed table unchanged",
			in:   "INSERT INTO meta (key, value) SELECT 'k', 'v'",
			want: []string{"INSERT INTO meta (key, value) SELECT 'k', 'v'"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.ClusterDDL(tc.in, "c", "db")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d statements %q, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if norm(got[i]) != norm(tc.want[i]) {
					t.Errorf("statement %d:\n got %s\nwant %s", i+1, norm(got[i]), norm(tc.want[i]))
				}
			}
		})
	}
}

func TestClusterDDLRefuses(t *testing.T) {
	for _, tc := range []struct{ in, cluster, db, err string }{
		{"CREATE TABLE t (x UInt8) ENGINE = Memory", "c", "db", "not of the MergeTree family"},
		{"CREATE TABLE t (x UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY x", "c", "db", "already replicated"},
		{"CREATE TABLE other.t (x UInt8) ENGINE = MergeTree ORDER BY x", "c", "db", "without a database"},
		{"CREATE TABLE t (x UInt8) ENGINE = ReplacingMergeTree(toUInt64(x)) ORDER BY x", "c", "db", "nested parentheses"},
		{"CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY tuple()", "c", "db", "no team_id"},
		{"CREATE MATERIALIZED VIEW v ENGINE = MergeTree ORDER BY x AS SELECT x FROM t", "c", "db", "needs TO"},
		{"CREATE MATERIALIZED VIEW v TO r AS SELECT x FROM other.t", "c", "db", "without a database"},
		{"RENAME TABLE a TO b", "c", "db", "does not know how"},
		{"SELECT 1", "bad-name", "db", "cluster name"},
		{"SELECT 1", "c", "bad db", "database name"},
	} {
		_, err := store.ClusterDDL(tc.in, tc.cluster, tc.db)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.in, err, tc.err)
		}
	}
}

var (
	reClusterCreate = regexp.MustCompile(`^CREATE TABLE (IF NOT EXISTS )?db\.(\w+) ON CLUSTER c (.*)$`)
	reReplicated    = regexp.MustCompile(`ENGINE = Replicated\w*MergeTree\('/clickhouse/tables/\{shard\}/db/(\w+)', '\{replica\}'`)
	reDistributed   = regexp.MustCompile(`^AS db\.(\w+) ENGINE = Distributed\(c, db, (\w+), cityHash64\([\w, ]+\)\)$`)
	reClusterMV     = regexp.MustCompile(`^CREATE MATERIALIZED VIEW (IF NOT EXISTS )?db\.\w+ ON CLUSTER c TO db\.(\w+) AS (.*)$`)
	reMVSource      = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([\w.]+)`)
)

// Every embedded migration, in order, rewritten for a cluster: each table is a replicated
// local table plus a Distributed table pointing at a local table that exists by then, and
// each materialized view reads and writes local tables that exist.
func TestClusterDDLOnEveryMigration(t *testing.T) {
	ms, err := store.LoadMigrations(store.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	local := map[string]bool{}       // replicated local tables created so far
	distributed := map[string]bool{} // Distributed tables created so far
	tables := 0
	for _, m := range ms {
		for n, stmt := range m.Statements {
			out, err := store.ClusterDDL(stmt, "c", "db")
			if err != nil {
				t.Fatalf("%s statement %d: %v", m.Name, n+1, err)
			}
			for _, q := range out {
				q = norm(q)
				switch {
				case strings.HasPrefix(q, "CREATE TABLE"):
					c := reClusterCreate.FindStringSubmatch(q)
					if c == nil {
						t.Errorf("%s: CREATE TABLE without ON CLUSTER c on db: %s", m.Name, q)
						continue
					}
					if r := reReplicated.FindStringSubmatch(c[3]); r != nil {
						if r[1] != c[2] || !strings.HasSuffix(c[2], store.LocalSuffix) {
							t.Errorf("%s: replicated table %s has ZooKeeper path of %s", m.Name, c[2], r[1])
						}
						local[c[2]] = true
						tables++
						continue
					}
					d := reDistributed.FindStringSubmatch(c[3])
					if d == nil {
						t.Errorf("%s: table %s is neither replicated nor distributed: %s", m.Name, c[2], q)
						continue
					}
					if d[1] != d[2] || d[1] != c[2]+store.LocalSuffix || !local[d[1]] {
						t.Errorf("%s: Distributed %s points at %s/%s, local tables so far %v", m.Name, c[2], d[1], d[2], local)
					}
					distributed[c[2]] = true
				case strings.HasPrefix(q, "CREATE MATERIALIZED VIEW"):
					v := reClusterMV.FindStringSubmatch(q)
					if v == nil {
						t.Errorf("%s: view not ON CLUSTER or without TO: %s", m.Name, q)
						continue
					}
					if !local[v[2]] {
						t.Errorf("%s: view writes %s, not an existing local table", m.Name, v[2])
					}
					for _, src := range reMVSource.FindAllStringSubmatch(v[3], -1) {
						if name, ok := strings.CutPrefix(src[1], "db."); !ok || !local[name] {
							t.Errorf("%s: view reads %s, not an existing local table", m.Name, src[1])
						}
					}
				case strings.HasPrefix(q, "CREATE"), strings.HasPrefix(q, "DROP"), strings.HasPrefix(q, "ALTER"):
					if !strings.Contains(q, " ON CLUSTER c") {
						t.Errorf("%s: DDL without ON CLUSTER: %s", m.Name, q)
					}
					if d, ok := strings.CutPrefix(q, "DROP TABLE IF EXISTS db."); ok {
						name := strings.TrimSuffix(d, " ON CLUSTER c")
						delete(local, name)
						delete(distributed, name)
					}
				default:
					if strings.Contains(q, "ON CLUSTER") {
						t.Errorf("%s: data statement changed: %s", m.Name, q)
					}
				}
			}
		}
	}
	if tables == 0 {
		t.Fatal("no table was rewritten")
	}
	for name := range distributed {
		if !local[name+store.LocalSuffix] {
			t.Errorf("Distributed %s outlived its local table", name)
		}
	}
	for _, want := range []string{"training_sets", "fatigue_assessments", "audit_log"} {
		if !distributed[want] {
			t.Errorf("no Distributed %s after all migrations (have %v)", want, distributed)
		}
	}
}

// singleNodeStore runs cluster DDL on the plain test server: it drops ON CLUSTER and the
// replication arguments (both need ZooKeeper, which is not here) but keeps the Distributed
// tables, over the server's predefined one-shard cluster, the local tables and the views' local
// sources. That checks the rewritten statements' syntax, the Distributed plumbing and the
// bookkeeping on a real server; replication itself is not exercised.
type singleNodeStore struct {
	store.Store
	seen []string
}

var (
	reOnCluster   = regexp.MustCompile(` ON CLUSTER \w+`)
	reReplicaArgs = regexp.MustCompile(`Replicated(\w*MergeTree)\('[^']*', '\{replica\}'(, )?`)
)

func (s *singleNodeStore) Exec(ctx context.Context, query string, args ...any) error {
	s.seen = append(s.seen, query)
	query = reReplicaArgs.ReplaceAllString(reOnCluster.ReplaceAllString(query, ""), "$1(")
	return s.Store.Exec(ctx, query, args...)
}

func TestClusterMigrateOnServer(t *testing.T) {
	// Synchronous distributed inserts, as production should run (see README): the insert
	// returns once the shards hold the rows.
	dsn := storetest.FreshServerDSN(t, "cluster_ddl") + "?insert_distributed_sync=1"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, err := clickhousestore.Open(ctx, dsn, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	st := &singleNodeStore{Store: raw}
	const cluster = "test_shard_localhost" // in the Debian package's default config
	if err := store.Migrate(ctx, st, store.Migrations, nil, store.OnCluster(cluster)); err != nil {
		t.Fatal(err)
	}
	onCluster := 0
	for _, q := range st.seen {
		if strings.Contains(q, "ON CLUSTER "+cluster) {
			onCluster++
		}
	}
	if onCluster < 10 {
		t.Errorf("only %d statements ran ON CLUSTER", onCluster)
	}
	engine := func(table string) string {
		rows, err := raw.Query(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = ?", raw.Database(), table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var e string
		for rows.Next() {
			if err := rows.Scan(&e); err != nil {
				t.Fatal(err)
			}
		}
		return e
	}
	for table, want := range map[string]string{
		"training_sets": "Distributed", "training_sets_local": "ReplacingMergeTree",
		store.MigrationsTable: "Distributed", store.MigrationsTable + "_local": "ReplacingMergeTree",
		"audit_log": "Distributed", "audit_log_local": "ReplacingMergeTree",
	} {
		if got := engine(table); got != want {
			t.Errorf("%s engine = %q, want %q", table, got, want)
		}
	}

	// A second run finds every migration recorded through the Distributed bookkeeping table.
	st.seen = nil
	if err := store.Migrate(ctx, st, store.Migrations, nil, store.OnCluster(cluster)); err != nil {
		t.Fatal(err)
	}
	for _, q := range st.seen {
		if !strings.Contains(q, "schema_migrations") && !strings.HasPrefix(q, "CREATE DATABASE") {
			t.Errorf("second run executed %.80s", q)
		}
	}

	// Rows written through the Distributed table land in the local one and read back.
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	err = raw.InsertBatch(ctx, "audit_log", []string{"event_id", "team_id", "occurred_at", "action", "recorded_at"},
		[][]any{{"e1", "t1", at, "a", at}, {"e2", "t2", at, "b", at}})
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	rows, err := raw.Query(ctx, "SELECT count() FROM audit_log_local")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if n != 2 {
		t.Errorf("audit_log_local holds %d rows, want 2", n)
	}

	// A single-server database cannot be switched to cluster mode in place.
	plain := storetest.OpenServer(t, "cluster_ddl_plain")
	if err := store.Migrate(ctx, plain, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}
	err = store.Migrate(ctx, &singleNodeStore{Store: plain}, store.Migrations, nil, store.OnCluster(cluster))
	if err == nil || !strings.Contains(err.Error(), "migrated for a single server") {
		t.Errorf("cluster migrate of a single-server database: err = %v", err)
	}
}

// TestInsertDeduplicationStaysOn guards the idempotent retry of cluster inserts: replicated
// tables drop a block identical to one already inserted only while insert_deduplicate is 1
// (the server default), so the store's connections must not switch it off.
func TestInsertDeduplicationStaysOn(t *testing.T) {
	st := storetest.OpenServer(t, "insert_dedup")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := st.Query(ctx, "SELECT value FROM system.settings WHERE name = 'insert_deduplicate'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var v string
	for rows.Next() {
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
	}
	if v != "1" {
		t.Errorf("insert_deduplicate = %q on the store's connection, want 1", v)
	}
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }
