package app

import (
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
)

// The conversions between the trends domain and the wire, each an explicit table so that the
// domain's codes and the protocol's numbers can differ.

var ruleWire = map[domain.Rule]commonv1.TeamTrendRule{
	domain.RuleFlaggedShare:             commonv1.TeamTrendRule_TEAM_TREND_RULE_FLAGGED_SHARE,
	domain.RuleRPEDrift:                 commonv1.TeamTrendRule_TEAM_TREND_RULE_RPE_DRIFT,
	domain.RuleLoadSpikeFallingWellness: commonv1.TeamTrendRule_TEAM_TREND_RULE_LOAD_SPIKE_FALLING_WELLNESS,
}

var familyWire = map[domain.Family]commonv1.SignalFamily{
	domain.FamilyHarderAtFamiliarLoads: commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS,
	domain.FamilyMotivationSleep:       commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP,
	domain.FamilyLoadSpike:             commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE,
}

// WireRule converts a team-trend rule.
func WireRule(r domain.Rule) commonv1.TeamTrendRule { return ruleWire[r] }

// WireDate converts a UTC day to the wire date.
func WireDate(d time.Time) *commonv1.Date {
	y, m, dd := d.Date()
	return &commonv1.Date{Year: int32(y), Month: int32(m), Day: int32(dd)}
}

func wireEvidence(evs []*domain.Evidence) []*eventsv1.Evidence {
	if evs == nil {
		return nil
	}
	out := make([]*eventsv1.Evidence, len(evs))
	for i, e := range evs {
		w := &eventsv1.Evidence{
			Family: familyWire[e.Family], Metric: e.Metric, Unit: e.Unit, Value: e.Value, Baseline: e.Baseline,
			Threshold: e.Threshold, Abnormal: e.Abnormal, InsufficientData: e.InsufficientData,
			AbnormalDays: e.AbnormalDays, WindowDays: e.WindowDays, Detail: e.Detail,
		}
		if e.Dates != nil {
			w.Dates = make([]*commonv1.Date, len(e.Dates))
			for j, d := range e.Dates {
				w.Dates[j] = WireDate(d)
			}
		}
		out[i] = w
	}
	return out
}
