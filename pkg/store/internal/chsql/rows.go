package chsql

import (
	"errors"
	"fmt"
)

// MemRows iterates over a materialised Result. It implements store.Rows.
type MemRows struct {
	res    *Result
	next   int
	closed bool
}

// NewMemRows returns rows positioned before the first row of res.
func NewMemRows(res *Result) *MemRows { return &MemRows{res: res} }

// Next advances to the next row.
func (r *MemRows) Next() bool {
	if r.closed || r.next >= len(r.res.Rows) {
		return false
	}
	r.next++
	return true
}

// Scan assigns the current row's values to dest (see Assign).
func (r *MemRows) Scan(dest ...any) error {
	if r.closed {
		return errors.New("scan on closed rows")
	}
	if r.next == 0 || r.next > len(r.res.Rows) {
		return errors.New("scan called without a successful Next")
	}
	return ScanRow(r.res.Columns, r.res.Rows[r.next-1], dest)
}

// ScanRow assigns one row of canonical values to dest, naming the column in errors.
func ScanRow(columns []string, row []any, dest []any) error {
	if len(dest) != len(row) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(row))
	}
	for i, d := range dest {
		if err := Assign(d, row[i]); err != nil {
			return fmt.Errorf("scan column %s: %w", columns[i], err)
		}
	}
	return nil
}

// Columns returns the result's column names.
func (r *MemRows) Columns() []string { return r.res.Columns }

// Err is always nil: the whole result was read before the rows were handed out.
func (r *MemRows) Err() error { return nil }

// Close releases the rows.
func (r *MemRows) Close() error {
	r.closed = true
	return nil
}
