package chsql

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
)

// AppendQuoted appends s as a ClickHouse string literal. Backslash and quote are escaped with a
// backslash (the escaping both ClickHouse 18.16 and current versions read), and NUL as \0 so the
// text survives being handed to C as a NUL-terminated string (chDB).
func AppendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '\'')
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '\'':
			esc = `\'`
		case 0:
			esc = `\0`
		default:
			continue
		}
		buf = append(buf, s[start:i]...)
		buf = append(buf, esc...)
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '\'')
}

// Unquote reads a single-quoted ClickHouse string literal.
func Unquote(lit string) (string, error) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", fmt.Errorf("not a string literal: %s", lit)
	}
	body := lit[1 : len(lit)-1]
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			switch body[i] {
			case 'n':
				out = append(out, '\n')
			case 't':
				out = append(out, '\t')
			case 'r':
				out = append(out, '\r')
			case '0':
				out = append(out, 0)
			default:
				out = append(out, body[i])
			}
		case c == '\'' && i+1 < len(body) && body[i+1] == '\'':
			out = append(out, '\'')
			i++
		default:
			out = append(out, c)
		}
	}
	return string(out), nil
}

// appendFloat appends f the way ClickHouse reads it back as the same number: nan, inf and -inf
// by name, and always with a fraction or exponent so the literal is a Float64, not an integer.
func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "nan"...)
	case math.IsInf(f, 1):
		return append(buf, "inf"...)
	case math.IsInf(f, -1):
		return append(buf, "-inf"...)
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, 'g', -1, bits)
	for _, c := range buf[start:] {
		if c == '.' || c == 'e' {
			return buf
		}
	}
	return append(buf, ".0"...)
}

const timeLayout = "2006-01-02 15:04:05"

// AppendLiteral appends the SQL literal of a query argument, as Bind substitutes it:
//
//	nil, nil pointer        NULL
//	string, []byte          '...' (backslash, quote and NUL escaped)
//	bool                    1 or 0 (UInt8, as 18.16 has no Bool type)
//	integers                the number; negative ones in parentheses, so "a-?" never reads as a comment
//	float64                 the shortest exact form, always a Float64 literal; nan, inf; negative in parentheses
//	float32                 toFloat32(...), so it compares equal to a Float32 column
//	time.Time               toDateTime('YYYY-MM-DD hh:mm:ss', 'UTC'): the same instant, seconds precision
//	slices and arrays       [a, b, ...]
//	driver.Valuer           its Value
//
// Anything else (maps, structs, channels, ...) is refused.
func AppendLiteral(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(buf, "NULL"...), nil
	case string:
		return AppendQuoted(buf, v), nil
	case []byte:
		if v == nil {
			return append(buf, "NULL"...), nil
		}
		return AppendQuoted(buf, string(v)), nil
	case bool:
		if v {
			return append(buf, '1'), nil
		}
		return append(buf, '0'), nil
	case int:
		return appendInt(buf, int64(v)), nil
	case int64:
		return appendInt(buf, v), nil
	case int32:
		return appendInt(buf, int64(v)), nil
	case uint64:
		return strconv.AppendUint(buf, v, 10), nil
	case float64:
		return appendSignedFloat(buf, v), nil
	case float32:
		buf = append(buf, "toFloat32("...)
		return append(appendFloat(buf, float64(v), 32), ')'), nil
	case time.Time:
		buf = append(buf, "toDateTime('"...)
		buf = v.UTC().AppendFormat(buf, timeLayout)
		return append(buf, "', 'UTC')"...), nil
	case *big.Int:
		if v == nil {
			return append(buf, "NULL"...), nil
		}
		if v.Sign() < 0 {
			return append(v.Append(append(buf, '('), 10), ')'), nil
		}
		return v.Append(buf, 10), nil
	case driver.Valuer:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return append(buf, "NULL"...), nil
		}
		val, err := v.Value()
		if err != nil {
			return nil, err
		}
		return AppendLiteral(buf, val)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return append(buf, "NULL"...), nil
		}
		return AppendLiteral(buf, rv.Elem().Interface())
	case reflect.String:
		return AppendQuoted(buf, rv.String()), nil
	case reflect.Bool:
		return AppendLiteral(buf, rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendInt(buf, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(buf, rv.Uint(), 10), nil
	case reflect.Float32:
		return AppendLiteral(buf, float32(rv.Float()))
	case reflect.Float64:
		return appendSignedFloat(buf, rv.Float()), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return AppendQuoted(buf, string(rv.Bytes())), nil
		}
		buf = append(buf, '[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			var err error
			if buf, err = AppendLiteral(buf, rv.Index(i).Interface()); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return append(buf, ']'), nil
	}
	return nil, fmt.Errorf("cannot bind a value of type %T as a ClickHouse literal", v)
}

// appendSignedFloat puts negative numbers in parentheses, like appendInt.
func appendSignedFloat(buf []byte, f float64) []byte {
	if math.Signbit(f) && !math.IsNaN(f) {
		buf = append(buf, '(')
		return append(appendFloat(buf, f, 64), ')')
	}
	return appendFloat(buf, f, 64)
}

func appendInt(buf []byte, v int64) []byte {
	if v < 0 {
		buf = append(buf, '(')
		buf = strconv.AppendInt(buf, v, 10)
		return append(buf, ')')
	}
	return strconv.AppendInt(buf, v, 10)
}

// AppendValue appends a canonical value (as Coerce returns it) for a column of type t in the
// form the VALUES input format reads without evaluating expressions: plain numbers, quoted
// strings, dates as 'YYYY-MM-DD', instants as Unix seconds, [..] arrays and (..) tuples.
func AppendValue(buf []byte, t *Type, v any) ([]byte, error) {
	t = t.Base()
	if t.Name == "Nullable" {
		if v == nil {
			return append(buf, "NULL"...), nil
		}
		t = t.Elems[0].Base()
	}
	switch v := v.(type) {
	case nil:
		return append(buf, "NULL"...), nil
	case string:
		return AppendQuoted(buf, v), nil
	case bool:
		if v {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	case int8:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(buf, v, 10), nil
	case uint8:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(buf, v, 10), nil
	case float32:
		return appendFloat(buf, float64(v), 32), nil
	case float64:
		return appendFloat(buf, v, 64), nil
	case time.Time:
		if t.IsDate() {
			buf = append(buf, '\'')
			buf = v.AppendFormat(buf, "2006-01-02")
			return append(buf, '\''), nil
		}
		return strconv.AppendInt(buf, v.Unix(), 10), nil
	case []string:
		buf = append(buf, '[')
		for i, s := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendQuoted(buf, s)
		}
		return append(buf, ']'), nil
	case []float64:
		buf = append(buf, '[')
		for i, f := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendFloat(buf, f, 64)
		}
		return append(buf, ']'), nil
	case []any:
		if t.Name != "Tuple" || len(v) != len(t.Elems) {
			return nil, fmt.Errorf("a %d-element []any does not fit %s", len(v), t.Raw)
		}
		buf = append(buf, '(')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = AppendValue(buf, t.Elems[i], e); err != nil {
				return nil, err
			}
		}
		return append(buf, ')'), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return append(buf, "NULL"...), nil
		}
		return AppendValue(buf, t, rv.Elem().Interface())
	case reflect.Slice:
		if t.Name != "Array" {
			return nil, fmt.Errorf("a %T does not fit %s", v, t.Raw)
		}
		buf = append(buf, '[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = AppendValue(buf, t.Elems[0], rv.Index(i).Interface()); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case reflect.Map:
		if t.Name != "Map" {
			return nil, fmt.Errorf("a %T does not fit %s", v, t.Raw)
		}
		buf = append(buf, '{')
		iter := rv.MapRange()
		first := true
		for iter.Next() {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			var err error
			if buf, err = AppendValue(buf, t.Elems[0], iter.Key().Interface()); err != nil {
				return nil, err
			}
			buf = append(buf, ':')
			if buf, err = AppendValue(buf, t.Elems[1], iter.Value().Interface()); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	}
	return nil, fmt.Errorf("a %T does not fit %s", v, t.Raw)
}

// AppendCoerced is Coerce followed by AppendValue, with the common scalar cases (a string for a
// String column, a float64 for Float64, a time.Time for DateTime, nil for Nullable) written
// directly, without boxing the converted value.
func AppendCoerced(buf []byte, t *Type, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if t.Base().Name == "String" {
			return AppendQuoted(buf, x), nil
		}
	case float64:
		if t.Base().Name == "Float64" {
			return appendFloat(buf, x, 64), nil
		}
	case time.Time:
		if t.Base().Name == "DateTime" {
			return strconv.AppendInt(buf, x.Unix(), 10), nil
		}
	case nil:
		if t.IsNullable() {
			return append(buf, "NULL"...), nil
		}
	}
	c, err := Coerce(t, v)
	if err != nil {
		return nil, err
	}
	return AppendValue(buf, t, c)
}
