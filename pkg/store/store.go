// Package store is the small interface every repository and trend query is written against: one
// ClickHouse SQL dialect over two transports, a ClickHouse server through the native protocol
// (package clickhousestore) and the embedded chDB engine (package chdbstore). Both pass the same
// conformance suite (package storetest).
//
// The SQL must run on ClickHouse 18.16 and on current ClickHouse (chDB 26.x): no DateTime64,
// Map or window functions, toMonday instead of toStartOfWeek, and inserts name their columns.
//
// # Parameters
//
// Values never go into SQL text by concatenation: queries use positional `?` placeholders and
// pass the values as arguments. Both backends bind them with the same binder before the query
// leaves the process: strings are quoted with backslash escaping, numbers and bools (1/0) are
// written as numbers, time.Time as toDateTime('...', 'UTC') (seconds precision), slices as
// arrays, nil as NULL; other types are refused. A `?` inside a string literal, a quoted
// identifier or a comment is not a placeholder; anywhere else it is, so write if(c, a, b)
// rather than the ternary operator. Each call runs exactly one statement; USE and INSERT with
// inline VALUES/FORMAT data are refused (see ErrUseStatement, ErrInlineInsert).
//
// # Scanning
//
// Rows.Scan converts column values the same way on both backends. Destinations: *string,
// *bool, *int8..*int64, *uint8..*uint64, *float32, *float64, *time.Time (in UTC; a Date is
// midnight UTC of its day), slices such as *[]string and *[]float64, *any, sql.Scanner, and a
// pointer to any of these for Nullable columns (e.g. **float64, nil for NULL). Integers convert
// to any integer or float destination they fit; UInt8 scans into *bool. Scanning NULL into a
// non-pointer destination, and overflowing or lossy conversions, are errors.
//
// # Inserting
//
// InsertBatch converts each value to its column's type with the same rules on both backends:
// integers in range, floats, strings, time.Time for Date and DateTime (a Date column stores the
// value's calendar day), bool for UInt8, slices for arrays, nil only for Nullable columns.
//
// InsertColumns takes the same values column by column: one slice per column, one element per
// row, converted with the same rules. A column whose slice already has the column's canonical
// Go type ([]string for String, []uint32 for UInt32, []*float64 for Nullable(Float64),
// [][]float64 for Array(Float64), []time.Time for Date and DateTime) reaches the ClickHouse
// server without a conversion or an interface value per cell, which is how a recorder writes
// tens of thousands of rows per insert cheaply.
package store

import (
	"context"
	"errors"

	"github.com/supercomp/supercomp/pkg/store/internal/chsql"
)

// Backend names returned by Store.Backend.
const (
	BackendClickHouse = "clickhouse"
	BackendChDB       = "chdb"
)

// Store runs ClickHouse SQL against one database. Implementations are safe for concurrent use.
type Store interface {
	// Exec runs one statement that returns no rows (DDL, INSERT ... SELECT, ALTER, ...).
	Exec(ctx context.Context, query string, args ...any) error
	// Query runs one statement and returns its rows; the caller must Close them.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// InsertBatch inserts rows into table (optionally "database.table"), naming the columns
	// explicitly (18.16 needs the column list); each row holds one value per column.
	InsertBatch(ctx context.Context, table string, columns []string, rows [][]any) error
	// InsertColumns inserts rows given column by column: values[i] is a slice holding column
	// i's value for every row, and every slice has the same length. Nothing is inserted when
	// any value is refused.
	InsertColumns(ctx context.Context, table string, columns []string, values []any) error
	// ServerVersion returns the engine's version(), e.g. "18.16.1" or "26.7.2.1".
	ServerVersion(ctx context.Context) (string, error)
	// Backend returns BackendClickHouse or BackendChDB.
	Backend() string
	// Database returns the database the store was opened on.
	Database() string
	// Close releases the store. It is safe to call more than once.
	Close() error
}

// Rows is the result of Store.Query. It follows database/sql: call Next before each Scan, check
// Err after the loop, and Close when done.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Columns() []string
	Err() error
	Close() error
}

// Statements every backend refuses before they reach the engine.
var (
	// ErrMultiStatement: each call runs exactly one statement.
	ErrMultiStatement = chsql.ErrMultiStatement
	// ErrUseStatement: the database is chosen when the store is opened.
	ErrUseStatement = chsql.ErrUseStatement
	// ErrInlineInsert: INSERT ... VALUES/FORMAT would hang on ClickHouse 18.16's native
	// protocol; rows go through InsertBatch, and INSERT ... SELECT works everywhere.
	ErrInlineInsert = chsql.ErrInlineInsert
)

// ErrNoRows is returned by Row.Scan when the query returned no rows.
var ErrNoRows = errors.New("store: no rows in result set")

// ErrClosed is returned by every method of a closed store.
var ErrClosed = errors.New("store: closed")

// Row is the first row of a query, as returned by QueryRow.
type Row struct {
	rows Rows
	err  error
}

// QueryRow runs a query expected to return at most one row; Scan reads it.
func QueryRow(ctx context.Context, s Store, query string, args ...any) *Row {
	rows, err := s.Query(ctx, query, args...)
	return &Row{rows: rows, err: err}
}

// Scan copies the first row into dest (see the package documentation for the destinations),
// returning ErrNoRows when there is none, and closes the rows.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}
