package chsql

import (
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"time"
)

// Coerce converts a Go value to be inserted into a column of type t to the canonical
// representation of that type (see GoType; a top-level Nullable gives T or nil), checking
// ranges, so both backends accept and refuse exactly the same values:
//
//   - integers accept any Go integer in range (and bool for UInt8, the 18.16 boolean);
//   - floats accept floats and integers; strings accept string and []byte;
//   - Date, DateTime accept time.Time (a Date column stores the value's calendar day);
//   - Bool accepts bool; Enum accepts its names or values; UUID accepts strings;
//   - Array accepts any slice or array, Tuple a []any, Map a map;
//   - Nullable accepts nil and nil pointers; pointers are followed; driver.Valuer is asked.
//
// NULL for a non-Nullable column is an error (the server drivers would silently store zero).
// Decimal, big integers and IP columns are not supported for insert.
func Coerce(t *Type, v any) (any, error) {
	if canonical(t, v) {
		return v, nil
	}
	if vr, ok := v.(driver.Valuer); ok {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			v = nil
		} else {
			val, err := vr.Value()
			if err != nil {
				return nil, err
			}
			v = val
		}
	}
	if v != nil {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				v = nil
			} else {
				return Coerce(t, rv.Elem().Interface())
			}
		}
	}
	t = t.Base()
	if t.Name == "Nullable" {
		if v == nil {
			return nil, nil
		}
		return Coerce(t.Elems[0], v)
	}
	if v == nil {
		return nil, fmt.Errorf("NULL for non-Nullable %s", t.Raw)
	}
	if rt, ok := intTypes[t.Name]; ok {
		return coerceInt(t, rt, v)
	}
	switch t.Name {
	case "Float32", "Float64":
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			rv := reflect.ValueOf(v)
			switch rv.Kind() {
			case reflect.Float32, reflect.Float64:
				f = rv.Float()
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				f = float64(rv.Int())
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				f = float64(rv.Uint())
			default:
				return nil, mismatch(t, v)
			}
		}
		if t.Name == "Float32" {
			return float32(f), nil
		}
		return f, nil
	case "String", "FixedString", "UUID":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
			return rv.String(), nil
		}
		return nil, mismatch(t, v)
	case "Enum8", "Enum16":
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.String:
			return rv.String(), nil
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if name, ok := t.Enum[int16(rv.Int())]; ok && rv.Int() == int64(int16(rv.Int())) {
				return name, nil
			}
			return nil, fmt.Errorf("%d is not a value of %s", rv.Int(), t.Raw)
		}
		return nil, mismatch(t, v)
	case "Bool":
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Bool {
			return rv.Bool(), nil
		}
		return nil, mismatch(t, v)
	case "Date", "Date32", "DateTime", "DateTime64":
		tm, ok := v.(time.Time)
		if !ok {
			return nil, mismatch(t, v)
		}
		if t.Name == "DateTime" || t.Name == "DateTime64" {
			tm = tm.UTC()
		}
		return tm, nil
	case "Array":
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array || rv.Type().Elem().Kind() == reflect.Uint8 && t.Elems[0].Base().Name == "String" {
			return nil, mismatch(t, v)
		}
		elemType, err := GoType(t.Elems[0])
		if err != nil {
			return nil, err
		}
		// Fast path: a slice already in the canonical representation.
		if rv.Type() == reflect.SliceOf(elemType) && !t.Elems[0].IsNullable() && !t.Elems[0].IsDate() && elemType != typeTime && elemType.Kind() != reflect.Slice {
			return v, nil
		}
		out := reflect.MakeSlice(reflect.SliceOf(elemType), rv.Len(), rv.Len())
		for i := 0; i < rv.Len(); i++ {
			e, err := Coerce(t.Elems[0], rv.Index(i).Interface())
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			setCanonical(out.Index(i), e) // a NULL element of Array(Nullable(T)) stays the zero *T
		}
		return out.Interface(), nil
	case "Tuple":
		items, ok := v.([]any)
		if !ok || len(items) != len(t.Elems) {
			return nil, mismatch(t, v)
		}
		out := make([]any, len(items))
		for i, e := range items {
			c, err := Coerce(t.Elems[i], e)
			if err != nil {
				return nil, fmt.Errorf("tuple element %d: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	case "Map":
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Map {
			return nil, mismatch(t, v)
		}
		mt, err := GoType(t)
		if err != nil {
			return nil, err
		}
		out := reflect.MakeMapWithSize(mt, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k, err := Coerce(t.Elems[0], iter.Key().Interface())
			if err != nil {
				return nil, fmt.Errorf("map key: %w", err)
			}
			val, err := Coerce(t.Elems[1], iter.Value().Interface())
			if err != nil {
				return nil, fmt.Errorf("map value: %w", err)
			}
			vv := reflect.ValueOf(val)
			if val == nil {
				vv = reflect.Zero(mt.Elem())
			} else if mt.Elem().Kind() == reflect.Pointer && vv.Kind() != reflect.Pointer {
				p := reflect.New(mt.Elem().Elem())
				p.Elem().Set(vv)
				vv = p
			}
			out.SetMapIndex(reflect.ValueOf(k), vv)
		}
		return out.Interface(), nil
	}
	return nil, fmt.Errorf("inserting into %s columns is not supported", t.Raw)
}

// canonical reports whether v already is the canonical value for t, as Coerce would return
// it. Coerce runs for every value of every inserted row, and most are plain strings, floats
// and small integers: it was a third of InsertBatch's client CPU in the ingest profile, and
// answering those values without reflection or a new interface value takes ~5 ns instead of
// ~30.
func canonical(t *Type, v any) bool {
	t = t.Base()
	if t.Name == "Nullable" {
		t = t.Elems[0].Base()
	}
	var name string
	switch v.(type) {
	case string:
		name = "String"
	case float64:
		name = "Float64"
	case uint8:
		name = "UInt8"
	case uint32:
		name = "UInt32"
	case uint64:
		name = "UInt64"
	case int64:
		name = "Int64"
	default:
		return false
	}
	return t.Name == name
}

func mismatch(t *Type, v any) error {
	return fmt.Errorf("a %T value does not fit %s", v, t.Raw)
}

func coerceInt(t *Type, rt reflect.Type, v any) (any, error) {
	var (
		i      int64
		u      uint64
		signed bool
	)
	switch x := v.(type) {
	case int:
		i, signed = int64(x), true
	case int64:
		i, signed = x, true
	case uint64:
		u = x
	case bool:
		if t.Name != "UInt8" {
			return nil, mismatch(t, v)
		}
		if x {
			u = 1
		}
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			i, signed = rv.Int(), true
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			u = rv.Uint()
		default:
			return nil, mismatch(t, v)
		}
	}
	if rt.Kind() >= reflect.Int && rt.Kind() <= reflect.Int64 {
		if !signed {
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("%d overflows %s", u, t.Raw)
			}
			i = int64(u)
		}
		var lo, hi int64
		switch rt.Kind() {
		case reflect.Int8:
			lo, hi = math.MinInt8, math.MaxInt8
		case reflect.Int16:
			lo, hi = math.MinInt16, math.MaxInt16
		case reflect.Int32:
			lo, hi = math.MinInt32, math.MaxInt32
		default:
			lo, hi = math.MinInt64, math.MaxInt64
		}
		if i < lo || i > hi {
			return nil, fmt.Errorf("%d overflows %s", i, t.Raw)
		}
		switch rt.Kind() {
		case reflect.Int8:
			return int8(i), nil
		case reflect.Int16:
			return int16(i), nil
		case reflect.Int32:
			return int32(i), nil
		}
		return i, nil
	}
	if signed {
		if i < 0 {
			return nil, fmt.Errorf("%d overflows %s", i, t.Raw)
		}
		u = uint64(i)
	}
	var hi uint64
	switch rt.Kind() {
	case reflect.Uint8:
		hi = math.MaxUint8
	case reflect.Uint16:
		hi = math.MaxUint16
	case reflect.Uint32:
		hi = math.MaxUint32
	default:
		hi = math.MaxUint64
	}
	if u > hi {
		return nil, fmt.Errorf("%d overflows %s", u, t.Raw)
	}
	switch rt.Kind() {
	case reflect.Uint8:
		return uint8(u), nil
	case reflect.Uint16:
		return uint16(u), nil
	case reflect.Uint32:
		return uint32(u), nil
	}
	return u, nil
}
