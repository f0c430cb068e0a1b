package chstore

import (
	"fmt"
	"math"
	"slices"
	"time"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/domain"
	"github.com/supercomp/supercomp/services/ingestion/internal/records"
)

// A block is one table's share of a recorder batch, held column by column in each column's
// canonical Go type (store.InsertColumns), so a row costs a slice append per column instead of
// an interface value per cell and a conversion at insert: BenchmarkInsert went from 25
// allocations per set to 4, and 24% less time.
type block interface {
	// grow makes room for n more rows: a block filled by append alone spent half its time
	// regrowing its columns.
	grow(n int)
	add(ev *eventsv1.Event) error
	len() int
	// values are the columns in the order of columns[table].
	values() []any
}

func newBlock(table string) block {
	switch table {
	case TableSets:
		return &setBlock{}
	case TableSessions:
		return &sessionBlock{}
	case TableWellness:
		return &wellnessBlock{}
	case TableReadiness:
		return &readinessBlock{}
	}
	return nil
}

// envelope holds the columns every table starts with (envelopeColumns).
type envelope struct {
	eventID, teamID, athleteID  []string
	occurredAt, day, recordedAt []time.Time
	source                      []string
}

func (e *envelope) add(ev *eventsv1.Event) {
	at := ev.GetOccurredAt().AsTime().UTC()
	e.eventID = append(e.eventID, ev.GetId())
	e.teamID = append(e.teamID, ev.GetTeamId())
	e.athleteID = append(e.athleteID, ev.GetAthleteId())
	e.occurredAt = append(e.occurredAt, at)
	e.day = append(e.day, at)
	e.recordedAt = append(e.recordedAt, ev.GetRecordedAt().AsTime().UTC())
	e.source = append(e.source, ev.GetSource())
}

func (e *envelope) grow(n int) {
	grow(n, &e.eventID, &e.teamID, &e.athleteID, &e.source)
	grow(n, &e.occurredAt, &e.day, &e.recordedAt)
}

// grow makes room for n more values in each column.
func grow[T any](n int, columns ...*[]T) {
	for _, c := range columns {
		*c = slices.Grow(*c, n)
	}
}

func (e *envelope) len() int { return len(e.eventID) }

func (e *envelope) values(rest ...any) []any {
	return append([]any{e.eventID, e.teamID, e.athleteID, e.occurredAt, e.day, e.recordedAt, e.source}, rest...)
}

// arena hands out pointers for computed Nullable values from chunks, so a block costs a few
// allocations for them rather than one per value. A chunk is never grown in place, which keeps
// every pointer handed out valid.
type arena[T any] struct{ chunk []T }

const arenaChunk = 1024

func (a *arena[T]) ptr(v T) *T {
	if len(a.chunk) == cap(a.chunk) {
		a.chunk = make([]T, 0, arenaChunk)
	}
	a.chunk = append(a.chunk, v)
	return &a.chunk[len(a.chunk)-1]
}

// noFloats is the stored value of an empty Array(Float64).
var noFloats = []float64{}

type setBlock struct {
	envelope
	sessionID, exercise, liftCategory, setType []string
	setIndex                                   []uint32
	loadKg                                     []float64
	originalUnit                               []string
	reps                                       []uint32
	rpe, rir, effectiveRIR                     []*float64
	volumeLoadKg                               []float64
	isWorking, isHardSet                       []uint8
	e1rmKg                                     []*float64
	e1rmMethod                                 []string
	e1rmLowConfidence                          []uint8
	repVelocities                              [][]float64
	meanVelocity, bestVelocity                 []*float64
	notes                                      []string
	floats                                     arena[float64]
}

func (b *setBlock) grow(n int) {
	b.envelope.grow(n)
	grow(n, &b.sessionID, &b.exercise, &b.liftCategory, &b.setType, &b.originalUnit, &b.e1rmMethod, &b.notes)
	grow(n, &b.setIndex, &b.reps)
	grow(n, &b.loadKg, &b.volumeLoadKg)
	grow(n, &b.rpe, &b.rir, &b.effectiveRIR, &b.e1rmKg, &b.meanVelocity, &b.bestVelocity)
	grow(n, &b.isWorking, &b.isHardSet, &b.e1rmLowConfidence)
	grow(n, &b.repVelocities)
}

func (b *setBlock) add(ev *eventsv1.Event) error {
	s := ev.GetSetRecorded()
	b.envelope.add(ev)
	setType := records.SetType(s.GetSetType())
	rir := domain.EffectiveRIR(s.Rpe, s.Rir, setType)
	e1rm, method, ok := domain.E1RM(s.GetLoadKg(), s.GetReps(), rir, setType)
	working := setType == domain.SetWorking || setType == domain.SetFailure
	var mean, best *float64
	vel := s.GetRepVelocitiesMps()
	if len(vel) > 0 {
		sum, top := 0.0, 0.0
		for _, v := range vel {
			sum += v
			top = math.Max(top, v)
		}
		mean, best = b.floats.ptr(sum/float64(len(vel))), b.floats.ptr(top)
	} else {
		vel = noFloats
	}
	var e1rmKg *float64
	if ok {
		e1rmKg = b.floats.ptr(e1rm)
	}
	b.sessionID = append(b.sessionID, s.GetSessionId())
	b.exercise = append(b.exercise, s.GetExercise())
	b.liftCategory = append(b.liftCategory, records.LiftCategory(s.GetLiftCategory()).Name())
	b.setType = append(b.setType, setType.Name())
	b.setIndex = append(b.setIndex, s.GetSetIndex())
	b.loadKg = append(b.loadKg, s.GetLoadKg())
	b.originalUnit = append(b.originalUnit, records.WeightUnit(s.GetOriginalUnit()).Name())
	b.reps = append(b.reps, s.GetReps())
	b.rpe = append(b.rpe, s.Rpe)
	b.rir = append(b.rir, s.Rir)
	b.effectiveRIR = append(b.effectiveRIR, rir)
	b.volumeLoadKg = append(b.volumeLoadKg, s.GetLoadKg()*float64(s.GetReps()))
	b.isWorking = append(b.isWorking, b2u(working))
	b.isHardSet = append(b.isHardSet, b2u(domain.IsHardSet(rir, setType)))
	b.e1rmKg = append(b.e1rmKg, e1rmKg)
	b.e1rmMethod = append(b.e1rmMethod, string(method))
	b.e1rmLowConfidence = append(b.e1rmLowConfidence, b2u(method == domain.E1RMEpley))
	b.repVelocities = append(b.repVelocities, vel)
	b.meanVelocity = append(b.meanVelocity, mean)
	b.bestVelocity = append(b.bestVelocity, best)
	b.notes = append(b.notes, s.GetNotes())
	return nil
}

func (b *setBlock) values() []any {
	return b.envelope.values(b.sessionID, b.exercise, b.liftCategory, b.setType, b.setIndex, b.loadKg, b.originalUnit,
		b.reps, b.rpe, b.rir, b.effectiveRIR, b.volumeLoadKg, b.isWorking, b.isHardSet, b.e1rmKg, b.e1rmMethod,
		b.e1rmLowConfidence, b.repVelocities, b.meanVelocity, b.bestVelocity, b.notes)
}

type sessionBlock struct {
	envelope
	sessionID, name, activity []string
	durationMinutes           []float64
	sessionRPE, sessionLoadAU []*float64
	notes                     []string
	floats                    arena[float64]
}

func (b *sessionBlock) grow(n int) {
	b.envelope.grow(n)
	grow(n, &b.sessionID, &b.name, &b.activity, &b.notes)
	grow(n, &b.durationMinutes)
	grow(n, &b.sessionRPE, &b.sessionLoadAU)
}

func (b *sessionBlock) add(ev *eventsv1.Event) error {
	s := ev.GetSessionRecorded()
	b.envelope.add(ev)
	var load *float64
	if s.SessionRpe != nil {
		load = b.floats.ptr(*s.SessionRpe * s.GetDurationMinutes())
	}
	b.sessionID = append(b.sessionID, s.GetSessionId())
	b.name = append(b.name, s.GetName())
	b.activity = append(b.activity, s.GetActivity())
	b.durationMinutes = append(b.durationMinutes, s.GetDurationMinutes())
	b.sessionRPE = append(b.sessionRPE, s.SessionRpe)
	b.sessionLoadAU = append(b.sessionLoadAU, load)
	b.notes = append(b.notes, s.GetNotes())
	return nil
}

func (b *sessionBlock) values() []any {
	return b.envelope.values(b.sessionID, b.name, b.activity, b.durationMinutes, b.sessionRPE, b.sessionLoadAU, b.notes)
}

type wellnessBlock struct {
	envelope
	fatigue, sleepQuality, soreness, stress, mood, motivation []*uint8
	sleepHours                                                []*float64
	readiness                                                 []*uint8
	jointPainLocations                                        [][]string
	jointPainScores                                           [][]uint8
	jointPainMax                                              []uint8
	sorenessAreas                                             [][]string
	notes                                                     []string
	small                                                     arena[uint8]
}

func (b *wellnessBlock) grow(n int) {
	b.envelope.grow(n)
	grow(n, &b.fatigue, &b.sleepQuality, &b.soreness, &b.stress, &b.mood, &b.motivation, &b.readiness)
	grow(n, &b.sleepHours)
	grow(n, &b.jointPainLocations, &b.sorenessAreas)
	grow(n, &b.jointPainScores)
	grow(n, &b.jointPainMax)
	grow(n, &b.notes)
}

func (b *wellnessBlock) add(ev *eventsv1.Event) error {
	if err := Fits(ev); err != nil {
		return err
	}
	w := ev.GetWellnessReported()
	small := func(v *uint32) *uint8 {
		if v == nil {
			return nil
		}
		return b.small.ptr(uint8(*v))
	}
	locs, scores := []string{}, []uint8{}
	var worst uint8
	for _, jp := range w.GetJointPain() {
		locs = append(locs, jp.GetLocation())
		scores = append(scores, uint8(jp.GetScore()))
		worst = max(worst, uint8(jp.GetScore()))
	}
	areas := w.GetSorenessAreas()
	if areas == nil {
		areas = []string{}
	}
	b.envelope.add(ev)
	b.fatigue = append(b.fatigue, small(w.Fatigue))
	b.sleepQuality = append(b.sleepQuality, small(w.SleepQuality))
	b.soreness = append(b.soreness, small(w.Soreness))
	b.stress = append(b.stress, small(w.Stress))
	b.mood = append(b.mood, small(w.Mood))
	b.motivation = append(b.motivation, small(w.Motivation))
	b.sleepHours = append(b.sleepHours, w.SleepHours)
	b.readiness = append(b.readiness, small(w.Readiness))
	b.jointPainLocations = append(b.jointPainLocations, locs)
	b.jointPainScores = append(b.jointPainScores, scores)
	b.jointPainMax = append(b.jointPainMax, worst)
	b.sorenessAreas = append(b.sorenessAreas, areas)
	b.notes = append(b.notes, w.GetNotes())
	return nil
}

// Fits says why ev cannot be stored in its table's columns: a wellness item or joint pain score
// above 255, the most a UInt8 column holds. The intake never accepts one (items are 1-5, scores
// 0-10), but an event published by other means must not make the recorder retry its whole batch
// forever: it sets the event aside instead.
func Fits(ev *eventsv1.Event) error {
	w := ev.GetWellnessReported()
	if w == nil {
		return nil
	}
	items := []struct {
		name  string
		value *uint32
	}{{"fatigue", w.Fatigue}, {"sleep_quality", w.SleepQuality}, {"soreness", w.Soreness}, {"stress", w.Stress},
		{"mood", w.Mood}, {"motivation", w.Motivation}, {"readiness", w.Readiness}}
	for _, it := range items {
		if it.value != nil && *it.value > math.MaxUint8 {
			return fmt.Errorf("event %s: wellness %s %d does not fit a UInt8 column", ev.GetId(), it.name, *it.value)
		}
	}
	for _, jp := range w.GetJointPain() {
		if jp.GetScore() > math.MaxUint8 {
			return fmt.Errorf("event %s: joint pain score %d does not fit a UInt8 column", ev.GetId(), jp.GetScore())
		}
	}
	return nil
}

func (b *wellnessBlock) values() []any {
	return b.envelope.values(b.fatigue, b.sleepQuality, b.soreness, b.stress, b.mood, b.motivation, b.sleepHours,
		b.readiness, b.jointPainLocations, b.jointPainScores, b.jointPainMax, b.sorenessAreas, b.notes)
}

type readinessBlock struct {
	envelope
	hrvRMSSDMs, lnRMSSD, restingHRBPM, cmjHeightCm []*float64
	cmjJumpCount                                   []*uint32
	notes                                          []string
	floats                                         arena[float64]
}

func (b *readinessBlock) grow(n int) {
	b.envelope.grow(n)
	grow(n, &b.hrvRMSSDMs, &b.lnRMSSD, &b.restingHRBPM, &b.cmjHeightCm)
	grow(n, &b.cmjJumpCount)
	grow(n, &b.notes)
}

func (b *readinessBlock) add(ev *eventsv1.Event) error {
	r := ev.GetReadinessMeasured()
	b.envelope.add(ev)
	var ln *float64
	if r.HrvRmssdMs != nil && *r.HrvRmssdMs > 0 {
		ln = b.floats.ptr(math.Log(*r.HrvRmssdMs))
	}
	b.hrvRMSSDMs = append(b.hrvRMSSDMs, r.HrvRmssdMs)
	b.lnRMSSD = append(b.lnRMSSD, ln)
	b.restingHRBPM = append(b.restingHRBPM, r.RestingHrBpm)
	b.cmjHeightCm = append(b.cmjHeightCm, r.CmjHeightCm)
	b.cmjJumpCount = append(b.cmjJumpCount, r.CmjJumpCount)
	b.notes = append(b.notes, r.GetNotes())
	return nil
}

func (b *readinessBlock) values() []any {
	return b.envelope.values(b.hrvRMSSDMs, b.lnRMSSD, b.restingHRBPM, b.cmjHeightCm, b.cmjJumpCount, b.notes)
}
