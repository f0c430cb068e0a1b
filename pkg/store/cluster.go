package store

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/supercomp/supercomp/pkg/store/internal/chsql"
)

// LocalSuffix names the per-shard table behind each Distributed table in cluster mode: table
// "training_sets" is a Distributed table over "training_sets_local" on every shard.
const LocalSuffix = "_local"

// ZooKeeper path of a replicated local table; {shard} and {replica} are the server's macros, so
// each shard's replicas share one path and every replica registers under its own name.
const replicaPathFormat = "/clickhouse/tables/{shard}/%s/%s"

var (
	clusterIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

	reCreateTable = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*\((.*)\)\s*ENGINE\s*=\s*([A-Za-z]*)\s*(\(([^()]*)\))?(.*)$`)
	reCreateMV    = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s+(TO\s+([A-Za-z_][A-Za-z0-9_.]*)\s+)?AS\s+(.*)$`)
	reCreateView  = regexp.MustCompile(`(?is)^CREATE\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s+AS\s+(.*)$`)
	reCreateDB    = regexp.MustCompile(`(?is)^CREATE\s+DATABASE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	reDropTable   = regexp.MustCompile(`(?is)^DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*$`)
	reAlterTable  = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_.]*)\s+(.*)$`)
	reColumnAlter = regexp.MustCompile(`(?i)^(ADD|DROP|MODIFY|RENAME|COMMENT|CLEAR)\s+COLUMN\b`)
	// A table read by a materialized view: FROM/JOIN followed by a name; a following "(" (table
	// function) or "." (qualified name) is captured so those are left alone.
	reSourceTable = regexp.MustCompile(`(?i)\b(FROM|JOIN)(\s+)([A-Za-z_][A-Za-z0-9_]*)(\s*[(.])?`)
	reMVPrefix    = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\b`)
	reFirstWord   = regexp.MustCompile(`^[A-Za-z]+`)
	reOrderBy     = regexp.MustCompile(`(?is)\bORDER\s+BY\s+\(?\s*([A-Za-z_][A-Za-z0-9_]*)`)
)

// mergeTreeFamily are the engines ClusterDDL turns into Replicated<engine>.
var mergeTreeFamily = map[string]bool{
	"MergeTree": true, "ReplacingMergeTree": true, "SummingMergeTree": true, "AggregatingMergeTree": true,
	"CollapsingMergeTree": true, "VersionedCollapsingMergeTree": true, "GraphiteMergeTree": true,
}

// ClusterDDL rewrites one migration statement, written for a single server, into the statements
// that make the same schema on the ClickHouse cluster named cluster (a <remote_servers> entry,
// with ZooKeeper and the {shard}/{replica} macros configured), in database db:
//
//   - CREATE TABLE t (...) ENGINE = <X>MergeTree(args) ... becomes
//     CREATE TABLE db.t_local ON CLUSTER c (...) ENGINE = Replicated<X>MergeTree('/clickhouse/tables/{shard}/db/t_local', '{replica}', args) ...
//     and CREATE TABLE db.t ON CLUSTER c AS db.t_local ENGINE = Distributed(c, db, t_local, key),
//     so every query keeps reading and writing t. The sharding key keeps an athlete's rows on one
//     shard: cityHash64(team_id, athlete_id) when the table has both columns, cityHash64(team_id)
//     with team_id only, else cityHash64 of the first ORDER BY column.
//   - CREATE MATERIALIZED VIEW v TO t AS SELECT ... FROM s becomes ON CLUSTER, TO db.t_local,
//     FROM db.s_local: each shard's view feeds its own shard's table from the rows inserted there
//     (co-located because both tables share the sharding key columns). A view without TO is
//     refused: its hidden inner table would be neither replicated nor distributed.
//   - CREATE VIEW and CREATE DATABASE gain ON CLUSTER; DROP TABLE t drops t and t_local on every
//     node; ALTER TABLE t applies to t_local, and column changes to t as well.
//   - INSERT, SELECT and WITH run unchanged (through the Distributed tables). Any other statement
//     is refused rather than run on one node only.
//
// Names in migrations must be unqualified (the store's database); comments are dropped.
func ClusterDDL(stmt, cluster, db string) ([]string, error) {
	if !clusterIdent.MatchString(cluster) {
		return nil, fmt.Errorf("cluster name %q: must be an identifier ([A-Za-z_][A-Za-z0-9_]*)", cluster)
	}
	if !clusterIdent.MatchString(db) {
		return nil, fmt.Errorf("database name %q: must be an identifier ([A-Za-z_][A-Za-z0-9_]*)", db)
	}
	code := strings.TrimSpace(stripComments(stmt))
	if code == "" {
		return nil, nil
	}
	onCluster := " ON CLUSTER " + cluster
	switch strings.ToUpper(reFirstWord.FindString(code)) {
	case "INSERT", "SELECT", "WITH":
		return []string{stmt}, nil
	case "CREATE":
		if m := reCreateTable.FindStringSubmatch(code); m != nil {
			return clusterTable(m, cluster, db)
		}
		if m := reCreateMV.FindStringSubmatch(code); m != nil {
			name, err := unqualified(m[2])
			if err != nil {
				return nil, err
			}
			if m[3] == "" {
				return nil, fmt.Errorf("materialized view %s: needs TO <table> on a cluster (an inner table would not be replicated)", name)
			}
			target, err := unqualified(m[4])
			if err != nil {
				return nil, err
			}
			query, err := localSources(m[5], db)
			if err != nil {
				return nil, fmt.Errorf("materialized view %s: %w", name, err)
			}
			return []string{fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s.%s%s TO %s.%s%s AS %s",
				ifClause(m[1], "IF NOT EXISTS "), db, name, onCluster, db, target, LocalSuffix, query)}, nil
		}
		if reMVPrefix.MatchString(code) {
			return nil, fmt.Errorf("materialized view: needs TO <table> on a cluster (an inner table would not be replicated): %.60q", code)
		}
		if m := reCreateView.FindStringSubmatch(code); m != nil {
			name, err := unqualified(m[2])
			if err != nil {
				return nil, err
			}
			return []string{fmt.Sprintf("CREATE VIEW %s%s.%s%s AS %s", ifClause(m[1], "IF NOT EXISTS "), db, name, onCluster, m[3])}, nil
		}
		if m := reCreateDB.FindStringSubmatch(code); m != nil {
			return []string{fmt.Sprintf("CREATE DATABASE %s%s%s", ifClause(m[1], "IF NOT EXISTS "), m[2], onCluster)}, nil
		}
	case "DROP":
		if m := reDropTable.FindStringSubmatch(code); m != nil {
			name, err := unqualified(m[3])
			if err != nil {
				return nil, err
			}
			kind := strings.ToUpper(m[1])
			// The Distributed table (or view) first, so nothing writes through it into a local
			// table that is going away; the local one may not exist (views have none).
			return []string{
				fmt.Sprintf("DROP %s %s%s.%s%s", kind, ifClause(m[2], "IF EXISTS "), db, name, onCluster),
				fmt.Sprintf("DROP TABLE IF EXISTS %s.%s%s%s", db, name, LocalSuffix, onCluster),
			}, nil
		}
	case "ALTER":
		if m := reAlterTable.FindStringSubmatch(code); m != nil {
			name, err := unqualified(m[1])
			if err != nil {
				return nil, err
			}
			out := []string{fmt.Sprintf("ALTER TABLE %s.%s%s%s %s", db, name, LocalSuffix, onCluster, m[2])}
			if reColumnAlter.MatchString(m[2]) {
				// The Distributed table carries the columns too; it changes after the shards do.
				out = append(out, fmt.Sprintf("ALTER TABLE %s.%s%s %s", db, name, onCluster, m[2]))
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("cluster mode does not know how to run %.60q on every node: "+
		"write it as CREATE/DROP/ALTER TABLE, CREATE [MATERIALIZED] VIEW, INSERT or SELECT", code)
}

// clusterTable rewrites a CREATE TABLE match of reCreateTable.
func clusterTable(m []string, cluster, db string) ([]string, error) {
	name, err := unqualified(m[2])
	if err != nil {
		return nil, err
	}
	engine, args, rest := m[4], strings.TrimSpace(m[6]), m[7]
	if strings.HasPrefix(strings.TrimSpace(rest), "(") {
		return nil, fmt.Errorf("table %s: engine arguments with nested parentheses are not supported in cluster mode", name)
	}
	if strings.HasPrefix(engine, "Replicated") {
		return nil, fmt.Errorf("table %s: engine %s is already replicated; write migrations with the single-server engine", name, engine)
	}
	if !mergeTreeFamily[engine] {
		return nil, fmt.Errorf("table %s: engine %s is not of the MergeTree family, which cluster mode replicates", name, engine)
	}
	columns := columnNames(m[3])
	key, err := shardingKey(name, columns, rest)
	if err != nil {
		return nil, err
	}
	local := name + LocalSuffix
	replicated := fmt.Sprintf("'"+replicaPathFormat+"', '{replica}'", db, local)
	if args != "" {
		replicated += ", " + args
	}
	ifNotExists := ifClause(m[1], "IF NOT EXISTS ")
	return []string{
		fmt.Sprintf("CREATE TABLE %s%s.%s ON CLUSTER %s (%s) ENGINE = Replicated%s(%s) %s",
			ifNotExists, db, local, cluster, m[3], engine, replicated, strings.TrimSpace(rest)),
		fmt.Sprintf("CREATE TABLE %s%s.%s ON CLUSTER %s AS %s.%s ENGINE = Distributed(%s, %s, %s, %s)",
			ifNotExists, db, name, cluster, db, local, cluster, db, local, key),
	}, nil
}

// shardingKey picks the Distributed sharding expression: by athlete where the table has one, so
// an athlete's rows (and the rows a view derives from them) live on one shard.
func shardingKey(table string, columns map[string]bool, rest string) (string, error) {
	switch {
	case columns["team_id"] && columns["athlete_id"]:
		return "cityHash64(team_id, athlete_id)", nil
	case columns["team_id"]:
		return "cityHash64(team_id)", nil
	}
	if m := reOrderBy.FindStringSubmatch(rest); m != nil && columns[m[1]] {
		return "cityHash64(" + m[1] + ")", nil
	}
	return "", fmt.Errorf("table %s: no team_id and no ORDER BY column to shard by", table)
}

// columnNames returns the names of the column definitions in a CREATE TABLE column list.
func columnNames(list string) map[string]bool {
	out := map[string]bool{}
	depth, start := 0, 0
	add := func(def string) {
		fields := strings.Fields(def)
		if len(fields) < 2 {
			return
		}
		switch strings.ToUpper(fields[0]) {
		case "INDEX", "CONSTRAINT", "PROJECTION":
			return
		}
		out[strings.Trim(fields[0], "`\"")] = true
	}
	for i := 0; i < len(list); i++ {
		switch list[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				add(list[start:i])
				start = i + 1
			}
		}
	}
	add(list[start:])
	return out
}

// localSources points the FROM/JOIN tables of a materialized view's query at the local tables.
// Matches are looked for in the code only, so a string literal saying "FROM x" stays as it is.
func localSources(query, db string) (string, error) {
	var b strings.Builder
	last := 0
	for _, m := range reSourceTable.FindAllStringSubmatchIndex(chsql.CodeOnly(query), -1) {
		if m[8] >= 0 { // followed by "(" (a table function) or "." (qualified)
			if strings.Contains(query[m[8]:m[9]], ".") {
				return "", fmt.Errorf("reads %s.<table>: migrations name tables without a database", query[m[6]:m[7]])
			}
			continue
		}
		b.WriteString(query[last:m[6]])
		b.WriteString(db + "." + query[m[6]:m[7]] + LocalSuffix)
		last = m[7]
	}
	b.WriteString(query[last:])
	return b.String(), nil
}

func unqualified(name string) (string, error) {
	if strings.Contains(name, ".") {
		return "", fmt.Errorf("%s: migrations name tables without a database (cluster mode qualifies them)", name)
	}
	return name, nil
}

func ifClause(matched, clause string) string {
	if matched == "" {
		return ""
	}
	return clause
}

// stripComments removes -- and /* */ comments outside quotes, keeping string literals intact.
func stripComments(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				j = len(s) - 1
			}
			b.WriteString(s[i : j+1])
			i = j
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 3
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
