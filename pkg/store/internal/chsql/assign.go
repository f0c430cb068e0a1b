package chsql

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"
)

// ErrNull is returned when a NULL is scanned into a destination that cannot hold it.
var ErrNull = errors.New("NULL value: scan into a pointer destination (e.g. **float64) or *any")

var scannerType = reflect.TypeFor[sql.Scanner]()

// Assign stores the canonical value src (see GoType) into dest, a non-nil pointer:
//
//	*any                       src as is
//	**T (any pointer depth)    nil for NULL, else a new T assigned from src
//	*string                    strings
//	*bool                      bool, or an integer (non-zero is true)
//	*int8 ... *int64           any integer or bool that fits
//	*uint8 ... *uint64         any non-negative integer or bool that fits
//	*float32, *float64         floats and integers
//	*time.Time                 time.Time (in UTC)
//	*[]T                       any array whose elements assign to T, element by element
//	sql.Scanner                its Scan method
//
// Named types are handled by their kind. Lossy conversions (float to integer, overflow) and
// NULL into a non-pointer destination are errors.
func Assign(dest, src any) error {
	switch d := dest.(type) {
	case *string:
		if s, ok := src.(string); ok {
			*d = s
			return nil
		}
	case *float64:
		if f, ok := src.(float64); ok {
			*d = f
			return nil
		}
	case *int64:
		if i, ok := src.(int64); ok {
			*d = i
			return nil
		}
	case *uint64:
		if u, ok := src.(uint64); ok {
			*d = u
			return nil
		}
	case *time.Time:
		if t, ok := src.(time.Time); ok {
			*d = t.UTC()
			return nil
		}
	case *[]string:
		if s, ok := src.([]string); ok {
			*d = s
			return nil
		}
	case *[]float64:
		if s, ok := src.([]float64); ok {
			*d = s
			return nil
		}
	case *any:
		*d = src
		return nil
	case nil:
		return errors.New("nil scan destination")
	}
	dv := reflect.ValueOf(dest)
	if dv.Kind() != reflect.Pointer || dv.IsNil() {
		return fmt.Errorf("scan destination must be a non-nil pointer, not %T", dest)
	}
	return assignValue(dv.Elem(), src)
}

func assignValue(dv reflect.Value, src any) error {
	if dv.Kind() == reflect.Interface {
		if src == nil {
			dv.SetZero()
		} else {
			dv.Set(reflect.ValueOf(src))
		}
		return nil
	}
	if dv.CanAddr() && dv.Addr().Type().Implements(scannerType) {
		return dv.Addr().Interface().(sql.Scanner).Scan(src)
	}
	if dv.Kind() == reflect.Pointer {
		if src == nil {
			dv.SetZero()
			return nil
		}
		p := reflect.New(dv.Type().Elem())
		if err := assignValue(p.Elem(), src); err != nil {
			return err
		}
		dv.Set(p)
		return nil
	}
	if src == nil {
		return ErrNull
	}
	if dv.Type() == typeTime {
		if t, ok := src.(time.Time); ok {
			dv.Set(reflect.ValueOf(t.UTC()))
			return nil
		}
		return cannot(dv, src)
	}
	sv := reflect.ValueOf(src)
	// A non-nil pointer source (an element of Array(Nullable(T))) assigns its target.
	if sv.Kind() == reflect.Pointer {
		if sv.IsNil() {
			return ErrNull
		}
		return assignValue(dv, sv.Elem().Interface())
	}
	switch dv.Kind() {
	case reflect.String:
		if sv.Kind() == reflect.String {
			dv.SetString(sv.String())
			return nil
		}
	case reflect.Bool:
		switch sv.Kind() {
		case reflect.Bool:
			dv.SetBool(sv.Bool())
			return nil
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			dv.SetBool(sv.Int() != 0)
			return nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			dv.SetBool(sv.Uint() != 0)
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		switch sv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			i = sv.Int()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if sv.Uint() > math.MaxInt64 {
				return overflow(dv, src)
			}
			i = int64(sv.Uint())
		case reflect.Bool:
			if sv.Bool() {
				i = 1
			}
		default:
			return cannot(dv, src)
		}
		if dv.OverflowInt(i) {
			return overflow(dv, src)
		}
		dv.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		switch sv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if sv.Int() < 0 {
				return overflow(dv, src)
			}
			u = uint64(sv.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			u = sv.Uint()
		case reflect.Bool:
			if sv.Bool() {
				u = 1
			}
		default:
			return cannot(dv, src)
		}
		if dv.OverflowUint(u) {
			return overflow(dv, src)
		}
		dv.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		switch sv.Kind() {
		case reflect.Float32, reflect.Float64:
			dv.SetFloat(sv.Float())
			return nil
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			dv.SetFloat(float64(sv.Int()))
			return nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			dv.SetFloat(float64(sv.Uint()))
			return nil
		}
	case reflect.Slice:
		if sv.Kind() == reflect.Slice || sv.Kind() == reflect.Array {
			if sv.Type().AssignableTo(dv.Type()) {
				dv.Set(sv)
				return nil
			}
			if sv.Kind() == reflect.Slice && sv.IsNil() {
				dv.SetZero()
				return nil
			}
			out := reflect.MakeSlice(dv.Type(), sv.Len(), sv.Len())
			for i := 0; i < sv.Len(); i++ {
				if err := assignValue(out.Index(i), sv.Index(i).Interface()); err != nil {
					return fmt.Errorf("element %d: %w", i, err)
				}
			}
			dv.Set(out)
			return nil
		}
		if dv.Type().Elem().Kind() == reflect.Uint8 && sv.Kind() == reflect.String {
			dv.SetBytes([]byte(sv.String()))
			return nil
		}
	case reflect.Map:
		if sv.Kind() == reflect.Map {
			if sv.Type().AssignableTo(dv.Type()) {
				dv.Set(sv)
				return nil
			}
			out := reflect.MakeMapWithSize(dv.Type(), sv.Len())
			iter := sv.MapRange()
			for iter.Next() {
				k := reflect.New(dv.Type().Key()).Elem()
				if err := assignValue(k, iter.Key().Interface()); err != nil {
					return fmt.Errorf("map key: %w", err)
				}
				v := reflect.New(dv.Type().Elem()).Elem()
				if err := assignValue(v, iter.Value().Interface()); err != nil {
					return fmt.Errorf("map value: %w", err)
				}
				out.SetMapIndex(k, v)
			}
			dv.Set(out)
			return nil
		}
	}
	return cannot(dv, src)
}

func cannot(dv reflect.Value, src any) error {
	return fmt.Errorf("cannot scan a %T into a %s", src, dv.Type())
}

func overflow(dv reflect.Value, src any) error {
	return fmt.Errorf("%v overflows %s", src, dv.Type())
}
