package importer

import (
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/records"
)

// workouts groups rows into sessions and numbers each exercise's sets within one, so a row's key
// stays the same however often the file is exported again.
type workouts struct {
	format   Format
	opts     Options
	sessions map[string]*Record
	order    []string
	ordinal  map[string]int
}

func newWorkouts(format Format, opts Options) *workouts {
	return &workouts{format: format, opts: opts, sessions: map[string]*Record{}, ordinal: map[string]int{}}
}

// sessionID is the deterministic session id of a workout (athlete, start, name).
func (w *workouts) sessionID(start time.Time, name string) string {
	return string(w.format) + "-" + shortHash(w.opts.Team, w.opts.Athlete, start.UTC().Format(time.RFC3339), name)
}

// nextOrdinal counts the rows of one exercise within one session, from 1.
func (w *workouts) nextOrdinal(sessionID, exercise string) int {
	k := sessionID + "\x1f" + exercise
	w.ordinal[k]++
	return w.ordinal[k]
}

// set builds the record of one set row.
func (w *workouts) set(sessionID string, at time.Time, s *eventsv1.SetRecorded, ordinal int) *Record {
	s.SessionId = sessionID
	s.LiftCategory = records.LiftCategoryOf(s.GetExercise())
	ev := &eventsv1.Event{
		TeamId: w.opts.Team, AthleteId: w.opts.Athlete, Source: string(w.format),
		OccurredAt: timestamppb.New(at), Payload: &eventsv1.Event_SetRecorded{SetRecorded: s},
	}
	return &Record{Event: ev, Key: []string{"import", string(w.format), w.opts.Team, w.opts.Athlete, "set", sessionID,
		s.GetExercise(), strconv.Itoa(ordinal)}}
}

// session records a workout once, the first time one of its rows is seen.
func (w *workouts) session(sessionID string, start time.Time, minutes float64, name, notes string) {
	if _, ok := w.sessions[sessionID]; ok || minutes <= 0 {
		return
	}
	ev := &eventsv1.Event{
		TeamId: w.opts.Team, AthleteId: w.opts.Athlete, Source: string(w.format), OccurredAt: timestamppb.New(start),
		Payload: &eventsv1.Event_SessionRecorded{SessionRecorded: &eventsv1.SessionRecorded{
			SessionId: sessionID, DurationMinutes: minutes, Name: name, Activity: "strength", Notes: notes,
		}},
	}
	w.sessions[sessionID] = &Record{Event: ev, Key: []string{"import", string(w.format), w.opts.Team, w.opts.Athlete, "session", sessionID}}
	w.order = append(w.order, sessionID)
}

func (w *workouts) extra() []*Record {
	out := make([]*Record, 0, len(w.order))
	for _, id := range w.order {
		out = append(out, w.sessions[id])
	}
	return out
}

// strongDuration parses Strong's "1h 16m", "55m", "45s".
func strongDuration(s string) (float64, bool) {
	var minutes float64
	for _, part := range strings.Fields(s) {
		if len(part) < 2 {
			return 0, false
		}
		n, err := strconv.ParseFloat(part[:len(part)-1], 64)
		if err != nil {
			return 0, false
		}
		switch part[len(part)-1] {
		case 'h':
			minutes += n * 60
		case 'm':
			minutes += n
		case 's':
			minutes += n / 60
		default:
			return 0, false
		}
	}
	return minutes, minutes > 0
}

// parseStrong reads both Strong layouts: the comma one (Duration column, "Rest Timer" rows,
// weights in the app's unit, which the file does not say) and the older `;` one with a
// Weight Unit column. Set Order is a number, or W/D/F for warm-up, drop and failure sets.
func parseStrong(t *table, opts Options, res *Result) error {
	w := newWorkouts(FormatStrong, opts)
	err := t.collect(res, func(r record) (Row, error) { return strongRow(w, r) })
	res.Extra = w.extra()
	return err
}

func strongRow(w *workouts, r record) (Row, error) {
	if r.blank() {
		return Row{Skip: SkipBlankRow}, nil
	}
	order := r.get("set order")
	if strings.EqualFold(order, "Rest Timer") {
		return Row{Skip: SkipRestTimer}, nil
	}
	start, err := parseTime("Date", r.get("date"), w.opts.Location, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02")
	if err != nil {
		return Row{}, err
	}
	exercise := r.get("exercise name")
	if exercise == "" {
		return Row{}, colErr("Exercise Name", "is empty")
	}
	workout := r.get("workout name")
	sessionID := w.sessionID(start, workout)
	if minutes, ok := strongDuration(r.get("duration")); ok {
		w.session(sessionID, start, minutes, workout, r.get("workout notes"))
	}
	ordinal := w.nextOrdinal(sessionID, exercise)
	setType := commonv1.SetType_SET_TYPE_WORKING
	setIndex := ordinal
	switch strings.ToUpper(order) {
	case "W":
		setType = commonv1.SetType_SET_TYPE_WARM_UP
	case "D":
		setType = commonv1.SetType_SET_TYPE_DROP
	case "F":
		setType = commonv1.SetType_SET_TYPE_FAILURE
	default:
		n, err := wholeCount("Set Order", order)
		if err != nil {
			return Row{}, err
		}
		setIndex = int(n)
	}
	repsCell := r.get("reps")
	reps := uint32(0)
	if repsCell != "" {
		if reps, err = wholeCount("Reps", repsCell); err != nil {
			return Row{}, err
		}
	}
	if reps == 0 {
		if d, _ := optNumber("Distance", r.get("distance")); d != nil && *d > 0 {
			return Row{Skip: SkipCardioOnly}, nil
		}
		return Row{Skip: SkipNoReps}, nil
	}
	load := 0.0
	if cell := r.get("weight"); cell != "" {
		if load, err = number("Weight", cell); err != nil {
			return Row{}, err
		}
	}
	unit := w.opts.DefaultUnit
	if r.t.has("weight unit") {
		switch u := strings.ToLower(r.get("weight unit")); u {
		case "kg", "kgs":
			unit = commonv1.WeightUnit_WEIGHT_UNIT_KG
		case "lb", "lbs":
			unit = commonv1.WeightUnit_WEIGHT_UNIT_LB
		case "":
		default:
			return Row{}, colErr("Weight Unit", "unknown unit %q (want kg or lbs)", u)
		}
	}
	rpe, err := optNumber("RPE", r.get("rpe"))
	if err != nil {
		return Row{}, err
	}
	notes := r.get("notes")
	s := &eventsv1.SetRecorded{
		Exercise: exercise, LoadKg: records.ToKg(load, unit), Reps: reps, Rpe: rpe, SetType: setType,
		SetIndex: uint32(setIndex), Notes: notes, OriginalUnit: unit,
	}
	return Row{Record: w.set(sessionID, start, s, ordinal)}, nil
}

// hevyTimeLayouts are the start_time spellings seen in Hevy exports.
var hevyTimeLayouts = []string{"2 Jan 2006, 15:04", "2 Jan 2006 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04"}

// parseHevy reads Hevy exports in either unit (weight_kg or weight_lbs). set_index is 0-based;
// set_type is normal, warmup, failure or dropset; rows without reps are timed or cardio sets.
func parseHevy(t *table, opts Options, res *Result) error {
	unit := commonv1.WeightUnit_WEIGHT_UNIT_KG
	weightCol := "weight_kg"
	if t.has("weight_lbs") {
		unit, weightCol = commonv1.WeightUnit_WEIGHT_UNIT_LB, "weight_lbs"
	}
	distanceCol := "distance_km"
	if t.has("distance_miles") {
		distanceCol = "distance_miles"
	}
	w := newWorkouts(FormatHevy, opts)
	err := t.collect(res, func(r record) (Row, error) { return hevyRow(w, r, unit, weightCol, distanceCol) })
	res.Extra = w.extra()
	return err
}

func hevyRow(w *workouts, r record, unit commonv1.WeightUnit, weightCol, distanceCol string) (Row, error) {
	if r.blank() {
		return Row{Skip: SkipBlankRow}, nil
	}
	start, err := parseTime("start_time", r.get("start_time"), w.opts.Location, hevyTimeLayouts...)
	if err != nil {
		return Row{}, err
	}
	exercise := r.get("exercise_title")
	if exercise == "" {
		return Row{}, colErr("exercise_title", "is empty")
	}
	title := r.get("title")
	sessionID := w.sessionID(start, title)
	if end, err := parseTime("end_time", r.get("end_time"), w.opts.Location, hevyTimeLayouts...); err == nil && end.After(start) {
		w.session(sessionID, start, end.Sub(start).Minutes(), title, r.get("description"))
	}
	ordinal := w.nextOrdinal(sessionID, exercise)
	var setType commonv1.SetType
	switch st := strings.ToLower(r.get("set_type")); st {
	case "normal", "":
		setType = commonv1.SetType_SET_TYPE_WORKING
	case "warmup", "warm_up", "warm-up":
		setType = commonv1.SetType_SET_TYPE_WARM_UP
	case "failure":
		setType = commonv1.SetType_SET_TYPE_FAILURE
	case "dropset", "drop":
		setType = commonv1.SetType_SET_TYPE_DROP
	default:
		return Row{}, colErr("set_type", "unknown set type %q (want normal, warmup, failure or dropset)", st)
	}
	setIndex := ordinal
	if cell := r.get("set_index"); cell != "" {
		n, err := wholeCount("set_index", cell)
		if err != nil {
			return Row{}, err
		}
		setIndex = int(n) + 1
	}
	reps := uint32(0)
	if cell := r.get("reps"); cell != "" {
		if reps, err = wholeCount("reps", cell); err != nil {
			return Row{}, err
		}
	}
	if reps == 0 {
		if d, _ := optNumber(distanceCol, r.get(distanceCol)); d != nil && *d > 0 {
			return Row{Skip: SkipCardioOnly}, nil
		}
		return Row{Skip: SkipNoReps}, nil
	}
	load := 0.0
	if cell := r.get(weightCol); cell != "" {
		if load, err = number(weightCol, cell); err != nil {
			return Row{}, err
		}
	}
	rpe, err := optNumber("rpe", r.get("rpe"))
	if err != nil {
		return Row{}, err
	}
	s := &eventsv1.SetRecorded{
		Exercise: exercise, LoadKg: records.ToKg(load, unit), Reps: reps, Rpe: rpe, SetType: setType,
		SetIndex: uint32(setIndex), Notes: r.get("exercise_notes"), OriginalUnit: unit,
	}
	return Row{Record: w.set(sessionID, start, s, ordinal)}, nil
}

// parseFitNotes reads FitNotes exports: one row per set, a Date without time (the sets of a
// day share the day's start in the import's time zone), weights in "Weight (lbs)" or
// "Weight (kgs)". FitNotes has no workout duration, so no session records are produced.
func parseFitNotes(t *table, opts Options, res *Result) error {
	unit, weightCol := commonv1.WeightUnit_WEIGHT_UNIT_KG, ""
	for _, c := range []string{"weight (kgs)", "weight (kg)", "weight"} {
		if t.has(c) {
			weightCol = c
		}
	}
	if t.has("weight (lbs)") {
		unit, weightCol = commonv1.WeightUnit_WEIGHT_UNIT_LB, "weight (lbs)"
	}
	w := newWorkouts(FormatFitNotes, opts)
	return t.collect(res, func(r record) (Row, error) { return fitNotesRow(w, r, unit, weightCol) })
}

func fitNotesRow(w *workouts, r record, unit commonv1.WeightUnit, weightCol string) (Row, error) {
	if r.blank() {
		return Row{Skip: SkipBlankRow}, nil
	}
	day, err := parseTime("Date", r.get("date"), w.opts.Location, "2006-01-02")
	if err != nil {
		return Row{}, err
	}
	exercise := r.get("exercise")
	if exercise == "" {
		return Row{}, colErr("Exercise", "is empty")
	}
	sessionID := w.sessionID(day, "")
	ordinal := w.nextOrdinal(sessionID, exercise)
	reps := uint32(0)
	if cell := r.get("reps"); cell != "" {
		if reps, err = wholeCount("Reps", cell); err != nil {
			return Row{}, err
		}
	}
	if reps == 0 {
		if r.get("distance") != "" || strings.EqualFold(r.get("category"), "cardio") {
			return Row{Skip: SkipCardioOnly}, nil
		}
		return Row{Skip: SkipNoReps}, nil
	}
	load := 0.0
	if cell := r.get(weightCol); weightCol != "" && cell != "" {
		if load, err = number(r.t.header[r.t.cols[weightCol]], cell); err != nil {
			return Row{}, err
		}
	}
	s := &eventsv1.SetRecorded{
		Exercise: exercise, LoadKg: records.ToKg(load, unit), Reps: reps, SetType: commonv1.SetType_SET_TYPE_WORKING,
		SetIndex: uint32(ordinal), Notes: r.get("comment"), OriginalUnit: unit,
	}
	return Row{Record: w.set(sessionID, day, s, ordinal)}, nil
}
