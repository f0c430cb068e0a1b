package chart

import (
	"strconv"
	"time"
)

// day counts calendar days since 1970-01-01 in the view's zone. The x axis is made of days, so
// every day is equally wide whatever the clocks did that night.
type day int64

const secondsPerDay = 24 * 60 * 60

func dayOf(t time.Time, loc *time.Location) day {
	y, m, d := t.In(loc).Date()
	return civilDay(y, m, d)
}

func civilDay(y int, m time.Month, d int) day {
	// Midnight UTC of a civil date is a whole number of days from the epoch, also before 1970.
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

func (d day) date() (int, time.Month, int) {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC().Date()
}

func (d day) weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	w := (int64(d) + int64(time.Thursday)) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

// shortMonths are spelled out here rather than taken from time.Format so that labels are built
// by appending to a buffer, with no layout parsing per label.
var shortMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
var shortWeekdays = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// dayMonth is "6 Jan"; day-first with a month name reads the same way in every English locale.
func (d day) dayMonth() string {
	_, m, dd := d.date()
	return strconv.Itoa(dd) + " " + shortMonths[m-1]
}

// long is "6 Jan 2025".
func (d day) long() string {
	y, m, dd := d.date()
	return strconv.Itoa(dd) + " " + shortMonths[m-1] + " " + strconv.Itoa(y)
}

// withWeekday is "Mon 6 Jan 2025", for table rows, where the weekday helps place a session.
func (d day) withWeekday() string {
	return shortWeekdays[d.weekday()] + " " + d.long()
}

// span is "3–9 Mar 2025", "28 Feb – 6 Mar 2025" or "29 Dec 2024 – 4 Jan 2025".
func span(from, to day) string {
	if from == to {
		return from.long()
	}
	fy, fm, fd := from.date()
	ty, tm, _ := to.date()
	switch {
	case fy != ty:
		return from.long() + " – " + to.long()
	case fm != tm:
		return strconv.Itoa(fd) + " " + shortMonths[fm-1] + " – " + to.long()
	}
	return strconv.Itoa(fd) + "–" + to.long()
}

type dateTick struct {
	at    day
	label string
}

// dateStep is one way of spacing date ticks. Steps are tried from the finest, and the first that
// fits the width wins, so a week of data gets daily ticks and two years get quarters.
type dateStep struct {
	days   int // ticks every n days (n == 7 or 14: on Mondays)
	months int // ticks on the first of every n-th month (January first)
	years  int // ticks on 1 January of years divisible by n
}

var dateSteps = []dateStep{
	{days: 1}, {days: 2}, {days: 7}, {days: 14},
	{months: 1}, {months: 2}, {months: 3}, {months: 6},
	{years: 1}, {years: 2}, {years: 5}, {years: 10}, {years: 50},
}

// dateTicks picks tick days in [first, last] for at most maxTicks labels, with round dates:
// Mondays, firsts of months, quarters, new years. The year is shown on the first label and
// wherever it changes, so a label never needs the reader to count back.
func dateTicks(first, last day, maxTicks int) []dateTick {
	if maxTicks < 1 {
		maxTicks = 1
	}
	var at []day
	var step dateStep
	for _, s := range dateSteps {
		if t, ok := tickDays(s, first, last, maxTicks); ok {
			at, step = t, s
			break
		}
	}
	if len(at) == 0 {
		// Too narrow for any round date in range: name the first day.
		return []dateTick{{at: first, label: first.long()}}
	}
	ticks := make([]dateTick, len(at))
	prevYear := 0
	for i, d := range at {
		y, m, _ := d.date()
		var label string
		switch {
		case step.years > 0:
			label = strconv.Itoa(y)
		case step.months > 0:
			label = shortMonths[m-1]
			if i == 0 || y != prevYear {
				label += " " + strconv.Itoa(y)
			}
		default:
			label = d.dayMonth()
			if i == 0 || y != prevYear {
				label = d.long()
			}
		}
		prevYear = y
		ticks[i] = dateTick{at: d, label: label}
	}
	return ticks
}

// tickDays lists the step's tick days in [first, last], giving up (false) past limit so that a
// daily step over two years costs nothing.
func tickDays(s dateStep, first, last day, limit int) ([]day, bool) {
	var out []day
	add := func(d day) bool {
		if len(out) == limit {
			return false
		}
		out = append(out, d)
		return true
	}
	switch {
	case s.days == 1 || s.days == 2:
		if int(last-first)/s.days+1 > limit {
			return nil, false
		}
		for d := first; d <= last; d += day(s.days) {
			add(d)
		}
	case s.days > 0:
		d := first
		for d.weekday() != time.Monday {
			d++
		}
		if d <= last && int(last-d)/s.days+1 > limit {
			return nil, false
		}
		for ; d <= last; d += day(s.days) {
			add(d)
		}
	case s.months > 0:
		y, m, dd := first.date()
		if dd != 1 {
			m++
		}
		for ; ; m++ {
			if m > 12 {
				y, m = y+1, 1
			}
			if (int(m)-1)%s.months != 0 {
				continue
			}
			d := civilDay(y, m, 1)
			if d > last {
				break
			}
			if !add(d) {
				return nil, false
			}
		}
	default:
		y, m, dd := first.date()
		if m != time.January || dd != 1 {
			y++
		}
		for ; ; y++ {
			if y%s.years != 0 {
				continue
			}
			d := civilDay(y, time.January, 1)
			if d > last {
				break
			}
			if !add(d) {
				return nil, false
			}
		}
	}
	return out, true
}
