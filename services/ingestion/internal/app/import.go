package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/importer"
)

// Import limits.
const (
	// MaxIssues is how many rejected rows a report lists with their lines.
	MaxIssues = 1000
	// maxExampleLines is how many example lines each reason keeps.
	maxExampleLines = 5
	// importChunk is how many records go through Ingest (and one publish batch) at a time.
	importChunk = 2000
)

// ReasonCount is how many rows ended one way for one reason.
type ReasonCount struct {
	Reason       string
	Rows         uint64
	ExampleLines []uint64
}

// Issue is a rejected row.
type Issue struct {
	Line    uint64
	Column  string
	Message string
}

// ExerciseCount is how many rows used one exercise name.
type ExerciseCount struct {
	Exercise string
	Category commonv1.LiftCategory
	Rows     uint64
}

// ImportReport accounts for every row of an imported file: RowsTotal = Imported + Duplicate +
// Skipped + Rejected.
type ImportReport struct {
	Format          importer.Format
	DryRun          bool
	RowsTotal       uint64
	Imported        uint64
	Duplicate       uint64
	Skipped         uint64
	Rejected        uint64
	Reasons         []ReasonCount
	Issues          []Issue
	IssuesTruncated bool
	// Kinds counts records by kind: "set", "session", "wellness", "readiness".
	Kinds       map[string]*Counts
	Exercises   []ExerciseCount
	First, Last time.Time
	SHA256      string
}

// Import parses a file and ingests its records. A file that is not any known format is an
// error; everything else is accounted for in the report.
func (in *Ingester) Import(ctx context.Context, data []byte, opts importer.Options, dryRun bool) (*ImportReport, error) {
	sum := sha256.Sum256(data)
	parsed, err := importer.Parse(data, opts)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Format: parsed.Format, DryRun: dryRun, SHA256: hex.EncodeToString(sum[:]), Kinds: map[string]*Counts{}}
	reasons := map[string]*ReasonCount{}
	countReason := func(reason string, line uint64) {
		rc := reasons[reason]
		if rc == nil {
			rc = &ReasonCount{Reason: reason}
			reasons[reason] = rc
		}
		rc.Rows++
		if len(rc.ExampleLines) < maxExampleLines {
			rc.ExampleLines = append(rc.ExampleLines, line)
		}
	}
	addIssue := func(is Issue) {
		if len(rep.Issues) < MaxIssues {
			rep.Issues = append(rep.Issues, is)
		} else {
			rep.IssuesTruncated = true
		}
	}

	// Rows with a record and the derived records (sessions) go through Ingest together.
	type pending struct {
		row *importer.Row // nil for a derived record
		rec *importer.Record
	}
	var work []pending
	for i := range parsed.Rows {
		row := &parsed.Rows[i]
		rep.RowsTotal++
		switch {
		case row.Rejected():
			rep.Rejected++
			countReason(importer.ReasonInvalid, row.Line)
			addIssue(Issue{Line: row.Line, Column: row.Column, Message: row.Problem})
		case row.Record == nil:
			rep.Skipped++
			countReason(row.Skip, row.Line)
		default:
			work = append(work, pending{row: row, rec: row.Record})
		}
	}
	for _, rec := range parsed.Extra {
		work = append(work, pending{rec: rec})
	}

	exercises := map[string]*ExerciseCount{}
	for start := 0; start < len(work); start += importChunk {
		chunk := work[start:min(start+importChunk, len(work))]
		items := make([]Item, len(chunk))
		for i, p := range chunk {
			items[i] = Item{Event: p.rec.Event, Key: p.rec.Key, PresentTime: p.rec.Event.GetOccurredAt() != nil}
		}
		results, err := in.Ingest(ctx, items, Options{DryRun: dryRun})
		if err != nil {
			return nil, fmt.Errorf("import rows %d-%d: %w", start+1, start+len(chunk), err)
		}
		for i, p := range chunk {
			res := results[i]
			kind := kindOf(p.rec.Event)
			c := rep.Kinds[kind]
			if c == nil {
				c = &Counts{}
				rep.Kinds[kind] = c
			}
			c.Add(res.Outcome)
			if res.Outcome != Rejected {
				rep.cover(p.rec.Event.GetOccurredAt().AsTime())
			}
			if p.row == nil {
				continue
			}
			switch res.Outcome {
			case Accepted:
				rep.Imported++
			case Duplicate:
				rep.Duplicate++
				countReason(importer.ReasonDuplicate, p.row.Line)
			default:
				rep.Rejected++
				countReason(importer.ReasonInvalid, p.row.Line)
				addIssue(issueFrom(p.row.Line, res))
			}
			if s := p.rec.Event.GetSetRecorded(); s != nil && res.Outcome != Rejected {
				ec := exercises[s.GetExercise()]
				if ec == nil {
					ec = &ExerciseCount{Exercise: s.GetExercise(), Category: s.GetLiftCategory()}
					exercises[s.GetExercise()] = ec
				}
				ec.Rows++
			}
		}
	}
	for _, rc := range reasons {
		rep.Reasons = append(rep.Reasons, *rc)
	}
	sort.Slice(rep.Reasons, func(i, j int) bool { return rep.Reasons[i].Rows > rep.Reasons[j].Rows })
	sort.Slice(rep.Issues, func(i, j int) bool { return rep.Issues[i].Line < rep.Issues[j].Line })
	for _, ec := range exercises {
		rep.Exercises = append(rep.Exercises, *ec)
	}
	sort.Slice(rep.Exercises, func(i, j int) bool {
		if rep.Exercises[i].Rows != rep.Exercises[j].Rows {
			return rep.Exercises[i].Rows > rep.Exercises[j].Rows
		}
		return rep.Exercises[i].Exercise < rep.Exercises[j].Exercise
	})
	return rep, nil
}

func (r *ImportReport) cover(t time.Time) {
	if r.First.IsZero() || t.Before(r.First) {
		r.First = t
	}
	if t.After(r.Last) {
		r.Last = t
	}
}

// issueFrom turns a record's violations into one row issue; the column is the first
// violation's field without its record prefix ("set.reps" -> "reps").
func issueFrom(line uint64, res Result) Issue {
	is := Issue{Line: line}
	var msgs []string
	for i, v := range res.Violations {
		f := v.Field
		if k := strings.IndexByte(f, '.'); k >= 0 {
			f = f[k+1:]
		}
		if i == 0 {
			is.Column = f
		}
		msgs = append(msgs, f+": "+v.Description)
	}
	is.Message = strings.Join(msgs, "; ")
	return is
}

// KindName is the record kind of an event ("set", "session", "wellness", "readiness").
func KindName(ev *eventsv1.Event) string { return kindOf(ev) }
