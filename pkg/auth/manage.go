package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/pkg/ids"
)

// KeySpec is what a new API key is made of.
type KeySpec struct {
	Name   string
	Role   commonv1.Role
	Grants []Grant
	// TTL is the key's lifetime; zero means no expiry.
	TTL time.Duration
	// SingleUseWithin makes the key one-time: it authenticates one call, made within this time.
	// Zero for an ordinary key.
	SingleUseWithin time.Duration
}

// MaxSingleUseWithin bounds how long a one-time key waits for its use: a sign-in link is meant
// to be clicked soon, and an unused one is a live credential until then.
const MaxSingleUseWithin = 24 * time.Hour

// Validate reports every problem with the spec as field violations. Athlete keys must be
// restricted to listed athletes (an athlete reads only their own data).
func (s KeySpec) Validate() error {
	var inv fault.Invalid
	if s.Name == "" {
		inv.Add("name", "is required")
	}
	if _, ok := ParseRole(RoleName(s.Role)); !ok {
		inv.Add("role", "must be one of device, athlete, coach, staff, admin")
	}
	if s.TTL < 0 {
		inv.Add("ttl", "must not be negative")
	}
	if s.SingleUseWithin < 0 || s.SingleUseWithin > MaxSingleUseWithin {
		inv.Add("single_use_within", "must be between 0 and %s", MaxSingleUseWithin)
	}
	// The token a one-time key is exchanged for lives until the key expires, so a one-time key
	// without an expiry would give a session that never ends.
	if s.SingleUseWithin > 0 && (s.TTL <= 0 || s.TTL < s.SingleUseWithin) {
		inv.Add("ttl", "a one-time key needs a ttl of at least single_use_within (%s)", s.SingleUseWithin)
	}
	if s.Role != commonv1.Role_ROLE_ADMIN && s.Role != commonv1.Role_ROLE_UNSPECIFIED && len(s.Grants) == 0 {
		inv.Add("grants", "are required for every role but admin")
	}
	validateGrants(&inv, s.Role, s.Grants)
	return inv.Err()
}

// validateGrants checks team and athlete ids are subject-safe tokens, teams are not repeated and
// athlete keys name their athletes.
func validateGrants(inv *fault.Invalid, role commonv1.Role, grants []Grant) {
	seen := map[string]bool{}
	for i, g := range grants {
		field := fmt.Sprintf("grants[%d]", i)
		if !ids.Valid(g.TeamID) || g.TeamID[0] == '_' {
			inv.Add(field+".team_id", "%q is not a team id (%s, not starting with _)", g.TeamID, ids.Rule)
		}
		if seen[g.TeamID] {
			inv.Add(field+".team_id", "team %q is granted twice", g.TeamID)
		}
		seen[g.TeamID] = true
		if role == commonv1.Role_ROLE_ATHLETE && len(g.AthleteIDs) == 0 {
			inv.Add(field+".athlete_ids", "an athlete key must list its athlete")
		}
		for j, a := range g.AthleteIDs {
			ids.CheckAthlete(inv, fmt.Sprintf("%s.athlete_ids[%d]", field, j), a)
		}
	}
}

// ValidateGrants checks grants for a key of role (SetGrants).
func ValidateGrants(role commonv1.Role, grants []Grant) error {
	var inv fault.Invalid
	validateGrants(&inv, role, grants)
	if role != commonv1.Role_ROLE_ADMIN && len(grants) == 0 {
		inv.Add("grants", "are required for every role but admin")
	}
	return inv.Err()
}

// CreateKey stores a new key made from spec and returns it with the full key, which is never
// stored and cannot be shown again.
func (s *Store) CreateKey(ctx context.Context, spec KeySpec, by *commonv1.Actor, now time.Time) (*KeyRecord, string, error) {
	if err := spec.Validate(); err != nil {
		return nil, "", err
	}
	id, presented, err := NewAPIKey()
	if err != nil {
		return nil, "", err
	}
	k := newRecord(id, presented, spec, by, now)
	if err := s.insertKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, presented, nil
}

func newRecord(id, presented string, spec KeySpec, by *commonv1.Actor, now time.Time) *KeyRecord {
	k := &KeyRecord{
		ID: id, Name: spec.Name, Role: spec.Role, Grants: spec.Grants, Hash: HashKey(presented),
		CreatedAt: now.UTC(), CreatedBy: ActorRecordOf(by),
	}
	if spec.TTL > 0 {
		k.ExpiresAt = now.Add(spec.TTL).UTC()
	}
	if spec.SingleUseWithin > 0 {
		k.UseBy = now.Add(spec.SingleUseWithin).UTC()
	}
	return k
}

// EnsureAdminKey registers presented (an operator-chosen --admin-key, or the one the platform
// generated into its credentials file) as a non-expiring admin key, unless it already is one.
// It returns the key id and whether it was created now.
func (s *Store) EnsureAdminKey(ctx context.Context, presented string, now time.Time) (string, bool, error) {
	if len(presented) < MinOperatorKeyLen {
		return "", false, fmt.Errorf("admin key must be at least %d characters", MinOperatorKeyLen)
	}
	id := KeyIDOf(presented)
	existing, err := s.Key(ctx, id)
	switch {
	case err == nil && existing.Matches(presented) && existing.Role == commonv1.Role_ROLE_ADMIN:
		if !existing.RevokedAt.IsZero() {
			return "", false, fmt.Errorf("admin key %s was revoked: choose a new one", id)
		}
		return id, false, nil
	case err == nil:
		return "", false, fmt.Errorf("admin key id %s is taken by another key", id)
	case !errors.Is(err, fault.ErrNotFound):
		return "", false, err
	}
	k := newRecord(id, presented, KeySpec{Name: "bootstrap admin", Role: commonv1.Role_ROLE_ADMIN}, nil, now)
	if err := s.insertKey(ctx, k); err != nil {
		return "", false, err
	}
	return id, true, nil
}

// RevokeKey marks a key revoked; revoking it again keeps the first revocation time.
func (s *Store) RevokeKey(ctx context.Context, id string, now time.Time) (*KeyRecord, error) {
	k, err := s.Key(ctx, id)
	if err != nil {
		return nil, err
	}
	if k.RevokedAt.IsZero() {
		k.RevokedAt = now.UTC()
		if err := s.UpdateKey(ctx, k); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// SetGrants replaces a key's grants, only if it is still at expectedRevision when that is set.
func (s *Store) SetGrants(ctx context.Context, id string, grants []Grant, expectedRevision *uint64) (*KeyRecord, error) {
	k, err := s.Key(ctx, id)
	if err != nil {
		return nil, err
	}
	if expectedRevision != nil && *expectedRevision != k.Revision {
		return nil, fault.FailedPrecondition("api key %q is at revision %d, not %d", id, k.Revision, *expectedRevision)
	}
	if err := ValidateGrants(k.Role, grants); err != nil {
		return nil, err
	}
	k.Grants = slices.Clone(grants)
	if err := s.UpdateKey(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}
