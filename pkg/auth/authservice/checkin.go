package authservice

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/fault"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// Check-in links are athlete keys bound to exactly one athlete of one team. Coaches hand them
// out, so these calls let a coach create, list and revoke such keys for their own team (the
// guard checks team_id) and nothing else: the role and grant are fixed here, and a key that is
// not a check-in key of the team is NotFound to them.

// checkinKeyOf reports whether k is a check-in key of team, and its athlete.
func checkinKeyOf(k *auth.KeyRecord, team string) (athlete string, ok bool) {
	if k.Role != commonv1.Role_ROLE_ATHLETE || len(k.Grants) != 1 || k.Grants[0].TeamID != team || len(k.Grants[0].AthleteIDs) != 1 {
		return "", false
	}
	return k.Grants[0].AthleteIDs[0], true
}

// CreateCheckinKey creates an athlete's check-in key and returns its secret, once.
func (s *Service) CreateCheckinKey(ctx context.Context, req *authv1.CreateCheckinKeyRequest) (*authv1.CreateCheckinKeyResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var inv fault.Invalid
	team, athlete := req.GetTeamId(), req.GetAthleteId()
	if !bus.ValidToken(team) {
		inv.Add("team_id", "%q is not a team id ([A-Za-z0-9_-]{1,64})", team)
	}
	if !bus.ValidToken(athlete) {
		inv.Add("athlete_id", "%q is not an athlete id ([A-Za-z0-9_-]{1,64})", athlete)
	}
	var ttl time.Duration
	if req.GetTtl() != nil {
		if ttl = req.GetTtl().AsDuration(); ttl <= 0 {
			inv.Add("ttl", "must be positive, or unset for a link that lasts until revoked")
		}
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	name := cmp.Or(strings.TrimSpace(req.GetName()), fmt.Sprintf("check-in: %s of %s", athlete, team))
	spec := auth.KeySpec{Name: name, Role: commonv1.Role_ROLE_ATHLETE, Grants: []auth.Grant{{TeamID: team, AthleteIDs: []string{athlete}}}, TTL: ttl}
	k, secret, err := s.authn.Store().CreateKey(ctx, spec, p.Actor(), s.now())
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, p, "apikey.create", "api_key", k.ID, authv1.AuthService_CreateCheckinKey_FullMethodName,
		"check-in link for athlete "+athlete, []string{team}); err != nil {
		return nil, err
	}
	return &authv1.CreateCheckinKeyResponse{Key: k.Proto(), Secret: secret}, nil
}

// ListCheckinKeys lists the team's check-in keys, never their secrets.
func (s *Service) ListCheckinKeys(ctx context.Context, req *authv1.ListCheckinKeysRequest) (*authv1.ListCheckinKeysResponse, error) {
	keys, err := s.authn.Store().Keys(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &authv1.ListCheckinKeysResponse{}
	for _, k := range keys {
		athlete, ok := checkinKeyOf(k, req.GetTeamId())
		if !ok || (req.GetAthleteId() != "" && athlete != req.GetAthleteId()) || (!req.GetIncludeInactive() && !k.Active(now)) {
			continue
		}
		out.Keys = append(out.Keys, k.Proto())
	}
	return out, nil
}

// RevokeCheckinKey revokes one of the team's check-in keys; the athlete's sessions end with it.
func (s *Service) RevokeCheckinKey(ctx context.Context, req *authv1.RevokeCheckinKeyRequest) (*authv1.RevokeCheckinKeyResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetKeyId() == "" {
		return nil, fault.InvalidField("key_id", "is required")
	}
	k, err := s.authn.Store().Key(ctx, req.GetKeyId())
	if err != nil {
		return nil, err
	}
	if _, ok := checkinKeyOf(k, req.GetTeamId()); !ok {
		// Said the same way as a missing key: a coach learns nothing of other keys.
		return nil, fault.NotFound("check-in link %q of team %q", req.GetKeyId(), req.GetTeamId())
	}
	k, err = s.authn.Store().RevokeKey(ctx, k.ID, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, p, "apikey.revoke", "api_key", k.ID, authv1.AuthService_RevokeCheckinKey_FullMethodName,
		"check-in link; reason: "+req.GetReason(), []string{req.GetTeamId()}); err != nil {
		return nil, err
	}
	return &authv1.RevokeCheckinKeyResponse{Key: k.Proto()}, nil
}
