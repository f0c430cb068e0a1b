// Package chdbstore is the store.Store backend for chDB, the ClickHouse engine embedded in the
// process through github.com/chdb-io/chdb-go. It is the only package that imports chdb-go.
//
// chdb-go loads libchdb.so in its package init and PANICS when the library is missing, so any
// binary or test that imports this package needs the library: it is looked up at
// $CHDB_LIB_PATH, then libchdb.so on PATH, then /usr/local/lib/libchdb.so. scripts/libchdb.sh
// fetches it (npm @chdb/lib-linux-x64-gnu) into a cache outside git and prints its path:
//
//	CHDB_LIB_PATH=$(scripts/libchdb.sh | tail -n 1) go test ./store/chdbstore/
//
// chDB allows one session per process. Open therefore shares one session between every handle
// on the same data directory (each handle on its own database) and refuses a second directory
// while the first is open. The session is not safe for concurrent use, so every call holds the
// session for its duration: calls from many goroutines are serialised. Query results are read
// completely (as RowBinaryWithNamesAndTypes) before Query returns, so open Rows never hold the
// session.
//
// Contexts: a call waiting for the session gives up when its context ends; a context deadline
// becomes the engine's max_execution_time for the call, so a long query stops at the deadline;
// a cancellation without a deadline does not stop a running statement (chDB has no way to
// interrupt one from outside, and its streaming queries, which could stop between blocks, are
// not used: see read).
package chdbstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chdb-io/chdb-go/chdb"
	chdbpurego "github.com/chdb-io/chdb-go/chdb-purego"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/internal/chsql"
)

// resultFormat is what queries are read in: exact (binary numbers, Unix-second timestamps, so
// no float printing or time zone questions) and self-describing (names and types first).
const resultFormat = "RowBinaryWithNamesAndTypes"

// maxInsertBytes bounds the SQL text of one INSERT; bigger batches are sent in several.
var maxInsertBytes = 16 << 20

// session is the process's single chDB session, shared by every Store handle on its directory.
type session struct {
	sem  chan struct{} // held while a call uses the session; a channel so waiting obeys ctx
	s    *chdb.Session
	path string
	refs int // open handles; guarded by sessionsMu

	// Guarded by sem.
	closed    bool
	currentDB string
	columns   map[string]map[string]*chsql.Type // table -> column -> type, for InsertBatch
}

var (
	sessionsMu sync.Mutex
	current    *session
)

// Store is a store.Store on the process's chDB session, bound to one database.
type Store struct {
	sess     *session
	database string
	qdb      string
	log      *zap.Logger

	mu     sync.Mutex
	closed bool
}

var _ store.Store = (*Store)(nil)

// Open returns a handle on the chDB session at dataDir (created when missing), bound to
// database (created when missing). Handles on the same directory share the session; opening a
// different directory while a session is open is an error, because chDB allows one session per
// process. The session closes when its last handle does.
func Open(ctx context.Context, dataDir, database string, log *zap.Logger) (*Store, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if dataDir == "" {
		return nil, errors.New("chdbstore: a data directory is required")
	}
	path, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("chdbstore: data directory: %w", err)
	}
	if database == "" {
		database = "default"
	}
	qdb, err := chsql.QuoteIdent(database)
	if err != nil {
		return nil, fmt.Errorf("chdbstore: database name: %w", err)
	}
	sess, fresh, err := acquire(path)
	if err != nil {
		return nil, err
	}
	st := &Store{sess: sess, database: database, qdb: qdb, log: log}
	// Not st.with: that would USE the database before it exists. The first call selects it.
	err = st.hold(ctx, func() error { return sess.run("CREATE DATABASE IF NOT EXISTS " + qdb) })
	if err != nil {
		release(sess)
		return nil, fmt.Errorf("chdbstore: create database %s: %w", database, err)
	}
	if fresh {
		version, _ := st.ServerVersion(ctx)
		log.Info("chdb store opened", zap.String("path", path), zap.String("database", database),
			zap.String("engine_version", version))
	} else {
		log.Debug("chdb store handle opened", zap.String("path", path), zap.String("database", database))
	}
	return st, nil
}

// acquire returns the session at path, opening it when none is open.
func acquire(path string) (*session, bool, error) {
	sessionsMu.Lock()
	defer sessionsMu.Unlock()
	if current != nil {
		if current.path != path {
			return nil, false, fmt.Errorf("chdbstore: a chDB session on %s is already open in this process and "+
				"chDB allows only one; close every store on it before opening %s", current.path, path)
		}
		current.refs++
		return current, false, nil
	}
	s, err := chdb.NewSession(path)
	if err != nil {
		return nil, false, fmt.Errorf("chdbstore: open chDB session at %s: %w", path, err)
	}
	current = &session{
		sem:     make(chan struct{}, 1),
		s:       s,
		path:    path,
		refs:    1,
		columns: map[string]map[string]*chsql.Type{},
	}
	return current, true, nil
}

// release drops one handle and closes the session with the last.
func release(sess *session) {
	sessionsMu.Lock()
	defer sessionsMu.Unlock()
	sess.refs--
	if sess.refs > 0 {
		return
	}
	sess.sem <- struct{}{} // wait for a call in flight
	sess.s.Close()
	sess.closed = true
	<-sess.sem
	if current == sess {
		current = nil
	}
}

// Backend returns store.BackendChDB.
func (s *Store) Backend() string { return store.BackendChDB }

// Database returns the database the handle is bound to.
func (s *Store) Database() string { return s.database }

// Path returns the session's data directory.
func (s *Store) Path() string { return s.sess.path }

// Close releases the handle; the last handle on a session closes it.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	release(s.sess)
	return nil
}

// with runs fn holding the session, bound to the handle's database, and with chDB's
// max_execution_time following the context's deadline so a long query is stopped by the engine.
func (s *Store) with(ctx context.Context, fn func() error) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return store.ErrClosed
	}
	return s.hold(ctx, func() error { return s.inDatabase(ctx, fn) })
}

// hold runs fn holding the session; waiting for it obeys ctx.
func (s *Store) hold(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.sess.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.sess.sem }()
	if s.sess.closed {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn()
}

func (s *Store) inDatabase(ctx context.Context, fn func() error) error {
	if s.sess.currentDB != s.database {
		if err := s.sess.run("USE " + s.qdb); err != nil {
			return err
		}
		s.sess.currentDB = s.database
	}
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		left := time.Until(deadline)
		if left <= 0 {
			return context.DeadlineExceeded
		}
		secs := strconv.FormatFloat(math.Ceil(left.Seconds()*1000)/1000, 'f', 3, 64)
		if err := s.sess.run("SET max_execution_time = " + secs); err != nil {
			return err
		}
		defer func() { _ = s.sess.run("SET max_execution_time = 0") }()
	}
	err := fn()
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w: %w", ctx.Err(), err)
	} else if err != nil && hasDeadline && isTimeout(err) {
		err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// isTimeout reports chDB's TIMEOUT_EXCEEDED (max_execution_time, set from the deadline).
func isTimeout(err error) bool {
	return strings.Contains(err.Error(), "TIMEOUT_EXCEEDED")
}

// run executes one statement that returns no rows. The caller holds the session.
func (sess *session) run(query string) error {
	res, err := sess.query(query, "Null")
	if res != nil {
		res.Free()
	}
	return err
}

// query executes one statement. After a failed one it runs an empty statement, which takes
// what chDB 26.7 leaves behind of a failed statement's output (its header and first rows): it
// would otherwise come first in the next statement's result, which then decoded as the wrong
// columns and rows.
func (sess *session) query(query, format string) (chdbpurego.ChdbResult, error) {
	res, err := sess.s.Query(query, format)
	if err == nil {
		return res, nil
	}
	if res != nil {
		res.Free()
	}
	if rest, drainErr := sess.s.Query("SELECT 1", "Null"); drainErr == nil && rest != nil {
		rest.Free()
	}
	return nil, engineErr(err)
}

// read executes one statement and hands its result to sink in RowBinaryWithNamesAndTypes, in
// one buffer. The caller holds the session.
//
// It does not use chDB's streaming queries, though they would let a query stop between blocks
// when its context is cancelled: with chDB 26.7, freeing a stream that had failed (an unknown
// table, a throwIf), which cancels it, could hang the session for good, in 4 of 5 runs of 20
// conformance passes under CPU load and in one fresh-clone `make test`. Rows are decoded into
// memory whole anyway, and a deadline still stops a long query (inDatabase sets
// max_execution_time from it): only a cancellation without a deadline waits for the query.
func (sess *session) read(query string, sink func([]byte) error) error {
	res, err := sess.query(query, resultFormat)
	if err != nil {
		return err
	}
	if res == nil {
		return nil
	}
	defer res.Free()
	return sink(res.Buf())
}

func engineErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("chdb: %w", err)
}

// Exec runs one statement.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	q, err := chsql.Bind(query, args)
	if err != nil {
		return err
	}
	return s.with(ctx, func() error {
		err := s.sess.run(q)
		// DDL may change a table's columns: forget what InsertBatch cached.
		clear(s.sess.columns)
		return err
	})
}

// Query runs one statement and returns its rows, read completely before Query returns.
func (s *Store) Query(ctx context.Context, query string, args ...any) (store.Rows, error) {
	q, err := chsql.Bind(query, args)
	if err != nil {
		return nil, err
	}
	res := &chsql.Result{}
	err = s.with(ctx, func() error {
		return s.sess.read(q, func(b []byte) error { return chsql.DecodeRowBinary(res, b) })
	})
	if err != nil {
		return nil, err
	}
	return chsql.NewMemRows(res), nil
}

// ServerVersion returns the engine's version().
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := store.QueryRow(ctx, s, "SELECT version()").Scan(&v); err != nil {
		return "", err
	}
	return v, nil
}

// InsertBatch inserts rows with INSERT INTO table (columns) VALUES, the values converted to the
// column types with the rules shared with the server backend and written as plain literals
// that the VALUES reader parses without evaluating expressions. Every value is checked before
// anything is sent; a batch whose SQL would exceed 16 MiB is sent as several INSERTs, so a
// failure in the engine part-way can leave the earlier parts inserted (tables keyed on an event
// id with ReplacingMergeTree make the retry harmless).
func (s *Store) InsertBatch(ctx context.Context, table string, columns []string, rows [][]any) error {
	prefix, err := chsql.InsertPrefix(table, columns)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	err = s.with(ctx, func() error {
		types, err := s.sess.columnTypes(table, columns)
		if err != nil {
			return err
		}
		statements, err := buildInserts(prefix, types, columns, rows)
		if err != nil {
			return err
		}
		for _, stmt := range statements {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.sess.run(stmt); err != nil {
				clear(s.sess.columns)
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

// InsertColumns inserts columnar values through InsertBatch: chDB takes rows as VALUES text,
// so the columns are turned into rows first and then checked and converted the same way.
func (s *Store) InsertColumns(ctx context.Context, table string, columns []string, values []any) error {
	rows, err := chsql.Transpose(columns, values)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return s.InsertBatch(ctx, table, columns, rows)
}

func buildInserts(prefix string, types []*chsql.Type, columns []string, rows [][]any) ([]string, error) {
	var (
		out []string
		buf = make([]byte, 0, min(maxInsertBytes, 64+len(rows)*len(columns)*16))
	)
	start := func() {
		buf = append(buf[:0], prefix...)
		buf = append(buf, " VALUES "...)
	}
	start()
	empty := len(buf)
	for n, row := range rows {
		if len(row) != len(columns) {
			return nil, fmt.Errorf("row %d has %d values for %d columns", n, len(row), len(columns))
		}
		if len(buf) > empty {
			buf = append(buf, ',')
		}
		buf = append(buf, '(')
		for i, v := range row {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = chsql.AppendCoerced(buf, types[i], v); err != nil {
				return nil, fmt.Errorf("row %d, column %s: %w", n, columns[i], err)
			}
		}
		buf = append(buf, ')')
		if len(buf) >= maxInsertBytes {
			out = append(out, string(buf))
			start()
		}
	}
	if len(buf) > empty {
		out = append(out, string(buf))
	}
	return out, nil
}

// columnTypes returns the types of the named columns of table, from a cache filled by DESCRIBE.
// The caller holds the session.
func (sess *session) columnTypes(table string, columns []string) ([]*chsql.Type, error) {
	key := sess.currentDB + "\x00" + table
	cols, ok := sess.columns[key]
	if !ok {
		qt, err := chsql.QuoteTable(table)
		if err != nil {
			return nil, err
		}
		res := &chsql.Result{}
		err = sess.read("DESCRIBE TABLE "+qt, func(b []byte) error { return chsql.DecodeRowBinary(res, b) })
		if err != nil {
			return nil, err
		}
		cols = make(map[string]*chsql.Type, len(res.Rows))
		for _, row := range res.Rows {
			name, _ := row[0].(string)
			typeName, _ := row[1].(string)
			t, err := chsql.ParseType(typeName)
			if err != nil {
				return nil, err
			}
			cols[name] = t
		}
		sess.columns[key] = cols
	}
	types := make([]*chsql.Type, len(columns))
	for i, c := range columns {
		t, ok := cols[c]
		if !ok {
			return nil, fmt.Errorf("table %s has no column %s", table, c)
		}
		types[i] = t
	}
	return types, nil
}
