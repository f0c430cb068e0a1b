package simulate

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// StrongHeader is the header line of the Strong app's comma CSV export, as the app writes it.
const StrongHeader = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE"

// StrongDateLayout is how Strong writes a workout's start: local wall-clock time, no zone.
const StrongDateLayout = "2006-01-02 15:04:05"

// WriteStrongCSV writes the lifting sets of one athlete of team as a Strong CSV export, so the
// simulated squads can enter the platform the way most teams' data does: through `sc import
// strong`. Only SetRecorded events are written; wellness, readiness, bar speed and session RPE
// have no column in a Strong export and are dropped, which is what an app log loses.
//
// Each simulated session becomes one workout: every row of it carries the workout's start (its
// first set, to the second) in UTC, which is what `sc import` assumes without --time-zone.
// Weights are in kg (the comma export does not name its unit; the importer's default is kg).
// Set Order is the set's index within its exercise, or W, D, F for warm-up, drop and failure
// sets. The result is deterministic: the same team writes the same bytes.
func WriteStrongCSV(w io.Writer, team Team, athleteID string) error {
	workouts := strongWorkouts(team, athleteID)
	if len(workouts) == 0 {
		return fmt.Errorf("strong export: athlete %q has no sets", athleteID)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(StrongHeader + "\n")
	for _, wk := range workouts {
		first := true
		for _, ex := range wk.exercises {
			for i, ev := range ex {
				s := ev.GetSetRecorded()
				// Strong quotes the text columns and writes an empty quoted note on the first row of
				// each exercise and of each workout; mirrored so the file reads like a real export.
				notes := ""
				if i == 0 || s.GetNotes() != "" {
					notes = quote(s.GetNotes())
				}
				workoutNotes := ""
				if first {
					workoutNotes = `""`
				}
				first = false
				rpe := ""
				if s.Rpe != nil {
					rpe = decimal(s.GetRpe())
				}
				fmt.Fprintf(bw, "%s,%s,%s,%s,%s,%s,%s,0,0.0,%s,%s,%s\n",
					wk.start.Format(StrongDateLayout), quote(wk.name), wk.duration, quote(s.GetExercise()),
					setOrder(s), decimal(s.GetLoadKg()), decimal(float64(s.GetReps())), notes, workoutNotes, rpe)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("strong export: %w", err)
	}
	return nil
}

// strongWorkout is one session's sets as Strong lists them: exercise by exercise, in the order
// each exercise was first done.
type strongWorkout struct {
	start     time.Time
	name      string
	duration  string
	exercises [][]*eventsv1.Event
}

// strongWorkouts groups the athlete's sets by session, in time order (team.Events is sorted).
func strongWorkouts(team Team, athleteID string) []*strongWorkout {
	var out []*strongWorkout
	bySession := map[string]*strongWorkout{}
	exerciseAt := map[*strongWorkout]map[string]int{}
	last := map[*strongWorkout]time.Time{}
	for _, ev := range team.Events {
		s := ev.GetSetRecorded()
		if s == nil || ev.GetAthleteId() != athleteID {
			continue
		}
		at := ev.GetOccurredAt().AsTime().UTC()
		key := s.GetSessionId()
		if key == "" {
			// A set without a session still belongs to a workout: its day's.
			key = at.Format(time.DateOnly)
		}
		wk := bySession[key]
		if wk == nil {
			wk = &strongWorkout{start: at.Truncate(time.Second), name: workoutName(at)}
			bySession[key] = wk
			exerciseAt[wk] = map[string]int{}
			out = append(out, wk)
		}
		i, ok := exerciseAt[wk][s.GetExercise()]
		if !ok {
			i = len(wk.exercises)
			exerciseAt[wk][s.GetExercise()] = i
			wk.exercises = append(wk.exercises, nil)
		}
		wk.exercises[i] = append(wk.exercises[i], ev)
		last[wk] = at
	}
	for _, wk := range out {
		// The last set takes a few minutes too; Strong's duration is the whole workout.
		wk.duration = strongDuration(last[wk].Sub(wk.start) + 3*time.Minute)
	}
	return out
}

// workoutName is what Strong calls a workout the lifter did not name: after the time of day.
func workoutName(at time.Time) string {
	switch h := at.Hour(); {
	case h < 12:
		return "Morning Workout"
	case h < 17:
		return "Afternoon Workout"
	}
	return "Evening Workout"
}

// strongDuration writes a duration as Strong does: "1h 16m", "55m".
func strongDuration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m >= 60 {
		return fmt.Sprintf("%dh %dm", m/60, m%60)
	}
	return fmt.Sprintf("%dm", max(m, 1))
}

// setOrder is Strong's Set Order: the set's number, or a letter for the special set types.
func setOrder(s *eventsv1.SetRecorded) string {
	switch s.GetSetType() {
	case commonv1.SetType_SET_TYPE_WARM_UP:
		return "W"
	case commonv1.SetType_SET_TYPE_DROP:
		return "D"
	case commonv1.SetType_SET_TYPE_FAILURE:
		return "F"
	}
	return strconv.Itoa(int(max(s.GetSetIndex(), 1)))
}

// decimal writes a number as Strong does, always with a decimal part ("100.0", "62.5", "5.0"),
// and exactly: the shortest form that reads back as the same float64.
func decimal(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// quote writes a CSV text field in double quotes, doubling any quote inside.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
