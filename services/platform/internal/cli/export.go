package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
)

func init() { subcommands = append(subcommands, newExportCmd) }

var exportKinds = map[string]ingestionv1.RecordKind{
	"sets":      ingestionv1.RecordKind_RECORD_KIND_SETS,
	"sessions":  ingestionv1.RecordKind_RECORD_KIND_SESSIONS,
	"wellness":  ingestionv1.RecordKind_RECORD_KIND_WELLNESS,
	"readiness": ingestionv1.RecordKind_RECORD_KIND_READINESS,
}

func newExportCmd(opts *options) *cobra.Command {
	var team, athlete, kind, from, to, format string
	cmd := &cobra.Command{
		Use:   "export --team T [--athlete A] --kind sets|sessions|wellness|readiness [--from DATE --to DATE] [--format csv|json]",
		Short: "Write stored training records to stdout, oldest first (CSV in the template layout, or JSON lines)",
		Example: "  sc export --team t1 --kind sets --from 2026-01-01 > sets.csv\n" +
			"  sc export --team t1 --athlete a42 --kind wellness --format json | jq .",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, ok := exportKinds[kind]
			if !ok {
				return usagef("--kind %q: want sets, sessions, wellness or readiness", kind)
			}
			if err := needTeam(team); err != nil {
				return err
			}
			if format != "csv" && format != "json" {
				return usagef("--format %q: want csv or json", format)
			}
			rng := &commonv1.DateRange{}
			for _, d := range []struct {
				flag, value string
				dst         **commonv1.Date
			}{{"--from", from, &rng.Start}, {"--to", to, &rng.End}} {
				if d.value == "" {
					continue
				}
				t, err := time.Parse(time.DateOnly, d.value)
				if err != nil {
					return usagef("%s %q: want YYYY-MM-DD", d.flag, d.value)
				}
				*d.dst = &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
			}
			conn, err := opts.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*opts.timeout)
			defer cancel()
			stream, err := ingestionv1.NewIngestionServiceClient(conn).Export(ctx, &ingestionv1.ExportRequest{
				TeamId: team, AthleteId: athlete, Kind: k, Range: rng})
			if err != nil {
				return opts.callFailed("export", err)
			}
			w := newExportWriter(opts.out, format, kind)
			for {
				resp, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					return w.flush()
				}
				if err != nil {
					return opts.callFailed("export", err)
				}
				for _, ev := range resp.GetEvents() {
					if err := w.write(ev); err != nil {
						return err
					}
				}
			}
		},
	}
	teamFlag(cmd, &team, "")
	covers(cmd, ingestionv1.IngestionService_Export_FullMethodName)
	cmd.Flags().StringVar(&athlete, "athlete", "", "one athlete (default: the whole team)")
	cmd.Flags().StringVar(&kind, "kind", "sets", "sets, sessions, wellness or readiness")
	cmd.Flags().StringVar(&from, "from", "", "first day (YYYY-MM-DD, UTC), inclusive")
	cmd.Flags().StringVar(&to, "to", "", "last day (YYYY-MM-DD, UTC), inclusive")
	cmd.Flags().StringVar(&format, "format", "csv", "csv (the Supercomp template layout, importable again) or json (one event per line)")
	return cmd
}

// templateColumns is the Supercomp template CSV layout (services/ingestion/README.md), so an
// export can be imported again with `sc import csv`.
var templateColumns = map[string][]string{
	"sets":      {"kind", "event_id", "athlete_id", "occurred_at", "session_id", "exercise", "lift_category", "load", "unit", "reps", "rpe", "rir", "set_type", "set_index", "rep_velocities_mps", "notes"},
	"sessions":  {"kind", "event_id", "athlete_id", "occurred_at", "session_id", "duration_minutes", "session_rpe", "name", "activity", "notes"},
	"wellness":  {"kind", "event_id", "athlete_id", "occurred_at", "fatigue", "sleep_quality", "soreness", "stress", "mood", "motivation", "sleep_hours", "readiness", "joint_pain", "soreness_areas", "notes"},
	"readiness": {"kind", "event_id", "athlete_id", "occurred_at", "hrv_rmssd_ms", "resting_hr_bpm", "cmj_height_cm", "cmj_jump_count", "notes"},
}

type exportWriter struct {
	out    io.Writer
	csv    *csv.Writer
	kind   string
	header bool
}

func newExportWriter(out io.Writer, format, kind string) *exportWriter {
	w := &exportWriter{out: out, kind: kind}
	if format == "csv" {
		w.csv = csv.NewWriter(out)
	}
	return w
}

func (w *exportWriter) write(ev *eventsv1.Event) error {
	if w.csv == nil {
		b, err := protojson.Marshal(ev)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w.out, "%s\n", b)
		return err
	}
	if !w.header {
		w.header = true
		if err := w.csv.Write(templateColumns[w.kind]); err != nil {
			return err
		}
	}
	env := []string{"", ev.GetId(), ev.GetAthleteId(), ev.GetOccurredAt().AsTime().UTC().Format(time.RFC3339)}
	var row []string
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_SetRecorded:
		s := p.SetRecorded
		env[0] = "set"
		vel := make([]string, len(s.GetRepVelocitiesMps()))
		for i, v := range s.GetRepVelocitiesMps() {
			vel[i] = exportNum(v)
		}
		row = append(env, s.GetSessionId(), s.GetExercise(), exportEnumWord(s.GetLiftCategory().String(), "LIFT_CATEGORY_"), exportNum(s.GetLoadKg()), "kg",
			strconv.Itoa(int(s.GetReps())), exportOptNum(s.Rpe), exportOptNum(s.Rir), exportEnumWord(s.GetSetType().String(), "SET_TYPE_"),
			strconv.Itoa(int(s.GetSetIndex())), strings.Join(vel, "|"), s.GetNotes())
	case *eventsv1.Event_SessionRecorded:
		s := p.SessionRecorded
		env[0] = "session"
		row = append(env, s.GetSessionId(), exportNum(s.GetDurationMinutes()), exportOptNum(s.SessionRpe), s.GetName(), s.GetActivity(), s.GetNotes())
	case *eventsv1.Event_WellnessReported:
		r := p.WellnessReported
		env[0] = "wellness"
		pains := make([]string, len(r.GetJointPain()))
		for i, jp := range r.GetJointPain() {
			pains[i] = fmt.Sprintf("%s:%d", jp.GetLocation(), jp.GetScore())
		}
		row = append(env, exportOptU(r.Fatigue), exportOptU(r.SleepQuality), exportOptU(r.Soreness), exportOptU(r.Stress), exportOptU(r.Mood), exportOptU(r.Motivation),
			exportOptNum(r.SleepHours), exportOptU(r.Readiness), strings.Join(pains, "|"), strings.Join(r.GetSorenessAreas(), "|"), r.GetNotes())
	case *eventsv1.Event_ReadinessMeasured:
		r := p.ReadinessMeasured
		env[0] = "readiness"
		row = append(env, exportOptNum(r.HrvRmssdMs), exportOptNum(r.RestingHrBpm), exportOptNum(r.CmjHeightCm), exportOptU(r.CmjJumpCount), r.GetNotes())
	default:
		return fmt.Errorf("export: event %s has no training payload", ev.GetId())
	}
	return w.csv.Write(row)
}

func (w *exportWriter) flush() error {
	if w.csv == nil {
		return nil
	}
	w.csv.Flush()
	return w.csv.Error()
}

func exportNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func exportOptNum(p *float64) string {
	if p == nil {
		return ""
	}
	return exportNum(*p)
}

func exportOptU(p *uint32) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(int(*p))
}

func exportEnumWord(s, prefix string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }
