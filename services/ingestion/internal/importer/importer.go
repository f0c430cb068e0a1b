// Package importer turns CSV exports of training apps (Strong, Hevy, FitNotes), PMData pmsys
// files and the Supercomp template into training events, accounting for every row: each row
// yields one record, or a skip reason, or an issue with its line and column. It is pure: no
// I/O beyond the bytes it is given, and no ids beyond the deterministic keys from which the
// caller derives event ids, so re-importing the same rows yields the same events.
package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Format is a file layout the importer understands.
type Format string

// Formats, also the events' source tag.
const (
	FormatAuto     Format = ""
	FormatStrong   Format = "strong"
	FormatHevy     Format = "hevy"
	FormatFitNotes Format = "fitnotes"
	FormatTemplate Format = "template"
	FormatPMData   Format = "pmdata"
)

// Skip reasons (stable snake_case, reported per reason with example lines).
const (
	SkipRestTimer   = "rest_timer"
	SkipNoReps      = "no_reps"
	SkipCardioOnly  = "cardio_only"
	SkipBlankRow    = "blank_row"
	SkipNoSession   = "no_session_data"
	ReasonInvalid   = "invalid"
	ReasonDuplicate = "duplicate"
)

// Options say whose file it is and how to read what the file leaves implicit.
type Options struct {
	// Team and Athlete own every record.
	Team, Athlete string
	// Format forces a layout; FormatAuto detects it from the header line.
	Format Format
	// DefaultUnit is the unit of weights in formats that carry none (Strong's comma format).
	DefaultUnit commonv1.WeightUnit
	// Location is the time zone of local timestamps; nil means UTC.
	Location *time.Location
}

// Record is one event produced by the file, without an id: Key holds the parts the caller
// hashes into a deterministic event id (events.DeterministicID).
type Record struct {
	Event *eventsv1.Event
	Key   []string
}

// Row is what became of one data row of the file.
type Row struct {
	// Line is the 1-based line where the row starts (the header is line 1).
	Line uint64
	// Record is the row's record; nil when the row was skipped or rejected.
	Record *Record
	// Skip is the reason the row was skipped on purpose, e.g. SkipRestTimer.
	Skip string
	// Column and Problem describe a rejected row.
	Column, Problem string
}

// Rejected reports a row with a problem.
func (r Row) Rejected() bool { return r.Problem != "" }

// Result is a parsed file.
type Result struct {
	Format Format
	Rows   []Row
	// Extra are records not tied to one row: the sessions that group rows of one workout.
	Extra []*Record
}

// ErrUnknownFormat is returned when the header matches no known layout.
var ErrUnknownFormat = errors.New("unrecognised CSV header")

// Parse reads a whole file. It fails only when the file cannot be read as the format at all
// (no header, unknown header); row problems are reported per row.
func Parse(data []byte, opts Options) (*Result, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	firstLine, _, _ := bytes.Cut(data, []byte("\n"))
	format := opts.Format
	detected := Detect(string(firstLine))
	switch {
	case format == FormatAuto && detected == FormatAuto:
		return nil, fmt.Errorf("%w: %.120q", ErrUnknownFormat, firstLine)
	case format == FormatAuto:
		format = detected
	case detected == FormatAuto:
		// Read as the named format, a file with another header (or no CSV at all) would fail
		// on every row with a misleading reason ("occurred_at: not a date/time").
		return nil, fmt.Errorf("%w: this is not a %s file: its header is %.120q", ErrUnknownFormat, formatNames[format], firstLine)
	case detected != format:
		return nil, fmt.Errorf("%w: this is not a %s file, it looks like a %s file (header %.120q)", ErrUnknownFormat, formatNames[format], formatNames[detected], firstLine)
	}
	comma := ','
	if format == FormatStrong && strings.Count(string(firstLine), ";") > strings.Count(string(firstLine), ",") {
		comma = ';'
	}
	t, err := newTable(data, comma)
	if err != nil {
		return nil, err
	}
	res := &Result{Format: format}
	switch format {
	case FormatStrong:
		err = parseStrong(t, opts, res)
	case FormatHevy:
		err = parseHevy(t, opts, res)
	case FormatFitNotes:
		err = parseFitNotes(t, opts, res)
	case FormatPMData:
		err = parsePMData(t, opts, res)
	case FormatTemplate:
		err = parseTemplate(t, opts, res)
	default:
		err = fmt.Errorf("unsupported format %q", format)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// formatNames are the formats as their users know them.
var formatNames = map[Format]string{
	FormatStrong: "Strong export", FormatHevy: "Hevy export", FormatFitNotes: "FitNotes export",
	FormatPMData: "PMData", FormatTemplate: "Supercomp template",
}

// Detect names the format of a header line, or FormatAuto when it is none of them.
func Detect(header string) Format {
	h := strings.ToLower(header)
	has := func(cols ...string) bool {
		for _, c := range cols {
			if !strings.Contains(h, c) {
				return false
			}
		}
		return true
	}
	switch {
	case has("exercise name", "set order"):
		return FormatStrong
	case has("exercise_title", "set_type"):
		return FormatHevy
	case has("exercise", "category", "weight (") && has("reps"):
		return FormatFitNotes
	case has("effective_time_frame", "fatigue"), has("end_date_time", "perceived_exertion"):
		return FormatPMData
	case has("kind", "occurred_at"):
		return FormatTemplate
	}
	return FormatAuto
}

// table is a CSV file read row by row with its header's column positions.
type table struct {
	r      *csv.Reader
	header []string
	cols   map[string]int
}

func newTable(data []byte, comma rune) (*table, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: no header line")
		}
		return nil, fmt.Errorf("read header: %w", err)
	}
	t := &table{r: r, header: header, cols: map[string]int{}}
	for i, h := range header {
		t.cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	return t, nil
}

// collect parses every data row with parse into res.Rows, with its line: a parse error or a
// row the CSV reader cannot split becomes a row with a problem, so every line is accounted for.
func (t *table) collect(res *Result, parse func(record) (Row, error)) error {
	return t.rows(func(line uint64, r record) {
		row, err := parse(r)
		if err != nil {
			row = rowFromErr(line, err)
		}
		row.Line = line
		res.Rows = append(res.Rows, row)
	}, func(line uint64, msg string) { res.Rows = append(res.Rows, Row{Line: line, Problem: msg}) })
}

// rows calls fn for every data row with its line; rows the CSV reader cannot split are reported
// through bad with the reader's message.
func (t *table) rows(fn func(line uint64, rec record), bad func(line uint64, msg string)) error {
	lastLine := -1
	for {
		rec, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read csv: %w", err)
			}
			if pe.StartLine == lastLine {
				return fmt.Errorf("read csv: %w", err)
			}
			lastLine = pe.StartLine
			bad(uint64(pe.StartLine), pe.Err.Error())
			continue
		}
		line, _ := t.r.FieldPos(0)
		lastLine = line
		fn(uint64(line), record{t: t, fields: rec})
	}
}

// has reports whether the header has a column.
func (t *table) has(name string) bool { _, ok := t.cols[name]; return ok }

// record is one data row, read by column name.
type record struct {
	t      *table
	fields []string
}

// get returns the trimmed value of a column, "" when the column or the field is missing.
func (r record) get(name string) string {
	i, ok := r.t.cols[name]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

func (r record) blank() bool {
	for _, f := range r.fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// rowError is a problem with one column of a row.
type rowError struct{ column, msg string }

func (e *rowError) Error() string { return e.column + ": " + e.msg }

func colErr(column, format string, args ...any) *rowError {
	return &rowError{column: column, msg: fmt.Sprintf(format, args...)}
}

// number parses a decimal, accepting a decimal comma ("62,5") as European exports write it.
func number(column, s string) (float64, error) {
	if !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != v {
		return 0, colErr(column, "not a number: %q", s)
	}
	return v, nil
}

// optNumber is number for optional cells: nil when empty.
func optNumber(column, s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := number(column, s)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// wholeCount parses a count such as reps, written "8" or "8.0" by some apps.
func wholeCount(column, s string) (uint32, error) {
	v, err := number(column, s)
	if err != nil {
		return 0, err
	}
	if v < 0 || v != float64(uint32(v)) {
		return 0, colErr(column, "not a whole number: %q", s)
	}
	return uint32(v), nil
}

// shortHash names derived ids (session ids) compactly and stably.
func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(sum[:8])
}

func parseTime(column, s string, loc *time.Location, layouts ...string) (time.Time, error) {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, colErr(column, "not a date/time: %q", s)
}

// rowFromErr turns a parse error into a rejected row.
func rowFromErr(line uint64, err error) Row {
	var re *rowError
	if errors.As(err, &re) {
		return Row{Line: line, Column: re.column, Problem: re.Error()}
	}
	return Row{Line: line, Problem: err.Error()}
}

func ptrU32(v uint32) *uint32 { return &v }
