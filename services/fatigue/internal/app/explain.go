package app

import (
	"fmt"
	"sort"
	"strings"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// FamilyName is a family in coach words.
func FamilyName(f commonv1.SignalFamily) string {
	switch f {
	case commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION:
		return "strength stagnation"
	case commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE:
		return "strength decline"
	case commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS:
		return "harder at familiar loads"
	case commonv1.SignalFamily_SIGNAL_FAMILY_SLOWER_BAR_SPEED:
		return "slower bar speed"
	case commonv1.SignalFamily_SIGNAL_FAMILY_SORENESS_JOINT_DISCOMFORT:
		return "soreness/joint discomfort"
	case commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP:
		return "motivation and sleep"
	case commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE:
		return "load spike"
	case commonv1.SignalFamily_SIGNAL_FAMILY_READINESS:
		return "readiness"
	}
	return "unknown"
}

// StatusName is a status in coach words.
func StatusName(s commonv1.AthleteStatus) string {
	switch s {
	case commonv1.AthleteStatus_ATHLETE_STATUS_OK:
		return "ok"
	case commonv1.AthleteStatus_ATHLETE_STATUS_WATCH:
		return "watch"
	case commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED:
		return "deload recommended"
	}
	return "no data"
}

func familyList(fs []commonv1.SignalFamily) string {
	names := make([]string, 0, len(fs))
	for _, f := range fs {
		names = append(names, FamilyName(f))
	}
	return strings.Join(names, " + ")
}

// Summary is the plain-language paragraph of a recommendation.
func Summary(res domain.Result) string {
	a := res.Assessed
	var b strings.Builder
	fmt.Fprintf(&b, "Reactive deload recommended on %s (%s): %s.", domain.DayFromDate(a.GetAsOf()), res.RuleFired, familyList(res.Fired))
	for _, e := range a.GetEvidence() {
		if e.GetAbnormal() && !e.GetContextOnly() {
			fmt.Fprintf(&b, " %s.", e.GetDetail())
		}
	}
	if res.RuleFired == domain.RuleSustainedDecline && epleyOnly(a) {
		b.WriteString(" Lower confidence: without RPE or RIR the e1RM is an Epley estimate from the load and reps the athlete chose, so only a decline held for three weeks counts.")
	}
	if res.RuleFired == domain.RuleMissedReps && epleyOnly(a) {
		b.WriteString(" Lower confidence: without RPE or RIR the log says how hard the sets were only when reps fall short, so the rule reads missed reps at the working load on more than one day.")
	}
	fmt.Fprintf(&b, " Score %.0f, confidence %.2f (%s).", a.GetScore(), a.GetConfidence(), res.ConfidenceNote)
	return b.String()
}

// Headline is the one-line summary of an assessment.
func Headline(a *eventsv1.AthleteAssessed) string {
	status := StatusName(a.GetStatus())
	head := strings.ToUpper(status[:1]) + status[1:]
	if len(a.GetAbnormalFamilies()) > 0 {
		head += ": " + familyList(a.GetAbnormalFamilies())
	}
	return fmt.Sprintf("%s (score %.0f, confidence %.2f)", head, a.GetScore(), a.GetConfidence())
}

// ExplanationLine is one family of an explanation.
type ExplanationLine struct {
	Family                              commonv1.SignalFamily
	Abnormal, ContextOnly, Insufficient bool
	Text                                string
}

// Explain groups the evidence by family, abnormal families first, and says why confidence is
// what it is.
func Explain(a *eventsv1.AthleteAssessed) (lines []ExplanationLine, confidenceNote string) {
	byFamily := map[commonv1.SignalFamily]*ExplanationLine{}
	var order []commonv1.SignalFamily
	for _, e := range a.GetEvidence() {
		l, ok := byFamily[e.GetFamily()]
		if !ok {
			l = &ExplanationLine{Family: e.GetFamily(), ContextOnly: e.GetContextOnly(), Insufficient: true}
			byFamily[e.GetFamily()] = l
			order = append(order, e.GetFamily())
		}
		l.Abnormal = l.Abnormal || e.GetAbnormal()
		l.Insufficient = l.Insufficient && e.GetInsufficientData()
		if l.Text != "" {
			l.Text += "; "
		}
		l.Text += e.GetDetail()
	}
	for _, f := range order {
		lines = append(lines, *byFamily[f])
	}
	rank := func(l ExplanationLine) int {
		switch {
		case l.Abnormal && !l.ContextOnly:
			return 0
		case l.Abnormal:
			return 1
		case l.Insufficient:
			return 3
		}
		return 2
	}
	sort.SliceStable(lines, func(i, j int) bool { return rank(lines[i]) < rank(lines[j]) })

	var notes []string
	var missing []string
	for _, l := range lines {
		if l.Insufficient && !l.ContextOnly {
			missing = append(missing, FamilyName(l.Family))
		}
	}
	if len(missing) > 0 {
		notes = append(notes, "not enough data for "+strings.Join(missing, ", "))
	}
	for _, ls := range a.GetLifts() {
		if ls.GetLowConfidence() {
			notes = append(notes, "e1RM from Epley (no RPE/RIR)")
			break
		}
	}
	if h := a.GetCoverage().GetHistoryDays(); h < 28 {
		notes = append(notes, fmt.Sprintf("only %d days of history", h))
	}
	if len(notes) == 0 {
		return lines, "all families had enough data"
	}
	return lines, strings.Join(notes, "; ")
}

// Missing says, when no deload rule fired, what each rule that applies to the athlete's data
// still lacks (e.g. "Strength below baseline on 1 of the last 3 lifting days; needs 2"). It is
// empty when a rule fired.
func Missing(a *eventsv1.AthleteAssessed) []string {
	if a.GetRuleFired() != "" {
		return nil
	}
	var out []string
	for _, c := range a.GetRuleChecks() {
		if !c.GetHolds() {
			out = append(out, fmt.Sprintf("%s: %s", c.GetRule(), c.GetDetail()))
		}
	}
	if a.GetPlateau() {
		out = append(out, "plateau: the main lifts are flat without signs of fatigue; this brings the next planned deload forward instead of a reactive one")
	}
	return out
}

// epleyOnly reports whether every lift of the assessment was estimated without a rating.
func epleyOnly(a *eventsv1.AthleteAssessed) bool {
	for _, l := range a.GetLifts() {
		if !l.GetLowConfidence() {
			return false
		}
	}
	return len(a.GetLifts()) > 0
}
