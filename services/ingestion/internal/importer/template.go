package importer

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/domain"
	"github.com/supercomp/supercomp/services/ingestion/internal/records"
)

// templateTimeLayouts are the occurred_at spellings the template accepts: RFC 3339 with a zone,
// or a local time (in the import's time zone) with or without seconds, or a bare date.
var templateTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}

// parseTemplate reads the Supercomp template CSV (services/ingestion/README.md): a `kind`
// column (set, session, wellness, readiness), occurred_at, and the columns of that kind in any
// order. Rows carry no key: the caller derives each id from the record's content (the same id
// the gRPC API derives), unless the row gives event_id.
func parseTemplate(t *table, opts Options, res *Result) error {
	return t.collect(res, func(r record) (Row, error) { return templateRow(opts, r) })
}

func templateRow(opts Options, r record) (Row, error) {
	if r.blank() {
		return Row{Skip: SkipBlankRow}, nil
	}
	at, err := parseTime("occurred_at", r.get("occurred_at"), opts.Location, templateTimeLayouts...)
	if err != nil {
		return Row{}, err
	}
	athlete := opts.Athlete
	if a := r.get("athlete_id"); a != "" {
		athlete = a
	}
	ev := &eventsv1.Event{
		Id: strings.ToLower(r.get("event_id")), TeamId: opts.Team, AthleteId: athlete, Source: string(FormatTemplate),
		OccurredAt: timestamppb.New(at),
	}
	switch kind := strings.ToLower(r.get("kind")); kind {
	case "set":
		s, err := templateSet(r)
		if err != nil {
			return Row{}, err
		}
		ev.Payload = &eventsv1.Event_SetRecorded{SetRecorded: s}
	case "session":
		s := &eventsv1.SessionRecorded{SessionId: r.get("session_id"), Name: r.get("name"),
			Activity: strings.ToLower(r.get("activity")), Notes: r.get("notes")}
		if s.DurationMinutes, err = number("duration_minutes", r.get("duration_minutes")); err != nil {
			return Row{}, err
		}
		if s.SessionRpe, err = optNumber("session_rpe", r.get("session_rpe")); err != nil {
			return Row{}, err
		}
		ev.Payload = &eventsv1.Event_SessionRecorded{SessionRecorded: s}
	case "wellness":
		w, err := templateWellness(r)
		if err != nil {
			return Row{}, err
		}
		ev.Payload = &eventsv1.Event_WellnessReported{WellnessReported: w}
	case "readiness":
		m := &eventsv1.ReadinessMeasured{Notes: r.get("notes")}
		if m.HrvRmssdMs, err = optNumber("hrv_rmssd_ms", r.get("hrv_rmssd_ms")); err != nil {
			return Row{}, err
		}
		if m.RestingHrBpm, err = optNumber("resting_hr_bpm", r.get("resting_hr_bpm")); err != nil {
			return Row{}, err
		}
		if m.CmjHeightCm, err = optNumber("cmj_height_cm", r.get("cmj_height_cm")); err != nil {
			return Row{}, err
		}
		if m.CmjJumpCount, err = optScore("cmj_jump_count", r.get("cmj_jump_count")); err != nil {
			return Row{}, err
		}
		ev.Payload = &eventsv1.Event_ReadinessMeasured{ReadinessMeasured: m}
	default:
		return Row{}, colErr("kind", "unknown kind %q (want set, session, wellness or readiness)", kind)
	}
	return Row{Record: &Record{Event: ev}}, nil
}

func templateSet(r record) (*eventsv1.SetRecorded, error) {
	s := &eventsv1.SetRecorded{SessionId: r.get("session_id"), Exercise: r.get("exercise"), Notes: r.get("notes")}
	unit := commonv1.WeightUnit_WEIGHT_UNIT_KG
	switch u := strings.ToLower(r.get("unit")); u {
	case "", "kg", "kgs":
	case "lb", "lbs":
		unit = commonv1.WeightUnit_WEIGHT_UNIT_LB
	default:
		return nil, colErr("unit", "unknown unit %q (want kg or lb)", u)
	}
	s.OriginalUnit = unit
	load := 0.0
	var err error
	if cell := r.get("load"); cell != "" {
		if load, err = number("load", cell); err != nil {
			return nil, err
		}
	}
	s.LoadKg = records.ToKg(load, unit)
	if s.Reps, err = wholeCount("reps", r.get("reps")); err != nil {
		return nil, err
	}
	if s.Rpe, err = optNumber("rpe", r.get("rpe")); err != nil {
		return nil, err
	}
	if s.Rir, err = optNumber("rir", r.get("rir")); err != nil {
		return nil, err
	}
	switch st := strings.ToLower(r.get("set_type")); st {
	case "", "working", "normal":
		s.SetType = commonv1.SetType_SET_TYPE_WORKING
	case "warm_up", "warmup":
		s.SetType = commonv1.SetType_SET_TYPE_WARM_UP
	case "failure":
		s.SetType = commonv1.SetType_SET_TYPE_FAILURE
	case "drop", "dropset":
		s.SetType = commonv1.SetType_SET_TYPE_DROP
	default:
		return nil, colErr("set_type", "unknown set type %q (want warm_up, working, failure or drop)", st)
	}
	if cell := r.get("set_index"); cell != "" {
		if s.SetIndex, err = wholeCount("set_index", cell); err != nil {
			return nil, err
		}
	}
	if c := r.get("lift_category"); c != "" {
		s.LiftCategory = records.WireLiftCategory(domain.ParseLiftCategory(c))
	} else {
		s.LiftCategory = records.LiftCategoryOf(s.Exercise)
	}
	for _, v := range splitList(r.get("rep_velocities_mps")) {
		f, err := number("rep_velocities_mps", v)
		if err != nil {
			return nil, err
		}
		s.RepVelocitiesMps = append(s.RepVelocitiesMps, f)
	}
	return s, nil
}

func templateWellness(r record) (*eventsv1.WellnessReported, error) {
	w := &eventsv1.WellnessReported{Notes: r.get("notes"), SorenessAreas: splitList(r.get("soreness_areas"))}
	var err error
	for _, it := range []struct {
		col string
		dst **uint32
	}{
		{"fatigue", &w.Fatigue}, {"sleep_quality", &w.SleepQuality}, {"soreness", &w.Soreness}, {"stress", &w.Stress},
		{"mood", &w.Mood}, {"motivation", &w.Motivation}, {"readiness", &w.Readiness},
	} {
		if *it.dst, err = optScore(it.col, r.get(it.col)); err != nil {
			return nil, err
		}
	}
	if w.SleepHours, err = optNumber("sleep_hours", r.get("sleep_hours")); err != nil {
		return nil, err
	}
	for _, p := range splitList(r.get("joint_pain")) {
		loc, score, ok := strings.Cut(p, ":")
		if !ok {
			return nil, colErr("joint_pain", "want location:score, got %q", p)
		}
		n, err := wholeCount("joint_pain", strings.TrimSpace(score))
		if err != nil {
			return nil, err
		}
		w.JointPain = append(w.JointPain, &eventsv1.JointPain{Location: strings.ToLower(strings.TrimSpace(loc)), Score: n})
	}
	return w, nil
}

// splitList splits a cell holding several values separated by "|" or ";".
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
