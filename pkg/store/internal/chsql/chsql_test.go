package chsql

import (
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

type myString string

type valuer struct{ v string }

func (v valuer) Value() (driver.Value, error) { return v.v, nil }

func TestBind(t *testing.T) {
	ts := time.Date(2025, 1, 1, 1, 2, 3, 999, time.FixedZone("UTC+2", 7200))
	s := "x"
	var nilPtr *string
	cases := []struct {
		query string
		args  []any
		want  string
	}{
		{"SELECT 1", nil, "SELECT 1"},
		{"SELECT 1;", nil, "SELECT 1"},
		{"SELECT 1 ;  \n", nil, "SELECT 1 "},
		{"SELECT ?", []any{"it's"}, `SELECT 'it\'s'`},
		{"SELECT ?", []any{`back\slash`}, `SELECT 'back\\slash'`},
		{"SELECT ?", []any{"nul\x00"}, `SELECT 'nul\0'`},
		{"SELECT ?", []any{"?"}, `SELECT '?'`},
		{"SELECT ?, ?", []any{"?", 1}, `SELECT '?', 1`},
		{"SELECT a-?", []any{-5}, "SELECT a-(-5)"},
		{"SELECT a-?", []any{-0.5}, "SELECT a-(-0.5)"},
		{"SELECT ?", []any{int8(-1)}, "SELECT (-1)"},
		{"SELECT ?", []any{uint64(math.MaxUint64)}, "SELECT 18446744073709551615"},
		{"SELECT ?", []any{2.0}, "SELECT 2.0"},
		{"SELECT ?", []any{1e300}, "SELECT 1e+300"},
		{"SELECT ?", []any{float32(0.1)}, "SELECT toFloat32(0.1)"},
		{"SELECT ?", []any{math.NaN()}, "SELECT nan"},
		{"SELECT ?", []any{math.Inf(-1)}, "SELECT (-inf)"},
		{"SELECT ?, ?", []any{true, false}, "SELECT 1, 0"},
		{"SELECT ?", []any{ts}, "SELECT toDateTime('2024-12-31 23:02:03', 'UTC')"},
		{"SELECT ?", []any{nil}, "SELECT NULL"},
		{"SELECT ?", []any{nilPtr}, "SELECT NULL"},
		{"SELECT ?", []any{&s}, "SELECT 'x'"},
		{"SELECT ?", []any{[]string{"a", "b'"}}, `SELECT ['a', 'b\'']`},
		{"SELECT ?", []any{[]int{1, -2}}, "SELECT [1, (-2)]"},
		{"SELECT ?", []any{[]any{}}, "SELECT []"},
		{"SELECT ?", []any{[][]float64{{1.5}, {}}}, "SELECT [[1.5], []]"},
		{"SELECT ?", []any{[]byte("raw")}, "SELECT 'raw'"},
		{"SELECT ?", []any{myString("named")}, "SELECT 'named'"},
		{"SELECT ?", []any{valuer{"v"}}, "SELECT 'v'"},
		{"SELECT ?", []any{big.NewInt(-3)}, "SELECT (-3)"},
		// Not placeholders: literals, quoted identifiers, comments.
		{"SELECT '?', `?`, \"?\", ? -- ?\n", []any{1}, "SELECT '?', `?`, \"?\", 1 -- ?\n"},
		{"SELECT /* ? /* nested ? */ ? */ ?", []any{1}, "SELECT /* ? /* nested ? */ ? */ 1"},
		{`SELECT 'it\'s ?', ?`, []any{1}, `SELECT 'it\'s ?', 1`},
		{"SELECT 'it''s ?', ?", []any{1}, "SELECT 'it''s ?', 1"},
		{"SELECT ? # ?", []any{1}, "SELECT 1 # ?"},
		{"SELECT 'a;b', ?", []any{"c;d"}, "SELECT 'a;b', 'c;d'"},
	}
	for _, c := range cases {
		got, err := Bind(c.query, c.args)
		if err != nil {
			t.Errorf("Bind(%q, %v): %v", c.query, c.args, err)
			continue
		}
		if got != c.want {
			t.Errorf("Bind(%q, %v)\n got %s\nwant %s", c.query, c.args, got, c.want)
		}
	}
}

func TestBindRefuses(t *testing.T) {
	ch := make(chan int)
	cases := []struct {
		query string
		args  []any
		want  string
	}{
		{"SELECT ?", nil, "1 ? placeholders but 0 arguments"},
		{"SELECT 1", []any{1}, "0 ? placeholders but 1 arguments"},
		{"SELECT ?, ?", []any{1}, "2 ? placeholders"},
		{"SELECT ?", []any{struct{}{}}, "cannot bind"},
		{"SELECT ?", []any{map[string]int{}}, "cannot bind"},
		{"SELECT ?", []any{ch}, "cannot bind"},
		{"SELECT ?", []any{[]any{1, struct{}{}}}, "element 1"},
		{"SELECT 1; SELECT 2", nil, "more than one statement"},
		{"SELECT 1; DROP TABLE x;", nil, "more than one statement"},
		{"SELECT 1; ?", []any{1}, "more than one statement"},
		{"USE other", nil, "USE"},
		{"  use other;", nil, "USE"},
		{"/* c */ USE other", nil, "USE"},
		{"INSERT INTO t (a) VALUES (1)", nil, "InsertBatch"},
		{"insert into t values (?)", []any{1}, "InsertBatch"},
		{"INSERT INTO t FORMAT JSONEachRow {\"a\": 1}", nil, "InsertBatch"},
		{"", nil, "empty"},
		{" ; -- c", nil, "empty"},
	}
	for _, c := range cases {
		_, err := Bind(c.query, c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Bind(%q, %v): err = %v, want one mentioning %q", c.query, c.args, err, c.want)
		}
	}
	if _, err := Bind("SELECT 1; SELECT 2", nil); !errors.Is(err, ErrMultiStatement) {
		t.Errorf("multi-statement error = %v, want ErrMultiStatement", err)
	}
	// Not USE, not inline inserts.
	for _, q := range []string{
		"SELECT user FROM users",
		"INSERT INTO t (values, format) SELECT 1, 2",
		"INSERT INTO t (a) SELECT 1 FROM numbers(1) WHERE 'VALUES' != ''",
		"INSERT INTO t (a) WITH 1 AS x SELECT x",
		"INSERT INTO t_values (a) SELECT 1",
		"SELECT 'INSERT INTO t VALUES (1)'",
	} {
		if _, err := Bind(q, nil); err != nil {
			t.Errorf("Bind(%q): %v", q, err)
		}
	}
}

func TestQuotedRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "it's", `\`, `\'`, "''", "nul\x00", "multi\nline", "日本"} {
		lit := string(AppendQuoted(nil, s))
		got, err := Unquote(lit)
		if err != nil || got != s {
			t.Errorf("Unquote(AppendQuoted(%q)) = %q, %v (literal %s)", s, got, err, lit)
		}
		// The literal is one token: no unescaped quote inside.
		end, ok := skipQuoted(lit, 0)
		if !ok || end != len(lit) {
			t.Errorf("literal %s of %q ends at %d of %d", lit, s, end, len(lit))
		}
	}
}

func TestSplitStatements(t *testing.T) {
	script := `-- header; with a semicolon
CREATE TABLE a (s String DEFAULT ';') ENGINE = Memory;
/* block; comment */
INSERT INTO a (s) SELECT 'x;y';;
  ;
SELECT 1 -- trailing; comment`
	got := SplitStatements(script)
	want := []string{
		"-- header; with a semicolon\nCREATE TABLE a (s String DEFAULT ';') ENGINE = Memory",
		"/* block; comment */\nINSERT INTO a (s) SELECT 'x;y'",
		"SELECT 1 -- trailing; comment",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SplitStatements:\n got %q\nwant %q", got, want)
	}
	if got := SplitStatements("-- only a comment;\n/* and; this */"); len(got) != 0 {
		t.Errorf("comments only: %q", got)
	}
}

func TestParseType(t *testing.T) {
	cases := map[string]string{
		"UInt32":                               "UInt32",
		"Nullable(Float64)":                    "*float64",
		"LowCardinality(String)":               "string",
		"LowCardinality(Nullable(String))":     "*string",
		"Array(Nullable(Float64))":             "[]*float64",
		"Array(Array(String))":                 "[][]string",
		"DateTime('Europe/Berlin')":            "time.Time",
		"DateTime64(3, 'UTC')":                 "time.Time",
		"Decimal(18, 4)":                       "string",
		"Enum8('a' = 1, 'b\\'c' = -2)":         "string",
		"Tuple(UInt8, String)":                 "[]interface {}",
		"Tuple(a UInt8, b Nullable(String))":   "[]interface {}",
		"Map(String, UInt64)":                  "map[string]uint64",
		"SimpleAggregateFunction(sum, UInt64)": "uint64",
		"Nullable(Nothing)":                    "interface {}",
		"FixedString(16)":                      "string",
	}
	for in, goType := range cases {
		typ, err := ParseType(in)
		if err != nil {
			t.Errorf("ParseType(%q): %v", in, err)
			continue
		}
		gt, err := GoType(typ)
		if err != nil {
			t.Errorf("GoType(%q): %v", in, err)
			continue
		}
		if gt.String() != strings.ReplaceAll(goType, "UInt32", "uint32") {
			t.Errorf("GoType(%q) = %s, want %s", in, gt, goType)
		}
	}
	e, _ := ParseType("Enum8('a' = 1, 'b\\'c' = -2)")
	if e.Enum[-2] != "b'c" || e.Enum[1] != "a" {
		t.Errorf("enum values = %v", e.Enum)
	}
	dt, _ := ParseType("DateTime('Europe/Berlin')")
	if dt.Params[0] != "Europe/Berlin" {
		t.Errorf("DateTime params = %q", dt.Params)
	}
	tu, _ := ParseType("Tuple(a UInt8, b Nullable(String))")
	if !reflect.DeepEqual(tu.ElemNames, []string{"a", "b"}) || tu.Elems[1].Raw != "Nullable(String)" {
		t.Errorf("named tuple = %q %v", tu.ElemNames, tu.Elems)
	}
	for _, bad := range []string{"", "Array(", "Nullable(A, B)", "UInt8 x", "Array(String"} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) succeeded", bad)
		}
	}
	if _, err := GoType(&Type{Name: "AggregateFunction", Raw: "AggregateFunction(sum, UInt64)"}); err == nil {
		t.Error("GoType(AggregateFunction) succeeded")
	}
}

func mustType(t *testing.T, s string) *Type {
	t.Helper()
	typ, err := ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

func TestCoerce(t *testing.T) {
	plus2 := time.FixedZone("UTC+2", 7200)
	local := time.Date(2024, 12, 31, 23, 30, 0, 0, plus2)
	f := 2.5
	cases := []struct {
		typ  string
		in   any
		want any
	}{
		{"UInt8", 200, uint8(200)},
		{"UInt8", true, uint8(1)},
		// Values already canonical (the insert path's common case) come back as they are.
		{"String", "s", "s"},
		{"Float64", 2.5, 2.5},
		{"UInt8", uint8(3), uint8(3)},
		{"UInt32", uint32(7), uint32(7)},
		{"UInt64", uint64(9), uint64(9)},
		{"Int64", int64(-5), int64(-5)},
		{"Nullable(UInt32)", uint32(4), uint32(4)},
		{"LowCardinality(Nullable(String))", "n", "n"},
		// Same Go type, other column type: converted, not passed through.
		{"Float32", 0.5, float32(0.5)},
		{"UInt16", uint32(7), uint16(7)},
		{"IntervalSecond", int64(5), int64(5)},
		{"Int8", int64(-128), int8(-128)},
		{"UInt64", uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"Int64", uint32(7), int64(7)},
		{"UInt16", myInt(3), uint16(3)},
		{"Float32", 1.5, float32(1.5)},
		{"Float64", 3, 3.0},
		{"String", []byte("b"), "b"},
		{"String", myString("n"), "n"},
		{"LowCardinality(String)", "lc", "lc"},
		{"Nullable(Float64)", nil, nil},
		{"Nullable(Float64)", (*float64)(nil), nil},
		{"Nullable(Float64)", &f, 2.5},
		{"Nullable(String)", valuer{"v"}, "v"},
		{"DateTime", local, local.UTC()},
		{"Date", local, local},
		{"Enum8('ok' = 1, 'watch' = 2)", "watch", "watch"},
		{"Enum8('ok' = 1, 'watch' = 2)", 1, "ok"},
		{"Bool", true, true},
		{"Array(String)", []string{"a"}, []string{"a"}},
		{"Array(UInt8)", []int{1, 2}, []uint8{1, 2}},
		{"Array(Float64)", []any{1, 2.5}, []float64{1, 2.5}},
		{"Array(Nullable(Float64))", []any{1.5, nil}, []*float64{ptr(1.5), nil}},
		{"Array(Array(String))", [][]string{{"x"}}, [][]string{{"x"}}},
		{"Tuple(UInt8, String)", []any{1, "a"}, []any{uint8(1), "a"}},
		{"Map(String, UInt64)", map[string]int{"a": 1}, map[string]uint64{"a": 1}},
	}
	for _, c := range cases {
		got, err := Coerce(mustType(t, c.typ), c.in)
		if err != nil {
			t.Errorf("Coerce(%s, %#v): %v", c.typ, c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Coerce(%s, %#v) = %#v, want %#v", c.typ, c.in, got, c.want)
		}
	}
	refused := []struct {
		typ  string
		in   any
		want string
	}{
		{"UInt8", 256, "overflows"},
		{"UInt8", -1, "overflows"},
		{"Int8", 128, "overflows"},
		{"Int64", uint64(math.MaxUint64), "overflows"},
		{"UInt32", 1.5, "does not fit"},
		{"UInt32", uint64(1 << 40), "overflows"},
		{"UInt8", uint32(300), "overflows"},
		{"Float64", "1.5", "does not fit"},
		{"UInt32", "1", "does not fit"},
		{"Int32", true, "does not fit"},
		{"String", 1, "does not fit"},
		{"String", nil, "NULL"},
		{"Float64", (*float64)(nil), "NULL"},
		{"Date", "2024-01-01", "does not fit"},
		{"DateTime", 1700000000, "does not fit"},
		{"Enum8('ok' = 1)", 5, "not a value"},
		{"Array(String)", "abc", "does not fit"},
		{"Array(UInt8)", []int{1, 300}, "element 1"},
		{"Array(Float64)", []any{nil}, "NULL"},
		{"Tuple(UInt8, String)", []any{1}, "does not fit"},
		{"Decimal(18, 2)", "1.5", "not supported"},
		{"IPv4", "127.0.0.1", "not supported"},
	}
	for _, c := range refused {
		_, err := Coerce(mustType(t, c.typ), c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Coerce(%s, %#v): err = %v, want one mentioning %q", c.typ, c.in, err, c.want)
		}
	}
}

type myInt int

func ptr[T any](v T) *T { return &v }

func TestAppendValue(t *testing.T) {
	plus2 := time.FixedZone("UTC+2", 7200)
	local := time.Date(2024, 12, 31, 23, 30, 0, 0, plus2)
	cases := []struct {
		typ  string
		in   any
		want string
	}{
		{"String", "it's \\", `'it\'s \\'`},
		{"Int8", int8(-5), "-5"},
		{"UInt64", uint64(math.MaxUint64), "18446744073709551615"},
		{"Float64", 2.0, "2.0"},
		{"Float64", math.Inf(1), "inf"},
		{"Float32", float32(0.1), "0.1"},
		{"Nullable(Float64)", nil, "NULL"},
		{"DateTime", local.UTC(), "1735680600"},
		{"Date", local, "'2024-12-31'"},
		{"Nullable(Date)", local, "'2024-12-31'"},
		{"Array(Date)", []time.Time{local}, "['2024-12-31']"},
		{"Array(DateTime)", []time.Time{local.UTC()}, "[1735680600]"},
		{"Bool", true, "true"},
		{"Array(String)", []string{"a", "b'"}, `['a','b\'']`},
		{"Array(Nullable(Float64))", []*float64{ptr(1.5), nil}, "[1.5,NULL]"},
		{"Tuple(UInt8, String)", []any{uint8(1), "a"}, "(1,'a')"},
		{"Map(String, UInt64)", map[string]uint64{"k": 2}, "{'k':2}"},
	}
	for _, c := range cases {
		got, err := AppendValue(nil, mustType(t, c.typ), c.in)
		if err != nil {
			t.Errorf("AppendValue(%s, %#v): %v", c.typ, c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("AppendValue(%s, %#v) = %s, want %s", c.typ, c.in, got, c.want)
		}
	}
}

type scanner struct{ got any }

func (s *scanner) Scan(v any) error { s.got = v; return nil }

func TestAssign(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	var (
		s     string
		ms    myString
		b     bool
		i8    int8
		i     int
		u16   uint16
		f32   float32
		f64   float64
		tm    time.Time
		strs  []string
		fl    []float64
		pf    *float64
		ppf   **float64
		anyV  any
		nulls []*int64
		sc    scanner
		by    []byte
		m     map[string]int
	)
	pf = ptr(1.0)
	ok := []struct {
		dest, src, want any
	}{
		{&s, "x", "x"},
		{&ms, "named", myString("named")},
		{&b, uint8(1), true},
		{&b, false, false},
		{&i8, int64(-128), int8(-128)},
		{&i, uint64(42), 42},
		{&u16, int32(65535), uint16(65535)},
		{&f32, 1.5, float32(1.5)},
		{&f64, uint64(7), 7.0},
		{&f64, float32(0.5), 0.5},
		{&tm, when, when.UTC()},
		{&strs, []string{"a"}, []string{"a"}},
		{&fl, []float32{1.5}, []float64{1.5}},
		{&fl, []uint8{1, 2}, []float64{1, 2}},
		{&pf, nil, (*float64)(nil)},
		{&pf, 2.5, ptr(2.5)},
		{&ppf, 3.5, ptr(ptr(3.5))},
		{&anyV, int8(1), int8(1)},
		{&nulls, []*int64{ptr(int64(1)), nil}, []*int64{ptr(int64(1)), nil}},
		{&nulls, []int64{1}, []*int64{ptr(int64(1))}},
		{&sc, "v", scanner{got: "v"}},
		{&by, "bytes", []byte("bytes")},
		{&m, map[string]uint8{"a": 1}, map[string]int{"a": 1}},
	}
	for _, c := range ok {
		if err := Assign(c.dest, c.src); err != nil {
			t.Errorf("Assign(%T, %#v): %v", c.dest, c.src, err)
			continue
		}
		got := reflect.ValueOf(c.dest).Elem().Interface()
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Assign(%T, %#v) = %#v, want %#v", c.dest, c.src, got, c.want)
		}
	}
	if tm.Location() != time.UTC {
		t.Errorf("time not in UTC: %v", tm.Location())
	}
	bad := []struct {
		dest, src any
		want      string
	}{
		{&s, 1, "cannot scan"},
		{&i8, int64(128), "overflows"},
		{&u16, int8(-1), "overflows"},
		{&i, uint64(math.MaxUint64), "overflows"},
		{&i, 1.5, "cannot scan"},
		{&f64, "1.5", "cannot scan"},
		{&b, "true", "cannot scan"},
		{&tm, "2024-01-01", "cannot scan"},
		{&s, nil, "NULL"},
		{&fl, []*float64{nil}, "NULL"},
		{&strs, []int{1}, "element 0"},
		{s, "x", "non-nil pointer"},
		{nil, "x", "nil"},
	}
	for _, c := range bad {
		err := Assign(c.dest, c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Assign(%T, %#v): err = %v, want one mentioning %q", c.dest, c.src, err, c.want)
		}
	}
	if err := Assign(&s, nil); !errors.Is(err, ErrNull) {
		t.Errorf("NULL error = %v, want ErrNull", err)
	}
}

func TestNormalize(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	day := time.Date(2024, 3, 4, 0, 0, 0, 0, berlin)
	inst := time.Date(2024, 3, 4, 5, 6, 7, 0, berlin)
	cases := []struct {
		typ  string
		in   any
		want any
	}{
		{"Date", day, time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"DateTime", inst, inst.UTC()},
		{"Nullable(DateTime)", &inst, inst.UTC()},
		{"Nullable(DateTime)", (*time.Time)(nil), nil},
		{"Nullable(Float64)", ptr(1.5), 1.5},
		{"Array(Date)", []time.Time{day}, []time.Time{time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)}},
		{"Array(Nullable(DateTime))", []*time.Time{nil, &inst}, []*time.Time{nil, ptr(inst.UTC())}},
		{"UUID", stringer("61f0c404-5cb3-11e7-907b-a6006ad3dba0"), "61f0c404-5cb3-11e7-907b-a6006ad3dba0"},
		{"String", "s", "s"},
	}
	for _, c := range cases {
		got := Normalize(mustType(t, c.typ), c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Normalize(%s, %#v) = %#v, want %#v", c.typ, c.in, got, c.want)
		}
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

// rowBinary builds a RowBinaryWithNamesAndTypes block.
type rowBinary []byte

func (b rowBinary) varint(n uint64) rowBinary { return binary.AppendUvarint(b, n) }
func (b rowBinary) str(s string) rowBinary    { return append(b.varint(uint64(len(s))), s...) }
func (b rowBinary) u8(v uint8) rowBinary      { return append(b, v) }
func (b rowBinary) u16(v uint16) rowBinary    { return binary.LittleEndian.AppendUint16(b, v) }
func (b rowBinary) u32(v uint32) rowBinary    { return binary.LittleEndian.AppendUint32(b, v) }
func (b rowBinary) u64(v uint64) rowBinary    { return binary.LittleEndian.AppendUint64(b, v) }
func (b rowBinary) f64(v float64) rowBinary   { return b.u64(math.Float64bits(v)) }

func TestDecodeRowBinary(t *testing.T) {
	cols := []struct{ name, typ string }{
		{"i8", "Int8"}, {"u64", "UInt64"}, {"f", "Float64"}, {"s", "String"}, {"lc", "LowCardinality(String)"},
		{"d", "Date"}, {"ts", "DateTime('Asia/Tokyo')"}, {"n", "Nullable(Float64)"}, {"a", "Array(Nullable(Int32))"},
		{"e", "Enum8('ok' = 1, 'bad' = -1)"}, {"u", "UUID"}, {"dec", "Decimal(9, 2)"}, {"b", "Bool"},
		{"tup", "Tuple(UInt8, String)"}, {"fs", "FixedString(3)"}, {"nothing", "Nullable(Nothing)"},
		{"strs", "Array(String)"}, {"fl", "Array(Float64)"}, {"ip", "IPv4"}, {"big", "Int128"},
	}
	var b rowBinary
	b = b.varint(uint64(len(cols)))
	for _, c := range cols {
		b = b.str(c.name)
	}
	for _, c := range cols {
		b = b.str(c.typ)
	}
	for row := 0; row < 2; row++ {
		b = b.u8(0x80).u64(math.MaxUint64).f64(-0.25).str("it's").str("lc")
		b = b.u16(19786).u32(1700000000)
		if row == 0 {
			b = b.u8(1) // NULL
		} else {
			b = b.u8(0).f64(2.5)
		}
		b = b.varint(2).u8(1).u8(0).u32(uint32(0xFFFFFFFF)) // [NULL, -1]
		b = b.u8(0xFF)                                      // Enum8 -1
		b = append(b, 0xe7, 0x11, 0xb3, 0x5c, 0x04, 0xc4, 0xf0, 0x61, 0xa0, 0xdb, 0xd3, 0x6a, 0x00, 0xa6, 0x7b, 0x90)
		b = b.u32(uint32(0xFFFFFF6A)) // Decimal(9, 2) -1.50
		b = append(b.u8(1).u8(7).str("x"), "abc"...).u8(1)
		b = b.varint(2).str("a").str("").varint(1).f64(1e300)
		b = b.u32(0x7F000001)
		b = append(b, make([]byte, 16)...)
		b[len(b)-16] = 0xFE
		for i := len(b) - 15; i < len(b); i++ {
			b[i] = 0xFF // -2
		}
	}
	res := &Result{}
	if err := DecodeRowBinary(res, b); err != nil {
		t.Fatal(err)
	}
	if err := DecodeRowBinary(res, b); err != nil { // a second block with the same header
		t.Fatal(err)
	}
	if len(res.Rows) != 4 || len(res.Columns) != len(cols) {
		t.Fatalf("decoded %d rows, %d columns", len(res.Rows), len(res.Columns))
	}
	minus1 := int32(-1)
	want := []any{int8(-128), uint64(math.MaxUint64), -0.25, "it's", "lc",
		time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), time.Unix(1700000000, 0).UTC(), nil,
		[]*int32{nil, &minus1}, "bad", "61f0c404-5cb3-11e7-907b-a6006ad3dba0", "-1.5", true,
		[]any{uint8(7), "x"}, "abc", nil, []string{"a", ""}, []float64{1e300}, "127.0.0.1", big.NewInt(-2)}
	for i, w := range want {
		if got := res.Rows[0][i]; !reflect.DeepEqual(got, w) {
			t.Errorf("column %s = %#v, want %#v", cols[i].name, got, w)
		}
	}
	if got := res.Rows[1][7]; got != 2.5 {
		t.Errorf("non-NULL Nullable = %#v", got)
	}
	// Truncated data is an error, never a panic.
	for cut := 1; cut < len(b); cut += 7 {
		_ = DecodeRowBinary(&Result{}, b[:cut])
	}
	if err := DecodeRowBinary(&Result{}, b[:len(b)-3]); err == nil {
		t.Error("truncated block decoded without error")
	}
}

func TestQuoteNames(t *testing.T) {
	if q, err := QuoteTable("db.t_1"); err != nil || q != "`db`.`t_1`" {
		t.Errorf("QuoteTable = %q, %v", q, err)
	}
	for _, bad := range []string{"", "1t", "t-1", "t`", "a.b.c", "t; DROP", "db.", ".t", "naïve"} {
		if _, err := QuoteTable(bad); err == nil {
			t.Errorf("QuoteTable(%q) accepted", bad)
		}
	}
	if q, err := InsertPrefix("t", []string{"a", "n.x"}); err != nil || q != "INSERT INTO `t` (`a`, `n.x`)" {
		t.Errorf("InsertPrefix = %q, %v", q, err)
	}
}

func TestCodeOnly(t *testing.T) {
	got := CodeOnly("SELECT 'DateTime64' -- DateTime64\n/* x */ FROM t")
	if strings.Contains(got, "DateTime64") || !strings.Contains(got, "SELECT") || !strings.Contains(got, "FROM t") {
		t.Errorf("CodeOnly = %q", got)
	}
}
