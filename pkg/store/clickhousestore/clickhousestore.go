// Package clickhousestore is the store.Store backend for a ClickHouse server (or cluster node),
// spoken to over the native protocol with github.com/ClickHouse/clickhouse-go/v2. The native
// protocol is required: clickhouse-go's HTTP transport does not work with ClickHouse 18.16.
package clickhousestore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/internal/chsql"
)

// lowCardinalitySetting is required by 18.x servers for LowCardinality columns and rejected as
// unknown by current ones (chDB 26), so it is only sent to servers that have it switched off.
const lowCardinalitySetting = "allow_experimental_low_cardinality_type"

// Store is a store.Store on a ClickHouse server. It holds a pool of native connections.
type Store struct {
	conn     driver.Conn
	database string
	version  string
	log      *zap.Logger

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open connects to the server named by dsn, e.g.
//
//	clickhouse://127.0.0.1:9000/supercomp?dial_timeout=5s
//
// (the clickhouse-go DSN syntax; the path names the database, "default" when empty). The
// database is created when missing. The server's version and settings are read once to decide
// which compatibility settings every query carries.
func Open(ctx context.Context, dsn string, log *zap.Logger) (*Store, error) {
	if log == nil {
		log = zap.NewNop()
	}
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhousestore: parse DSN: %w", err)
	}
	if opts.Protocol != clickhouse.Native {
		return nil, errors.New("clickhousestore: only the native protocol works with every supported server " +
			"(ClickHouse 18.16 rejects clickhouse-go's HTTP settings); use clickhouse://host:9000/db")
	}
	database := opts.Auth.Database
	if database == "" {
		database = "default"
	}
	qdb, err := chsql.QuoteIdent(database)
	if err != nil {
		return nil, fmt.Errorf("clickhousestore: database name: %w", err)
	}
	if opts.Settings == nil {
		opts.Settings = clickhouse.Settings{}
	}

	// A first connection to the server's default database creates ours and reads what the
	// server needs, before the pool (whose handshake names the database) is opened.
	bootOpts := *opts
	bootOpts.Auth.Database = ""
	bootOpts.MaxOpenConns, bootOpts.MaxIdleConns = 1, 1
	boot, err := clickhouse.Open(&bootOpts)
	if err != nil {
		return nil, fmt.Errorf("clickhousestore: connect to %v: %w", opts.Addr, err)
	}
	defer boot.Close()
	version, needsLowCardinality, err := probe(ctx, boot, database, qdb)
	if err != nil {
		return nil, fmt.Errorf("clickhousestore: %v: %w", opts.Addr, err)
	}
	if needsLowCardinality {
		opts.Settings[lowCardinalitySetting] = 1
	}
	opts.Auth.Database = database

	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhousestore: connect to %v: %w", opts.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhousestore: ping %v: %w", opts.Addr, err)
	}
	log.Info("clickhouse store opened", zap.Strings("addr", opts.Addr), zap.String("database", database),
		zap.String("server_version", version), zap.Bool("low_cardinality_setting", needsLowCardinality))
	return &Store{conn: conn, database: database, version: version, log: log}, nil
}

// probe creates the database when missing and reports the server version and whether the server
// needs the LowCardinality setting.
func probe(ctx context.Context, conn driver.Conn, database, qdb string) (string, bool, error) {
	var version string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		return "", false, fmt.Errorf("read version: %w", err)
	}
	var exists uint64
	q, err := chsql.Bind("SELECT count() FROM system.databases WHERE name = ?", []any{database})
	if err != nil {
		return "", false, err
	}
	if err := conn.QueryRow(ctx, q).Scan(&exists); err != nil {
		return "", false, fmt.Errorf("look up database %s: %w", database, err)
	}
	if exists == 0 {
		if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+qdb); err != nil {
			return "", false, fmt.Errorf("create database %s: %w", database, err)
		}
	}
	q, err = chsql.Bind("SELECT value FROM system.settings WHERE name = ?", []any{lowCardinalitySetting})
	if err != nil {
		return "", false, err
	}
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return "", false, fmt.Errorf("read settings: %w", err)
	}
	defer rows.Close()
	needs := false
	for rows.Next() {
		var value string
		if err := rows.Scan(&value); err != nil {
			return "", false, fmt.Errorf("read settings: %w", err)
		}
		needs = value == "0"
	}
	return version, needs, rows.Err()
}

// Backend returns store.BackendClickHouse.
func (s *Store) Backend() string { return store.BackendClickHouse }

// Database returns the database the store was opened on.
func (s *Store) Database() string { return s.database }

// Conn returns the underlying clickhouse-go connection pool, for benchmarks and the rare feature
// the store interface does not cover. Queries through it bypass the store's binder and scanning.
func (s *Store) Conn() driver.Conn { return s.conn }

// Exec runs one statement.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	q, err := chsql.Bind(query, args)
	if err != nil {
		return err
	}
	if err := s.conn.Exec(queryCtx(ctx), q); err != nil {
		return wrapErr(ctx, err)
	}
	return nil
}

// Query runs one statement and returns its rows.
func (s *Store) Query(ctx context.Context, query string, args ...any) (store.Rows, error) {
	q, err := chsql.Bind(query, args)
	if err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(queryCtx(ctx), q)
	if err != nil {
		return nil, wrapErr(ctx, err)
	}
	r := &rowsAdapter{ctx: ctx, rows: rows, columns: rows.Columns()}
	for _, ct := range rows.ColumnTypes() {
		t, err := chsql.ParseType(ct.DatabaseTypeName())
		if err != nil {
			rows.Close()
			return nil, err
		}
		r.types = append(r.types, t)
		r.scanTypes = append(r.scanTypes, ct.ScanType())
	}
	return r, nil
}

// InsertBatch sends rows as one native INSERT block stream (PrepareBatch with the column list,
// Append, Send). Values are first converted to the column types with the rules shared with the
// chDB backend, so a value one backend refuses is refused by the other too.
func (s *Store) InsertBatch(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		_, err := chsql.InsertPrefix(table, columns)
		return err
	}
	batch, types, err := s.prepareBatch(ctx, table, columns)
	if err != nil {
		return err
	}
	defer batch.Close()
	vals := make([]any, len(columns))
	for n, row := range rows {
		if len(row) != len(columns) {
			return fmt.Errorf("insert into %s: row %d has %d values for %d columns", table, n, len(row), len(columns))
		}
		for i, v := range row {
			c, err := chsql.Coerce(types[i], v)
			if err != nil {
				return fmt.Errorf("insert into %s: row %d, column %s: %w", table, n, columns[i], err)
			}
			vals[i] = c
		}
		if err := batch.Append(vals...); err != nil {
			return fmt.Errorf("insert into %s: row %d: %w", table, n, err)
		}
	}
	return s.sendBatch(ctx, table, batch)
}

// InsertColumns sends the columns as one native INSERT block: each column goes into the block
// in one call (batch.Column(i).Append), so values already of the column's canonical type cost
// no conversion, reflection or interface value per cell.
func (s *Store) InsertColumns(ctx context.Context, table string, columns []string, values []any) error {
	if len(values) != len(columns) {
		return fmt.Errorf("insert into %s: %d columns of values for %d columns", table, len(values), len(columns))
	}
	batch, types, err := s.prepareBatch(ctx, table, columns)
	if err != nil {
		return err
	}
	defer batch.Close()
	coerced := make([]any, len(values))
	rows := 0
	for i, v := range values {
		c, n, err := chsql.CoerceColumn(types[i], v)
		if err != nil {
			return fmt.Errorf("insert into %s: column %s: %w", table, columns[i], err)
		}
		if i > 0 && n != rows {
			return fmt.Errorf("insert into %s: column %s has %d values, column %s has %d", table, columns[i], n, columns[0], rows)
		}
		coerced[i], rows = c, n
	}
	if rows == 0 {
		return nil
	}
	for i, c := range coerced {
		if err := batch.Column(i).Append(c); err != nil {
			return fmt.Errorf("insert into %s: column %s: %w", table, columns[i], err)
		}
	}
	return s.sendBatch(ctx, table, batch)
}

// prepareBatch starts an INSERT of the named columns and returns the server's types for them.
// The caller closes the batch.
func (s *Store) prepareBatch(ctx context.Context, table string, columns []string) (driver.Batch, []*chsql.Type, error) {
	prefix, err := chsql.InsertPrefix(table, columns)
	if err != nil {
		return nil, nil, err
	}
	batch, err := s.conn.PrepareBatch(queryCtx(ctx), prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("insert into %s: %w", table, wrapErr(ctx, err))
	}
	cols := batch.Columns()
	if len(cols) != len(columns) {
		batch.Close()
		return nil, nil, fmt.Errorf("insert into %s: server expects %d columns, %d named", table, len(cols), len(columns))
	}
	types := make([]*chsql.Type, len(cols))
	for i, c := range cols {
		if types[i], err = chsql.ParseType(string(c.Type())); err != nil {
			batch.Close()
			return nil, nil, fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return batch, types, nil
}

func (s *Store) sendBatch(ctx context.Context, table string, batch driver.Batch) error {
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", table, wrapErr(ctx, err))
	}
	return nil
}

// ServerVersion returns the server's version().
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := s.conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", wrapErr(ctx, err)
	}
	return v, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.conn.Close() })
	return s.closeErr
}

// queryCtx bounds the server's own execution time by the context's deadline, so the server
// stops a query whose caller gave up even when the driver cannot deliver a cancel (a socket
// deadline fires before the driver's cancel path runs). clickhouse-go itself sets deadline+5s
// for deadlines over a second; shorter ones get a one-second limit here (18.16 takes whole
// seconds).
func queryCtx(ctx context.Context) context.Context {
	deadline, ok := ctx.Deadline()
	if !ok || time.Until(deadline) > time.Second {
		return ctx
	}
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_execution_time": 1}))
}

// wrapErr makes a failure caused by the context's end match errors.Is(err, ctx.Err()). The
// driver sets the socket deadline to the context's, so its i/o timeout can fire before the
// context itself reports the deadline: a passed deadline counts too.
func wrapErr(ctx context.Context, err error) error {
	ctxErr := ctx.Err()
	if deadline, ok := ctx.Deadline(); ctxErr == nil && ok && !time.Now().Before(deadline) {
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

// rowsAdapter scans clickhouse-go rows into their driver types, normalises them into the
// canonical values shared with the chDB backend and assigns them with the shared rules.
type rowsAdapter struct {
	ctx       context.Context
	rows      driver.Rows
	columns   []string
	types     []*chsql.Type
	scanTypes []reflect.Type
	holders   []any
}

func (r *rowsAdapter) Next() bool { return r.rows.Next() }

func (r *rowsAdapter) Scan(dest ...any) error {
	if len(dest) != len(r.columns) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(r.columns))
	}
	if r.holders == nil {
		r.holders = make([]any, len(r.columns))
	}
	for i, st := range r.scanTypes {
		if st == nil {
			r.holders[i] = new(any)
		} else {
			r.holders[i] = reflect.New(st).Interface()
		}
	}
	if err := r.rows.Scan(r.holders...); err != nil {
		return err
	}
	row := make([]any, len(r.holders))
	for i, h := range r.holders {
		row[i] = chsql.Normalize(r.types[i], reflect.ValueOf(h).Elem().Interface())
	}
	return chsql.ScanRow(r.columns, row, dest)
}

func (r *rowsAdapter) Columns() []string { return r.columns }

func (r *rowsAdapter) Err() error {
	if err := r.rows.Err(); err != nil {
		return wrapErr(r.ctx, err)
	}
	return nil
}

func (r *rowsAdapter) Close() error { return r.rows.Close() }
