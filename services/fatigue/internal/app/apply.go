// Package app is the fatigue service's application layer: it turns TRAINING and PROGRAMMING
// events into domain observations, runs the assessor per athlete, and decides what to publish.
// It knows the event contract but not how events travel (ports) or where state is kept
// (adapters).
package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// Observe applies one training event to the athlete's state. It reports false for events that
// carry nothing the assessor uses (they still advance nothing).
func Observe(st *domain.State, ev *eventsv1.Event, th domain.Thresholds) bool {
	day := domain.DayOf(ev.GetOccurredAt().AsTime())
	rec := ev.GetRecordedAt().AsTime().Unix()
	if ev.GetRecordedAt() == nil {
		rec = ev.GetOccurredAt().AsTime().Unix()
	}
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_SetRecorded:
		s := p.SetRecorded
		st.ObserveSet(day, domain.Set{
			Lift: LiftOf(s.GetLiftCategory()), Exercise: s.GetExercise(), Type: setTypeOf(s.GetSetType()), LoadKg: s.GetLoadKg(),
			Reps: int(s.GetReps()), RPE: s.GetRpe(), HasRPE: s.Rpe != nil, RIR: s.GetRir(), HasRIR: s.Rir != nil,
			RepVelocities: s.GetRepVelocitiesMps(),
		}, rec, th)
	case *eventsv1.Event_SessionRecorded:
		s := p.SessionRecorded
		st.ObserveSession(day, s.GetDurationMinutes(), s.GetSessionRpe(), s.SessionRpe != nil, rec, th)
	case *eventsv1.Event_WellnessReported:
		w := p.WellnessReported
		pain := uint32(0)
		for _, jp := range w.GetJointPain() {
			pain = max(pain, jp.GetScore())
		}
		st.ObserveWellness(day, domain.Wellness{
			Fatigue: u8(w.GetFatigue()), SleepQuality: u8(w.GetSleepQuality()), Soreness: u8(w.GetSoreness()),
			Stress: u8(w.GetStress()), Mood: u8(w.GetMood()), Motivation: u8(w.GetMotivation()), JointPainMax: u8(pain),
		}, rec, th)
	case *eventsv1.Event_ReadinessMeasured:
		r := p.ReadinessMeasured
		st.ObserveReadiness(day, r.GetHrvRmssdMs(), r.GetCmjHeightCm(), rec, th)
	default:
		return false
	}
	return true
}

func u8(v uint32) uint8 { return uint8(min(v, 255)) }

// ObserveProgramming applies a PROGRAMMING event: a scheduled deload holds off
// recommendations during its week and a completed one starts the cooldown after it. Each
// takes effect in event time, on the days it concerns that begin after the event occurred,
// so processing PROGRAMMING ahead of a lagging TRAINING stream changes no decision. It
// reports whether the event concerns the state (it is saved then).
func ObserveProgramming(st *domain.State, ev *eventsv1.Event, th domain.Thresholds) bool {
	knownFrom := firstDayFrom(ev.GetOccurredAt().AsTime())
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_DeloadScheduled:
		if p.DeloadScheduled.GetWeekStart() == nil {
			return false
		}
		st.DeloadScheduled(knownFrom, DayOf(p.DeloadScheduled.GetWeekStart()))
	case *eventsv1.Event_DeloadDecided:
		s := p.DeloadDecided.GetStatus()
		if s != commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED || p.DeloadDecided.GetWeekStart() == nil {
			return false
		}
		st.DeloadScheduled(knownFrom, DayOf(p.DeloadDecided.GetWeekStart()))
	case *eventsv1.Event_DeloadCompleted:
		c := p.DeloadCompleted
		if c.GetWeekStart() == nil {
			return false
		}
		end := DayOf(c.GetWeekStart()) + 6
		if c.GetEndedOn() != nil {
			end = DayOf(c.GetEndedOn())
		}
		st.DeloadCompleted(DayOf(c.GetWeekStart()), end, th)
	default:
		return false
	}
	return true
}

// firstDayFrom is the first day that begins at or after t. A PROGRAMMING event takes effect
// from there: a deload scheduled on Wednesday morning for the week under way holds off
// Thursday on, since Wednesday may already have been assessed (and a recommendation sent)
// from the athlete's earlier events that day, and the decision must not depend on which came
// first.
func firstDayFrom(t time.Time) domain.Day {
	d := domain.DayOf(t)
	if d.Time().Before(t) {
		d++
	}
	return d
}

// Outcome is what one training event produced for publishing.
type Outcome struct {
	Result domain.Result
	// Assessed is the AthleteAssessed event, nil when nothing changed.
	Assessed *eventsv1.Event
	// Recommended is the DeloadRecommended event, nil unless the rule opened a recommendation.
	Recommended *eventsv1.Event
	// Plateau is the PlateauDetected event of an assessment that starts a plateau episode, nil
	// otherwise: programming brings the next planned deload forward; nobody is paged.
	Plateau *eventsv1.Event
	// JointPain is the JointPainFlagged event of a wellness report with a location at or above
	// the flag level, nil otherwise: joint pain is an absolute flag a coach hears about at once,
	// whatever the rest of the assessment says.
	JointPain *eventsv1.Event
}

// Source is the envelope source of everything the service publishes.
const Source = "fatigue"

// Step observes ev, assesses the athlete and builds the events to publish. Ids are derived from
// the triggering event's id, so replaying the same input publishes the same ids.
func Step(st *domain.State, ev *eventsv1.Event, th domain.Thresholds) (Outcome, bool) {
	if !Observe(st, ev, th) {
		return Outcome{}, false
	}
	res := st.Step(th)
	out := Outcome{Result: res, JointPain: jointPainFlag(st, ev, th)}
	if !res.Changed {
		return out, true
	}
	team, athlete := ev.GetTeamId(), ev.GetAthleteId()
	at := ev.GetOccurredAt()
	assessedID := events.DeterministicID("assessed", team, athlete, ev.GetId())
	out.Assessed = &eventsv1.Event{
		Id: assessedID, OccurredAt: at, TeamId: team, AthleteId: athlete, Source: Source, CausationId: ev.GetId(),
		Payload: &eventsv1.Event_AthleteAssessed{AthleteAssessed: WireAssessment(res.Assessed)},
	}
	if res.NewRecommendation {
		out.Recommended = Recommendation(team, athlete, assessedID, res)
		out.Recommended.OccurredAt = at
	}
	if res.NewPlateau {
		out.Plateau = Plateau(team, athlete, assessedID, res)
		out.Plateau.OccurredAt = at
	}
	return out, true
}

// jointPainFlag builds the JointPainFlagged event of a wellness report with pain at or above the
// flag, with how many reports in a row were; its id is derived from the report's.
func jointPainFlag(st *domain.State, ev *eventsv1.Event, th domain.Thresholds) *eventsv1.Event {
	w := ev.GetWellnessReported()
	if w == nil {
		return nil
	}
	flag := th.Wellness.JointPainFlag
	var flagged []*eventsv1.JointPain
	for _, jp := range w.GetJointPain() {
		if int(jp.GetScore()) >= flag {
			flagged = append(flagged, jp)
		}
	}
	if len(flagged) == 0 {
		return nil
	}
	day := domain.DayOf(ev.GetOccurredAt().AsTime())
	return &eventsv1.Event{
		Id: events.DeterministicID("joint_pain_flagged", ev.GetId()), TeamId: ev.GetTeamId(), AthleteId: ev.GetAthleteId(),
		Source: Source, CausationId: ev.GetId(), OccurredAt: ev.GetOccurredAt(),
		Payload: &eventsv1.Event_JointPainFlagged{JointPainFlagged: &eventsv1.JointPainFlagged{
			ReportEventId: ev.GetId(), ReportedOn: WireDay(day), JointPain: flagged, Threshold: uint32(flag),
			ConsecutiveReports: uint32(max(st.JointPainStreak(day, flag), 1)),
		}},
	}
}

// RecommendationID is the stable id of the athlete's recommendation opened on day d.
func RecommendationID(team, athlete string, d domain.Day) string {
	return events.DeterministicID("deload_recommended", team, athlete, d.String())
}

// Plateau builds the PlateauDetected event of an assessment that starts a plateau episode; its
// id is stable per athlete and day, so a replay publishes the same one.
func Plateau(team, athlete, assessedID string, res domain.Result) *eventsv1.Event {
	a := WireAssessment(res.Assessed)
	d := DayOf(a.GetAsOf())
	plateauID := events.DeterministicID("plateau_detected", team, athlete, d.String())
	var evidence []*eventsv1.Evidence
	var details []string
	for _, e := range a.GetEvidence() {
		if e.GetFamily() == commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION && !e.GetInsufficientData() {
			evidence = append(evidence, e)
			details = append(details, e.GetDetail())
		}
	}
	summary := fmt.Sprintf("Strength plateau on %s without signs of fatigue: %s. The next planned deload can come forward; no reactive deload is recommended.",
		d, strings.Join(details, "; "))
	return &eventsv1.Event{
		Id: events.DeterministicID("plateau_detected_event", plateauID), TeamId: team, AthleteId: athlete, Source: Source, CausationId: assessedID,
		Payload: &eventsv1.Event_PlateauDetected{PlateauDetected: &eventsv1.PlateauDetected{
			PlateauId: plateauID, AssessmentEventId: assessedID, AsOf: a.GetAsOf(), Evidence: evidence, Lifts: a.GetLifts(), Summary: summary,
		}},
	}
}

// Recommendation builds the DeloadRecommended event of an assessment whose rule fired.
func Recommendation(team, athlete, assessedID string, res domain.Result) *eventsv1.Event {
	a := WireAssessment(res.Assessed)
	families := WireFamilies(res.Fired)
	d := DayOf(a.GetAsOf())
	recID := RecommendationID(team, athlete, d)
	var evidence []*eventsv1.Evidence
	fired := map[commonv1.SignalFamily]bool{}
	for _, f := range families {
		fired[f] = true
	}
	for _, e := range a.GetEvidence() {
		if (e.GetAbnormal() && fired[e.GetFamily()]) || (e.GetContextOnly() && !e.GetInsufficientData()) {
			evidence = append(evidence, e)
		}
	}
	severity := commonv1.Severity_SEVERITY_WARNING
	if a.GetConfidence() >= 0.7 && fired[commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE] {
		severity = commonv1.Severity_SEVERITY_CRITICAL
	}
	return &eventsv1.Event{
		Id: events.DeterministicID("deload_recommended_event", recID), TeamId: team, AthleteId: athlete, Source: Source,
		CausationId: assessedID,
		Payload: &eventsv1.Event_DeloadRecommended{DeloadRecommended: &eventsv1.DeloadRecommended{
			RecommendationId: recID, AssessmentEventId: assessedID, AsOf: a.GetAsOf(), Score: a.GetScore(),
			Confidence: a.GetConfidence(), RuleFired: res.RuleFired, Families: families, Evidence: evidence,
			Summary: Summary(res), Severity: severity,
		}},
	}
}
