package chsql

import (
	"fmt"
	"reflect"
	"time"
)

// CoerceColumn converts one column of a columnar insert, a slice holding the column's value for
// every row, to a slice of the canonical Go type of t (see GoType; []*T for Nullable(T)), with
// the rules of Coerce, and returns it with its length. A slice that already has the canonical
// element type and whose values cannot be out of range is returned as it is (DateTime instants
// are put in UTC): a caller that builds its columns in those types pays no per-value
// conversion, no reflection and no interface value per cell, which is what a columnar insert
// is for.
func CoerceColumn(t *Type, values any) (any, int, error) {
	rv := reflect.ValueOf(values)
	if rv.Kind() != reflect.Slice {
		return nil, 0, fmt.Errorf("column values must be a slice, not %T", values)
	}
	gt, err := GoType(t)
	if err != nil {
		return nil, 0, err
	}
	n := rv.Len()
	want := reflect.SliceOf(gt)
	if rv.Type() == want {
		if times, ok := values.([]time.Time); ok {
			return inUTC(t, times), n, nil
		}
		if passesAsIs(t) {
			return values, n, nil
		}
	}
	out := reflect.MakeSlice(want, n, n)
	for i := range n {
		c, err := Coerce(t, rv.Index(i).Interface())
		if err != nil {
			return nil, 0, fmt.Errorf("row %d: %w", i, err)
		}
		setCanonical(out.Index(i), c)
	}
	return out.Interface(), n, nil
}

// setCanonical stores v, a value as Coerce returns it (T, or nil for NULL), in dst, an element
// of a slice of the canonical Go type: wrapped in a new pointer where that type is *T, and left
// the zero *T for NULL.
func setCanonical(dst reflect.Value, v any) {
	if v == nil {
		return
	}
	rv := reflect.ValueOf(v)
	if dst.Kind() == reflect.Pointer && rv.Kind() != reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		p.Elem().Set(rv)
		rv = p
	}
	dst.Set(rv)
}

// passesAsIs reports whether every value of t's canonical Go type is already what Coerce would
// return for it: integers, floats, strings and bools, Nullable ones, and arrays of them. Enums
// (names are checked), instants (put in UTC), tuples and maps are converted value by value.
func passesAsIs(t *Type) bool {
	t = t.Base()
	if _, ok := intTypes[t.Name]; ok {
		return true
	}
	switch t.Name {
	case "Float32", "Float64", "String", "FixedString", "Bool":
		return true
	case "Nullable":
		return t.Elems[0].Base().Name != "Array" && passesAsIs(t.Elems[0])
	case "Array":
		return !t.Elems[0].IsNullable() && passesAsIs(t.Elems[0])
	}
	return false
}

// inUTC returns the values of a Date or DateTime column as Coerce would: instants in UTC (a
// copy only when one is not), calendar dates as they are.
func inUTC(t *Type, times []time.Time) []time.Time {
	if name := t.Base().Name; name != "DateTime" && name != "DateTime64" {
		return times
	}
	for i, tm := range times {
		if tm.Location() != time.UTC {
			out := make([]time.Time, len(times))
			copy(out, times[:i])
			for j := i; j < len(times); j++ {
				out[j] = times[j].UTC()
			}
			return out
		}
	}
	return times
}

// Transpose turns a columnar insert (values[i] a slice holding column i's value for every row)
// into rows, for a backend that writes rows; it checks that every column has as many values as
// the first.
func Transpose(columns []string, values []any) ([][]any, error) {
	if len(values) != len(columns) {
		return nil, fmt.Errorf("%d columns of values for %d columns", len(values), len(columns))
	}
	if len(values) == 0 {
		return nil, nil
	}
	cols := make([]reflect.Value, len(values))
	for i, v := range values {
		cols[i] = reflect.ValueOf(v)
		if cols[i].Kind() != reflect.Slice {
			return nil, fmt.Errorf("column %s: values must be a slice, not %T", columns[i], v)
		}
		if cols[i].Len() != cols[0].Len() {
			return nil, fmt.Errorf("column %s has %d values, column %s has %d", columns[i], cols[i].Len(), columns[0], cols[0].Len())
		}
	}
	rows := make([][]any, cols[0].Len())
	cells := make([]any, len(rows)*len(cols))
	for r := range rows {
		rows[r] = cells[r*len(cols) : (r+1)*len(cols) : (r+1)*len(cols)]
		for c, col := range cols {
			rows[r][c] = col.Index(r).Interface()
		}
	}
	return rows, nil
}
