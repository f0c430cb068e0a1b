package domain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// stateVersion is the first byte of an encoded state; a state of an unknown version is rebuilt
// by replay rather than misread. Statuses and family masks are stored as the domain's codes
// (Status, Family), which are the protobuf enum numbers versions 1 and 2 stored.
//   - Version 2 appended the deload windows and the day of the last plateau report to version
//     1's layout; version 1 snapshots still decode, with no windows (the cooldowns that version
//     folded into the episode's CooldownUntil keep running from there).
//   - Version 3 added the mean of the rated sets' e1RM to every lift exposure (29 bytes, was
//     24); exposures decoded from versions 1 and 2 have none, and the shortfall rule reads
//     their top sets instead.
const (
	stateVersion                = 3
	stateVersionNoDeloadWindows = 1
)

// liftDayV2 is a lift exposure as versions 1 and 2 wrote it.
type liftDayV2 struct {
	Day                        int32
	TopLoad, RPE, Vel, E1RM    float32
	TopReps, NRPE, NVel, Flags uint8
}

// ErrStateVersion means a snapshot was written by an incompatible version.
var ErrStateVersion = errors.New("unsupported state version")

type wireModel struct {
	Acute, Chronic, CTL, ATL float64
	Days                     int32
}

type wireHeader struct {
	Version        uint8
	Flags          uint8
	OKStreak       uint8
	PubStatus      uint8
	PubScoreBand   uint8
	PubMask        uint8
	RingCount      uint8
	FirstDay       int32
	LastDay        int32
	CooldownUntil  int32
	LastRecDay     int32
	LastDeloadWeek int32
	PubDay         int32
	Seq            uint64
	LastDataUnix   int64
	BaseSession    wireModel
	BaseVolume     wireModel
	LiftCounts     [len(mainLifts)]uint8
	PubEventID     [36]byte
}

const (
	wireSessionLoad = 1 << iota
	wireEpisodeOpen
	wirePublished
)

// wireDeloadWindow is a deload window on the wire, 9 bytes.
type wireDeloadWindow struct {
	From, Until int32
	Flags       uint8
}

const wireWindowCompleted = 1

func toWire(m LoadModel) wireModel {
	return wireModel{m.Acute, m.Chronic, m.CTL, m.ATL, int32(m.Days)}
}

func fromWire(w wireModel) LoadModel {
	return LoadModel{Acute: w.Acute, Chronic: w.Chronic, CTL: w.CTL, ATL: w.ATL, Days: int(w.Days)}
}

// MarshalBinary encodes the state: a fixed header, the ring days from the first held day to
// the current one, each lift's exposures, and the deload windows after their count.
// Little-endian, fixed-size records.
func (s *State) MarshalBinary() ([]byte, error) {
	start := s.LastDay - RingDays + 1
	if s.FirstDay > start {
		start = s.FirstDay
	}
	ringCount := 0
	if !s.Empty() {
		ringCount = int(s.LastDay - start + 1)
	}
	h := wireHeader{
		Version: stateVersion, OKStreak: s.Episode.OKStreak, PubStatus: uint8(s.Published.Status),
		PubScoreBand: s.Published.ScoreBand, PubMask: s.Published.Mask, RingCount: uint8(ringCount),
		FirstDay: int32(s.FirstDay), LastDay: int32(s.LastDay), CooldownUntil: int32(s.Episode.CooldownUntil),
		LastRecDay: int32(s.Episode.LastRecommendationDay), LastDeloadWeek: int32(s.Episode.LastDeloadWeek),
		PubDay: int32(s.Published.Day), Seq: s.Seq, LastDataUnix: s.LastDataUnix,
		BaseSession: toWire(s.baseSession), BaseVolume: toWire(s.baseVolume),
	}
	if s.HasSessionLoad {
		h.Flags |= wireSessionLoad
	}
	if s.Episode.Open {
		h.Flags |= wireEpisodeOpen
	}
	if s.Published.Valid {
		h.Flags |= wirePublished
	}
	for i, l := range s.lifts {
		h.LiftCounts[i] = uint8(len(l))
	}
	copy(h.PubEventID[:], s.Published.EventID)
	var buf bytes.Buffer
	buf.Grow(binary.Size(h) + ringCount*binary.Size(dayRecord{}) + 4*maxLiftDays*binary.Size(liftDay{}) +
		1 + len(s.deloads)*binary.Size(wireDeloadWindow{}))
	_ = binary.Write(&buf, binary.LittleEndian, &h)
	days := make([]dayRecord, ringCount)
	for i := range days {
		days[i] = *s.rec(start + Day(i))
	}
	if ringCount > 0 {
		_ = binary.Write(&buf, binary.LittleEndian, days)
	}
	for _, l := range s.lifts {
		if len(l) > 0 {
			_ = binary.Write(&buf, binary.LittleEndian, l)
		}
	}
	windows := make([]wireDeloadWindow, len(s.deloads))
	for i, w := range s.deloads {
		windows[i] = wireDeloadWindow{From: int32(w.From), Until: int32(w.Until)}
		if w.Completed {
			windows[i].Flags |= wireWindowCompleted
		}
	}
	buf.WriteByte(uint8(len(windows)))
	if len(windows) > 0 {
		_ = binary.Write(&buf, binary.LittleEndian, windows)
	}
	_ = binary.Write(&buf, binary.LittleEndian, int32(s.Episode.LastPlateauDay))
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (s *State) UnmarshalBinary(data []byte) error {
	if len(data) == 0 || data[0] < stateVersionNoDeloadWindows || data[0] > stateVersion {
		return ErrStateVersion
	}
	r := bytes.NewReader(data)
	var h wireHeader
	if err := binary.Read(r, binary.LittleEndian, &h); err != nil {
		return fmt.Errorf("decode state header: %w", err)
	}
	*s = State{
		FirstDay: Day(h.FirstDay), LastDay: Day(h.LastDay), Seq: h.Seq, LastDataUnix: h.LastDataUnix,
		HasSessionLoad: h.Flags&wireSessionLoad != 0,
		baseSession:    fromWire(h.BaseSession), baseVolume: fromWire(h.BaseVolume),
		Episode: Episode{Open: h.Flags&wireEpisodeOpen != 0, OKStreak: h.OKStreak, CooldownUntil: Day(h.CooldownUntil),
			LastRecommendationDay: Day(h.LastRecDay), LastDeloadWeek: Day(h.LastDeloadWeek)},
		Published: Published{Valid: h.Flags&wirePublished != 0, Status: Status(h.PubStatus),
			ScoreBand: h.PubScoreBand, Mask: h.PubMask, Day: Day(h.PubDay), EventID: string(bytes.TrimRight(h.PubEventID[:], "\x00"))},
	}
	if int(h.RingCount) > RingDays {
		return fmt.Errorf("decode state: %d ring days", h.RingCount)
	}
	start := s.LastDay - Day(h.RingCount) + 1
	days := make([]dayRecord, h.RingCount)
	if len(days) > 0 {
		if err := binary.Read(r, binary.LittleEndian, days); err != nil {
			return fmt.Errorf("decode state days: %w", err)
		}
	}
	for i, d := range days {
		*s.rec(start + Day(i)) = d
	}
	for i, n := range h.LiftCounts {
		if n == 0 {
			continue
		}
		if n > maxLiftDays {
			return fmt.Errorf("decode state: %d exposures of lift %d", n, i)
		}
		s.lifts[i] = make([]liftDay, n)
		if h.Version >= stateVersion {
			if err := binary.Read(r, binary.LittleEndian, s.lifts[i]); err != nil {
				return fmt.Errorf("decode state lift %d: %w", i, err)
			}
			continue
		}
		old := make([]liftDayV2, n)
		if err := binary.Read(r, binary.LittleEndian, old); err != nil {
			return fmt.Errorf("decode state lift %d: %w", i, err)
		}
		for j, o := range old {
			s.lifts[i][j] = liftDay{Day: o.Day, TopLoad: o.TopLoad, RPE: o.RPE, Vel: o.Vel, E1RM: o.E1RM,
				TopReps: o.TopReps, NRPE: o.NRPE, NVel: o.NVel, Flags: o.Flags}
		}
	}
	if h.Version > stateVersionNoDeloadWindows {
		if err := s.decodeDeloadWindows(r); err != nil {
			return err
		}
		// A plateau is reported once per episode; without this day a restart would report
		// the same plateau again.
		var plateau int32
		if err := binary.Read(r, binary.LittleEndian, &plateau); err != nil {
			return fmt.Errorf("decode state plateau day: %w", err)
		}
		s.Episode.LastPlateauDay = Day(plateau)
	}
	if r.Len() != 0 {
		return fmt.Errorf("decode state: %d trailing bytes", r.Len())
	}
	return nil
}

func (s *State) decodeDeloadWindows(r *bytes.Reader) error {
	n, err := r.ReadByte()
	if err != nil {
		return fmt.Errorf("decode state deload windows: %w", err)
	}
	if n > maxDeloadWindows {
		return fmt.Errorf("decode state: %d deload windows", n)
	}
	if n == 0 {
		return nil
	}
	windows := make([]wireDeloadWindow, n)
	if err := binary.Read(r, binary.LittleEndian, windows); err != nil {
		return fmt.Errorf("decode state deload windows: %w", err)
	}
	s.deloads = make([]deloadWindow, n)
	for i, w := range windows {
		s.deloads[i] = deloadWindow{From: Day(w.From), Until: Day(w.Until), Completed: w.Flags&wireWindowCompleted != 0}
	}
	return nil
}
