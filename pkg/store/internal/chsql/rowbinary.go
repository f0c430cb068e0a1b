package chsql

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Result is a decoded, fully materialised query result.
type Result struct {
	Columns []string
	Types   []*Type
	Rows    [][]any
}

// DecodeRowBinary appends the rows of one RowBinaryWithNamesAndTypes block (a header with the
// column names and types, then the rows) to res, decoding every value into its canonical form
// (see GoType). The first block sets the columns; later blocks must repeat the same header.
func DecodeRowBinary(res *Result, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	d := &rbDecoder{b: buf}
	n, err := d.uvarint()
	if err != nil {
		return fmt.Errorf("decode header: %w", err)
	}
	if n > 1<<16 {
		return fmt.Errorf("decode header: %d columns", n)
	}
	names := make([]string, n)
	for i := range names {
		if names[i], err = d.str(); err != nil {
			return fmt.Errorf("decode header: %w", err)
		}
	}
	typeNames := make([]string, n)
	for i := range typeNames {
		if typeNames[i], err = d.str(); err != nil {
			return fmt.Errorf("decode header: %w", err)
		}
	}
	if res.Types == nil {
		res.Columns = names
		res.Types = make([]*Type, n)
		for i, tn := range typeNames {
			if res.Types[i], err = ParseType(tn); err != nil {
				return err
			}
		}
	} else if len(res.Types) != int(n) {
		return fmt.Errorf("decode: block has %d columns, expected %d", n, len(res.Types))
	}
	for d.off < len(d.b) {
		row := make([]any, n)
		for i, t := range res.Types {
			if row[i], err = d.value(t, true); err != nil {
				return fmt.Errorf("decode column %s (%s): %w", res.Columns[i], t.Raw, err)
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return nil
}

var errShort = errors.New("unexpected end of data")

type rbDecoder struct {
	b   []byte
	off int
}

func (d *rbDecoder) next(n int) ([]byte, error) {
	if n < 0 || d.off+n > len(d.b) {
		return nil, errShort
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, nil
}

func (d *rbDecoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		return 0, errShort
	}
	d.off += n
	return v, nil
}

func (d *rbDecoder) str() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(d.b)) {
		return "", errShort
	}
	p, err := d.next(int(n))
	if err != nil {
		return "", err
	}
	return string(p), nil
}

func (d *rbDecoder) fixed(n int) (uint64, error) {
	p, err := d.next(n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(p)), nil
	}
	return binary.LittleEndian.Uint64(p), nil
}

// bigInt reads an n-byte little-endian two's complement integer.
func (d *rbDecoder) bigInt(n int, signed bool) (*big.Int, error) {
	p, err := d.next(n)
	if err != nil {
		return nil, err
	}
	be := make([]byte, n)
	for i := range p {
		be[n-1-i] = p[i]
	}
	v := new(big.Int).SetBytes(be)
	if signed && be[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	return v, nil
}

// value decodes one value of type t; top says whether it is a column value (a Nullable is
// then T or nil) or an array element (a Nullable is then *T).
func (d *rbDecoder) value(t *Type, top bool) (any, error) {
	t = t.Base()
	switch t.Name {
	case "Int8":
		v, err := d.fixed(1)
		return int8(v), err
	case "Int16":
		v, err := d.fixed(2)
		return int16(v), err
	case "Int32":
		v, err := d.fixed(4)
		return int32(v), err
	case "Int64", "IntervalSecond", "IntervalMinute", "IntervalHour", "IntervalDay",
		"IntervalWeek", "IntervalMonth", "IntervalQuarter", "IntervalYear":
		v, err := d.fixed(8)
		return int64(v), err
	case "UInt8":
		v, err := d.fixed(1)
		return uint8(v), err
	case "UInt16":
		v, err := d.fixed(2)
		return uint16(v), err
	case "UInt32":
		v, err := d.fixed(4)
		return uint32(v), err
	case "UInt64":
		return d.fixed(8)
	case "Int128", "UInt128":
		return d.bigInt(16, t.Name == "Int128")
	case "Int256", "UInt256":
		return d.bigInt(32, t.Name == "Int256")
	case "Float32":
		v, err := d.fixed(4)
		return math.Float32frombits(uint32(v)), err
	case "Float64":
		v, err := d.fixed(8)
		return math.Float64frombits(v), err
	case "Bool":
		v, err := d.fixed(1)
		return v != 0, err
	case "String":
		return d.str()
	case "FixedString":
		n, err := strconv.Atoi(param(t, 0))
		if err != nil {
			return nil, fmt.Errorf("bad FixedString length")
		}
		p, err := d.next(n)
		return string(p), err
	case "UUID":
		p, err := d.next(16)
		if err != nil {
			return nil, err
		}
		var u [16]byte
		for i := 0; i < 8; i++ {
			u[i] = p[7-i]
			u[8+i] = p[15-i]
		}
		return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
	case "IPv4":
		v, err := d.fixed(4)
		if err != nil {
			return nil, err
		}
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String(), nil
	case "IPv6":
		p, err := d.next(16)
		if err != nil {
			return nil, err
		}
		return netip.AddrFrom16([16]byte(p)).Unmap().String(), nil
	case "Enum8", "Enum16":
		n := 1
		if t.Name == "Enum16" {
			n = 2
		}
		v, err := d.fixed(n)
		if err != nil {
			return nil, err
		}
		key := int16(int8(v))
		if n == 2 {
			key = int16(v)
		}
		name, ok := t.Enum[key]
		if !ok {
			return nil, fmt.Errorf("value %d not in %s", key, t.Raw)
		}
		return name, nil
	case "Date":
		v, err := d.fixed(2)
		return time.Unix(int64(v)*86400, 0).UTC(), err
	case "Date32":
		v, err := d.fixed(4)
		return time.Unix(int64(int32(v))*86400, 0).UTC(), err
	case "DateTime":
		v, err := d.fixed(4)
		return time.Unix(int64(v), 0).UTC(), err
	case "DateTime64":
		v, err := d.fixed(8)
		if err != nil {
			return nil, err
		}
		prec, err := strconv.Atoi(param(t, 0))
		if err != nil || prec < 0 || prec > 9 {
			return nil, fmt.Errorf("bad DateTime64 precision")
		}
		scale := int64(math.Pow10(prec))
		ticks := int64(v)
		sec, frac := ticks/scale, ticks%scale
		if frac < 0 {
			sec, frac = sec-1, frac+scale
		}
		return time.Unix(sec, frac*int64(math.Pow10(9-prec))).UTC(), nil
	case "Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256":
		return d.decimal(t)
	case "Nothing":
		_, err := d.next(1)
		return nil, err
	case "Nullable":
		isNull, err := d.fixed(1)
		if err != nil {
			return nil, err
		}
		if isNull != 0 {
			return nil, nil
		}
		v, err := d.value(t.Elems[0], top)
		if err != nil || top || v == nil {
			return v, err
		}
		p := reflect.New(reflect.TypeOf(v))
		p.Elem().Set(reflect.ValueOf(v))
		return p.Interface(), nil
	case "Array":
		n, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		if n > uint64(len(d.b)-d.off) {
			return nil, errShort
		}
		return d.array(t.Elems[0], int(n))
	case "Tuple":
		out := make([]any, len(t.Elems))
		for i, e := range t.Elems {
			v, err := d.value(e, false)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "Map":
		mt, err := GoType(t)
		if err != nil {
			return nil, err
		}
		n, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		out := reflect.MakeMap(mt)
		for i := uint64(0); i < n; i++ {
			k, err := d.value(t.Elems[0], false)
			if err != nil {
				return nil, err
			}
			v, err := d.value(t.Elems[1], false)
			if err != nil {
				return nil, err
			}
			vv := reflect.Zero(mt.Elem())
			if v != nil {
				vv = reflect.ValueOf(v)
			}
			out.SetMapIndex(reflect.ValueOf(k), vv)
		}
		return out.Interface(), nil
	}
	return nil, fmt.Errorf("unsupported ClickHouse type %s", t.Raw)
}

func (d *rbDecoder) array(et *Type, n int) (any, error) {
	switch et.Base().Name {
	case "String":
		out := make([]string, n)
		for i := range out {
			s, err := d.str()
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case "Float64":
		p, err := d.next(8 * n)
		if err != nil {
			return nil, err
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
		}
		return out, nil
	}
	gt, err := GoType(et)
	if err != nil {
		return nil, err
	}
	out := reflect.MakeSlice(reflect.SliceOf(gt), n, n)
	for i := 0; i < n; i++ {
		v, err := d.value(et, false)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out.Index(i).Set(reflect.ValueOf(v))
		}
	}
	return out.Interface(), nil
}

// decimal reads a Decimal as its exact shortest text, e.g. "1.5" for 1.50 (as the server
// driver prints it).
func (d *rbDecoder) decimal(t *Type) (any, error) {
	var prec, scale int
	var err error
	switch t.Name {
	case "Decimal":
		if prec, err = strconv.Atoi(param(t, 0)); err == nil {
			scale, err = strconv.Atoi(param(t, 1))
		}
	default:
		scale, err = strconv.Atoi(param(t, 0))
		prec = map[string]int{"Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76}[t.Name]
	}
	if err != nil {
		return nil, fmt.Errorf("bad decimal type")
	}
	size := 32
	switch {
	case prec <= 9:
		size = 4
	case prec <= 18:
		size = 8
	case prec <= 38:
		size = 16
	}
	v, err := d.bigInt(size, true)
	if err != nil {
		return nil, err
	}
	s := new(big.Int).Abs(v).String()
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = strings.TrimRight(s[:len(s)-scale]+"."+s[len(s)-scale:], "0")
		s = strings.TrimSuffix(s, ".")
	}
	if v.Sign() < 0 {
		s = "-" + s
	}
	return s, nil
}

func param(t *Type, i int) string {
	if i < len(t.Params) {
		return strings.TrimSpace(t.Params[i])
	}
	return ""
}
