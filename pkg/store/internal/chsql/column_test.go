package chsql

import (
	"reflect"
	"testing"
	"time"
)

func TestCoerceColumnPassesCanonicalSlicesAsTheyAre(t *testing.T) {
	one := 1.5
	for raw, values := range map[string]any{
		"UInt32":                 []uint32{1, 2},
		"Nullable(Float64)":      []*float64{nil, &one},
		"Array(Float64)":         [][]float64{{}, {1}},
		"LowCardinality(String)": []string{"a"},
		"Date":                   []time.Time{time.Date(2024, 1, 2, 0, 0, 0, 0, time.FixedZone("x", 3600))},
		"DateTime":               []time.Time{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
	} {
		typ, err := ParseType(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := CoerceColumn(typ, values)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if n != reflect.ValueOf(values).Len() || reflect.ValueOf(got).Pointer() != reflect.ValueOf(values).Pointer() {
			t.Errorf("%s: got a converted copy (%d values), want the slice itself", raw, n)
		}
	}
}

func TestCoerceColumnConverts(t *testing.T) {
	zone := time.FixedZone("UTC+2", 2*3600)
	local := []time.Time{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 2, 3, 0, 0, 0, zone)}
	cases := []struct {
		typ    string
		values any
		want   any
	}{
		{"UInt8", []int{1, 255}, []uint8{1, 255}},
		{"Nullable(Float64)", []any{nil, 2, 2.5}, []*float64{nil, ptrTo(2.0), ptrTo(2.5)}},
		{"DateTime", local, []time.Time{local[0], local[1].UTC()}},
		{"Enum8('ok' = 1, 'deload' = 3)", []any{"ok", 3}, []string{"ok", "deload"}},
		{"Array(Nullable(Float64))", [][]any{{nil, 1}}, [][]*float64{{nil, ptrTo(1.0)}}},
	}
	for _, c := range cases {
		typ, err := ParseType(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := CoerceColumn(typ, c.values)
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.typ, got, c.want)
		}
		if tm, ok := got.([]time.Time); ok && tm[1].Location() != time.UTC {
			t.Errorf("%s: %v is not in UTC", c.typ, tm[1])
		}
	}
	if local[1].Location() != zone {
		t.Errorf("the caller's slice was changed: %v", local[1])
	}
	typ, _ := ParseType("UInt8")
	if _, _, err := CoerceColumn(typ, []int{1, 256}); err == nil {
		t.Error("256 into UInt8: no error")
	}
	if _, _, err := CoerceColumn(typ, 1); err == nil {
		t.Error("a value that is not a slice: no error")
	}
}

func ptrTo[T any](v T) *T { return &v }
