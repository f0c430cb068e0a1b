package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

// Profile returns one athlete's profile with its revision.
func (s *Service) Profile(ctx context.Context, team, athlete string) (*programmingv1.AthleteProfile, error) {
	p, rev, err := s.tables.Profiles.Get(ctx, Key(team, athlete))
	if err != nil {
		return nil, err
	}
	p.Revision = rev
	return p, nil
}

// Profiles lists a team's profiles sorted by athlete, optionally one position group and the
// inactive ones.
func (s *Service) Profiles(ctx context.Context, team, group string, includeInactive bool) ([]*programmingv1.AthleteProfile, error) {
	all, err := s.tables.Profiles.List(ctx, team)
	if err != nil {
		return nil, err
	}
	var out []*programmingv1.AthleteProfile
	for _, v := range all {
		p := v.Value
		p.Revision = v.Revision
		if (!includeInactive && !p.GetActive()) || (group != "" && !strings.EqualFold(group, p.GetPositionGroup())) {
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *programmingv1.AthleteProfile) int {
		return strings.Compare(a.GetAthleteId(), b.GetAthleteId())
	})
	return out, nil
}

// PutProfile stores a validated profile (see Table.Put for expected) and publishes
// AthleteProfileUpdated. A changed experience level re-plans the athlete's planned deloads.
func (s *Service) PutProfile(ctx context.Context, team, athlete string, p *programmingv1.AthleteProfile, expected *uint64, by string) (*programmingv1.AthleteProfile, error) {
	p = proto.Clone(p).(*programmingv1.AthleteProfile)
	p.TeamId, p.AthleteId = team, athlete
	p.Active = true
	p.Revision = 0
	p.UpdatedAt = timestamppb.New(s.now())
	p.UpdatedBy = actor(by)
	rev, err := s.tables.Profiles.Put(ctx, Key(team, athlete), p, expected)
	if err != nil {
		return nil, err
	}
	p.Revision = rev
	if err := s.publishProfile(ctx, p); err != nil {
		return nil, err
	}
	if _, err := s.replan(ctx, team, athlete, s.byClock()); err != nil {
		return nil, fmt.Errorf("re-plan deloads after the profile change: %w", err)
	}
	return p, nil
}

// DeleteProfile marks the athlete inactive; history stays.
func (s *Service) DeleteProfile(ctx context.Context, team, athlete string, expected *uint64, by string) (*programmingv1.AthleteProfile, error) {
	p, rev, err := s.tables.Profiles.Get(ctx, Key(team, athlete))
	if err != nil {
		return nil, err
	}
	if expected != nil && *expected != rev {
		return nil, fault.FailedPrecondition("profile %s/%s is at revision %d, not %d: reload and retry", team, athlete, rev, *expected)
	}
	p.Active = false
	p.Revision = 0
	p.UpdatedAt = timestamppb.New(s.now())
	p.UpdatedBy = actor(by)
	newRev, err := s.tables.Profiles.Put(ctx, Key(team, athlete), p, &rev)
	if err != nil {
		return nil, err
	}
	p.Revision = newRev
	return p, s.publishProfile(ctx, p)
}

func (s *Service) publishProfile(ctx context.Context, p *programmingv1.AthleteProfile) error {
	ev := &eventsv1.Event{
		Id:     events.DeterministicID("profile_updated", p.GetTeamId(), p.GetAthleteId(), fmt.Sprint(p.GetRevision())),
		TeamId: p.GetTeamId(), AthleteId: p.GetAthleteId(), Source: Source, OccurredAt: p.GetUpdatedAt(),
		Payload: &eventsv1.Event_AthleteProfileUpdated{AthleteProfileUpdated: &eventsv1.AthleteProfileUpdated{
			DisplayName: p.GetDisplayName(), PositionGroup: p.GetPositionGroup(), ExperienceLevel: p.GetExperienceLevel(),
			Active: p.GetActive(), Revision: p.GetRevision(),
		}},
	}
	if err := s.pub.Publish(ctx, ev); err != nil {
		return fmt.Errorf("publish profile update: %w", err)
	}
	return nil
}
