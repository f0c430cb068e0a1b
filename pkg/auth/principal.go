// Package auth is access control for a platform that holds health data: who is calling
// (principals authenticated by API keys or signed tokens), what their role may call (the
// `supercomp.common.v1.access` rule declared on every RPC) and which teams and athletes they may
// touch (their grants). It is enforced in one place, the gRPC interceptors of Guard, so a
// service never checks credentials itself and a request naming another team's data is refused
// before any handler runs.
//
// Keys, teams and the signing keyring live in one JetStream key-value bucket (Store), shared by
// every process that talks to the same NATS: a standalone service verifies the tokens the
// all-in-one issued, and a revocation takes effect everywhere on the next call.
package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// Credential kinds, as WhoAmI reports them.
const (
	CredentialAPIKey = "api_key"
	CredentialToken  = "token"
)

// Grant is access to one team, optionally only to listed athletes.
type Grant struct {
	TeamID string `json:"team_id"`
	// AthleteIDs restricts the grant to these athletes; empty means the whole team.
	AthleteIDs []string `json:"athlete_ids,omitempty"`
}

// Principal is an authenticated caller.
type Principal struct {
	// Subject is the stable id: the API key id (tokens carry the id of the key they came from).
	Subject     string
	DisplayName string
	Role        commonv1.Role
	// Grants are the teams (and athletes) the principal may act on; admins need none.
	Grants []Grant
	// Credential is CredentialAPIKey or CredentialToken.
	Credential string
	// ExpiresAt is when the credential stops working; zero when it does not expire.
	ExpiresAt time.Time
	// TokenID and TokenExpiresAt are the token's id (its JWT `jti`) and own expiry when the
	// credential is a token: what RevokeToken records.
	TokenID        string
	TokenExpiresAt time.Time
}

// Grant returns the principal's grant on team.
func (p *Principal) Grant(team string) (Grant, bool) {
	for _, g := range p.Grants {
		if g.TeamID == team {
			return g, true
		}
	}
	return Grant{}, false
}

// Teams are the granted team ids, sorted.
func (p *Principal) Teams() []string {
	teams := make([]string, 0, len(p.Grants))
	for _, g := range p.Grants {
		teams = append(teams, g.TeamID)
	}
	slices.Sort(teams)
	return teams
}

// Actor is the principal as recorded with decisions and audit events.
func (p *Principal) Actor() *commonv1.Actor {
	return &commonv1.Actor{Subject: p.Subject, Role: p.Role, DisplayName: p.DisplayName}
}

// Proto is the principal on the wire (WhoAmI).
func (p *Principal) Proto() *authv1.Principal {
	return &authv1.Principal{Subject: p.Subject, DisplayName: p.DisplayName, Role: p.Role, Grants: GrantsToProto(p.Grants)}
}

// ExpiresAtProto is ExpiresAt as a timestamp, nil when the credential does not expire.
func (p *Principal) ExpiresAtProto() *timestamppb.Timestamp {
	if p.ExpiresAt.IsZero() {
		return nil
	}
	return timestamppb.New(p.ExpiresAt)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal the interceptor authenticated for this call.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// ActorFromContext is the calling principal as an Actor, or nil on an unauthenticated context
// (a service's own tests that call handlers directly).
func ActorFromContext(ctx context.Context) *commonv1.Actor {
	if p, ok := FromContext(ctx); ok {
		return p.Actor()
	}
	return nil
}

// RoleName is the short lower-case name of a role ("coach"), used in tokens, flags and tables.
func RoleName(r commonv1.Role) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}

// ParseRole reads a role name ("coach" or "ROLE_COACH"); ROLE_UNSPECIFIED is never valid.
func ParseRole(s string) (commonv1.Role, bool) {
	name := "ROLE_" + strings.ToUpper(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "ROLE_"))
	v, ok := commonv1.Role_value[name]
	if !ok || v == int32(commonv1.Role_ROLE_UNSPECIFIED) {
		return commonv1.Role_ROLE_UNSPECIFIED, false
	}
	return commonv1.Role(v), true
}

// GrantsToProto converts grants for the wire.
func GrantsToProto(grants []Grant) []*authv1.TeamGrant {
	out := make([]*authv1.TeamGrant, 0, len(grants))
	for _, g := range grants {
		out = append(out, &authv1.TeamGrant{TeamId: g.TeamID, AthleteIds: slices.Clone(g.AthleteIDs)})
	}
	return out
}

// GrantsFromProto converts grants from the wire (not validated; see ValidateGrants).
func GrantsFromProto(grants []*authv1.TeamGrant) []Grant {
	out := make([]Grant, 0, len(grants))
	for _, g := range grants {
		out = append(out, Grant{TeamID: g.GetTeamId(), AthleteIDs: slices.Clone(g.GetAthleteIds())})
	}
	return out
}

// GrantedTeams is what a query may read on behalf of ctx's caller: restricted is false for
// admins and for calls without a principal (a service's own work, tests that call handlers
// directly), which read what they ask for; otherwise teams lists the granted teams, so
// repositories can bind them into the query itself as a second line behind the Guard.
func GrantedTeams(ctx context.Context) (teams []string, restricted bool) {
	p, ok := FromContext(ctx)
	if !ok || p.Role == commonv1.Role_ROLE_ADMIN {
		return nil, false
	}
	teams = make([]string, 0, len(p.Grants))
	for _, g := range p.Grants {
		teams = append(teams, g.TeamID)
	}
	return teams, true
}
