package domain

import "time"

// Day is the length of a calendar day; WeekLen of a training week.
const (
	Day     = 24 * time.Hour
	WeekLen = 7 * Day
)

// Date is the calendar day y-m-d at midnight UTC.
func Date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Midnight drops the clock time of t (in t's location) and returns that calendar day in UTC.
func Midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return Date(y, m, d)
}

// Monday is the Monday of the training week containing day.
func Monday(day time.Time) time.Time {
	day = Midnight(day)
	offset := (int(day.Weekday()) + 6) % 7 // Monday 0 ... Sunday 6
	return day.AddDate(0, 0, -offset)
}

// NextMonday is the first Monday strictly after day: "the next training week".
func NextMonday(day time.Time) time.Time {
	return Monday(day).AddDate(0, 0, 7)
}

// DaysBetween is the whole number of days from a to b (negative when b is earlier).
func DaysBetween(a, b time.Time) int {
	return int(Midnight(b).Sub(Midnight(a)) / Day)
}

// ProgramWeek is the 1-based program week that contains day for a program starting on the
// Monday start, or 0 when day is before the start.
func ProgramWeek(start, day time.Time) int {
	d := DaysBetween(Monday(start), Monday(day))
	if d < 0 {
		return 0
	}
	return d/7 + 1
}

// WeekStart is the Monday of program week n (1-based) for a program starting on start.
func WeekStart(start time.Time, n int) time.Time {
	return Monday(start).AddDate(0, 0, 7*(n-1))
}
