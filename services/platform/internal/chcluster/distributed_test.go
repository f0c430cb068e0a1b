package chcluster

import (
	"context"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

// shardConfig is a second server's whole configuration: loopback only, its own ports and
// directories, and the two-shard cluster (shard 1 the test server, shard 2 itself).
const shardConfig = `<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{{dir}}/server.log</log><errorlog>{{dir}}/server.err.log</errorlog><size>10M</size><count>1</count></logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>{{tcp}}</tcp_port>
    <http_port>{{http}}</http_port>
    <interserver_http_port>{{interserver}}</interserver_http_port>
    <max_connections>64</max_connections>
    <mark_cache_size>268435456</mark_cache_size>
    <path>{{dir}}/data/</path>
    <tmp_path>{{dir}}/tmp/</tmp_path>
    <user_files_path>{{dir}}/user_files/</user_files_path>
    <format_schema_path>{{dir}}/format_schemas/</format_schema_path>
    <users_config>{{dir}}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <remote_servers>
        <two_shards>
            <shard><replica><host>{{shard1host}}</host><port>{{shard1port}}</port></replica></shard>
            <shard><replica><host>127.0.0.1</host><port>{{tcp}}</port></replica></shard>
        </two_shards>
    </remote_servers>
</yandex>
`

const shardUsers = `<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default></default></quotas>
</yandex>
`

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startShard starts a second clickhouse-server whose cluster "two_shards" is the server at
// shard1 (host:port) plus itself, and returns its native port. It is stopped when the test ends.
func startShard(t *testing.T, shard1 string) int {
	t.Helper()
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		msg := "clickhouse-server is not installed (scripts/clickhouse.sh installs it)"
		if os.Getenv("SC_REQUIRE_CLICKHOUSE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	host, port, err := net.SplitHostPort(shard1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tcp := freePort(t)
	cfg := strings.NewReplacer("{{dir}}", dir, "{{tcp}}", fmt.Sprint(tcp), "{{http}}", fmt.Sprint(freePort(t)),
		"{{interserver}}", fmt.Sprint(freePort(t)), "{{shard1host}}", host, "{{shard1port}}", port).Replace(shardConfig)
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(shardUsers), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config-file="+filepath.Join(dir, "config.xml"))
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start second clickhouse-server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		out.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			errLog, _ := os.ReadFile(filepath.Join(dir, "server.err.log"))
			t.Fatalf("second clickhouse-server exited: %v\n%s", err, errLog)
		default:
		}
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", tcp), time.Second); err == nil {
			c.Close()
			return tcp
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("second clickhouse-server did not answer in 30s")
	return 0
}

const localTable = `CREATE TABLE %s.sets_%s (team String, athlete String, day Date, volume Int64)
ENGINE = MergeTree ORDER BY (team, athlete, day)`

// trendQueries are trend-style aggregations over a table named {t}: weekly team load, athletes
// and spread; weekly per-athlete load folded into a team mean (a subquery over the shards).
var trendQueries = []string{
	`SELECT team, toString(toMonday(day)) AS week, toString(uniqExact(athlete)), toString(count()),
	        toString(sum(volume)), toString(max(volume)), toString(quantileExact(0.5)(volume)),
	        toString(sum(volume) / count())
	 FROM {t} WHERE team = ? GROUP BY team, week ORDER BY team, week`,
	`SELECT toString(week), toString(count()), toString(sum(load)), toString(max(load)), toString(min(load))
	 FROM (SELECT athlete, toMonday(day) AS week, sum(volume) AS load FROM {t} WHERE team = ? GROUP BY athlete, week)
	 GROUP BY week ORDER BY week`,
}

// TestTwoShardDistributedAnswersLikeOneServer puts the same rows in one table on one server,
// and split by athlete over two servers (each a MergeTree shard) under a Distributed table: the
// trend queries must give the same answers, row for row.
func TestTwoShardDistributedAnswersLikeOneServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	single := storetest.OpenServer(t, "chshard")
	db := single.Database()
	u, err := url.Parse(storetest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	port := startShard(t, u.Host)
	second, err := clickhousestore.Open(ctx, fmt.Sprintf("clickhouse://127.0.0.1:%d/%s", port, db), zap.NewNop())
	if err != nil {
		t.Fatalf("open the second shard: %v", err)
	}
	t.Cleanup(func() { _ = second.Close() })

	for _, ddl := range []struct {
		st    store.Store
		query string
	}{
		{single, fmt.Sprintf(localTable, db, "single")},
		{single, fmt.Sprintf(localTable, db, "local")},
		{second, fmt.Sprintf(localTable, db, "local")},
		{second, fmt.Sprintf("CREATE TABLE %[1]s.sets_all AS %[1]s.sets_local ENGINE = Distributed(two_shards, %[1]s, sets_local, cityHash64(athlete))", db)},
	} {
		if err := ddl.st.Exec(ctx, ddl.query); err != nil {
			t.Fatalf("%s: %v", ddl.query, err)
		}
	}

	// Two teams, 12 athletes, 10 weeks of daily volumes; each athlete's rows go to one shard,
	// as the Distributed table's sharding key would send them.
	var all [][]any
	shards := [2][][]any{}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for a := range 12 {
		team, athlete := fmt.Sprintf("t%d", a%2+1), fmt.Sprintf("a%02d", a)
		h := fnv.New32a()
		h.Write([]byte(athlete))
		shard := h.Sum32() % 2
		for d := range 70 {
			if (a+d)%7 == 3 {
				continue // a rest day
			}
			row := []any{team, athlete, start.AddDate(0, 0, d), int64(1000 + (a*37+d*53)%900)}
			all = append(all, row)
			shards[shard] = append(shards[shard], row)
		}
	}
	cols := []string{"team", "athlete", "day", "volume"}
	if len(shards[0]) == 0 || len(shards[1]) == 0 {
		t.Fatal("every athlete hashed to one shard: the check would not cross shards")
	}
	for _, ins := range []struct {
		st    store.Store
		table string
		rows  [][]any
	}{{single, "sets_single", all}, {single, "sets_local", shards[0]}, {second, "sets_local", shards[1]}} {
		if err := ins.st.InsertBatch(ctx, ins.table, cols, ins.rows); err != nil {
			t.Fatalf("insert into %s: %v", ins.table, err)
		}
	}

	for i, q := range trendQueries {
		for _, team := range []string{"t1", "t2"} {
			want := rows(t, ctx, single, strings.ReplaceAll(q, "{t}", db+".sets_single"), team)
			got := rows(t, ctx, second, strings.ReplaceAll(q, "{t}", db+".sets_all"), team)
			if len(want) == 0 {
				t.Fatalf("query %d team %s: the single server answered nothing", i, team)
			}
			if !slices.Equal(got, want) {
				t.Errorf("query %d team %s over two shards:\n%s\none server:\n%s", i, team, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
}

// rows runs q and renders each row as one tab-separated line (every column selected as text).
func rows(t *testing.T, ctx context.Context, st store.Store, q string, args ...any) []string {
	t.Helper()
	r, err := st.Query(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		vals := make([]string, len(r.Columns()))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, strings.Join(vals, "\t"))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
