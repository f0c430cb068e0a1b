package web

import (
	"fmt"
	"strings"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// light is a status as the board shows it: a class for the colour and words for everyone
// (status is never colour alone).
type light struct {
	Class, Text string
}

func lightOf(st commonv1.AthleteStatus) light {
	switch st {
	case commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED:
		return light{"deload", "Deload recommended"}
	case commonv1.AthleteStatus_ATHLETE_STATUS_WATCH:
		return light{"watch", "Watch"}
	case commonv1.AthleteStatus_ATHLETE_STATUS_OK:
		return light{"ok", "OK"}
	}
	return light{"none", "No assessment yet"}
}

// familyWords names each signal family the way a coach says it.
var familyWords = map[commonv1.SignalFamily]string{
	commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION:       "strength stalled",
	commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE:          "strength declining",
	commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS:  "harder at familiar loads",
	commonv1.SignalFamily_SIGNAL_FAMILY_SLOWER_BAR_SPEED:          "slower bar speed",
	commonv1.SignalFamily_SIGNAL_FAMILY_SORENESS_JOINT_DISCOMFORT: "soreness or joint discomfort",
	commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP:          "low motivation or poor sleep",
	commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE:                "load spike",
	commonv1.SignalFamily_SIGNAL_FAMILY_READINESS:                 "low readiness (HRV or jump)",
}

func familiesText(fams []commonv1.SignalFamily) string {
	if len(fams) == 0 {
		return "none"
	}
	words := make([]string, 0, len(fams))
	for _, f := range fams {
		w, ok := familyWords[f]
		if !ok {
			w = strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(f.String(), "SIGNAL_FAMILY_"), "_", " "))
		}
		words = append(words, w)
	}
	return strings.Join(words, ", ")
}

// coverageText says what the athlete's data lets the assessment see, so a coach reads a calm
// row of an athlete who only logs sets for what it is.
func coverageText(c *eventsv1.DataCoverage) string {
	if c == nil {
		return "no data yet"
	}
	var shape string
	switch c.GetShape() {
	case eventsv1.DataShape_DATA_SHAPE_SETS:
		shape = "sets without RPE: lower confidence"
	case eventsv1.DataShape_DATA_SHAPE_SETS_RPE:
		shape = "sets with RPE; no wellness or devices"
	case eventsv1.DataShape_DATA_SHAPE_SETS_WELLNESS:
		shape = "sets and wellness; no devices"
	case eventsv1.DataShape_DATA_SHAPE_FULL:
		shape = "sets, wellness and devices"
	default:
		return "no working sets yet"
	}
	return fmt.Sprintf("%s (%d lifting days in 28)", shape, c.GetLiftingDays_28D())
}

// agoText is how long ago t was, in the words a coach would use.
func agoText(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 2*time.Minute:
		return "just now"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
