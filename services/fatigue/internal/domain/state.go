package domain

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Day is a calendar day as days since 1970-01-01 (UTC).
type Day int32

// DayOf is the UTC calendar day of t.
func DayOf(t time.Time) Day { return Day(math.Floor(float64(t.Unix()) / 86400)) }

// Time is midnight UTC of the day.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String is YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

const (
	// RingDays is how many days of daily records the state keeps: the 60-day HRV baseline plus
	// its 7-day rolling window, with a little slack. Older days are folded into the load model.
	RingDays = 70
	// LiftRetentionDays is how long per-lift exposures are kept: 12 weeks for the shortfall
	// trend, whose forecast of a lift seen once a week rests on these few exposures (at 8
	// weeks the rated logs' recall within 14 days was 0.05-0.1 lower in simulate); the 3-week
	// strength windows, the 6-week velocity baseline and the 4-week RPE baseline fit within.
	LiftRetentionDays = 84
	// maxLiftDays bounds each main lift's exposures (3 sessions a week of that lift for 12
	// weeks), so a state never grows beyond a few KiB whatever the client sends.
	maxLiftDays = 36
)

// Wellness item slots of a day record.
const (
	itemFatigue = iota
	itemSleep
	itemSoreness
	itemStress
	itemMood
	itemMotivation
	numItems
)

// Day record flags.
const (
	flagSessionLoad uint8 = 1 << iota
	flagWellness
	flagHRV
	flagCMJ
	flagAssessed
	flagSets
	flagJointPain
)

// dayRecord is one day of the athlete, 23 bytes on the wire.
type dayRecord struct {
	SessionLoad float32 // sum of sRPE x minutes, AU
	VolumeLoad  float32 // kg of working sets
	HardSets    uint8
	Flags       uint8
	Wellness    [numItems]uint8 // 1-5, 0 = not reported
	JointPain   uint8           // highest joint-pain score reported
	LnRMSSD     uint16          // ln(rMSSD) x 1000, 0 = none
	CMJ         uint16          // cm x 10, 0 = none
	Mask        uint8           // abnormal families at the day's last assessment (bit code-1 of each Family)
	Status      uint8           // status at the day's last assessment (Status codes)
}

// liftDay is one day of one main lift, 29 bytes on the wire: the heaviest working load with its
// reps, mean RPE and mean velocity (what "familiar loads" and bar speed compare), the day's best
// e1RM, and the mean of the day's RPE-based e1RM estimates (what the shortfall trend follows).
type liftDay struct {
	Day     int32
	TopLoad float32
	RPE     float32 // mean RPE of the top sets, valid when NRPE > 0
	Vel     float32 // mean concentric velocity of the top sets, valid when NVel > 0
	E1RM    float32 // best qualifying e1RM of the day, 0 = none
	// Rated is the mean of 100*ln(e1RM) over every rated working set that qualifies for an
	// RPE-based estimate, valid when NRated > 0. Unlike the top sets' mean RPE it keeps the
	// sets that fell short of the top reps and the back-off sets, each at its own reps and
	// RPE: a set of 4 at RPE 10 where 5 were planned says as much about strength as any.
	Rated   float32
	TopReps uint8
	NRPE    uint8
	NVel    uint8
	Flags   uint8 // liftEpley, liftShortSet
	NRated  uint8
}

// liftDay flags. They are stored as they are in the snapshot, so a new flag needs no new format:
// a snapshot written before it has the bit clear.
const (
	// liftEpley marks E1RM as an Epley (low confidence) estimate.
	liftEpley uint8 = 1
	// liftShortSet marks a day on which a later set at the top load fell short of the first
	// set's reps (5, 5, 4): missed reps, what a log without RPE shows of fatigue first.
	liftShortSet uint8 = 2
)

// mainLifts are the lifts with per-lift strength signals, in state order.
var mainLifts = [4]Lift{
	LiftSquat,
	LiftBenchPress,
	LiftDeadlift,
	LiftOverheadPress,
}

func liftIndex(c Lift) int {
	for i, l := range mainLifts {
		if l == c {
			return i
		}
	}
	return -1
}

// Episode is the alert hygiene of one athlete: the open recommendation (hysteresis) and the
// cooldown.
type Episode struct {
	// Open is true from a recommendation until the athlete has been OK for RecoveryDays, or
	// until a deload that treated it is over.
	Open bool
	// OKStreak counts consecutive OK days.
	OKStreak uint8
	// CooldownUntil suppresses new recommendations through this day: the cooldown of the
	// latest recommendation. (A state decoded from a version 1 snapshot also carries here the
	// deload cooldowns that version folded in; they run out the same way.)
	CooldownUntil Day
	// LastRecommendationDay is the day of the latest recommendation (0 = none).
	LastRecommendationDay Day
	// LastDeloadWeek is the Monday of the latest deload known from programming (0 = none).
	LastDeloadWeek Day
	// LastPlateauDay is the day the latest plateau episode was reported (0 = none).
	LastPlateauDay Day
}

// deloadWindow is a run of days on which a deload known from programming holds off new
// recommendations: a scheduled deload's week, or the cooldown after a completed deload. A
// window never reaches back to the day programming decided it or before (its decision may
// come after that day's assessments), so every training day is decided with the windows
// known before it began, however far ahead of TRAINING the PROGRAMMING stream is processed.
type deloadWindow struct {
	// From and Until are the first and last day held off.
	From, Until Day
	// Completed marks the cooldown after a completed deload: From is the day after the
	// deload's last day, the day the episode it treated is closed. With a cooldown of 0 days
	// the window holds nothing (Until is From-1) but stays until that day for the closing.
	Completed bool
}

// maxDeloadWindows bounds the windows a state keeps. Windows go once their last day is
// behind the current day, so the bound is only reached by a team with deloads scheduled far
// ahead (a repeating program places a year of planned deloads at once).
const maxDeloadWindows = 16

// Published is what the athlete's last published assessment said, to publish only on change.
type Published struct {
	// EventID is the envelope id of the last published AthleteAssessed (set by the service).
	EventID   string
	Valid     bool
	Status    Status
	ScoreBand uint8
	Mask      uint8
	Day       Day
}

// State is everything the assessor keeps about one athlete: bounded windows of daily records
// and lift exposures, the load model of the days that left the window, and the alert hygiene.
// MarshalBinary encodes it in a few KiB.
type State struct {
	FirstDay, LastDay Day
	// Seq is the stream sequence of the last event applied (replay skips what is at or below).
	Seq uint64
	// LastDataUnix is when the latest training data was recorded (seconds).
	LastDataUnix int64
	// HasSessionLoad selects the load source: session load (sRPE x minutes) once any was
	// reported, else volume-load (never an invented sRPE).
	HasSessionLoad bool

	ring  [RingDays]dayRecord
	lifts [len(mainLifts)][]liftDay
	// baseSession and baseVolume are the load models up to the day before the ring starts.
	baseSession, baseVolume LoadModel

	Episode Episode
	// deloads are the deload windows that can still hold off a recommendation (Until at or
	// after LastDay), ordered by From then Until.
	deloads   []deloadWindow
	Published Published
}

// Empty reports whether the state has seen no data.
func (s *State) Empty() bool { return s.FirstDay == 0 && s.LastDay == 0 }

func (s *State) rec(d Day) *dayRecord { return &s.ring[int(d)%RingDays] }

// JointPainStreak counts the consecutive wellness reports, back from day d and including it,
// whose highest joint pain is at least flag; days without a report neither count nor break
// the streak. It is 0 when d's report is below flag (or there is none).
func (s *State) JointPainStreak(d Day, flag int) int {
	n := 0
	for day := d; s.inRing(day); day-- {
		r := s.rec(day)
		if r.Flags&flagWellness == 0 {
			continue
		}
		if int(r.JointPain) < flag {
			break
		}
		n++
	}
	return n
}

// inRing reports whether day d is held by the ring.
func (s *State) inRing(d Day) bool {
	return !s.Empty() && d <= s.LastDay && d > s.LastDay-RingDays && d >= s.FirstDay
}

// prepare makes day d writable, advancing the state when d is a new day. It returns nil for data
// too old to hold (before the ring or before the first day once days were folded).
func (s *State) prepare(d Day, th Thresholds) *dayRecord {
	if s.Empty() {
		s.FirstDay, s.LastDay = d, d
		return s.rec(d)
	}
	if d > s.LastDay {
		s.advanceTo(d, th)
	}
	if d < s.FirstDay && s.LastDay-RingDays < d && s.baseSession.Days == 0 {
		// Late data before the first day, while nothing has been folded: extend the history.
		s.FirstDay = d
	}
	if !s.inRing(d) {
		return nil
	}
	return s.rec(d)
}

// advanceTo moves the current day to d: each day left behind is assessed (if no event did) and
// closed for the hysteresis, and days leaving the ring are folded into the base load models.
func (s *State) advanceTo(d Day, th Thresholds) {
	for s.LastDay < d {
		cur := s.LastDay
		r := s.rec(cur)
		// Only the last rule window before d can still change a decision; older gap days (a
		// long break) count as recovered days.
		if cur >= d-Day(th.Rule.WindowDays) {
			if r.Flags&flagAssessed == 0 {
				res := s.Assess(cur, th)
				s.conclude(&res, th, false)
			}
			s.closeDay(Status(r.Status), th)
		} else {
			s.closeDay(StatusOK, th)
		}
		s.LastDay++
		leaving := s.LastDay - RingDays
		slot := s.rec(s.LastDay)
		if leaving >= s.FirstDay {
			s.baseSession.Advance(float64(slot.SessionLoad), th.Load)
			s.baseVolume.Advance(float64(slot.VolumeLoad), th.Load)
		}
		*slot = dayRecord{}
		s.closeTreatedEpisodes()
	}
	s.pruneLifts()
	s.pruneDeloads()
}

// closeDay counts consecutive OK days and closes the episode after RecoveryDays of them.
func (s *State) closeDay(status Status, th Thresholds) {
	if status == StatusOK || status == StatusUnspecified {
		if s.Episode.OKStreak < math.MaxUint8 {
			s.Episode.OKStreak++
		}
	} else {
		s.Episode.OKStreak = 0
	}
	if s.Episode.Open && int(s.Episode.OKStreak) >= th.Rule.RecoveryDays {
		s.Episode.Open = false
	}
}

func (s *State) pruneLifts() {
	oldest := int32(s.LastDay - LiftRetentionDays + 1)
	for i, days := range s.lifts {
		n := 0
		for n < len(days) && days[n].Day < oldest {
			n++
		}
		if n > 0 {
			s.lifts[i] = append(days[:0], days[n:]...)
		}
	}
}

func (s *State) touch(d Day, recordedUnix int64) {
	if recordedUnix > s.LastDataUnix {
		s.LastDataUnix = recordedUnix
	}
	s.rec(d).Flags &^= flagAssessed
}

// ObserveSet records one set performed on day d.
func (s *State) ObserveSet(d Day, set Set, recordedUnix int64, th Thresholds) {
	r := s.prepare(d, th)
	if r == nil {
		return
	}
	s.touch(d, recordedUnix)
	r.VolumeLoad += float32(VolumeLoad(set))
	if IsHardSet(set) && r.HardSets < math.MaxUint8 {
		r.HardSets++
	}
	if set.Working() {
		r.Flags |= flagSets
	}
	li := liftIndex(set.Lift)
	if li < 0 || !set.Working() || set.LoadKg <= 0 {
		return
	}
	ld := s.liftDayFor(li, d)
	if ld == nil {
		return
	}
	if e, ok := EstimateE1RM(set, th.Strength); ok {
		if !e.LowConfidence && ld.NRated < math.MaxUint8 {
			ld.Rated = (ld.Rated*float32(ld.NRated) + float32(100*math.Log(e.Kg))) / float32(ld.NRated+1)
			ld.NRated++
		}
		// An RPE-based estimate beats any Epley one; among equals the highest counts.
		lowNew := e.LowConfidence
		lowOld := ld.Flags&liftEpley != 0
		if ld.E1RM == 0 || (lowOld && !lowNew) || (lowOld == lowNew && float32(e.Kg) > ld.E1RM) {
			ld.E1RM = float32(e.Kg)
			if lowNew {
				ld.Flags |= liftEpley
			} else {
				ld.Flags &^= liftEpley
			}
		}
	}
	load := float32(set.LoadKg)
	reps := uint8(min(set.Reps, math.MaxUint8))
	switch {
	case load > ld.TopLoad+0.01:
		ld.TopLoad, ld.TopReps = load, reps
		ld.NRPE, ld.RPE, ld.NVel, ld.Vel = 0, 0, 0, 0
		ld.Flags &^= liftShortSet
	case load < ld.TopLoad-0.01:
		return
	case reps < ld.TopReps:
		ld.Flags |= liftShortSet
		return
	case reps != ld.TopReps:
		return
	}
	if rir, ok := set.Effort(); ok && ld.NRPE < math.MaxUint8 {
		ld.RPE = (ld.RPE*float32(ld.NRPE) + float32(10-rir)) / float32(ld.NRPE+1)
		ld.NRPE++
	}
	if len(set.RepVelocities) > 0 && ld.NVel < math.MaxUint8 {
		ld.Vel = (ld.Vel*float32(ld.NVel) + float32(MeanVelocity(set.RepVelocities))) / float32(ld.NVel+1)
		ld.NVel++
	}
}

// liftDayFor finds or inserts (in day order) the record of lift li on day d.
func (s *State) liftDayFor(li int, d Day) *liftDay {
	if d <= s.LastDay-LiftRetentionDays {
		return nil
	}
	days := s.lifts[li]
	i := len(days)
	for i > 0 && days[i-1].Day >= int32(d) {
		if days[i-1].Day == int32(d) {
			return &s.lifts[li][i-1]
		}
		i--
	}
	days = append(days, liftDay{})
	copy(days[i+1:], days[i:])
	days[i] = liftDay{Day: int32(d)}
	if len(days) > maxLiftDays {
		days = days[1:]
		i--
		if i < 0 {
			s.lifts[li] = days
			return nil
		}
	}
	s.lifts[li] = days
	return &s.lifts[li][i]
}

// ObserveSession records a session; only sessions with a session RPE carry load.
func (s *State) ObserveSession(d Day, minutes, sessionRPE float64, hasRPE bool, recordedUnix int64, th Thresholds) {
	r := s.prepare(d, th)
	if r == nil {
		return
	}
	s.touch(d, recordedUnix)
	if hasRPE && minutes > 0 {
		r.SessionLoad += float32(SessionLoad(sessionRPE, minutes))
		r.Flags |= flagSessionLoad
		s.HasSessionLoad = true
	}
}

// Wellness is one questionnaire: items 1-5 (0 = skipped) and the highest joint-pain score.
type Wellness struct {
	Fatigue, SleepQuality, Soreness, Stress, Mood, Motivation uint8
	JointPainMax                                              uint8
}

// ObserveWellness records a questionnaire; a second report on the same day replaces the
// items it answers.
func (s *State) ObserveWellness(d Day, w Wellness, recordedUnix int64, th Thresholds) {
	r := s.prepare(d, th)
	if r == nil {
		return
	}
	s.touch(d, recordedUnix)
	for i, v := range [numItems]uint8{w.Fatigue, w.SleepQuality, w.Soreness, w.Stress, w.Mood, w.Motivation} {
		if v >= 1 && v <= 5 {
			r.Wellness[i] = v
		}
	}
	r.Flags |= flagWellness
	if w.JointPainMax > 0 {
		r.Flags |= flagJointPain
		r.JointPain = max(r.JointPain, w.JointPainMax)
	}
}

// ObserveReadiness records a morning measurement; zero values are absent.
func (s *State) ObserveReadiness(d Day, rmssdMs, cmjCm float64, recordedUnix int64, th Thresholds) {
	r := s.prepare(d, th)
	if r == nil {
		return
	}
	s.touch(d, recordedUnix)
	if rmssdMs > 1 {
		r.LnRMSSD = uint16(math.Round(math.Log(rmssdMs) * 1000))
		r.Flags |= flagHRV
	}
	if cmjCm > 0 && cmjCm < 6500 {
		r.CMJ = uint16(math.Round(cmjCm * 10))
		r.Flags |= flagCMJ
	}
}

// DeloadScheduled holds off new recommendations during a scheduled deload week (starting on
// weekStart): the deload is already the answer. The hold starts on the deload's first day, or
// on knownFrom, the first day that began after programming scheduled it, when that is later:
// the days before were, or could have been, decided without it.
func (s *State) DeloadScheduled(knownFrom, weekStart Day) {
	s.addDeloadWindow(deloadWindow{From: max(knownFrom, weekStart), Until: weekStart + 6})
}

// DeloadCompleted starts the cooldown after a deload, for CooldownDays after its last day
// (endedOn), and closes the episode the deload treated when that day is over: the athlete
// starts over from a fresh baseline. Both follow the deload's own dates, however early the
// completion is processed. One processed once the state has moved past endedOn closes the
// episode on arrival: the days since were decided without it.
//
// It is idempotent, so a completion delivered again (a redelivery, a partition restarting from
// its checkpoint, a new partitioned view replaying PROGRAMMING) changes nothing. An episode
// whose recommendation came after the deload ended is a later one and stays open: without
// that, a replayed completion closed it and the rule recommended a second deload for it.
func (s *State) DeloadCompleted(weekStart, endedOn Day, th Thresholds) {
	s.Episode.LastDeloadWeek = max(s.Episode.LastDeloadWeek, weekStart)
	if !s.Empty() && endedOn < s.LastDay {
		s.closeTreatedEpisode(endedOn)
	}
	s.addDeloadWindow(deloadWindow{From: endedOn + 1, Until: endedOn + Day(th.Rule.CooldownDays), Completed: true})
}

// closeTreatedEpisode closes the open episode if the deload that ended on endedOn treated it.
func (s *State) closeTreatedEpisode(endedOn Day) {
	if s.Episode.Open && s.Episode.LastRecommendationDay <= endedOn {
		s.Episode.Open = false
		s.Episode.OKStreak = 0
	}
}

// closeTreatedEpisodes closes the episode of a completed deload whose last day the state has
// just left behind.
func (s *State) closeTreatedEpisodes() {
	for _, w := range s.deloads {
		if w.Completed && w.From == s.LastDay {
			s.closeTreatedEpisode(w.From - 1)
		}
	}
}

// addDeloadWindow keeps w unless it holds nothing, is already kept or is over. When the list is
// full, the window starting last goes: the others concern days sooner.
func (s *State) addDeloadWindow(w deloadWindow) {
	if (!w.Completed && w.From > w.Until) || (!s.Empty() && w.Until < s.LastDay) {
		return
	}
	i, found := slices.BinarySearchFunc(s.deloads, w, compareDeloadWindows)
	if found {
		return
	}
	s.deloads = slices.Insert(s.deloads, i, w)
	if len(s.deloads) > maxDeloadWindows {
		s.deloads = s.deloads[:maxDeloadWindows]
	}
}

func compareDeloadWindows(a, b deloadWindow) int {
	if c := cmp.Compare(a.From, b.From); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Until, b.Until); c != 0 {
		return c
	}
	switch {
	case a.Completed == b.Completed:
		return 0
	case b.Completed:
		return -1
	}
	return 1
}

// pruneDeloads drops the windows that ended before the current day: only the current day is
// ever concluded, so no decision can use them any more.
func (s *State) pruneDeloads() {
	s.deloads = slices.DeleteFunc(s.deloads, func(w deloadWindow) bool { return w.Until < s.LastDay })
}

// CooldownThrough reports whether new recommendations are held off on day d, and through which
// day the holds that contain d last: the latest recommendation's cooldown and the deload
// windows. A window that starts after d is left out even when it joins on: it may not have been
// known on d, and what an assessment of d says must not depend on that.
func (s *State) CooldownThrough(d Day) (Day, bool) {
	through, held := Day(0), false
	if d <= s.Episode.CooldownUntil {
		through, held = s.Episode.CooldownUntil, true
	}
	for _, w := range s.deloads {
		if w.From <= d && d <= w.Until {
			through, held = max(through, w.Until), true
		}
	}
	return through, held
}

// loadSeries replays the load model from the base through day d and returns it at d and the
// CTL 7 days earlier, plus the last 7 daily loads (for monotony).
func (s *State) loadSeries(d Day, th Thresholds) (m LoadModel, ctl7 float64, hasCTL7 bool, week [7]float64) {
	m = s.baseVolume
	if s.HasSessionLoad {
		m = s.baseSession
	}
	start := max(s.FirstDay, s.LastDay-RingDays+1)
	for day := start; day <= d; day++ {
		r := s.rec(day)
		load := float64(r.VolumeLoad)
		if s.HasSessionLoad {
			load = float64(r.SessionLoad)
		}
		m.Advance(load, th.Load)
		if day > d-7 {
			week[6-int(d-day)] = load
		}
		if day == d-7 {
			ctl7, hasCTL7 = m.CTL, true
		}
	}
	if !hasCTL7 && start == d-6 && m.Days > 7 {
		ctl7, hasCTL7 = (s.baseVolume.CTL), true
		if s.HasSessionLoad {
			ctl7 = s.baseSession.CTL
		}
	}
	return m, ctl7, hasCTL7, week
}
