package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/store/internal/chsql"
)

//go:embed migrations/*.sql
var embedded embed.FS

// Migrations are the platform's schema migrations, applied by Migrate at start.
var Migrations fs.FS = mustSub(embedded, "migrations")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// MigrationsTable records the applied migrations in the store's database.
const MigrationsTable = "schema_migrations"

// ReplacingMergeTree so that a record written twice (two processes migrating at once) collapses;
// reads use FINAL. Plain DateTime and a column list keep it valid on 18.16 and chDB alike.
const createMigrationsTable = `CREATE TABLE IF NOT EXISTS ` + MigrationsTable + ` (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime
) ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version`

var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// MigrateOption changes how Migrate runs.
type MigrateOption func(*migrateOptions)

type migrateOptions struct {
	cluster string
}

// OnCluster makes Migrate build the schema on the ClickHouse cluster named cluster: each
// statement is rewritten by ClusterDDL (replicated local tables, Distributed tables under the
// original names, ON CLUSTER DDL), and the database is created on every node first. An empty
// name means a single server.
func OnCluster(cluster string) MigrateOption {
	return func(o *migrateOptions) { o.cluster = cluster }
}

// exec runs one statement of the bookkeeping, rewritten for the cluster when there is one.
func (o migrateOptions) exec(ctx context.Context, s Store, stmt string) error {
	stmts := []string{stmt}
	if o.cluster != "" {
		var err error
		if stmts, err = ClusterDDL(stmt, o.cluster, s.Database()); err != nil {
			return err
		}
	}
	for _, q := range stmts {
		if err := s.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// clusterMigrations creates the database on every node of cluster and returns the migrations
// with their statements rewritten by ClusterDDL (checksums stay those of the files, so the
// records mean the same in both modes). A database whose schema_migrations is a plain table was
// migrated for a single server: mixing the two would leave half the tables unreplicated, so it
// is refused.
func clusterMigrations(ctx context.Context, s Store, migrations []Migration, cluster string) ([]Migration, error) {
	db := s.Database()
	create, err := ClusterDDL("CREATE DATABASE IF NOT EXISTS "+db, cluster, db)
	if err != nil {
		return nil, err
	}
	for _, q := range create {
		if err := s.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("create database %s on cluster %s: %w", db, cluster, err)
		}
	}
	rows, err := s.Query(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = ?", db, MigrationsTable)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", MigrationsTable, err)
	}
	var engine string
	for rows.Next() {
		if err := rows.Scan(&engine); err != nil {
			rows.Close()
			return nil, fmt.Errorf("look up %s: %w", MigrationsTable, err)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", MigrationsTable, err)
	}
	if engine != "" && engine != "Distributed" {
		return nil, fmt.Errorf("database %s was migrated for a single server (%s is %s, not Distributed): "+
			"cluster mode needs a fresh database; copy the data over with INSERT ... SELECT", db, MigrationsTable, engine)
	}
	out := make([]Migration, len(migrations))
	for i, m := range migrations {
		out[i] = m
		out[i].Statements = nil
		for n, stmt := range m.Statements {
			rewritten, err := ClusterDDL(stmt, cluster, db)
			if err != nil {
				return nil, fmt.Errorf("migration %s, statement %d: %w", m.Name, n+1, err)
			}
			out[i].Statements = append(out[i].Statements, rewritten...)
		}
	}
	return out, nil
}

// Migration is one numbered schema change: a file NNNN_name.sql holding one or more statements
// separated by semicolons.
type Migration struct {
	Version    int
	Name       string // file name, e.g. "0001_init.sql"
	Checksum   string // hex SHA-256 of the file
	Statements []string
}

// LoadMigrations reads the NNNN_name.sql files at the root of fsys in version order. Other
// .sql names, duplicate versions and files without statements are errors; files with other
// extensions are ignored.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(name)
		if m == nil {
			if len(name) > 4 && name[len(name)-4:] == ".sql" {
				return nil, fmt.Errorf("migration %q: name must be NNNN_name.sql (lower case)", name)
			}
			continue
		}
		version, _ := strconv.Atoi(m[1])
		if version == 0 {
			return nil, fmt.Errorf("migration %q: versions start at 0001", name)
		}
		if prev, dup := seen[version]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", prev, name, version)
		}
		seen[version] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		stmts := chsql.SplitStatements(string(body))
		if len(stmts) == 0 {
			return nil, fmt.Errorf("migration %s holds no statement", name)
		}
		out = append(out, Migration{Version: version, Name: name, Checksum: hex.EncodeToString(sum[:]), Statements: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies the migrations in fsys that the store's database has not recorded yet, in
// version order, and records each one (version, name, checksum, applied_at) in
// schema_migrations once all its statements succeeded. Already applied migrations are skipped;
// one whose file changed since it was applied is refused with an error, as is a gap in
// applied history (an older migration added after newer ones ran).
//
// ClickHouse has no transactional DDL: when a statement fails, the statements of that file
// before it stay applied and the whole file runs again next time, so write migrations that can
// run twice (CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, ...). Statements run through
// Store.Exec, so seed data is written as INSERT ... SELECT, not INSERT ... VALUES.
//
// With OnCluster, every statement (schema_migrations included) goes through ClusterDDL first.
func Migrate(ctx context.Context, s Store, fsys fs.FS, log *zap.Logger, opts ...MigrateOption) error {
	if log == nil {
		log = zap.NewNop()
	}
	var o migrateOptions
	for _, opt := range opts {
		opt(&o)
	}
	migrations, err := LoadMigrations(fsys)
	if err != nil {
		return err
	}
	if o.cluster != "" {
		if migrations, err = clusterMigrations(ctx, s, migrations, o.cluster); err != nil {
			return err
		}
	}
	if err := o.exec(ctx, s, createMigrationsTable); err != nil {
		return fmt.Errorf("create %s: %w", MigrationsTable, err)
	}
	applied, err := appliedMigrations(ctx, s)
	if err != nil {
		return err
	}
	known := make(map[int]bool, len(migrations))
	latest := 0
	for v := range applied {
		latest = max(latest, v)
	}
	ran := 0
	for _, m := range migrations {
		known[m.Version] = true
		if rec, ok := applied[m.Version]; ok {
			if rec.checksum != m.Checksum {
				return fmt.Errorf("migration %s was changed after it was applied to database %s "+
					"(checksum %.12s, recorded %.12s as %s): add a new migration instead of editing an applied one",
					m.Name, s.Database(), m.Checksum, rec.checksum, rec.name)
			}
			continue
		}
		if m.Version < latest {
			return fmt.Errorf("migration %s is older than the latest applied migration %04d in database %s: "+
				"number new migrations after the applied ones", m.Name, latest, s.Database())
		}
		start := time.Now()
		for i, stmt := range m.Statements {
			if err := s.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		err := s.InsertBatch(ctx, MigrationsTable, []string{"version", "name", "checksum", "applied_at"},
			[][]any{{m.Version, m.Name, m.Checksum, time.Now()}})
		if err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		ran++
		log.Info("migration applied", zap.String("migration", m.Name), zap.String("database", s.Database()),
			zap.Int("statements", len(m.Statements)), zap.Duration("took", time.Since(start)))
	}
	for v, rec := range applied {
		if !known[v] {
			log.Warn("database has a migration this binary does not know; is it older than the schema?",
				zap.String("migration", rec.name), zap.String("database", s.Database()))
		}
	}
	log.Debug("migrations up to date", zap.String("database", s.Database()), zap.Int("applied_now", ran),
		zap.Int("total", len(migrations)))
	return nil
}

type appliedMigration struct {
	name     string
	checksum string
}

func appliedMigrations(ctx context.Context, s Store) (map[int]appliedMigration, error) {
	// argMax instead of FINAL: the same answer on a single server, and valid through the
	// Distributed table of cluster mode (FINAL on Distributed is not available on every version).
	rows, err := s.Query(ctx, "SELECT version, argMax(name, applied_at), argMax(checksum, applied_at) FROM "+
		MigrationsTable+" GROUP BY version")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	out := map[int]appliedMigration{}
	for rows.Next() {
		var (
			v   int
			rec appliedMigration
		)
		if err := rows.Scan(&v, &rec.name, &rec.checksum); err != nil {
			return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
		}
		out[v] = rec
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	return out, nil
}
