// Package storetest is the conformance suite every store.Store backend passes: the ClickHouse
// server (clickhousestore) and chDB (chdbstore) run the same tests with the same expected
// values, so repositories written against store.Store behave the same on both.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
)

// Open returns a store bound to database, creating the database when missing.
type Open func(t *testing.T, database string) store.Store

// Run runs the conformance suite. Every subtest works in a fresh database named
// sc_test_<random>_<n>, dropped when the subtest ends.
func Run(t *testing.T, open Open) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	h := &harness{open: open, prefix: "sc_test_" + hex.EncodeToString(b[:])}

	t.Run("Identity", h.testIdentity)
	t.Run("ExecDDL", h.testExecDDL)
	t.Run("TypesRoundTrip", h.testTypesRoundTrip)
	t.Run("BoundParameters", h.testBoundParameters)
	t.Run("ScanConversions", h.testScanConversions)
	t.Run("InjectionStoredVerbatim", h.testInjection)
	t.Run("ReplacingMergeTreeFinal", h.testReplacing)
	t.Run("AggregatingRollup", h.testRollup)
	t.Run("WeeklyQuantiles", h.testQuantiles)
	t.Run("Migrate", h.testMigrate)
	t.Run("PlatformMigrations", h.testPlatformMigrations)
	t.Run("Errors", h.testErrors)
	t.Run("QueryAfterFailedQuery", h.testQueryAfterFailure)
	t.Run("InsertErrors", h.testInsertErrors)
	t.Run("InsertColumns", h.testInsertColumns)
	t.Run("InsertColumnsErrors", h.testInsertColumnsErrors)
	t.Run("ContextCancellation", h.testContext)
	t.Run("Concurrent", h.testConcurrent)
	t.Run("LargeBatch", h.testLargeBatch)
}

type harness struct {
	open   Open
	prefix string
	n      atomic.Int32
}

// fresh opens a store on a new database that is dropped when the test ends.
func (h *harness) fresh(t *testing.T) store.Store {
	t.Helper()
	db := fmt.Sprintf("%s_%d", h.prefix, h.n.Add(1))
	s := h.open(t, db)
	if s.Database() != db {
		t.Fatalf("Database() = %q, want %q", s.Database(), db)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Exec(ctx, "DROP DATABASE IF EXISTS `"+db+"`"); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func exec(t *testing.T, s store.Store, query string, args ...any) {
	t.Helper()
	if err := s.Exec(ctx(t), query, args...); err != nil {
		t.Fatalf("exec %q: %v", query, err)
	}
}

func insert(t *testing.T, s store.Store, table string, cols []string, rows [][]any) {
	t.Helper()
	if err := s.InsertBatch(ctx(t), table, cols, rows); err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
}

// one scans the single row of a query into dest.
func one(t *testing.T, s store.Store, query string, args []any, dest ...any) {
	t.Helper()
	if err := store.QueryRow(ctx(t), s, query, args...).Scan(dest...); err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
}

func count(t *testing.T, s store.Store, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	one(t, s, query, args, &n)
	return n
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if gt, ok := got.(time.Time); ok {
		wt, ok := want.(time.Time)
		if !ok || !gt.Equal(wt) || gt.Location() != time.UTC {
			t.Errorf("%s = %v, want %v (in UTC)", what, got, want)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func mustErr(t *testing.T, what string, err error, contains ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: expected an error, got none", what)
		return
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("%s: error %q does not mention %q", what, err, c)
		}
	}
}

func (h *harness) testIdentity(t *testing.T) {
	s := h.fresh(t)
	if b := s.Backend(); b != store.BackendClickHouse && b != store.BackendChDB {
		t.Errorf("Backend() = %q", b)
	}
	v, err := s.ServerVersion(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+\.\d+`).MatchString(v) {
		t.Errorf("ServerVersion() = %q, want a version number", v)
	}
	var db string
	one(t, s, "SELECT currentDatabase()", nil, &db)
	equal(t, "currentDatabase()", db, s.Database())
	t.Logf("backend %s, version %s", s.Backend(), v)
}

func (h *harness) testExecDDL(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, "CREATE TABLE ddl (id UInt32, name String) ENGINE = MergeTree ORDER BY id")
	equal(t, "EXISTS TABLE ddl", count(t, s, "EXISTS TABLE ddl"), uint64(1))
	exec(t, s, "ALTER TABLE ddl ADD COLUMN note Nullable(String)")
	cols := count(t, s, "SELECT count() FROM system.columns WHERE database = ? AND table = ?", s.Database(), "ddl")
	equal(t, "columns after ALTER", cols, uint64(3))
	// A statement with bound values and a trailing semicolon.
	exec(t, s, "INSERT INTO ddl (id, name) SELECT ?, ?;", 7, "seven")
	var name string
	one(t, s, "SELECT name FROM ddl WHERE id = ?", []any{7}, &name)
	equal(t, "name", name, "seven")
	// Inline VALUES would hang 18.16's native protocol: refused everywhere, before it runs.
	err := s.Exec(ctx(t), "INSERT INTO ddl (id, name) VALUES (?, ?)", 8, "eight")
	if !errors.Is(err, store.ErrInlineInsert) {
		t.Errorf("INSERT ... VALUES: err = %v, want store.ErrInlineInsert", err)
	}
	exec(t, s, "DROP TABLE ddl")
	equal(t, "EXISTS TABLE ddl after DROP", count(t, s, "EXISTS TABLE ddl"), uint64(0))
}

// typesTable has a column of every type the platform uses.
const typesTable = `CREATE TABLE types (
    id String,
    i8 Int8, i16 Int16, i32 Int32, i64 Int64,
    u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64,
    f32 Float32, f64 Float64,
    flag UInt8,
    day Date,
    ts DateTime,
    lc LowCardinality(String),
    ns Nullable(String), nf Nullable(Float64), ni Nullable(Int64), nts Nullable(DateTime),
    tags Array(String), vals Array(Float64), nvals Array(Nullable(Float64)),
    status Enum8('ok' = 1, 'watch' = 2, 'deload' = 3)
) ENGINE = MergeTree ORDER BY id`

var typesColumns = []string{"id", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "flag",
	"day", "ts", "lc", "ns", "nf", "ni", "nts", "tags", "vals", "nvals", "status"}

type status string

func ptr[T any](v T) *T { return &v }

var (
	plus2  = time.FixedZone("UTC+2", 2*3600)
	dayA   = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	tsA    = time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	dayB   = time.Date(2024, 12, 31, 22, 30, 0, 0, plus2) // calendar day 2024-12-31 in its zone
	tsB    = time.Date(2025, 1, 1, 1, 2, 3, 0, plus2)     // 2024-12-31 23:02:03 UTC
	ntsB   = time.Date(2030, 6, 7, 8, 9, 10, 0, time.UTC)
	tagsB  = []string{"a", "it's", `back\slash`, ""}
	valsB  = []float64{1.5, -2, 1e300, -1e-300}
	nvalsB = []*float64{ptr(1.5), nil, ptr(-3.0)}
)

func typesRows() [][]any {
	return [][]any{
		{"a", math.MinInt8, math.MinInt16, math.MinInt32, int64(math.MinInt64),
			0, 0, 0, 0, float32(-1.5), -0.1, false,
			dayA, tsA, "squat", nil, nil, nil, (*time.Time)(nil),
			[]string{}, []float64{}, []*float64{}, "ok"},
		{"b", int8(math.MaxInt8), int16(math.MaxInt16), int32(math.MaxInt32), int64(math.MaxInt64),
			uint8(math.MaxUint8), uint16(math.MaxUint16), uint32(math.MaxUint32), uint64(math.MaxUint64),
			float32(3.25), math.Pi, true,
			dayB, tsB, status("bench"), ptr("x"), 2.5, ptr(int64(-7)), ntsB,
			tagsB, valsB, nvalsB, 3},
	}
}

func (h *harness) typesStore(t *testing.T) store.Store {
	s := h.fresh(t)
	exec(t, s, typesTable)
	insert(t, s, "types", typesColumns, typesRows())
	return s
}

func (h *harness) testTypesRoundTrip(t *testing.T) {
	s := h.typesStore(t)
	rows, err := s.Query(ctx(t), "SELECT "+strings.Join(typesColumns, ", ")+" FROM types ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	equal(t, "Columns()", rows.Columns(), typesColumns)
	type rec struct {
		id      string
		i8      int8
		i16     int16
		i32     int32
		i64     int64
		u8      uint8
		u16     uint16
		u32     uint32
		u64     uint64
		f32     float32
		f64     float64
		flag    bool
		day, ts time.Time
		lc      string
		ns      *string
		nf      *float64
		ni      *int64
		nts     *time.Time
		tags    []string
		vals    []float64
		nvals   []*float64
		status  status
	}
	var got []rec
	for rows.Next() {
		var r rec
		err := rows.Scan(&r.id, &r.i8, &r.i16, &r.i32, &r.i64, &r.u8, &r.u16, &r.u32, &r.u64, &r.f32, &r.f64,
			&r.flag, &r.day, &r.ts, &r.lc, &r.ns, &r.nf, &r.ni, &r.nts, &r.tags, &r.vals, &r.nvals, &r.status)
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d rows, want 2", len(got))
	}
	a, b := got[0], got[1]
	equal(t, "a ints", []any{a.i8, a.i16, a.i32, a.i64, a.u8, a.u16, a.u32, a.u64},
		[]any{int8(math.MinInt8), int16(math.MinInt16), int32(math.MinInt32), int64(math.MinInt64),
			uint8(0), uint16(0), uint32(0), uint64(0)})
	equal(t, "b ints", []any{b.i8, b.i16, b.i32, b.i64, b.u8, b.u16, b.u32, b.u64},
		[]any{int8(math.MaxInt8), int16(math.MaxInt16), int32(math.MaxInt32), int64(math.MaxInt64),
			uint8(math.MaxUint8), uint16(math.MaxUint16), uint32(math.MaxUint32), uint64(math.MaxUint64)})
	equal(t, "floats", []any{a.f32, a.f64, b.f32, b.f64}, []any{float32(-1.5), -0.1, float32(3.25), math.Pi})
	equal(t, "flags", []bool{a.flag, b.flag}, []bool{false, true})
	equal(t, "a.day", a.day, dayA)
	equal(t, "b.day", b.day, time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC))
	equal(t, "a.ts", a.ts, tsA)
	equal(t, "b.ts", b.ts, tsB)
	equal(t, "lc", []string{a.lc, b.lc}, []string{"squat", "bench"})
	if a.ns != nil || a.nf != nil || a.ni != nil || a.nts != nil {
		t.Errorf("row a nullables = %v %v %v %v, want all nil", a.ns, a.nf, a.ni, a.nts)
	}
	if b.ns == nil || *b.ns != "x" || b.nf == nil || *b.nf != 2.5 || b.ni == nil || *b.ni != -7 || b.nts == nil {
		t.Errorf("row b nullables = %v %v %v %v", b.ns, b.nf, b.ni, b.nts)
	} else {
		equal(t, "b.nts", *b.nts, ntsB)
	}
	equal(t, "a arrays", []any{a.tags, a.vals, a.nvals}, []any{[]string{}, []float64{}, []*float64{}})
	equal(t, "b.tags", b.tags, tagsB)
	equal(t, "b.vals", b.vals, valsB)
	equal(t, "b.nvals", b.nvals, nvalsB)
	equal(t, "status", []status{a.status, b.status}, []status{"ok", "deload"})

	// *any receives the canonical representation, identical on every backend.
	var anyRow [23]any
	dest := make([]any, len(anyRow))
	for i := range anyRow {
		dest[i] = &anyRow[i]
	}
	one(t, s, "SELECT "+strings.Join(typesColumns, ", ")+" FROM types WHERE id = 'b'", nil, dest...)
	want := []any{"b", int8(math.MaxInt8), int16(math.MaxInt16), int32(math.MaxInt32), int64(math.MaxInt64),
		uint8(math.MaxUint8), uint16(math.MaxUint16), uint32(math.MaxUint32), uint64(math.MaxUint64),
		float32(3.25), math.Pi, uint8(1), time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), tsB.UTC(), "bench",
		"x", 2.5, int64(-7), ntsB, tagsB, valsB, nvalsB, "deload"}
	for i := range want {
		equal(t, "*any "+typesColumns[i], anyRow[i], want[i])
	}
	one(t, s, "SELECT ns, nf, nts, status FROM types WHERE id = 'a'", nil, dest[:4]...)
	for i := 0; i < 3; i++ {
		if anyRow[i] != nil {
			t.Errorf("*any of a NULL = %#v, want nil", anyRow[i])
		}
	}
}

func (h *harness) testBoundParameters(t *testing.T) {
	s := h.typesStore(t)
	// Every column compared with a bound value of its Go type.
	n := count(t, s, `SELECT count() FROM types WHERE i8 = ? AND i16 = ? AND i32 = ? AND i64 = ?
		AND u8 = ? AND u16 = ? AND u32 = ? AND u64 = ? AND f32 = ? AND f64 = ? AND flag = ?
		AND day = toDate(?) AND ts = ? AND lc = ? AND ns = ? AND nf = ? AND has(tags, ?) AND tags = ?
		AND vals = ? AND status = ?`,
		int8(math.MaxInt8), int16(math.MaxInt16), int32(math.MaxInt32), int64(math.MaxInt64),
		uint8(math.MaxUint8), uint16(math.MaxUint16), uint32(math.MaxUint32), uint64(math.MaxUint64),
		float32(3.25), math.Pi, true, dayB, tsB, "bench", "x", ptr(2.5), "it's", tagsB, valsB, status("deload"))
	equal(t, "rows matching every bound value of row b", n, uint64(1))
	n = count(t, s, "SELECT count() FROM types WHERE i64 = ? AND f32 = ? AND f64 = ? AND ts < ? AND ns IS NULL AND i8 - ? = -127",
		int64(math.MinInt64), float32(-1.5), -0.1, tsB, -1)
	equal(t, "rows matching row a's negatives", n, uint64(1))
	n = count(t, s, "SELECT count() FROM types WHERE id IN (?, ?) AND ? IS NULL", "a", "b", nil)
	equal(t, "IN list and NULL", n, uint64(2))

	// Values round-trip through SELECT ?.
	var (
		str      string
		neg      int64
		big      uint64
		f        float64
		f32      float32
		flag     bool
		when     time.Time
		strs     []string
		floats   []float64
		null     *string
		nan, inf uint8
		length   uint64
	)
	one(t, s, "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS Nullable(String)), isNaN(?), isInfinite(?), length(?)",
		[]any{`it's a \ "test" ?`, int64(math.MinInt64), uint64(math.MaxUint64), -1e-300, float32(0.1), true, tsB,
			[]string{"x", "y'"}, []float64{-1, 0.5}, nil, math.NaN(), math.Inf(-1), "nul\x00byte"},
		&str, &neg, &big, &f, &f32, &flag, &when, &strs, &floats, &null, &nan, &inf, &length)
	equal(t, "string", str, `it's a \ "test" ?`)
	equal(t, "int64", neg, int64(math.MinInt64))
	equal(t, "uint64", big, uint64(math.MaxUint64))
	equal(t, "float64", f, -1e-300)
	equal(t, "float32", f32, float32(0.1))
	equal(t, "bool", flag, true)
	equal(t, "time", when, tsB)
	equal(t, "[]string", strs, []string{"x", "y'"})
	equal(t, "[]float64", floats, []float64{-1, 0.5})
	if null != nil {
		t.Errorf("NULL scanned as %q", *null)
	}
	equal(t, "isNaN", nan, uint8(1))
	equal(t, "isInfinite", inf, uint8(1))
	equal(t, "length with NUL", length, uint64(8))

	// A bare NULL (type Nullable(Nothing)).
	var anyNull any = "unset"
	var ptrNull *float64
	one(t, s, "SELECT ? AS a, ? AS b", []any{nil, nil}, &anyNull, &ptrNull)
	if anyNull != nil || ptrNull != nil {
		t.Errorf("SELECT NULL scanned as %#v, %v", anyNull, ptrNull)
	}

	// ? inside literals, quoted identifiers and comments is not a placeholder.
	var lit string
	var bound int64
	one(t, s, "SELECT 'what?' AS `q?`, ? /* ? */ -- ?\n", []any{5}, &lit, &bound)
	equal(t, "literal with ?", lit, "what?")
	equal(t, "bound next to ? in a comment", bound, int64(5))

	// A Date compared with a bound time and toMonday of a bound time.
	var monday time.Time
	one(t, s, "SELECT toMonday(toDate(?))", []any{time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)}, &monday)
	equal(t, "toMonday(Sunday 2024-03-10)", monday, time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC))

	// Wrong argument counts and unsupported types are refused before anything runs.
	_, err := s.Query(ctx(t), "SELECT ?, ?", 1)
	mustErr(t, "too few args", err, "placeholders")
	_, err = s.Query(ctx(t), "SELECT ?", 1, 2)
	mustErr(t, "too many args", err, "placeholders")
	_, err = s.Query(ctx(t), "SELECT ?", struct{ X int }{1})
	mustErr(t, "struct arg", err, "cannot bind")
	_, err = s.Query(ctx(t), "SELECT ?", map[string]int{"a": 1})
	mustErr(t, "map arg", err, "cannot bind")
}

func (h *harness) testScanConversions(t *testing.T) {
	s := h.typesStore(t)
	q := "SELECT u8, i32, u64, i8, f64, ns, nf, nvals, vals, flag FROM types WHERE id = ?"
	// Widening conversions succeed.
	var (
		u8b   bool
		i32i  int64
		u64f  float64
		i8i   int
		f64f  float32
		nsPP  **string
		nfP   *float64
		nvals []*float64
		valsA []any
		flagI int32
	)
	one(t, s, q, []any{"b"}, &u8b, &i32i, &u64f, &i8i, &f64f, &nsPP, &nfP, &nvals, &valsA, &flagI)
	equal(t, "UInt8 into *bool", u8b, true)
	equal(t, "Int32 into *int64", i32i, int64(math.MaxInt32))
	equal(t, "UInt64 into *float64", u64f, float64(math.MaxUint64))
	equal(t, "Int8 into *int", i8i, 127)
	equal(t, "Float64 into *float32", f64f, float32(math.Pi))
	if nsPP == nil || *nsPP == nil || **nsPP != "x" {
		t.Errorf("Nullable(String) into ***string = %v", nsPP)
	}
	if nfP == nil || *nfP != 2.5 {
		t.Errorf("Nullable(Float64) into **float64 = %v", nfP)
	}
	equal(t, "Array(Nullable(Float64)) into *[]*float64", nvals, nvalsB)
	equal(t, "Array(Float64) into *[]any", valsA, []any{1.5, -2.0, 1e300, -1e-300})
	equal(t, "UInt8 into *int32", flagI, int32(1))

	// Narrowing, lossy and NULL conversions fail the same way on every backend.
	scan := func(query, id string, dest any) error {
		return store.QueryRow(ctx(t), s, query, id).Scan(dest)
	}
	mustErr(t, "UInt64 max into *int64", scan("SELECT u64 FROM types WHERE id = ?", "b", new(int64)), "overflows")
	mustErr(t, "Int8 -128 into *uint8", scan("SELECT i8 FROM types WHERE id = ?", "a", new(uint8)), "overflows")
	mustErr(t, "Int32 max into *int16", scan("SELECT i32 FROM types WHERE id = ?", "b", new(int16)), "overflows")
	mustErr(t, "Float64 into *int64", scan("SELECT f64 FROM types WHERE id = ?", "b", new(int64)), "cannot scan")
	mustErr(t, "String into *int64", scan("SELECT id FROM types WHERE id = ?", "b", new(int64)), "cannot scan")
	mustErr(t, "NULL into *string", scan("SELECT ns FROM types WHERE id = ?", "a", new(string)), "NULL")
	mustErr(t, "NULL element into *[]float64", scan("SELECT nvals FROM types WHERE id = ?", "b", new([]float64)), "NULL")
	mustErr(t, "too few destinations", store.QueryRow(ctx(t), s, "SELECT 1, 2").Scan(new(int)), "destinations")

	// No rows.
	err := store.QueryRow(ctx(t), s, "SELECT id FROM types WHERE id = ?", "none").Scan(new(string))
	if !errors.Is(err, store.ErrNoRows) {
		t.Errorf("no rows: err = %v, want store.ErrNoRows", err)
	}
}

// injections are strings that would break or subvert naive SQL building.
var injections = []string{
	`'`, `''`, `\`, `\\`, `\'`, `'\`, `'; DROP TABLE inj; --`, `' OR 1 = 1 --`, `?`, `??`, `\?`, `'?'`,
	`$1`, `@name`, `{p:String}`, "line\nbreak\ttab\r", "nul\x00byte", "unicode ✓ 日本 🏋", `/* c */`, `-- c`,
	`"double"`, "`back`", `;`, `SELECT 1; SELECT 2`, "",
}

func (h *harness) testInjection(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, "CREATE TABLE inj (id UInt32, s String, tags Array(String)) ENGINE = MergeTree ORDER BY id")
	rows := make([][]any, len(injections))
	for i, v := range injections {
		rows[i] = []any{i, v, injections}
	}
	insert(t, s, "inj", []string{"id", "s", "tags"}, rows)
	for i, v := range injections {
		var id uint32
		one(t, s, "SELECT id FROM inj WHERE s = ?", []any{v}, &id)
		equal(t, fmt.Sprintf("id for %q", v), id, uint32(i))
		var got string
		var tags []string
		one(t, s, "SELECT s, tags FROM inj WHERE id = ?", []any{i}, &got, &tags)
		equal(t, fmt.Sprintf("stored %q", v), got, v)
		equal(t, "tags", tags, injections)
		var echoed string
		one(t, s, "SELECT ?", []any{v}, &echoed)
		equal(t, fmt.Sprintf("echo %q", v), echoed, v)
	}
	equal(t, "rows (no DROP ran)", count(t, s, "SELECT count() FROM inj"), uint64(len(injections)))
	n := count(t, s, "SELECT count() FROM inj WHERE s = '?' OR s = ? OR has(?, s)", "??", []string{`\?`, `'?'`})
	equal(t, "? in a literal next to bound ones", n, uint64(4))
}

const eventsTable = `CREATE TABLE events (
    event_id String,
    team_id LowCardinality(String),
    athlete_id String,
    ts DateTime,
    load_kg Float64,
    ver UInt64
) ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(ts)
ORDER BY (team_id, athlete_id, ts, event_id)`

func (h *harness) testReplacing(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, eventsTable)
	cols := []string{"event_id", "team_id", "athlete_id", "ts", "load_kg", "ver"}
	base := time.Date(2024, 1, 31, 12, 0, 0, 0, time.UTC) // spans two monthly partitions
	row := func(i int, load float64, ver int) []any {
		return []any{fmt.Sprintf("e%d", i), "t1", "a1", base.Add(time.Duration(i) * time.Hour * 8), load, ver}
	}
	var first, replay [][]any
	for i := 1; i <= 5; i++ {
		first = append(first, row(i, float64(100+i), 1))
	}
	// A replayed batch: e3 and e4 again unchanged, e5 corrected with a higher version, e6, e7 new.
	for i := 3; i <= 7; i++ {
		load, ver := float64(100+i), 1
		if i == 5 {
			load, ver = 555, 2
		}
		replay = append(replay, row(i, load, ver))
	}
	insert(t, s, "events", cols, first)
	insert(t, s, "events", cols, replay)
	equal(t, "distinct events under FINAL", count(t, s, "SELECT count() FROM events FINAL"), uint64(7))
	var load float64
	one(t, s, "SELECT load_kg FROM events FINAL WHERE event_id = ?", []any{"e5"}, &load)
	equal(t, "e5 keeps the highest version", load, 555.0)
	var sum float64
	one(t, s, "SELECT sum(load_kg) FROM events FINAL WHERE team_id = ? AND ts >= ?", []any{"t1", base}, &sum)
	equal(t, "sum under FINAL", sum, 101.0+102+103+104+555+106+107)
	exec(t, s, "OPTIMIZE TABLE events FINAL")
	equal(t, "rows after OPTIMIZE FINAL", count(t, s, "SELECT count() FROM events"), uint64(7))
}

func (h *harness) testRollup(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, `CREATE TABLE sets (
        event_id String, team_id String, athlete_id String, ts DateTime,
        load_kg Float64, reps UInt16, rpe Nullable(Float32)
    ) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (team_id, athlete_id, ts)`)
	exec(t, s, `CREATE TABLE sets_weekly (
        team_id String,
        week Date,
        volume AggregateFunction(sum, Float64),
        top AggregateFunction(max, Float64),
        sets AggregateFunction(count),
        athletes AggregateFunction(uniqExact, String),
        rpe AggregateFunction(avgIf, Float32, UInt8)
    ) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(week) ORDER BY (team_id, week)`)
	exec(t, s, `CREATE MATERIALIZED VIEW sets_weekly_mv TO sets_weekly AS
        SELECT team_id, toMonday(ts) AS week,
               sumState(load_kg * reps) AS volume, maxState(load_kg) AS top, countState() AS sets,
               uniqExactState(athlete_id) AS athletes,
               avgIfState(assumeNotNull(rpe), isNotNull(rpe)) AS rpe
        FROM sets GROUP BY team_id, week`)
	cols := []string{"event_id", "team_id", "athlete_id", "ts", "load_kg", "reps", "rpe"}
	noon := func(d int) time.Time { return time.Date(2024, 3, d, 12, 0, 0, 0, time.UTC) }
	// Sunday 3 March belongs to the week of Monday 26 February; Monday 4 March starts a new one.
	batches := [][][]any{
		{{"s1", "t1", "a1", noon(3), 100.0, 5, float32(8)}, {"s2", "t1", "a2", noon(3), 80.0, 8, nil}},
		{{"s3", "t1", "a1", noon(4), 102.5, 5, float32(9)}, {"s4", "t2", "a9", noon(4), 60.0, 10, float32(7)}},
		{{"s5", "t1", "a1", noon(5), 105.0, 3, float32(9.5)}, {"s6", "t1", "a1", noon(10), 50.0, 10, nil}},
	}
	for _, b := range batches {
		insert(t, s, "sets", cols, b)
	}
	rows, err := s.Query(ctx(t), `SELECT team_id, week, sumMerge(volume), maxMerge(top), countMerge(sets),
        uniqExactMerge(athletes), avgIfMerge(rpe)
        FROM sets_weekly WHERE team_id IN (?, ?) GROUP BY team_id, week ORDER BY team_id, week`, "t1", "t2")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type weekly struct {
		team     string
		week     time.Time
		volume   float64
		top      float64
		sets     uint64
		athletes uint64
		rpe      float64
	}
	var got []weekly
	for rows.Next() {
		var w weekly
		if err := rows.Scan(&w.team, &w.week, &w.volume, &w.top, &w.sets, &w.athletes, &w.rpe); err != nil {
			t.Fatal(err)
		}
		got = append(got, w)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2024, m, d, 0, 0, 0, 0, time.UTC) }
	want := []weekly{
		{"t1", day(2, 26), 100*5 + 80*8, 100, 2, 2, 8},
		{"t1", day(3, 4), 102.5*5 + 105*3 + 50*10, 105, 3, 1, (9 + 9.5) / 2},
		{"t2", day(3, 4), 600, 60, 1, 1, 7},
	}
	if len(got) != len(want) {
		t.Fatalf("rollup rows = %+v, want %+v", got, want)
	}
	for i := range want {
		equal(t, fmt.Sprintf("rollup row %d week", i), got[i].week, want[i].week)
		got[i].week = want[i].week
		equal(t, fmt.Sprintf("rollup row %d", i), got[i], want[i])
	}
}

func (h *harness) testQuantiles(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, "CREATE TABLE loads (ts DateTime, day Date, load_kg Float64) ENGINE = MergeTree ORDER BY ts")
	var rows [][]any
	for i, load := range []float64{140, 100, 130, 110, 120} { // week of Monday 2024-03-04
		ts := time.Date(2024, 3, 4+i, 9, 0, 0, 0, time.UTC)
		rows = append(rows, []any{ts, ts, load})
	}
	rows = append(rows, []any{time.Date(2024, 3, 11, 9, 0, 0, 0, time.UTC), time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC), 50.0})
	insert(t, s, "loads", []string{"ts", "day", "load_kg"}, rows)
	res, err := s.Query(ctx(t), `SELECT toMonday(day) AS week, toMonday(ts) AS week_ts, quantiles(0.5, 0.9)(load_kg),
        quantile(0.5)(load_kg), count() FROM loads WHERE ts >= ? GROUP BY week, week_ts ORDER BY week`,
		time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	var got []string
	for res.Next() {
		var (
			week, weekTS time.Time
			qs           []float64
			median       float64
			n            uint64
		)
		if err := res.Scan(&week, &weekTS, &qs, &median, &n); err != nil {
			t.Fatal(err)
		}
		equal(t, "toMonday(Date) = toMonday(DateTime)", weekTS, week)
		got = append(got, fmt.Sprintf("%s %v %v %d", week.Format("2006-01-02"), qs, median, n))
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	equal(t, "weekly quantiles", got, []string{"2024-03-04 [120 136] 120 5", "2024-03-11 [50 50] 50 1"})
}

func (h *harness) testMigrate(t *testing.T) {
	s := h.fresh(t)
	fsys := fstest.MapFS{
		"0001_first.sql": {Data: []byte(`-- a comment; with a semicolon
            CREATE TABLE IF NOT EXISTS m1 (x UInt8, s String) ENGINE = MergeTree ORDER BY x;
            INSERT INTO m1 (x, s) SELECT 1, 'a;b';`)},
		"0002_second.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS m2 (y UInt8) ENGINE = MergeTree ORDER BY y")},
		"README.md":       {Data: []byte("not a migration")},
	}
	for i := 0; i < 2; i++ {
		if err := store.Migrate(ctx(t), s, fsys, nil); err != nil {
			t.Fatalf("migrate (run %d): %v", i+1, err)
		}
	}
	equal(t, "m1 rows after two runs (0001 ran once)", count(t, s, "SELECT count() FROM m1"), uint64(1))
	var str string
	one(t, s, "SELECT s FROM m1", nil, &str)
	equal(t, "semicolon inside a literal", str, "a;b")
	rows, err := s.Query(ctx(t), "SELECT version, name, checksum, applied_at FROM schema_migrations FINAL ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for rows.Next() {
		var (
			v         uint32
			name, sum string
			at        time.Time
		)
		if err := rows.Scan(&v, &name, &sum, &at); err != nil {
			t.Fatal(err)
		}
		if len(sum) != 64 || time.Since(at) > time.Hour || time.Since(at) < -time.Hour {
			t.Errorf("migration %s recorded with checksum %q at %v", name, sum, at)
		}
		recorded = append(recorded, fmt.Sprintf("%d %s", v, name))
	}
	rows.Close()
	equal(t, "recorded migrations", recorded, []string{"1 0001_first.sql", "2 0002_second.sql"})

	changed := fstest.MapFS{
		"0001_first.sql":  {Data: []byte("CREATE TABLE IF NOT EXISTS m1 (x UInt16) ENGINE = MergeTree ORDER BY x")},
		"0002_second.sql": fsys["0002_second.sql"],
	}
	mustErr(t, "changed checksum", store.Migrate(ctx(t), s, changed, nil), "0001_first.sql", "changed after it was applied")

	late := fstest.MapFS{
		"0001_first.sql":  fsys["0001_first.sql"],
		"0002_second.sql": fsys["0002_second.sql"],
		"0004_fourth.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS m4 (y UInt8) ENGINE = MergeTree ORDER BY y")},
	}
	if err := store.Migrate(ctx(t), s, late, nil); err != nil {
		t.Fatalf("migrate 0004: %v", err)
	}
	late["0003_third.sql"] = &fstest.MapFile{Data: []byte("SELECT 1")}
	mustErr(t, "migration older than the applied ones", store.Migrate(ctx(t), s, late, nil), "0003_third.sql")

	mustErr(t, "bad file name", store.Migrate(ctx(t), s, fstest.MapFS{"1_bad.sql": {Data: []byte("SELECT 1")}}, nil), "NNNN_name.sql")
	mustErr(t, "empty migration", store.Migrate(ctx(t), s, fstest.MapFS{"0009_empty.sql": {Data: []byte("-- nothing\n;")}}, nil), "no statement")

	failing := fstest.MapFS{"0001_fail.sql": {Data: []byte("CREATE TABLE ok1 (x UInt8) ENGINE = MergeTree ORDER BY x; CREATE TABLE broken (")}}
	s2 := h.fresh(t)
	mustErr(t, "failing statement", store.Migrate(ctx(t), s2, failing, nil), "0001_fail.sql", "statement 2")
	equal(t, "failed migration not recorded", count(t, s2, "SELECT count() FROM schema_migrations"), uint64(0))
}

func (h *harness) testPlatformMigrations(t *testing.T) {
	s := h.fresh(t)
	all, err := store.LoadMigrations(store.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("store.Migrations is empty")
	}
	for i := 0; i < 2; i++ {
		if err := store.Migrate(ctx(t), s, store.Migrations, nil); err != nil {
			t.Fatalf("migrate (run %d): %v", i+1, err)
		}
	}
	equal(t, "recorded platform migrations", count(t, s, "SELECT count() FROM schema_migrations FINAL"), uint64(len(all)))
	equal(t, "platform_meta rows", count(t, s, "SELECT count() FROM platform_meta FINAL WHERE key = 'initialised_at'"), uint64(1))
}

func (h *harness) testErrors(t *testing.T) {
	s := h.fresh(t)
	for _, q := range []string{
		"SELEC 1",
		"SELECT * FROM no_such_table",
		"SELECT throwIf(number = 3) FROM numbers(10)",
		"SELECT 1; SELECT 2",
		"USE system",
		"",
		"  ;  ",
	} {
		if err := queryErr(ctx(t), s, q); err == nil {
			t.Errorf("Query(%q): expected an error", q)
		}
		if err := s.Exec(ctx(t), q); err == nil {
			t.Errorf("Exec(%q): expected an error", q)
		}
	}
	if err := s.Exec(ctx(t), "SELECT 1; DROP DATABASE "+s.Database()); !errors.Is(err, store.ErrMultiStatement) {
		t.Errorf("two statements: err = %v, want store.ErrMultiStatement", err)
	}
	if err := s.Exec(ctx(t), "USE system"); !errors.Is(err, store.ErrUseStatement) {
		t.Errorf("USE: err = %v, want store.ErrUseStatement", err)
	}
	// The store is still usable and still on its database.
	var db string
	one(t, s, "SELECT currentDatabase()", nil, &db)
	equal(t, "database after errors", db, s.Database())
}

// testQueryAfterFailure: a query that fails, before or while its rows stream, leaves nothing
// behind for the next one, with or without a deadline (chDB 26.7 handed a failed stream's
// header to the next statement, which then decoded as the wrong columns).
func (h *harness) testQueryAfterFailure(t *testing.T) {
	s := h.fresh(t)
	for _, failing := range []string{
		"SELECT throwIf(number = 3) AS t FROM numbers(10)",
		"SELECT throwIf(number = 70000) AS t FROM numbers(100000)",
		"SELECT * FROM no_such_table",
		"SELECT no_such_column FROM numbers(3)",
	} {
		for _, deadline := range []bool{false, true} {
			c := context.Background()
			if deadline {
				c = ctx(t)
			}
			if err := queryErr(c, s, failing); err == nil {
				t.Fatalf("Query(%q): expected an error", failing)
			}
			rows, err := s.Query(c, "SELECT number + 100 AS x FROM numbers(3)")
			if err != nil {
				t.Fatalf("query after %q (deadline %v): %v", failing, deadline, err)
			}
			var got []uint64
			for rows.Next() {
				var x uint64
				if err := rows.Scan(&x); err != nil {
					t.Fatalf("scan after %q (deadline %v): %v", failing, deadline, err)
				}
				got = append(got, x)
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("rows after %q (deadline %v): %v", failing, deadline, err)
			}
			rows.Close()
			if cols := rows.Columns(); fmt.Sprint(cols, got) != "[x] [100 101 102]" {
				t.Errorf("after %q (deadline %v): columns %v rows %v, want [x] [100 101 102]", failing, deadline, cols, got)
			}
		}
	}
}

// queryErr runs a query to the end and returns its error, which a backend may report from
// Query or, for a failure while rows stream, from Rows.Err.
func queryErr(c context.Context, s store.Store, q string, args ...any) error {
	rows, err := s.Query(c, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func (h *harness) testInsertErrors(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, "CREATE TABLE ins (id UInt32, small UInt8, name String, n Nullable(Float64), day Date) ENGINE = MergeTree ORDER BY id")
	cols := []string{"id", "small", "name", "n", "day"}
	good := []any{1, 2, "x", nil, dayA}
	cases := []struct {
		name    string
		table   string
		cols    []string
		rows    [][]any
		mention string
	}{
		{"string into UInt32", "ins", cols, [][]any{good, {"7", 2, "x", nil, dayA}}, "id"},
		{"overflow", "ins", cols, [][]any{{1, 300, "x", nil, dayA}}, "overflows"},
		{"negative into UInt", "ins", cols, [][]any{{-1, 2, "x", nil, dayA}}, "overflows"},
		{"NULL into non-Nullable", "ins", cols, [][]any{{1, 2, nil, nil, dayA}}, "NULL"},
		{"float into integer", "ins", cols, [][]any{{1.5, 2, "x", nil, dayA}}, "id"},
		{"string into Date", "ins", cols, [][]any{{1, 2, "x", nil, "2024-01-01"}}, "day"},
		{"short row", "ins", cols, [][]any{{1, 2}}, "values"},
		{"unknown column", "ins", []string{"id", "nope"}, [][]any{{1, 2}}, "nope"},
		{"unknown table", "nope", cols, [][]any{good}, "nope"},
		{"bad table name", "ins; DROP TABLE ins", cols, [][]any{good}, "invalid"},
		{"bad column name", "ins", []string{"id`"}, [][]any{{1}}, "invalid"},
		{"no columns", "ins", nil, [][]any{{}}, "columns"},
		{"duplicate column", "ins", []string{"id", "id"}, [][]any{{1, 2}}, "twice"},
	}
	for _, c := range cases {
		mustErr(t, c.name, s.InsertBatch(ctx(t), c.table, c.cols, c.rows), c.mention)
	}
	equal(t, "rows after refused batches", count(t, s, "SELECT count() FROM ins"), uint64(0))
	if err := s.InsertBatch(ctx(t), "ins", cols, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	insert(t, s, s.Database()+".ins", cols, [][]any{good})
	equal(t, "row inserted with a qualified table name", count(t, s, "SELECT count() FROM ins"), uint64(1))
}

// typesColumnsCanonical is typesRows column by column, each in its column's canonical Go type:
// the slices InsertColumns hands to the server without converting a value.
func typesColumnsCanonical() []any {
	return []any{
		[]string{"a", "b"},
		[]int8{math.MinInt8, math.MaxInt8}, []int16{math.MinInt16, math.MaxInt16},
		[]int32{math.MinInt32, math.MaxInt32}, []int64{math.MinInt64, math.MaxInt64},
		[]uint8{0, math.MaxUint8}, []uint16{0, math.MaxUint16}, []uint32{0, math.MaxUint32}, []uint64{0, math.MaxUint64},
		[]float32{-1.5, 3.25}, []float64{-0.1, math.Pi},
		[]uint8{0, 1},
		[]time.Time{dayA, dayB}, []time.Time{tsA, tsB},
		[]string{"squat", "bench"},
		[]*string{nil, ptr("x")}, []*float64{nil, ptr(2.5)}, []*int64{nil, ptr(int64(-7))}, []*time.Time{nil, &ntsB},
		[][]string{{}, tagsB}, [][]float64{{}, valsB}, [][]*float64{{}, nvalsB},
		[]string{"ok", "deload"},
	}
}

// dump reads every column of table as the backend's canonical values, ordered by id.
func dump(t *testing.T, s store.Store, table string) [][]any {
	t.Helper()
	rows, err := s.Query(ctx(t), "SELECT "+strings.Join(typesColumns, ", ")+" FROM "+table+" ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(typesColumns))
		dest := make([]any, len(vals))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// testInsertColumns checks that a columnar insert stores exactly what InsertBatch stores for the
// same values, whether the columns come in their canonical types or as any other slices
// InsertBatch's rules accept.
func (h *harness) testInsertColumns(t *testing.T) {
	s := h.typesStore(t)
	want := dump(t, s, "types")
	if len(want) != 2 {
		t.Fatalf("types holds %d rows, want 2", len(want))
	}
	loose := make([]any, len(typesColumns))
	for i := range loose {
		col := make([]any, 0, 2)
		for _, row := range typesRows() {
			col = append(col, row[i])
		}
		loose[i] = col
	}
	for name, values := range map[string][]any{"canonical": typesColumnsCanonical(), "loose": loose} {
		table := "types_" + name
		exec(t, s, strings.Replace(typesTable, "CREATE TABLE types", "CREATE TABLE "+table, 1))
		if err := s.InsertColumns(ctx(t), table, typesColumns, values); err != nil {
			t.Fatalf("%s columns: %v", name, err)
		}
		equal(t, name+" columns stored", dump(t, s, table), want)
	}
}

func (h *harness) testInsertColumnsErrors(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, "CREATE TABLE ins (id UInt32, small UInt8, name String, n Nullable(Float64), day Date) ENGINE = MergeTree ORDER BY id")
	cols := []string{"id", "small", "name", "n", "day"}
	good := func() []any {
		return []any{[]uint32{1, 2}, []uint8{3, 4}, []string{"x", "y"}, []*float64{nil, ptr(1.5)}, []time.Time{dayA, dayA}}
	}
	with := func(i int, v any) []any {
		vals := good()
		vals[i] = v
		return vals
	}
	cases := []struct {
		name    string
		cols    []string
		values  []any
		mention string
	}{
		{"short column", cols, with(2, []string{"x"}), "name"},
		{"overflow", cols, with(1, []int{3, 300}), "overflows"},
		{"negative into UInt", cols, with(0, []int{1, -1}), "overflows"},
		{"NULL into non-Nullable", cols, with(2, []any{"x", nil}), "NULL"},
		{"string into Date", cols, with(4, []string{"2024-01-01", "2024-01-02"}), "day"},
		{"not a slice", cols, with(0, 7), "slice"},
		{"fewer columns of values", cols, good()[:4], "columns"},
		{"unknown column", []string{"id", "nope"}, good()[:2], "nope"},
	}
	for _, c := range cases {
		mustErr(t, c.name, s.InsertColumns(ctx(t), "ins", c.cols, c.values), c.mention)
	}
	equal(t, "rows after refused columns", count(t, s, "SELECT count() FROM ins"), uint64(0))
	empty := []any{[]uint32{}, []uint8{}, []string{}, []*float64{}, []time.Time{}}
	if err := s.InsertColumns(ctx(t), "ins", cols, empty); err != nil {
		t.Errorf("empty columns: %v", err)
	}
	if err := s.InsertColumns(ctx(t), "ins", cols, good()); err != nil {
		t.Fatal(err)
	}
	equal(t, "rows inserted", count(t, s, "SELECT count() FROM ins"), uint64(2))
	var n *float64
	one(t, s, "SELECT n FROM ins WHERE id = 2", nil, &n)
	equal(t, "Nullable value stored", n, ptr(1.5))
}

func (h *harness) testContext(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, "CREATE TABLE c (x UInt8) ENGINE = MergeTree ORDER BY x")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{
		"Exec":          s.Exec(cancelled, "SELECT 1"),
		"InsertBatch":   s.InsertBatch(cancelled, "c", []string{"x"}, [][]any{{1}}),
		"QueryRow.Scan": store.QueryRow(cancelled, s, "SELECT 1").Scan(new(uint8)),
	}
	_, checks["ServerVersion"] = s.ServerVersion(cancelled)
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", name, err)
		}
	}
	equal(t, "rows inserted with a cancelled context", count(t, s, "SELECT count() FROM c"), uint64(0))

	// A long query is stopped at the deadline.
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	start := time.Now()
	var sum uint64
	err := store.QueryRow(short, s, "SELECT sum(sipHash64(number)) FROM numbers(100000000000)").Scan(&sum)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("long query past its deadline: err = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("long query stopped after %v", took)
	}
	// And the store keeps working.
	equal(t, "query after a cancelled one", count(t, s, "SELECT count() FROM numbers(10)"), uint64(10))
}

func (h *harness) testConcurrent(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, "CREATE TABLE conc (g UInt8, i UInt32) ENGINE = MergeTree ORDER BY (g, i)")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if err := s.InsertBatch(context.Background(), "conc", []string{"g", "i"}, [][]any{{g, i}}); err != nil {
					errs <- err
					return
				}
				var n uint64
				if err := store.QueryRow(context.Background(), s, "SELECT ? + 1", i).Scan(&n); err != nil || n != uint64(i+1) {
					errs <- fmt.Errorf("SELECT %d + 1 = %d, %v", i, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	equal(t, "rows inserted concurrently", count(t, s, "SELECT count() FROM conc"), uint64(60))
}

func (h *harness) testLargeBatch(t *testing.T) {
	s := h.fresh(t)
	exec(t, s, eventsTable)
	const n = 30000
	rows := make([][]any, n)
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("e%06d", i), fmt.Sprintf("t%d", i%3), fmt.Sprintf("a%d", i%50),
			base.Add(time.Duration(i) * time.Minute), float64(i) / 4, 1}
	}
	insert(t, s, "events", []string{"event_id", "team_id", "athlete_id", "ts", "load_kg", "ver"}, rows)
	var (
		cnt, teams uint64
		sum        float64
	)
	one(t, s, "SELECT count(), uniqExact(team_id), sum(load_kg) FROM events", nil, &cnt, &teams, &sum)
	equal(t, "count", cnt, uint64(n))
	equal(t, "teams", teams, uint64(3))
	equal(t, "sum", sum, float64(n-1)*float64(n)/8)
}
