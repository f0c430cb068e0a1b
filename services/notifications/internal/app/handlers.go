package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

// HandleEvent applies one ANALYSIS or PROGRAMMING event. Events this service does not alert on
// are ignored (acked). A body that does not decode is poison: it can never succeed.
func (a *App) HandleEvent(ctx context.Context, data []byte) error {
	ev, err := events.Decode(data)
	if err != nil {
		return bus.Poison(err)
	}
	team, athlete := ev.GetTeamId(), ev.GetAthleteId()
	cause := func(kind commonv1.AlertKind, sev commonv1.Severity, title, summary string, ev2 []*eventsv1.Evidence) Cause {
		return Cause{TeamID: team, AthleteID: athlete, SourceEventID: ev.GetId(),
			Content: &eventsv1.AlertContent{Kind: kind, Severity: sev, Title: title, Summary: summary, Evidence: ev2}}
	}
	key := func(kind commonv1.AlertKind, scope string) string {
		return domain.DedupeKey(team, athlete, KindOf(kind), scope)
	}
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_DeloadRecommended:
		r := p.DeloadRecommended
		sev := r.GetSeverity()
		if sev == commonv1.Severity_SEVERITY_UNSPECIFIED {
			sev = commonv1.Severity_SEVERITY_WARNING
		}
		c := cause(commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED, sev,
			fmt.Sprintf("Deload recommended for %s (score %.0f)", athlete, r.GetScore()), r.GetSummary(), r.GetEvidence())
		if c.Content.Summary == "" {
			c.Content.Summary = fmt.Sprintf("Rule %s fired with confidence %.2f.", r.GetRuleFired(), r.GetConfidence())
		}
		c.Content.RecommendationId = r.GetRecommendationId()
		return a.Raise(ctx, c)
	case *eventsv1.Event_JointPainFlagged:
		j := p.JointPainFlagged
		var locs []string
		var evidence []*eventsv1.Evidence
		for _, jp := range j.GetJointPain() {
			locs = append(locs, fmt.Sprintf("%s %d/5", jp.GetLocation(), jp.GetScore()))
			v, th := float64(jp.GetScore()), float64(j.GetThreshold())
			evidence = append(evidence, &eventsv1.Evidence{Family: commonv1.SignalFamily_SIGNAL_FAMILY_SORENESS_JOINT_DISCOMFORT,
				Metric: "joint_pain", Value: &v, Threshold: &th, Unit: "score", Abnormal: true,
				Detail: fmt.Sprintf("Joint pain %s %d/5 (flag level %d), %d consecutive reports", jp.GetLocation(), jp.GetScore(), j.GetThreshold(), j.GetConsecutiveReports())})
		}
		return a.Raise(ctx, cause(commonv1.AlertKind_ALERT_KIND_JOINT_PAIN, commonv1.Severity_SEVERITY_CRITICAL,
			fmt.Sprintf("Joint pain flagged for %s: %s", athlete, strings.Join(locs, ", ")),
			"Joint pain at or above the flag level; route to medical staff.", evidence))
	case *eventsv1.Event_TeamTrendDetected:
		t := p.TeamTrendDetected
		sev := t.GetSeverity()
		if sev == commonv1.Severity_SEVERITY_UNSPECIFIED {
			sev = commonv1.Severity_SEVERITY_CRITICAL
		}
		c := cause(commonv1.AlertKind_ALERT_KIND_TEAM_TREND, sev,
			fmt.Sprintf("Team trend in %s: %d of %d flagged", teamScope(team, t.GetPositionGroup()), t.GetFlaggedCount(), t.GetSquadSize()),
			t.GetSummary(), t.GetEvidence())
		c.Scope = t.GetPositionGroup()
		c.Content.EpisodeId, c.Content.PositionGroup = t.GetEpisodeId(), t.GetPositionGroup()
		return a.Raise(ctx, c)
	case *eventsv1.Event_TeamTrendEnded:
		return a.ResolveKey(ctx, key(commonv1.AlertKind_ALERT_KIND_TEAM_TREND, p.TeamTrendEnded.GetPositionGroup()),
			eventsv1.AlertResolution_ALERT_RESOLUTION_RECOVERED, ev.GetId())
	case *eventsv1.Event_AthleteAssessed:
		if p.AthleteAssessed.GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_OK {
			return a.ResolveKey(ctx, key(commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED, ""),
				eventsv1.AlertResolution_ALERT_RESOLUTION_RECOVERED, ev.GetId())
		}
		return nil
	case *eventsv1.Event_AthleteProfileUpdated:
		return a.State.SetPositionGroup(ctx, team, athlete, p.AthleteProfileUpdated.GetPositionGroup())
	case *eventsv1.Event_DeloadScheduled:
		d := p.DeloadScheduled
		sev := commonv1.Severity_SEVERITY_INFO
		verb := "scheduled"
		if d.GetRequiresApproval() {
			sev, verb = commonv1.Severity_SEVERITY_WARNING, "awaits approval"
		}
		c := cause(commonv1.AlertKind_ALERT_KIND_DELOAD_SCHEDULED, sev,
			fmt.Sprintf("Deload %s for %s (week of %s)", verb, athlete, dateString(d.GetWeekStart())), d.GetReason(), d.GetEvidence())
		c.Content.DeloadId, c.Content.RecommendationId = d.GetDeloadId(), d.GetRecommendationId()
		return a.Raise(ctx, c)
	case *eventsv1.Event_DeloadDecided:
		d := p.DeloadDecided
		decision := strings.ToLower(strings.TrimPrefix(d.GetDecision().String(), "DELOAD_DECISION_"))
		c := cause(commonv1.AlertKind_ALERT_KIND_DELOAD_DECIDED, commonv1.Severity_SEVERITY_INFO,
			fmt.Sprintf("Deload for %s: %s by %s", athlete, decision, actorName(d.GetDecidedBy())), d.GetReason(), nil)
		c.Scope = d.GetDeloadId()
		c.Content.DeloadId = d.GetDeloadId()
		if err := a.Raise(ctx, c); err != nil {
			return err
		}
		switch d.GetDecision() {
		case commonv1.DeloadDecision_DELOAD_DECISION_APPROVE:
			return a.resolveDeloadAlerts(ctx, team, athlete, eventsv1.AlertResolution_ALERT_RESOLUTION_DELOAD_SCHEDULED, ev.GetId())
		case commonv1.DeloadDecision_DELOAD_DECISION_DISMISS:
			return a.resolveDeloadAlerts(ctx, team, athlete, eventsv1.AlertResolution_ALERT_RESOLUTION_DISMISSED, ev.GetId())
		}
		return nil
	case *eventsv1.Event_DeloadCompleted:
		return a.expireScheduledAlert(ctx, key(commonv1.AlertKind_ALERT_KIND_DELOAD_SCHEDULED, ""), p.DeloadCompleted.GetDeloadId(), ev.GetId())
	case *eventsv1.Event_DeloadSkipped:
		return a.expireScheduledAlert(ctx, key(commonv1.AlertKind_ALERT_KIND_DELOAD_SCHEDULED, ""), p.DeloadSkipped.GetDeloadId(), ev.GetId())
	}
	return nil
}

// expireScheduledAlert closes the open "deload scheduled / awaits approval" alert once its
// deload is over or will not happen (completed, skipped, lapsed unapproved), so a coach's
// board does not keep it. Only the alert about that deload: the athlete's open alert may
// already be about another one.
func (a *App) expireScheduledAlert(ctx context.Context, dedupeKey, deloadID, causation string) error {
	k, _, err := a.State.Key(ctx, dedupeKey)
	if err != nil || !k.Active {
		return err
	}
	rec, _, err := a.State.Alert(ctx, k.TeamID, k.AlertID)
	if err != nil {
		return err
	}
	content, err := rec.DecodeContent()
	if err != nil {
		return bus.Poison(err)
	}
	if content.GetDeloadId() != deloadID {
		return nil
	}
	_, err = a.Resolve(ctx, k.TeamID, k.AlertID, eventsv1.AlertResolution_ALERT_RESOLUTION_EXPIRED, nil, "", causation)
	return err
}

func (a *App) resolveDeloadAlerts(ctx context.Context, team, athlete string, r eventsv1.AlertResolution, causation string) error {
	for _, k := range []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED, commonv1.AlertKind_ALERT_KIND_DELOAD_SCHEDULED} {
		if err := a.ResolveKey(ctx, domain.DedupeKey(team, athlete, KindOf(k), ""), r, causation); err != nil {
			return err
		}
	}
	return nil
}

func teamScope(team, group string) string {
	if group == "" {
		return "team " + team
	}
	return team + "/" + group
}

func dateString(d *commonv1.Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

func actorName(a *commonv1.Actor) string {
	if a.GetDisplayName() != "" {
		return a.GetDisplayName()
	}
	if a.GetSubject() != "" {
		return a.GetSubject()
	}
	return "a coach"
}
