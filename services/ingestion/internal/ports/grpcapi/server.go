// Package grpcapi is IngestionService over gRPC: it converts requests into app items, calls the
// app and converts results back. Invalid input leaves as *fault.Invalid, which the server kit
// maps to InvalidArgument with BadRequest field violations.
package grpcapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/chstore"
	"github.com/supercomp/supercomp/services/ingestion/internal/app"
	"github.com/supercomp/supercomp/services/ingestion/internal/importer"
	"github.com/supercomp/supercomp/services/ingestion/internal/records"
)

// Limits of one call.
const (
	MaxBatchRecords    = 10000
	MaxStreamRejected  = 1000
	MaxImportBytes     = 64 << 20
	MaxImportChunkSize = 1 << 20
)

// Server implements ingestionv1.IngestionServiceServer.
type Server struct {
	ingestionv1.UnimplementedIngestionServiceServer
	ingester *app.Ingester
	tables   *chstore.Tables // nil without a store: Export is unavailable
}

// New returns the gRPC server of the ingestion service.
func New(ingester *app.Ingester, tables *chstore.Tables) *Server {
	return &Server{ingester: ingester, tables: tables}
}

// RecordSet implements the unary set RPC.
func (s *Server) RecordSet(ctx context.Context, req *ingestionv1.RecordSetRequest) (*ingestionv1.RecordSetResponse, error) {
	rec := &ingestionv1.Record{Meta: req.GetMeta(), Data: &ingestionv1.Record_Set{Set: req.GetSet()}}
	res, err := s.one(ctx, req.GetTeamId(), rec, req.GetSet() == nil, "set")
	if err != nil {
		return nil, err
	}
	return &ingestionv1.RecordSetResponse{Result: res}, nil
}

// RecordSession implements the unary session RPC.
func (s *Server) RecordSession(ctx context.Context, req *ingestionv1.RecordSessionRequest) (*ingestionv1.RecordSessionResponse, error) {
	rec := &ingestionv1.Record{Meta: req.GetMeta(), Data: &ingestionv1.Record_Session{Session: req.GetSession()}}
	res, err := s.one(ctx, req.GetTeamId(), rec, req.GetSession() == nil, "session")
	if err != nil {
		return nil, err
	}
	return &ingestionv1.RecordSessionResponse{Result: res}, nil
}

// RecordWellness implements the unary wellness RPC.
func (s *Server) RecordWellness(ctx context.Context, req *ingestionv1.RecordWellnessRequest) (*ingestionv1.RecordWellnessResponse, error) {
	rec := &ingestionv1.Record{Meta: req.GetMeta(), Data: &ingestionv1.Record_Wellness{Wellness: req.GetWellness()}}
	res, err := s.one(ctx, req.GetTeamId(), rec, req.GetWellness() == nil, "wellness")
	if err != nil {
		return nil, err
	}
	return &ingestionv1.RecordWellnessResponse{Result: res}, nil
}

// RecordReadiness implements the unary readiness RPC.
func (s *Server) RecordReadiness(ctx context.Context, req *ingestionv1.RecordReadinessRequest) (*ingestionv1.RecordReadinessResponse, error) {
	rec := &ingestionv1.Record{Meta: req.GetMeta(), Data: &ingestionv1.Record_Readiness{Readiness: req.GetReadiness()}}
	res, err := s.one(ctx, req.GetTeamId(), rec, req.GetReadiness() == nil, "readiness")
	if err != nil {
		return nil, err
	}
	return &ingestionv1.RecordReadinessResponse{Result: res}, nil
}

// one ingests a unary request's record; a rejected record is an InvalidArgument error.
func (s *Server) one(ctx context.Context, team string, rec *ingestionv1.Record, missing bool, payload string) (*ingestionv1.RecordResult, error) {
	if missing {
		return nil, fault.InvalidField(payload, "is required")
	}
	results, err := s.ingester.Ingest(ctx, []app.Item{toItem(team, rec, "")}, app.Options{})
	if err != nil {
		return nil, err
	}
	r := results[0]
	if r.Outcome == app.Rejected {
		return nil, &fault.Invalid{Violations: r.Violations}
	}
	return toResult(0, r), nil
}

// RecordBatch implements the batch RPC: bad records are reported per index and the good ones
// kept, unless all_or_nothing.
func (s *Server) RecordBatch(ctx context.Context, req *ingestionv1.RecordBatchRequest) (*ingestionv1.RecordBatchResponse, error) {
	if n := len(req.GetRecords()); n == 0 {
		return nil, fault.InvalidField("records", "is empty")
	} else if n > MaxBatchRecords {
		return nil, fault.InvalidField("records", "has %d records, at most %d per call", n, MaxBatchRecords)
	}
	if !ids.Valid(req.GetTeamId()) {
		return nil, fault.InvalidField("team_id", "must match %s, got %q", ids.Rule, req.GetTeamId())
	}
	items := make([]app.Item, len(req.GetRecords()))
	for i, rec := range req.GetRecords() {
		items[i] = toItem(req.GetTeamId(), rec, fault.Field("records", i))
	}
	results, err := s.ingester.Ingest(ctx, items, app.Options{AllOrNothing: req.GetAllOrNothing()})
	if err != nil {
		return nil, err
	}
	resp := &ingestionv1.RecordBatchResponse{Counts: &ingestionv1.RecordCounts{}, Committed: true}
	for i, r := range results {
		resp.Results = append(resp.Results, toResult(i, r))
		addCount(resp.Counts, r.Outcome)
		if r.Outcome == app.NotStored {
			resp.Committed = false
		}
	}
	if req.GetAllOrNothing() && resp.Counts.Rejected > 0 {
		resp.Committed = false
	}
	return resp, nil
}

// StreamRecords ingests each message's records as they arrive and answers with counts when the
// client closes the stream. Messages go through an app.Stream: the next ones are validated and
// checked for stored duplicates while earlier ones wait for their acks, and the answer comes
// only once every accepted record was acknowledged. A bad message ends the call with an error
// after the messages before it are settled.
func (s *Server) StreamRecords(stream grpc.ClientStreamingServer[ingestionv1.StreamRecordsRequest, ingestionv1.StreamRecordsResponse]) (err error) {
	pipeline := s.ingester.NewStream(stream.Context(), app.Options{})
	defer func() {
		if closeErr := pipeline.Close(); err == nil {
			err = closeErr
		}
	}()
	// resp is only written by the pipeline's reports, and read after Close.
	resp := &ingestionv1.StreamRecordsResponse{Counts: &ingestionv1.RecordCounts{}}
	index := 0
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if err := pipeline.Close(); err != nil {
				return err
			}
			return stream.SendAndClose(resp)
		}
		if err != nil {
			return err
		}
		if !ids.Valid(msg.GetTeamId()) {
			return fault.InvalidField("team_id", "must match %s, got %q (message with record %d)", ids.Rule, msg.GetTeamId(), index)
		}
		if len(msg.GetRecords()) > MaxBatchRecords {
			return fault.InvalidField("records", "has %d records in one message, at most %d", len(msg.GetRecords()), MaxBatchRecords)
		}
		items := make([]app.Item, len(msg.GetRecords()))
		for i, rec := range msg.GetRecords() {
			items[i] = toItem(msg.GetTeamId(), rec, fault.Field("records", index+i))
		}
		first := index
		err = pipeline.Submit(items, func(results []app.Result) {
			for i, r := range results {
				addCount(resp.Counts, r.Outcome)
				if r.Outcome != app.Rejected {
					continue
				}
				if len(resp.Rejected) < MaxStreamRejected {
					resp.Rejected = append(resp.Rejected, toResult(first+i, r))
				} else {
					resp.RejectedTruncated = true
				}
			}
		})
		if err != nil {
			return err
		}
		index += len(items)
	}
}

// toItem converts one API record into an app item: the envelope from meta, the payload with
// loads converted to kg and enums left for the app to default.
func toItem(team string, rec *ingestionv1.Record, prefix string) app.Item {
	meta := rec.GetMeta()
	ev := &eventsv1.Event{
		Id: meta.GetEventId(), TeamId: team, AthleteId: meta.GetAthleteId(), Source: meta.GetSource(),
		OccurredAt: meta.GetOccurredAt(),
	}
	it := app.Item{Event: ev, Prefix: prefix, PresentTime: meta.GetOccurredAt() != nil}
	if meta.GetOccurredAt() != nil && !meta.GetOccurredAt().IsValid() {
		it.Violations = append(it.Violations, fault.FieldViolation{Field: join(prefix, "meta.occurred_at"), Description: "is not a valid timestamp"})
	}
	switch d := rec.GetData().(type) {
	case *ingestionv1.Record_Set:
		in := d.Set
		unit := in.GetLoadUnit()
		if unit == commonv1.WeightUnit_WEIGHT_UNIT_UNSPECIFIED {
			unit = commonv1.WeightUnit_WEIGHT_UNIT_KG
		}
		if _, known := commonv1.WeightUnit_name[int32(unit)]; !known {
			// Never read an unknown unit as kg: the load would be silently wrong.
			it.Violations = append(it.Violations, fault.FieldViolation{Field: join(prefix, "set.load_unit"),
				Description: fmt.Sprintf("unknown weight unit %d; known: %s", unit, records.KnownEnumValues(commonv1.WeightUnit_name))})
		}
		ev.Payload = &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{
			SessionId: in.GetSessionId(), Exercise: in.GetExercise(), LiftCategory: in.GetLiftCategory(),
			LoadKg: records.ToKg(in.GetLoad(), unit), Reps: in.GetReps(), Rpe: in.Rpe, Rir: in.Rir, SetType: in.GetSetType(),
			SetIndex: in.GetSetIndex(), RepVelocitiesMps: in.GetRepVelocitiesMps(), Notes: in.GetNotes(), OriginalUnit: unit,
		}}
	case *ingestionv1.Record_Session:
		ev.Payload = &eventsv1.Event_SessionRecorded{SessionRecorded: d.Session}
	case *ingestionv1.Record_Wellness:
		ev.Payload = &eventsv1.Event_WellnessReported{WellnessReported: d.Wellness}
	case *ingestionv1.Record_Readiness:
		ev.Payload = &eventsv1.Event_ReadinessMeasured{ReadinessMeasured: d.Readiness}
	default:
		it.Violations = append(it.Violations, fault.FieldViolation{Field: prefix, Description: "has no set, session, wellness or readiness"})
	}
	return it
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func toResult(index int, r app.Result) *ingestionv1.RecordResult {
	out := &ingestionv1.RecordResult{Index: uint32(index), EventId: r.EventID, Outcome: outcome(r.Outcome)}
	for _, v := range r.Violations {
		out.Violations = append(out.Violations, &commonv1.FieldViolation{Field: v.Field, Description: v.Description})
	}
	return out
}

func outcome(o app.Outcome) ingestionv1.RecordOutcome {
	switch o {
	case app.Accepted:
		return ingestionv1.RecordOutcome_RECORD_OUTCOME_ACCEPTED
	case app.Duplicate:
		return ingestionv1.RecordOutcome_RECORD_OUTCOME_DUPLICATE
	case app.Rejected:
		return ingestionv1.RecordOutcome_RECORD_OUTCOME_REJECTED
	case app.NotStored:
		return ingestionv1.RecordOutcome_RECORD_OUTCOME_NOT_STORED
	}
	return ingestionv1.RecordOutcome_RECORD_OUTCOME_UNSPECIFIED
}

func addCount(c *ingestionv1.RecordCounts, o app.Outcome) {
	c.Received++
	switch o {
	case app.Accepted:
		c.Accepted++
	case app.Duplicate:
		c.Duplicates++
	case app.Rejected:
		c.Rejected++
	case app.NotStored:
		c.NotStored++
	}
}

func countsOf(c *app.Counts) *ingestionv1.RecordCounts {
	if c == nil {
		return &ingestionv1.RecordCounts{}
	}
	return &ingestionv1.RecordCounts{Received: c.Received, Accepted: c.Accepted, Duplicates: c.Duplicates, Rejected: c.Rejected, NotStored: c.NotStored}
}

// ImportCSV receives the options, then the file in chunks, and imports it as a whole.
func (s *Server) ImportCSV(stream grpc.ClientStreamingServer[ingestionv1.ImportCSVRequest, ingestionv1.ImportCSVResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fault.InvalidField("options", "the first message must carry the import options")
		}
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return fault.InvalidField("options", "the first message must carry the import options")
	}
	team := first.GetTeamId()
	var bad fault.Invalid
	ids.CheckTeam(&bad, "team_id", team)
	ids.CheckAthlete(&bad, "options.athlete_id", opts.GetAthleteId())
	loc := time.UTC
	if tz := opts.GetTimeZone(); tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			bad.Add("options.time_zone", "unknown IANA time zone %q", tz)
		}
	}
	format, ok := formats[opts.GetFormat()]
	if !ok {
		bad.Add("options.format", "unknown format %v", opts.GetFormat())
	}
	if err := bad.Err(); err != nil {
		return err
	}
	var data bytes.Buffer
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if t := msg.GetTeamId(); t != "" && t != team {
			return fault.InvalidField("team_id", "changed from %q to %q during the import", team, t)
		}
		if msg.GetOptions() != nil {
			return fault.InvalidField("options", "only the first message may carry options")
		}
		if len(msg.GetChunk()) > MaxImportChunkSize {
			return fault.InvalidField("chunk", "is %d bytes, at most %d", len(msg.GetChunk()), MaxImportChunkSize)
		}
		if data.Len()+len(msg.GetChunk()) > MaxImportBytes {
			return fault.InvalidField("chunk", "the file exceeds %d MiB", MaxImportBytes>>20)
		}
		data.Write(msg.GetChunk())
	}
	if _, known := commonv1.WeightUnit_name[int32(opts.GetDefaultUnit())]; !known {
		return fault.InvalidField("options.default_unit", "unknown weight unit %d; known: %s", opts.GetDefaultUnit(), records.KnownEnumValues(commonv1.WeightUnit_name))
	}
	rep, err := s.ingester.Import(stream.Context(), data.Bytes(), importer.Options{
		Team: team, Athlete: opts.GetAthleteId(), Format: format, DefaultUnit: opts.GetDefaultUnit(), Location: loc,
	}, opts.GetDryRun())
	if errors.Is(err, importer.ErrUnknownFormat) {
		return fault.InvalidField("options.format", "%v; name the format explicitly or check the file", err)
	}
	if err != nil {
		var inv *fault.Invalid
		if errors.As(err, &inv) || errors.Is(err, fault.ErrUnavailable) {
			return err
		}
		return fault.InvalidField("chunk", "cannot read the file as %s: %v", formatName(format), err)
	}
	return stream.SendAndClose(toImportResponse(rep))
}

var formats = map[ingestionv1.ImportFormat]importer.Format{
	ingestionv1.ImportFormat_IMPORT_FORMAT_UNSPECIFIED: importer.FormatAuto,
	ingestionv1.ImportFormat_IMPORT_FORMAT_STRONG:      importer.FormatStrong,
	ingestionv1.ImportFormat_IMPORT_FORMAT_HEVY:        importer.FormatHevy,
	ingestionv1.ImportFormat_IMPORT_FORMAT_FITNOTES:    importer.FormatFitNotes,
	ingestionv1.ImportFormat_IMPORT_FORMAT_TEMPLATE:    importer.FormatTemplate,
	ingestionv1.ImportFormat_IMPORT_FORMAT_PMDATA:      importer.FormatPMData,
}

func formatName(f importer.Format) string {
	if f == importer.FormatAuto {
		return "a detected format"
	}
	return string(f)
}

func toImportResponse(rep *app.ImportReport) *ingestionv1.ImportCSVResponse {
	out := &ingestionv1.ImportCSVResponse{
		DryRun: rep.DryRun, RowsTotal: rep.RowsTotal, RowsImported: rep.Imported, RowsDuplicate: rep.Duplicate,
		RowsSkipped: rep.Skipped, RowsRejected: rep.Rejected, IssuesTruncated: rep.IssuesTruncated, FileSha256: rep.SHA256,
		Sets: countsOf(rep.Kinds["set"]), Sessions: countsOf(rep.Kinds["session"]), Wellness: countsOf(rep.Kinds["wellness"]),
		Readiness: countsOf(rep.Kinds["readiness"]),
	}
	for k, v := range formats {
		if v == rep.Format && k != ingestionv1.ImportFormat_IMPORT_FORMAT_UNSPECIFIED {
			out.Format = k
		}
	}
	for _, r := range rep.Reasons {
		out.SkipReasons = append(out.SkipReasons, &ingestionv1.SkipReasonCount{Reason: r.Reason, Rows: r.Rows, ExampleLines: r.ExampleLines})
	}
	for _, is := range rep.Issues {
		out.Issues = append(out.Issues, &ingestionv1.RowIssue{Line: is.Line, Column: is.Column, Message: is.Message})
	}
	for _, e := range rep.Exercises {
		out.Exercises = append(out.Exercises, &ingestionv1.ExerciseMapping{Exercise: e.Exercise, LiftCategory: e.Category, Rows: e.Rows})
	}
	if !rep.First.IsZero() {
		out.Covered = &commonv1.DateRange{Start: toDate(rep.First), End: toDate(rep.Last)}
	}
	return out
}

func toDate(t time.Time) *commonv1.Date {
	t = t.UTC()
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// Export streams stored records of one kind, oldest first.
func (s *Server) Export(req *ingestionv1.ExportRequest, stream grpc.ServerStreamingServer[ingestionv1.ExportResponse]) error {
	var bad fault.Invalid
	ids.CheckTeam(&bad, "team_id", req.GetTeamId())
	if a := req.GetAthleteId(); a != "" {
		ids.CheckAthlete(&bad, "athlete_id", a)
	}
	table, ok := exportTables[req.GetKind()]
	if !ok {
		bad.Add("kind", "must be sets, sessions, wellness or readiness")
	}
	from, errFrom := fromDate(req.GetRange().GetStart())
	if errFrom != nil {
		bad.Add("range.start", "%v", errFrom)
	}
	to, errTo := fromDate(req.GetRange().GetEnd())
	if errTo != nil {
		bad.Add("range.end", "%v", errTo)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		bad.Add("range", "end %s is before start %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if s.tables == nil {
		return fault.FailedPrecondition("export: this ingestion instance has no store")
	}
	q := chstore.ExportQuery{Table: table, Team: req.GetTeamId(), Athlete: req.GetAthleteId(), From: from, To: to}
	if teams, restricted := auth.GrantedTeams(stream.Context()); restricted {
		q.GrantedTeams = teams
	}
	return s.tables.Export(stream.Context(), q,
		func(evs []*eventsv1.Event) error {
			if err := stream.Send(&ingestionv1.ExportResponse{Events: evs}); err != nil {
				return fmt.Errorf("send export page: %w", err)
			}
			return nil
		})
}

var exportTables = map[ingestionv1.RecordKind]string{
	ingestionv1.RecordKind_RECORD_KIND_SETS:      chstore.TableSets,
	ingestionv1.RecordKind_RECORD_KIND_SESSIONS:  chstore.TableSessions,
	ingestionv1.RecordKind_RECORD_KIND_WELLNESS:  chstore.TableWellness,
	ingestionv1.RecordKind_RECORD_KIND_READINESS: chstore.TableReadiness,
}

func fromDate(d *commonv1.Date) (time.Time, error) {
	if d == nil {
		return time.Time{}, nil
	}
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	if t.Year() != int(d.GetYear()) || int(t.Month()) != int(d.GetMonth()) || t.Day() != int(d.GetDay()) {
		return time.Time{}, fmt.Errorf("%04d-%02d-%02d is not a calendar day", d.GetYear(), d.GetMonth(), d.GetDay())
	}
	return t, nil
}
