package chart

import (
	"slices"
	"testing"
	"time"
)

func TestDayOf(t *testing.T) {
	london := mustLoad(t, "Europe/London")
	la := mustLoad(t, "America/Los_Angeles")
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		want string
	}{
		// 23:30 UTC on the night the clocks go forward is 00:30 BST the next day.
		{"after the DST change", time.Date(2025, 3, 30, 23, 30, 0, 0, time.UTC), london, "Mon 31 Mar 2025"},
		{"same instant in UTC", time.Date(2025, 3, 30, 23, 30, 0, 0, time.UTC), time.UTC, "Sun 30 Mar 2025"},
		{"west of UTC", time.Date(2025, 1, 1, 4, 0, 0, 0, time.UTC), la, "Tue 31 Dec 2024"},
		{"before the epoch", time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC), time.UTC, "Wed 31 Dec 1969"},
		{"leap day", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.UTC, "Thu 29 Feb 2024"},
	}
	for _, tt := range tests {
		if got := dayOf(tt.t, tt.loc).withWeekday(); got != tt.want {
			t.Errorf("%s: %s", tt.name, got)
		}
	}
	// The day after a 23-hour day is still exactly one day on.
	sat, sun := dayOf(at(london, 2025, 3, 29), london), dayOf(at(london, 2025, 3, 30), london)
	if sun-sat != 1 || dayOf(at(london, 2025, 3, 31), london)-sun != 1 {
		t.Error("DST change broke consecutive days")
	}
}

func TestSpan(t *testing.T) {
	d := func(y int, m time.Month, dd int) day { return civilDay(y, m, dd) }
	tests := []struct {
		from, to day
		want     string
	}{
		{d(2025, 3, 3), d(2025, 3, 9), "3–9 Mar 2025"},
		{d(2025, 2, 28), d(2025, 3, 6), "28 Feb – 6 Mar 2025"},
		{d(2024, 12, 29), d(2025, 1, 4), "29 Dec 2024 – 4 Jan 2025"},
		{d(2025, 3, 3), d(2025, 3, 3), "3 Mar 2025"},
	}
	for _, tt := range tests {
		if got := span(tt.from, tt.to); got != tt.want {
			t.Errorf("span = %q, want %q", got, tt.want)
		}
	}
}

func TestDateTicks(t *testing.T) {
	d := func(y int, m time.Month, dd int) day { return civilDay(y, m, dd) }
	tests := []struct {
		name        string
		first, last day
		max         int
		want        []string
	}{
		{"a week, daily", d(2025, 1, 1), d(2025, 1, 7), 10,
			[]string{"1 Jan 2025", "2 Jan", "3 Jan", "4 Jan", "5 Jan", "6 Jan", "7 Jan"}},
		// 70 days: 10 Mondays is too many for 8, every other Monday fits.
		{"ten weeks, fortnightly Mondays", d(2025, 1, 1), d(2025, 3, 11), 8,
			[]string{"6 Jan 2025", "20 Jan", "3 Feb", "17 Feb", "3 Mar"}},
		{"across new year, Mondays", d(2024, 12, 15), d(2025, 1, 20), 6,
			[]string{"16 Dec 2024", "23 Dec", "30 Dec", "6 Jan 2025", "13 Jan", "20 Jan"}},
		// 24 months, 12 bimonthly: quarters.
		{"two years, quarters", d(2024, 1, 1), d(2025, 12, 31), 8,
			[]string{"Jan 2024", "Apr", "Jul", "Oct", "Jan 2025", "Apr", "Jul", "Oct"}},
		{"starting mid-month", d(2025, 1, 15), d(2025, 6, 30), 6,
			[]string{"Feb 2025", "Mar", "Apr", "May", "Jun"}},
		{"ten years", d(2016, 3, 1), d(2025, 12, 31), 6,
			[]string{"2018", "2020", "2022", "2024"}},
		{"a single day", d(2025, 5, 5), d(2025, 5, 5), 6, []string{"5 May 2025"}},
		{"one label at most", d(2025, 1, 1), d(2025, 12, 31), 0, []string{"2025"}},
		{"half years", d(2025, 1, 2), d(2025, 12, 31), 0, []string{"Jul 2025"}},
		{"no round day inside", d(2025, 1, 2), d(2025, 1, 4), 1, []string{"2 Jan 2025"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tick := range dateTicks(tt.first, tt.last, tt.max) {
				if tick.at < tt.first || tick.at > tt.last {
					t.Errorf("tick %s outside the range", tick.label)
				}
				got = append(got, tick.label)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
