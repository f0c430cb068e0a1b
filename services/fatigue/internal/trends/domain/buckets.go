package domain

import (
	"fmt"
	"time"
)

// Bucketing is the size of a series' buckets.
type Bucketing int

// Bucket sizes.
const (
	Week Bucketing = iota // calendar weeks starting Monday (ClickHouse toMonday)
	Day                   // calendar days
)

// Days and weeks are calendar days of the query's time zone throughout: a day is held as the
// UTC midnight of its date (what Date returns), a label rather than an instant, so the bucket
// arithmetic below is the same for every zone. Only the SQL that turns an instant into a day
// (adapters.Filter.Zone) and "today" (Today) look at the zone.

// Limits on what one query may ask for, so a request cannot make the service scan years of
// raw rows or return thousands of points per series.
const (
	DefaultWeeks = 12
	MaxWeeks     = 104
	MaxDays      = 2 * 366 // longest range in days
	MaxDayPoints = 366     // longest range with daily buckets
)

// Date returns the UTC midnight of t's calendar day.
func Date(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Today returns the calendar day of now in zone (nil: UTC), as Date labels days.
func Today(now time.Time, zone *time.Location) time.Time {
	if zone == nil {
		zone = time.UTC
	}
	y, m, d := now.In(zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Monday returns the Monday on or before day (what ClickHouse's toMonday gives).
func Monday(day time.Time) time.Time {
	day = Date(day)
	offset := (int(day.Weekday()) + 6) % 7 // Monday 0 ... Sunday 6
	return day.AddDate(0, 0, -offset)
}

// BucketStart returns the first day of the bucket holding day.
func BucketStart(day time.Time, b Bucketing) time.Time {
	if b == Day {
		return Date(day)
	}
	return Monday(day)
}

// Buckets returns the first day of every bucket overlapping from..to (inclusive), in order.
func Buckets(from, to time.Time, b Bucketing) []time.Time {
	var out []time.Time
	step := 7
	if b == Day {
		step = 1
	}
	for d := BucketStart(from, b); !d.After(Date(to)); d = d.AddDate(0, 0, step) {
		out = append(out, d)
	}
	return out
}

// BucketEnd returns the last day of the bucket starting at start, clipped to limit.
func BucketEnd(start time.Time, b Bucketing, limit time.Time) time.Time {
	end := start
	if b == Week {
		end = start.AddDate(0, 0, 6)
	}
	if end.After(limit) {
		return Date(limit)
	}
	return end
}

// Range is an inclusive span of days.
type Range struct {
	From, To time.Time
}

// Days is the number of days in r.
func (r Range) Days() int { return int(r.To.Sub(r.From).Hours()/24) + 1 }

// ResolveRange fills what a request left open: without an end, today; without a start, the
// Monday weeks-1 weeks before the end's week (so `--weeks 12` is 12 whole calendar weeks, the
// last one the current week). weeks 0 means DefaultWeeks.
func ResolveRange(from, to *time.Time, weeks int, today time.Time) (Range, error) {
	if weeks == 0 {
		weeks = DefaultWeeks
	}
	if weeks < 0 || weeks > MaxWeeks {
		return Range{}, fmt.Errorf("weeks must be between 1 and %d", MaxWeeks)
	}
	r := Range{To: Date(today)}
	if to != nil {
		r.To = Date(*to)
	}
	if from != nil {
		r.From = Date(*from)
	} else {
		r.From = Monday(r.To).AddDate(0, 0, -7*(weeks-1))
	}
	if r.From.After(r.To) {
		return Range{}, fmt.Errorf("range start %s is after its end %s", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
	}
	if r.Days() > MaxDays {
		return Range{}, fmt.Errorf("range covers %d days, at most %d", r.Days(), MaxDays)
	}
	return r, nil
}
