package importer

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// pmdataTime is the ISO instant PMData writes (UTC, milliseconds).
const pmdataTime = "2006-01-02T15:04:05.999Z07:00"

// parsePMData reads a PMData pmsys file: wellness.csv (one questionnaire per row) or srpe.csv
// (one session per row, timed by its end). pmsys scales are kept as they are: its 1-5 items are
// already oriented so that 5 is best (McLean layout) and readiness is 0-10. A 0 on a 1-5 item
// or a sleep duration of 0 is pmsys's "not answered" and stored as missing, never as a score.
func parsePMData(t *table, opts Options, res *Result) error {
	wellness := t.has("effective_time_frame")
	return t.collect(res, func(r record) (Row, error) {
		if wellness {
			return pmdataWellnessRow(opts, r)
		}
		return pmdataSRPERow(opts, r)
	})
}

func pmdataWellnessRow(opts Options, r record) (Row, error) {
	if r.blank() {
		return Row{Skip: SkipBlankRow}, nil
	}
	cell := r.get("effective_time_frame")
	at, err := parseTime("effective_time_frame", cell, time.UTC, pmdataTime, time.RFC3339Nano)
	if err != nil {
		return Row{}, err
	}
	w := &eventsv1.WellnessReported{}
	items := []struct {
		col string
		dst **uint32
	}{
		{"fatigue", &w.Fatigue}, {"mood", &w.Mood}, {"sleep_quality", &w.SleepQuality},
		{"soreness", &w.Soreness}, {"stress", &w.Stress},
	}
	for _, it := range items {
		v, err := optScore(it.col, r.get(it.col))
		if err != nil {
			return Row{}, err
		}
		if v != nil && *v > 0 {
			*it.dst = v
		}
	}
	if w.Readiness, err = optScore("readiness", r.get("readiness")); err != nil {
		return Row{}, err
	}
	if hours, err := optNumber("sleep_duration_h", r.get("sleep_duration_h")); err != nil {
		return Row{}, err
	} else if hours != nil && *hours > 0 {
		w.SleepHours = hours
	}
	w.SorenessAreas = pythonList(r.get("soreness_area"))
	ev := &eventsv1.Event{
		TeamId: opts.Team, AthleteId: opts.Athlete, Source: string(FormatPMData), OccurredAt: timestamppb.New(at),
		Payload: &eventsv1.Event_WellnessReported{WellnessReported: w},
	}
	return Row{Record: &Record{Event: ev, Key: []string{"import", "pmdata", opts.Team, opts.Athlete, "wellness", cell}}}, nil
}

func pmdataSRPERow(opts Options, r record) (Row, error) {
	if r.blank() {
		return Row{Skip: SkipBlankRow}, nil
	}
	cell := r.get("end_date_time")
	end, err := parseTime("end_date_time", cell, time.UTC, pmdataTime, time.RFC3339Nano)
	if err != nil {
		return Row{}, err
	}
	rpeCell, durCell := r.get("perceived_exertion"), r.get("duration_min")
	if rpeCell == "" && durCell == "" {
		return Row{Skip: SkipNoSession}, nil
	}
	minutes, err := number("duration_min", durCell)
	if err != nil {
		return Row{}, err
	}
	rpe, err := optNumber("perceived_exertion", rpeCell)
	if err != nil {
		return Row{}, err
	}
	names := pythonList(r.get("activity_names"))
	var kinds []string
	scope := ""
	for _, n := range names {
		switch n {
		case "individual", "team":
			scope = n
		default:
			kinds = append(kinds, n)
		}
	}
	start := end.Add(-time.Duration(minutes * float64(time.Minute)))
	s := &eventsv1.SessionRecorded{
		SessionId:       "pmdata-" + shortHash(opts.Team, opts.Athlete, cell),
		DurationMinutes: minutes, SessionRpe: rpe, Name: strings.TrimSpace(scope + " " + strings.Join(kinds, " ")),
		Activity: strings.Join(kinds, "+"),
	}
	ev := &eventsv1.Event{
		TeamId: opts.Team, AthleteId: opts.Athlete, Source: string(FormatPMData), OccurredAt: timestamppb.New(start),
		Payload: &eventsv1.Event_SessionRecorded{SessionRecorded: s},
	}
	return Row{Record: &Record{Event: ev, Key: []string{"import", "pmdata", opts.Team, opts.Athlete, "session", cell}}}, nil
}

// optScore parses an optional whole-number score.
func optScore(column, s string) (*uint32, error) {
	if s == "" {
		return nil, nil
	}
	v, err := wholeCount(column, s)
	if err != nil {
		return nil, err
	}
	return ptrU32(v), nil
}

// pythonList reads the Python list literals PMData writes, e.g. "['team', 'soccer']" or
// "[12921003]"; "{}" and "[]" are empty.
func pythonList(s string) []string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "["), "{")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "]"), "}")
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.Trim(strings.TrimSpace(part), `'"`)
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}
