package domain

import (
	"slices"
	"testing"
	"time"
)

func TestCheckinReminderRemind(t *testing.T) {
	oslo := mustZone(t, "Europe/Oslo")
	// 08:00 in Oslo; Oslo is UTC+1 in December and UTC+2 from the last Sunday of March.
	morning := CheckinReminder{Enabled: true, SendMinute: 8 * 60, Location: oslo}
	night := QuietHours{StartMinute: 22 * 60, EndMinute: 7 * 60, Location: oslo}
	roster := []string{"a3", "a1", "a2"}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, oslo)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name     string
		reminder CheckinReminder
		quiet    QuietHours
		now      time.Time
		reported []string // athletes who reported on the team's day of now
		reminded []string // athletes already reminded that day
		want     []string
	}{
		{"before the send time nobody", morning, night, at("2026-12-07 07:59"), nil, nil, nil},
		{"at the send time all who have not reported", morning, night, at("2026-12-07 08:00"), []string{"a2"}, nil, []string{"a1", "a3"}},
		{"later that day only who was not reminded yet", morning, night, at("2026-12-07 13:00"), []string{"a2"}, []string{"a1"}, []string{"a3"}},
		{"nobody when all reported", morning, night, at("2026-12-07 09:00"), roster, nil, nil},
		{"disabled nobody", CheckinReminder{SendMinute: 8 * 60, Location: oslo}, night, at("2026-12-07 09:00"), nil, nil, nil},
		{"never in quiet hours", morning, night, at("2026-12-07 22:30"), nil, nil, nil},
		{"a send time in quiet hours waits for their end",
			CheckinReminder{Enabled: true, SendMinute: 6 * 60, Location: oslo}, night, at("2026-12-07 06:30"), nil, nil, nil},
		{"and goes out when they end",
			CheckinReminder{Enabled: true, SendMinute: 6 * 60, Location: oslo}, night, at("2026-12-07 07:00"), nil, nil, []string{"a1", "a2", "a3"}},
		{"quiet hours to midnight leave the day without a reminder",
			CheckinReminder{Enabled: true, SendMinute: 23 * 60, Location: oslo}, night, at("2026-12-07 23:30"), nil, nil, nil},
		{"the send time is the team's wall clock across daylight saving", morning, night, at("2026-03-30 08:00"), nil, nil, []string{"a1", "a2", "a3"}},
		{"nil zone is UTC", CheckinReminder{Enabled: true, SendMinute: 8 * 60}, QuietHours{}, time.Date(2026, 12, 7, 7, 30, 0, 0, time.UTC), nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			day := tc.reminder.Day(tc.now)
			in := func(list []string) func(string, string) bool {
				return func(athlete, d string) bool { return d == day && slices.Contains(list, athlete) }
			}
			got := tc.reminder.Remind(tc.now, tc.quiet, roster, in(tc.reported), in(tc.reminded))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Remind at %s = %v, want %v", tc.now, got, tc.want)
			}
		})
	}
}

// The day is the team's: at 00:30 in Oslo it is already the next day there, still the day
// before in UTC, so a reminder sent the evening before does not count for it.
func TestCheckinReminderDayIsTheTeams(t *testing.T) {
	oslo := mustZone(t, "Europe/Oslo")
	r := CheckinReminder{Enabled: true, SendMinute: 0, Location: oslo}
	now := time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC) // 00:30 on the 8th in Oslo
	if got := r.Day(now); got != "2026-12-08" {
		t.Fatalf("Day = %s, want 2026-12-08", got)
	}
	remindedOn7th := func(_, d string) bool { return d == "2026-12-07" }
	never := func(string, string) bool { return false }
	if got := r.Remind(now, QuietHours{}, []string{"a1"}, never, remindedOn7th); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("Remind = %v, want a1 reminded again on the team's new day", got)
	}
}
