package chsql

import (
	"fmt"
	"reflect"
	"time"
)

// Normalize turns a value a driver scanned for a column of type t into its canonical form (see
// GoType): nullable pointers are dereferenced (nil for NULL), instants are put in UTC, dates at
// midnight UTC of their calendar day, and UUIDs, IP addresses and decimals become their text.
func Normalize(t *Type, v any) any {
	if v == nil {
		return nil
	}
	t = t.Base()
	if t.Name == "Nullable" {
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return nil
			}
			v = rv.Elem().Interface()
		}
		t = t.Elems[0].Base()
	}
	if !needsNormalizing(t) {
		return v
	}
	switch t.Name {
	case "Date", "Date32":
		if tm, ok := v.(time.Time); ok {
			y, m, d := tm.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
	case "DateTime", "DateTime64":
		if tm, ok := v.(time.Time); ok {
			return tm.UTC()
		}
	case "UUID", "IPv4", "IPv6", "Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256":
		if s, ok := v.(fmt.Stringer); ok {
			return s.String()
		}
	case "Array":
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			return v
		}
		et, err := GoType(t.Elems[0])
		if err != nil {
			return v
		}
		out := reflect.MakeSlice(reflect.SliceOf(et), rv.Len(), rv.Len())
		for i := 0; i < rv.Len(); i++ {
			e := Normalize(t.Elems[0], rv.Index(i).Interface())
			if e == nil {
				continue
			}
			ev := reflect.ValueOf(e)
			if et.Kind() == reflect.Pointer && ev.Kind() != reflect.Pointer {
				p := reflect.New(et.Elem())
				p.Elem().Set(ev)
				ev = p
			}
			if ev.Type().AssignableTo(et) {
				out.Index(i).Set(ev)
			}
		}
		return out.Interface()
	}
	return v
}

// needsNormalizing reports whether values of t (after Nullable) differ between what the server
// driver scans and the canonical form.
func needsNormalizing(t *Type) bool {
	t = t.Base()
	switch t.Name {
	case "Nullable", "Array":
		return needsNormalizing(t.Elems[0])
	case "Date", "Date32", "DateTime", "DateTime64", "UUID", "IPv4", "IPv6",
		"Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256":
		return true
	}
	return false
}
