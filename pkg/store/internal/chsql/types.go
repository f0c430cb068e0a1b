// Package chsql is the ClickHouse SQL plumbing both store backends share, so that they bind
// parameters, coerce inserted values and hand scanned values to callers in exactly the same way:
// the query lexer and `?` binder, SQL literals, a parser for ClickHouse type names, the canonical
// Go representation of each type, and the conversion of canonical values into Scan destinations.
package chsql

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Type is a parsed ClickHouse column type such as `Array(Nullable(Float64))`.
type Type struct {
	// Name is the type constructor: "UInt32", "Nullable", "Array", "DateTime", ...
	Name string
	// Elems are the nested types of Nullable, Array, LowCardinality, Tuple, Map and
	// SimpleAggregateFunction.
	Elems []*Type
	// ElemNames are the element names of a named Tuple (empty strings when unnamed).
	ElemNames []string
	// Params are the non-type parameters, unquoted: FixedString's length, DateTime's time
	// zone, Decimal's precision and scale, DateTime64's precision and zone.
	Params []string
	// Enum maps the numeric value of an Enum8/Enum16 to its name.
	Enum map[int16]string
	// Raw is the type as ClickHouse printed it.
	Raw string
}

// String returns the type as ClickHouse printed it.
func (t *Type) String() string { return t.Raw }

// Base strips LowCardinality and SimpleAggregateFunction wrappers, which do not change how a
// value is represented.
func (t *Type) Base() *Type {
	for {
		switch t.Name {
		case "LowCardinality":
			t = t.Elems[0]
		case "SimpleAggregateFunction":
			t = t.Elems[len(t.Elems)-1]
		default:
			return t
		}
	}
}

// IsNullable reports whether t (after LowCardinality) is Nullable(...).
func (t *Type) IsNullable() bool { return t.Base().Name == "Nullable" }

// ParseType parses a ClickHouse type name as printed by DESCRIBE, system.columns or a result
// header.
func ParseType(s string) (*Type, error) {
	p := typeParser{s: s}
	t, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("parse type %q: %w", s, err)
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("parse type %q: unexpected %q", s, p.s[p.i:])
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *typeParser) ident() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

// args splits the parenthesised argument list at the current position into raw top-level
// arguments, honouring nested parentheses and quoted strings.
func (p *typeParser) args() ([]string, error) {
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, nil
	}
	p.i++
	var (
		out   []string
		depth int
		start = p.i
	)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\'', '`', '"':
			end, ok := skipQuoted(p.s, p.i)
			if !ok {
				return nil, fmt.Errorf("unterminated quote")
			}
			p.i = end
			continue
		case '(':
			depth++
		case ')':
			if depth == 0 {
				out = append(out, strings.TrimSpace(p.s[start:p.i]))
				p.i++
				return out, nil
			}
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(p.s[start:p.i]))
				start = p.i + 1
			}
		}
		p.i++
	}
	return nil, fmt.Errorf("unbalanced parentheses")
}

func (p *typeParser) parse() (*Type, error) {
	p.space()
	start := p.i
	name := p.ident()
	if name == "" {
		return nil, fmt.Errorf("expected a type name at %d", p.i)
	}
	p.space()
	args, err := p.args()
	if err != nil {
		return nil, err
	}
	t := &Type{Name: name, Raw: strings.TrimSpace(p.s[start:p.i])}
	switch name {
	case "Nullable", "Array", "LowCardinality":
		if len(args) != 1 {
			return nil, fmt.Errorf("%s takes one type", name)
		}
		e, err := ParseType(args[0])
		if err != nil {
			return nil, err
		}
		t.Elems = []*Type{e}
	case "Map":
		if len(args) != 2 {
			return nil, errors.New("map takes two types")
		}
		for _, a := range args {
			e, err := ParseType(a)
			if err != nil {
				return nil, err
			}
			t.Elems = append(t.Elems, e)
		}
	case "Tuple":
		for _, a := range args {
			e, err := ParseType(a)
			elemName := ""
			if err != nil {
				// A named element: "name Type".
				n, rest, ok := strings.Cut(a, " ")
				if !ok {
					return nil, err
				}
				if e, err = ParseType(rest); err != nil {
					return nil, err
				}
				elemName = strings.Trim(n, "`\"")
			}
			t.Elems = append(t.Elems, e)
			t.ElemNames = append(t.ElemNames, elemName)
		}
	case "SimpleAggregateFunction":
		if len(args) < 2 {
			return nil, fmt.Errorf("SimpleAggregateFunction takes a function and a type")
		}
		e, err := ParseType(args[len(args)-1])
		if err != nil {
			return nil, err
		}
		t.Params = []string{args[0]}
		t.Elems = []*Type{e}
	case "Enum8", "Enum16":
		t.Enum = make(map[int16]string, len(args))
		for _, a := range args {
			name, value, err := parseEnumItem(a)
			if err != nil {
				return nil, err
			}
			t.Enum[value] = name
		}
	default:
		for _, a := range args {
			if strings.HasPrefix(a, "'") {
				u, err := Unquote(a)
				if err != nil {
					return nil, err
				}
				a = u
			}
			t.Params = append(t.Params, a)
		}
	}
	return t, nil
}

func parseEnumItem(a string) (string, int16, error) {
	end, ok := skipQuoted(a, 0)
	if !ok || a[0] != '\'' {
		return "", 0, fmt.Errorf("bad enum item %q", a)
	}
	name, err := Unquote(a[:end])
	if err != nil {
		return "", 0, err
	}
	rest := strings.TrimSpace(a[end:])
	rest = strings.TrimSpace(strings.TrimPrefix(rest, "="))
	v, err := strconv.ParseInt(rest, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("bad enum value in %q", a)
	}
	return name, int16(v), nil
}

// Canonical Go types. Both backends hand scanned values over in these representations (see
// GoType), so Scan behaves the same whichever engine produced them.
var (
	typeAny     = reflect.TypeFor[any]()
	typeTime    = reflect.TypeFor[time.Time]()
	typeBigInt  = reflect.TypeFor[*big.Int]()
	typeAnySlc  = reflect.TypeFor[[]any]()
	typeString  = reflect.TypeFor[string]()
	typeBool    = reflect.TypeFor[bool]()
	typeFloat32 = reflect.TypeFor[float32]()
	typeFloat64 = reflect.TypeFor[float64]()
)

var intTypes = map[string]reflect.Type{
	"Int8": reflect.TypeFor[int8](), "Int16": reflect.TypeFor[int16](),
	"Int32": reflect.TypeFor[int32](), "Int64": reflect.TypeFor[int64](),
	"UInt8": reflect.TypeFor[uint8](), "UInt16": reflect.TypeFor[uint16](),
	"UInt32": reflect.TypeFor[uint32](), "UInt64": reflect.TypeFor[uint64](),
	// Intervals are Int64 counts.
	"IntervalSecond": reflect.TypeFor[int64](), "IntervalMinute": reflect.TypeFor[int64](),
	"IntervalHour": reflect.TypeFor[int64](), "IntervalDay": reflect.TypeFor[int64](),
	"IntervalWeek": reflect.TypeFor[int64](), "IntervalMonth": reflect.TypeFor[int64](),
	"IntervalQuarter": reflect.TypeFor[int64](), "IntervalYear": reflect.TypeFor[int64](),
}

// GoType is the canonical Go representation of a value of type t:
//
//	Int8..Int64, UInt8..UInt64     int8..int64, uint8..uint64
//	Int128, UInt128, Int256, ...   *big.Int
//	Float32, Float64               float32, float64
//	String, FixedString, UUID,
//	IPv4, IPv6, Enum8/16, Decimal  string
//	Bool                           bool
//	Date, Date32, DateTime, DateTime64   time.Time in UTC (dates at midnight UTC)
//	Nullable(T)                    *T (a top-level column value is handed over as T or nil)
//	Array(T)                       []GoType(T)
//	Tuple(...)                     []any
//	Map(K, V)                      map[GoType(K)]GoType(V)
//	LowCardinality(T)              GoType(T)
func GoType(t *Type) (reflect.Type, error) {
	t = t.Base()
	if rt, ok := intTypes[t.Name]; ok {
		return rt, nil
	}
	switch t.Name {
	case "Int128", "Int256", "UInt128", "UInt256":
		return typeBigInt, nil
	case "Float32":
		return typeFloat32, nil
	case "Float64":
		return typeFloat64, nil
	case "String", "FixedString", "UUID", "IPv4", "IPv6", "Enum8", "Enum16",
		"Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256":
		return typeString, nil
	case "Bool":
		return typeBool, nil
	case "Date", "Date32", "DateTime", "DateTime64":
		return typeTime, nil
	case "Nothing":
		return typeAny, nil
	case "Nullable":
		e, err := GoType(t.Elems[0])
		if err != nil {
			return nil, err
		}
		if e == typeAny {
			return typeAny, nil
		}
		return reflect.PointerTo(e), nil
	case "Array":
		e, err := GoType(t.Elems[0])
		if err != nil {
			return nil, err
		}
		return reflect.SliceOf(e), nil
	case "Tuple":
		return typeAnySlc, nil
	case "Map":
		k, err := GoType(t.Elems[0])
		if err != nil {
			return nil, err
		}
		v, err := GoType(t.Elems[1])
		if err != nil {
			return nil, err
		}
		return reflect.MapOf(k, v), nil
	}
	return nil, fmt.Errorf("unsupported ClickHouse type %s", t.Raw)
}

// IsDate reports whether t (after wrappers, Nullable and Array) holds calendar dates rather than
// instants: a time.Time bound for such a column means its calendar day.
func (t *Type) IsDate() bool {
	for {
		t = t.Base()
		switch t.Name {
		case "Nullable", "Array":
			t = t.Elems[0]
		case "Date", "Date32":
			return true
		default:
			return false
		}
	}
}
