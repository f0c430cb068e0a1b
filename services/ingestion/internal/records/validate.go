// Package records checks and converts training records as the wire carries them: the range
// checks every record passes before it is published, and the conversions between the proto
// enums and the domain's own lift categories, set types and units. The domain package stays
// free of wire types; this is where they meet it.
package records

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// Limits of a plausible record. Wider than any human lift or measure, narrow enough to catch
// unit mix-ups and typos (a load of 2250 kg, 1000 reps).
const (
	MaxLoadKg          = 1000.0
	MaxReps            = 100
	MaxSetIndex        = 1000
	MaxVelocityMPS     = 5.0
	MaxSessionMinutes  = 24 * 60
	MaxSleepHours      = 24.0
	MaxHRVMs           = 500.0
	MinRestingHR       = 20.0
	MaxRestingHR       = 250.0
	MaxCMJCm           = 150.0
	MaxTextLen         = 2000
	MaxNameLen         = 200
	DefaultFutureSkew  = 5 * time.Minute
	earliestOccurredAt = 1990
)

// CheckOccurredAt reports a missing time, one before 1990 (a zero or epoch value sent by
// mistake) and one further in the future than skew.
func CheckOccurredAt(v *fault.Invalid, field string, t time.Time, present bool, now time.Time, skew time.Duration) {
	switch {
	case !present:
		v.Add(field, "is required")
	case t.Year() < earliestOccurredAt:
		v.Add(field, "must be after %d, got %s", earliestOccurredAt, t.UTC().Format(time.RFC3339))
	case t.After(now.Add(skew)):
		// time.Duration holds about 292 years: a date further ahead would print an overflowed
		// duration, so far-future dates are reported as dates.
		if t.Sub(now) >= 24*time.Hour {
			v.Add(field, "is %s, in the future (now %s, allowed clock skew %s)", t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), skew)
		} else {
			v.Add(field, "is %s in the future (allowed clock skew %s)", t.Sub(now).Round(time.Second), skew)
		}
	}
}

// CheckText reports text that is not valid UTF-8: protobuf strings must be, and a record that
// cannot be encoded would otherwise be refused with an encoder's error instead of its field.
func CheckText(v *fault.Invalid, field, text string) {
	if !utf8.ValidString(text) {
		v.Add(field, "is not valid UTF-8 text (check the file's encoding: Supercomp reads UTF-8)")
	}
}

// CheckEventText checks every text field of a training record's payload.
func CheckEventText(v *fault.Invalid, prefix string, ev *eventsv1.Event) {
	f := func(name string) string { return join(prefix, name) }
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_SetRecorded:
		CheckText(v, f("set.session_id"), p.SetRecorded.GetSessionId())
		CheckText(v, f("set.exercise"), p.SetRecorded.GetExercise())
		CheckText(v, f("set.notes"), p.SetRecorded.GetNotes())
	case *eventsv1.Event_SessionRecorded:
		s := p.SessionRecorded
		CheckText(v, f("session.session_id"), s.GetSessionId())
		CheckText(v, f("session.name"), s.GetName())
		CheckText(v, f("session.activity"), s.GetActivity())
		CheckText(v, f("session.notes"), s.GetNotes())
	case *eventsv1.Event_WellnessReported:
		CheckText(v, f("wellness.notes"), p.WellnessReported.GetNotes())
		for i, jp := range p.WellnessReported.GetJointPain() {
			CheckText(v, fault.Field(f("wellness.joint_pain"), i, "location"), jp.GetLocation())
		}
	case *eventsv1.Event_ReadinessMeasured:
		CheckText(v, f("readiness.notes"), p.ReadinessMeasured.GetNotes())
	}
	CheckText(v, f("meta.source"), ev.GetSource())
}

// CheckSet validates a normalised set (loads already in kg); field names are prefixed.
func CheckSet(v *fault.Invalid, prefix string, s *eventsv1.SetRecorded) {
	f := func(name string) string { return join(prefix, name) }
	if s.GetSessionId() == "" {
		v.Add(f("session_id"), "is required")
	} else if len(s.GetSessionId()) > MaxNameLen {
		v.Add(f("session_id"), "must be at most %d bytes", MaxNameLen)
	}
	if s.GetExercise() == "" {
		v.Add(f("exercise"), "is required")
	} else if len(s.GetExercise()) > MaxNameLen {
		v.Add(f("exercise"), "must be at most %d bytes", MaxNameLen)
	}
	if l := s.GetLoadKg(); !finite(l) || l < 0 || l > MaxLoadKg {
		v.Add(f("load"), "must be between 0 and %v kg, got %v kg", MaxLoadKg, l)
	}
	if r := s.GetReps(); r < 1 || r > MaxReps {
		v.Add(f("reps"), "must be between 1 and %d, got %d", MaxReps, r)
	}
	if s.Rpe != nil && !halfStep(*s.Rpe, 1, 10) {
		v.Add(f("rpe"), "must be 1-10 in steps of 0.5, got %v", *s.Rpe)
	}
	if s.Rir != nil && !halfStep(*s.Rir, 0, 10) {
		v.Add(f("rir"), "must be 0-10 in steps of 0.5, got %v", *s.Rir)
	}
	if s.Rpe != nil && s.Rir != nil && math.Abs(*s.Rir-(10-*s.Rpe)) > 0.5 {
		v.Add(f("rir"), "contradicts rpe: RIR %v but RPE %v means RIR %v (RIR = 10 - RPE, within 0.5)", *s.Rir, *s.Rpe, 10-*s.Rpe)
	}
	checkEnum(v, f("set_type"), "set type", int32(s.GetSetType()), commonv1.SetType_name)
	checkEnum(v, f("lift_category"), "lift category", int32(s.GetLiftCategory()), commonv1.LiftCategory_name)
	checkEnum(v, f("original_unit"), "weight unit", int32(s.GetOriginalUnit()), commonv1.WeightUnit_name)
	if s.GetSetIndex() > MaxSetIndex {
		v.Add(f("set_index"), "must be at most %d, got %d", MaxSetIndex, s.GetSetIndex())
	}
	if n := len(s.GetRepVelocitiesMps()); n > int(s.GetReps()) && s.GetReps() > 0 {
		v.Add(f("rep_velocities_mps"), "has %d values for %d reps", n, s.GetReps())
	}
	for i, vel := range s.GetRepVelocitiesMps() {
		if !finite(vel) || vel <= 0 || vel > MaxVelocityMPS {
			v.Add(fault.Field(f("rep_velocities_mps"), i), "must be above 0 and at most %v m/s, got %v", MaxVelocityMPS, vel)
		}
	}
	if len(s.GetNotes()) > MaxTextLen {
		v.Add(f("notes"), "must be at most %d bytes", MaxTextLen)
	}
}

// CheckSession validates a session.
func CheckSession(v *fault.Invalid, prefix string, s *eventsv1.SessionRecorded) {
	f := func(name string) string { return join(prefix, name) }
	if s.GetSessionId() == "" {
		v.Add(f("session_id"), "is required")
	} else if len(s.GetSessionId()) > MaxNameLen {
		v.Add(f("session_id"), "must be at most %d bytes", MaxNameLen)
	}
	if d := s.GetDurationMinutes(); !finite(d) || d <= 0 || d > MaxSessionMinutes {
		v.Add(f("duration_minutes"), "must be above 0 and at most %d, got %v", MaxSessionMinutes, d)
	}
	if s.SessionRpe != nil && (!finite(*s.SessionRpe) || *s.SessionRpe < 0 || *s.SessionRpe > 10) {
		v.Add(f("session_rpe"), "must be between 0 and 10, got %v", *s.SessionRpe)
	}
	if len(s.GetName()) > MaxNameLen {
		v.Add(f("name"), "must be at most %d bytes", MaxNameLen)
	}
	if len(s.GetActivity()) > MaxNameLen {
		v.Add(f("activity"), "must be at most %d bytes", MaxNameLen)
	}
	if len(s.GetNotes()) > MaxTextLen {
		v.Add(f("notes"), "must be at most %d bytes", MaxTextLen)
	}
}

// CheckWellness validates a wellness report: 1-5 items, joint pain 0-5 with a location, sleep
// hours 0-24, readiness 0-10, and at least one answered item.
func CheckWellness(v *fault.Invalid, prefix string, w *eventsv1.WellnessReported) {
	f := func(name string) string { return join(prefix, name) }
	items := []struct {
		name string
		val  *uint32
	}{
		{"fatigue", w.Fatigue}, {"sleep_quality", w.SleepQuality}, {"soreness", w.Soreness},
		{"stress", w.Stress}, {"mood", w.Mood}, {"motivation", w.Motivation},
	}
	answered := len(w.GetJointPain()) > 0 || w.SleepHours != nil || w.Readiness != nil
	for _, it := range items {
		if it.val == nil {
			continue
		}
		answered = true
		if *it.val < 1 || *it.val > 5 {
			v.Add(f(it.name), "must be between 1 and 5, got %d", *it.val)
		}
	}
	for i, jp := range w.GetJointPain() {
		if jp.GetLocation() == "" {
			v.Add(fault.Field(f("joint_pain"), i, "location"), "is required")
		}
		if jp.GetScore() > 5 {
			v.Add(fault.Field(f("joint_pain"), i, "score"), "must be between 0 and 5, got %d", jp.GetScore())
		}
	}
	if w.SleepHours != nil && (!finite(*w.SleepHours) || *w.SleepHours < 0 || *w.SleepHours > MaxSleepHours) {
		v.Add(f("sleep_hours"), "must be between 0 and 24, got %v", *w.SleepHours)
	}
	if w.Readiness != nil && *w.Readiness > 10 {
		v.Add(f("readiness"), "must be between 0 and 10, got %d", *w.Readiness)
	}
	if !answered {
		v.Add(prefix, "has no answered item")
	}
	if len(w.GetNotes()) > MaxTextLen {
		v.Add(f("notes"), "must be at most %d bytes", MaxTextLen)
	}
}

// CheckReadiness validates a readiness measurement: at least one measure, each in range.
func CheckReadiness(v *fault.Invalid, prefix string, r *eventsv1.ReadinessMeasured) {
	f := func(name string) string { return join(prefix, name) }
	if r.HrvRmssdMs == nil && r.RestingHrBpm == nil && r.CmjHeightCm == nil {
		v.Add(prefix, "has no measure (hrv_rmssd_ms, resting_hr_bpm or cmj_height_cm)")
	}
	if r.HrvRmssdMs != nil && (!finite(*r.HrvRmssdMs) || *r.HrvRmssdMs <= 0 || *r.HrvRmssdMs > MaxHRVMs) {
		v.Add(f("hrv_rmssd_ms"), "must be above 0 and at most %v ms, got %v", MaxHRVMs, *r.HrvRmssdMs)
	}
	if r.RestingHrBpm != nil && (!finite(*r.RestingHrBpm) || *r.RestingHrBpm < MinRestingHR || *r.RestingHrBpm > MaxRestingHR) {
		v.Add(f("resting_hr_bpm"), "must be between %v and %v bpm, got %v", MinRestingHR, MaxRestingHR, *r.RestingHrBpm)
	}
	if r.CmjHeightCm != nil && (!finite(*r.CmjHeightCm) || *r.CmjHeightCm <= 0 || *r.CmjHeightCm > MaxCMJCm) {
		v.Add(f("cmj_height_cm"), "must be above 0 and at most %v cm, got %v", MaxCMJCm, *r.CmjHeightCm)
	}
	if r.CmjJumpCount != nil && r.CmjHeightCm == nil {
		v.Add(f("cmj_jump_count"), "is given without cmj_height_cm")
	}
	if len(r.GetNotes()) > MaxTextLen {
		v.Add(f("notes"), "must be at most %d bytes", MaxTextLen)
	}
}

// checkEnum refuses a value the contract does not define: a device on a newer contract (a
// new unit, set type or lift) would otherwise be stored as a number nobody can interpret, or
// worse, read as a default (an unknown unit as kg).
func checkEnum(v *fault.Invalid, field, what string, value int32, names map[int32]string) {
	if _, ok := names[value]; !ok {
		v.Add(field, "unknown %s %d; known: %s", what, value, KnownEnumValues(names))
	}
}

// KnownEnumValues lists an enum's defined values as "NAME (n)" in number order, without the
// UNSPECIFIED zero value.
func KnownEnumValues(names map[int32]string) string {
	keys := make([]int32, 0, len(names))
	for k := range names {
		if k != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s (%d)", names[k], k))
	}
	return strings.Join(parts, ", ")
}

// CheckEnums reports the first enum value of a stored training event that the contract does
// not define (the recorder refuses to store what it cannot interpret).
func CheckEnums(ev *eventsv1.Event) error {
	var v fault.Invalid
	if s := ev.GetSetRecorded(); s != nil {
		checkEnum(&v, "set_type", "set type", int32(s.GetSetType()), commonv1.SetType_name)
		checkEnum(&v, "lift_category", "lift category", int32(s.GetLiftCategory()), commonv1.LiftCategory_name)
		checkEnum(&v, "original_unit", "weight unit", int32(s.GetOriginalUnit()), commonv1.WeightUnit_name)
	}
	return v.Err()
}

func halfStep(x, lo, hi float64) bool {
	return finite(x) && x >= lo && x <= hi && math.Mod(x*2, 1) == 0
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
