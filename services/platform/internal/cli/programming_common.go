package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// progParseDate reads YYYY-MM-DD.
func progParseDate(flag, s string) (*commonv1.Date, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, usagef("--%s %q: want YYYY-MM-DD", flag, s)
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}, nil
}

func progFormatDate(d *commonv1.Date) string {
	if d == nil || d.GetYear() == 0 {
		return "-"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

func progWeekdayOf(d *commonv1.Date) string {
	if d == nil || d.GetYear() == 0 {
		return ""
	}
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC).Format("Mon")
}

// progEnumWord turns DELOAD_STATUS_PENDING_APPROVAL into "pending_approval".
func progEnumWord(name, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(name, prefix))
}

// progParseEnum finds prefix+UPPER(word) in names ("squat" -> LIFT_CATEGORY_SQUAT).
func progParseEnum(flag, word, prefix string, names map[string]int32) (int32, error) {
	key := prefix + strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(word), "-", "_"))
	v, ok := names[key]
	if !ok || v == 0 {
		var valid []string
		for name, n := range names {
			if n != 0 {
				valid = append(valid, progEnumWord(name, prefix))
			}
		}
		slices.Sort(valid)
		return 0, usagef("--%s %q: want one of %s", flag, word, strings.Join(valid, ", "))
	}
	return v, nil
}
