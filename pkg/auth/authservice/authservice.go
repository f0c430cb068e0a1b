// Package authservice implements supercomp.auth.v1.AuthService: who am I, tokens for `sc login`,
// teams, API keys and grants, and signing-key rotation. Access to it is enforced like every other
// service's, by the auth.Guard interceptors and the rules in auth.proto; every change is audited
// on the AUDIT stream.
package authservice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // team time zones are validated and read on machines without /usr/share/zoneinfo

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/audit"
	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/fault"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	"github.com/supercomp/supercomp/pkg/lifecycle"
)

// Service is the AuthService server and the module hosts register.
type Service struct {
	authv1.UnimplementedAuthServiceServer
	authn    *auth.Authenticator
	bus      *bus.Bus
	auditLog AuditLog
	now      func() time.Time
}

// AuditLog reads the recorded audit trail back (audit.Log over the host's store).
type AuditLog interface {
	List(ctx context.Context, q audit.Query) (audit.Page, error)
}

// Option configures a Service.
type Option func(*Service)

// WithAuditLog lets ListAuditRecords answer from log; without it the call is Unavailable.
func WithAuditLog(log AuditLog) Option {
	return func(s *Service) { s.auditLog = log }
}

// New returns the service over authn's store and keyring, auditing on b.
func New(authn *auth.Authenticator, b *bus.Bus, opts ...Option) *Service {
	s := &Service{authn: authn, bus: b, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name is the module name.
func (s *Service) Name() string { return "auth" }

// Register adds AuthService to the server.
func (s *Service) Register(srv *grpc.Server) { authv1.RegisterAuthServiceServer(srv, s) }

// GRPCServices names the service for health.
func (s *Service) GRPCServices() []string {
	return []string{authv1.AuthService_ServiceDesc.ServiceName}
}

// Components: none, the service only answers calls.
func (s *Service) Components() []lifecycle.Component { return nil }

func caller(ctx context.Context) (*auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, fault.Unauthenticated("no authenticated principal (is the auth interceptor installed?)")
	}
	return p, nil
}

// WhoAmI returns the calling principal.
func (s *Service) WhoAmI(ctx context.Context, _ *authv1.WhoAmIRequest) (*authv1.WhoAmIResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return &authv1.WhoAmIResponse{Principal: p.Proto(), CredentialKind: p.Credential, ExpiresAt: p.ExpiresAtProto()}, nil
}

// IssueToken signs a token for the caller.
func (s *Service) IssueToken(ctx context.Context, req *authv1.IssueTokenRequest) (*authv1.IssueTokenResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var ttl time.Duration
	if req.GetTtl() != nil {
		ttl = req.GetTtl().AsDuration()
		if ttl < 0 || ttl > auth.MaxTokenTTL {
			return nil, fault.InvalidField("ttl", "must be between 0 (default %s) and %s", auth.DefaultTokenTTL, auth.MaxTokenTTL)
		}
	}
	token, exp, kid, err := s.authn.Tokens().Issue(ctx, p, ttl)
	if err != nil {
		return nil, err
	}
	return &authv1.IssueTokenResponse{Token: token, ExpiresAt: timestamppb.New(exp), SigningKeyId: kid}, nil
}

// RevokeToken ends the caller's token everywhere (sign-out). The revocation is audited like a
// key's, so the trail says when a session ended early.
func (s *Service) RevokeToken(ctx context.Context, _ *authv1.RevokeTokenRequest) (*authv1.RevokeTokenResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.Credential != auth.CredentialToken || p.TokenID == "" {
		return &authv1.RevokeTokenResponse{}, nil
	}
	if err := s.authn.Store().RevokeToken(ctx, p.TokenID, p.TokenExpiresAt, s.now()); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, p, "token.revoke", "token", p.TokenID, authv1.AuthService_RevokeToken_FullMethodName,
		"signed out", teamsOf(p.Grants)); err != nil {
		return nil, err
	}
	return &authv1.RevokeTokenResponse{Revoked: true, ExpiresAt: timestamppb.New(p.TokenExpiresAt)}, nil
}

var weightUnitNames = map[commonv1.WeightUnit]string{commonv1.WeightUnit_WEIGHT_UNIT_KG: "kg", commonv1.WeightUnit_WEIGHT_UNIT_LB: "lb"}

func preferencesProto(r *auth.PreferencesRecord) *authv1.Preferences {
	out := &authv1.Preferences{}
	for unit, name := range weightUnitNames {
		if r.WeightUnit == name {
			out.WeightUnit = unit
		}
	}
	return out
}

// GetPreferences returns the caller's display preferences.
func (s *Service) GetPreferences(ctx context.Context, _ *authv1.GetPreferencesRequest) (*authv1.GetPreferencesResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.authn.Store().Preferences(ctx, p.Subject)
	if err != nil {
		return nil, fault.Unavailable("read preferences: %w", err)
	}
	return &authv1.GetPreferencesResponse{Preferences: preferencesProto(r)}, nil
}

// SetPreferences replaces the caller's display preferences.
func (s *Service) SetPreferences(ctx context.Context, req *authv1.SetPreferencesRequest) (*authv1.SetPreferencesResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r := &auth.PreferencesRecord{UpdatedAt: s.now().UTC()}
	if u := req.GetPreferences().GetWeightUnit(); u != commonv1.WeightUnit_WEIGHT_UNIT_UNSPECIFIED {
		name, ok := weightUnitNames[u]
		if !ok {
			return nil, fault.InvalidField("preferences.weight_unit", "unknown weight unit %d: kg or lb", u)
		}
		r.WeightUnit = name
	}
	if err := s.authn.Store().SetPreferences(ctx, p.Subject, r); err != nil {
		return nil, err
	}
	return &authv1.SetPreferencesResponse{Preferences: preferencesProto(r)}, nil
}

// CreateTeam stores a team.
func (s *Service) CreateTeam(ctx context.Context, req *authv1.CreateTeamRequest) (*authv1.CreateTeamResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var inv fault.Invalid
	id, name := req.GetTeam().GetTeamId(), strings.TrimSpace(req.GetTeam().GetName())
	if !ids.Valid(id) || strings.HasPrefix(id, "_") {
		inv.Add("team.team_id", "%q is not a team id (%s, not starting with _)", id, ids.Rule)
	}
	if name == "" {
		inv.Add("team.name", "is required")
	}
	zone := strings.TrimSpace(req.GetTeam().GetTimeZone())
	if problem := timeZoneProblem(zone); zone != "" && problem != "" {
		inv.Add("team.time_zone", "%s", problem)
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	t := &auth.TeamRecord{ID: id, Name: name, CreatedAt: s.now().UTC(), CreatedBy: auth.ActorRecordOf(p.Actor()), TimeZone: zone}
	if err := s.authn.Store().CreateTeam(ctx, t); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, p, "team.create", "team", id, authv1.AuthService_CreateTeam_FullMethodName, "name "+name, []string{id}); err != nil {
		return nil, err
	}
	return &authv1.CreateTeamResponse{Team: teamProto(t)}, nil
}

// ListTeams lists teams.
func (s *Service) ListTeams(ctx context.Context, _ *authv1.ListTeamsRequest) (*authv1.ListTeamsResponse, error) {
	teams, err := s.authn.Store().Teams(ctx)
	if err != nil {
		return nil, err
	}
	out := &authv1.ListTeamsResponse{}
	for _, t := range teams {
		out.Teams = append(out.Teams, teamProto(t))
	}
	return out, nil
}

// GetTeam returns one team to anyone granted it (the guard checks team_id). Teams work without
// a record (imports and grants name them freely), so a team never created reads as its id in
// UTC rather than NotFound: every console page asks, and a team's pages must not fail for it.
func (s *Service) GetTeam(ctx context.Context, req *authv1.GetTeamRequest) (*authv1.GetTeamResponse, error) {
	if !bus.ValidToken(req.GetTeamId()) {
		return nil, fault.InvalidField("team_id", "%q is not a team id ([A-Za-z0-9_-]{1,64})", req.GetTeamId())
	}
	t, err := s.authn.Store().Team(ctx, req.GetTeamId())
	if errors.Is(err, fault.ErrNotFound) {
		return &authv1.GetTeamResponse{Team: &authv1.Team{TeamId: req.GetTeamId(), TimeZone: time.UTC.String()}}, nil
	}
	if err != nil {
		return nil, err
	}
	return &authv1.GetTeamResponse{Team: teamProto(t)}, nil
}

// SetTeamTimeZone changes the zone a team's days are counted in.
func (s *Service) SetTeamTimeZone(ctx context.Context, req *authv1.SetTeamTimeZoneRequest) (*authv1.SetTeamTimeZoneResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var inv fault.Invalid
	id, zone := req.GetTeamId(), strings.TrimSpace(req.GetTimeZone())
	if !bus.ValidToken(id) {
		inv.Add("team_id", "%q is not a team id ([A-Za-z0-9_-]{1,64})", id)
	}
	if problem := timeZoneProblem(zone); problem != "" {
		inv.Add("time_zone", "%s", problem)
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	t, err := s.authn.Store().SetTeamTimeZone(ctx, id, zone)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, p, "team.time_zone", "team", id, authv1.AuthService_SetTeamTimeZone_FullMethodName, "time zone "+zone, []string{id}); err != nil {
		return nil, err
	}
	return &authv1.SetTeamTimeZoneResponse{Team: teamProto(t)}, nil
}

// timeZoneProblem says why zone is not an IANA time zone name, or "" when it is one. "Local"
// is refused: it would mean the server's zone, which differs between machines.
func timeZoneProblem(zone string) string {
	switch {
	case zone == "":
		return `is required: an IANA time zone name such as "Europe/London" or "UTC"`
	case zone == "Local" || strings.EqualFold(zone, "local"):
		return `"Local" is the server's zone, not a team's: give an IANA name such as "Europe/London"`
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return fmt.Sprintf("%q is not an IANA time zone name (e.g. \"Europe/London\", \"America/New_York\", \"UTC\")", zone)
	}
	return ""
}

func teamProto(t *auth.TeamRecord) *authv1.Team {
	return &authv1.Team{TeamId: t.ID, Name: t.Name, CreatedAt: timestamppb.New(t.CreatedAt),
		CreatedBy: &commonv1.Actor{Subject: t.CreatedBy.Subject, Role: t.CreatedBy.Role, DisplayName: t.CreatedBy.DisplayName},
		TimeZone:  t.Location().String()}
}

// CreateApiKey creates a key and returns its secret, once.
func (s *Service) CreateApiKey(ctx context.Context, req *authv1.CreateApiKeyRequest) (*authv1.CreateApiKeyResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	spec := auth.KeySpec{Name: strings.TrimSpace(req.GetName()), Role: req.GetRole(), Grants: auth.GrantsFromProto(req.GetGrants())}
	if req.GetTtl() != nil {
		spec.TTL = req.GetTtl().AsDuration()
	}
	if req.GetSingleUseWithin() != nil {
		spec.SingleUseWithin = req.GetSingleUseWithin().AsDuration()
	}
	k, secret, err := s.authn.Store().CreateKey(ctx, spec, p.Actor(), s.now())
	if err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("role %s, grants %s", auth.RoleName(k.Role), grantsText(k.Grants))
	if !k.ExpiresAt.IsZero() {
		detail += ", expires " + k.ExpiresAt.Format(time.RFC3339)
	}
	if k.OneTime() {
		detail += ", one-time, use by " + k.UseBy.Format(time.RFC3339)
	}
	if err := s.audit(ctx, p, "apikey.create", "api_key", k.ID, authv1.AuthService_CreateApiKey_FullMethodName, detail, teamsOf(k.Grants)); err != nil {
		return nil, err
	}
	return &authv1.CreateApiKeyResponse{Key: k.Proto(), Secret: secret}, nil
}

// ListApiKeys lists key metadata, never secrets.
func (s *Service) ListApiKeys(ctx context.Context, req *authv1.ListApiKeysRequest) (*authv1.ListApiKeysResponse, error) {
	keys, err := s.authn.Store().Keys(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &authv1.ListApiKeysResponse{}
	for _, k := range keys {
		if !req.GetIncludeInactive() && !k.Active(now) {
			continue
		}
		if req.GetTeamId() != "" && !slices.Contains(teamsOf(k.Grants), req.GetTeamId()) {
			continue
		}
		out.Keys = append(out.Keys, k.Proto())
	}
	return out, nil
}

// RevokeApiKey revokes a key; tokens issued from it stop working with it.
func (s *Service) RevokeApiKey(ctx context.Context, req *authv1.RevokeApiKeyRequest) (*authv1.RevokeApiKeyResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetKeyId() == "" {
		return nil, fault.InvalidField("key_id", "is required")
	}
	if req.GetKeyId() == p.Subject {
		return nil, fault.FailedPrecondition("refusing to revoke the key this call is made with (%s)", p.Subject)
	}
	k, err := s.authn.Store().RevokeKey(ctx, req.GetKeyId(), s.now())
	if err != nil {
		return nil, err
	}
	detail := "reason: " + req.GetReason()
	if err := s.audit(ctx, p, "apikey.revoke", "api_key", k.ID, authv1.AuthService_RevokeApiKey_FullMethodName, detail, teamsOf(k.Grants)); err != nil {
		return nil, err
	}
	return &authv1.RevokeApiKeyResponse{Key: k.Proto()}, nil
}

// ListGrants lists keys with their grants.
func (s *Service) ListGrants(ctx context.Context, req *authv1.ListGrantsRequest) (*authv1.ListGrantsResponse, error) {
	keys, err := s.authn.Store().Keys(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &authv1.ListGrantsResponse{}
	for _, k := range keys {
		if !k.Active(now) || (req.GetTeamId() != "" && !slices.Contains(teamsOf(k.Grants), req.GetTeamId())) {
			continue
		}
		out.Keys = append(out.Keys, &authv1.KeyGrants{KeyId: k.ID, Name: k.Name, Role: k.Role, Grants: auth.GrantsToProto(k.Grants)})
	}
	return out, nil
}

// SetGrants replaces a key's grants.
func (s *Service) SetGrants(ctx context.Context, req *authv1.SetGrantsRequest) (*authv1.SetGrantsResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetKeyId() == "" {
		return nil, fault.InvalidField("key_id", "is required")
	}
	before, err := s.authn.Store().Key(ctx, req.GetKeyId())
	if err != nil {
		return nil, err
	}
	k, err := s.authn.Store().SetGrants(ctx, req.GetKeyId(), auth.GrantsFromProto(req.GetGrants()), req.ExpectedRevision)
	if err != nil {
		return nil, err
	}
	detail := grantsText(before.Grants) + " -> " + grantsText(k.Grants)
	teams := teamsOf(append(slices.Clone(before.Grants), k.Grants...))
	if err := s.audit(ctx, p, "grant.update", "api_key", k.ID, authv1.AuthService_SetGrants_FullMethodName, detail, teams); err != nil {
		return nil, err
	}
	return &authv1.SetGrantsResponse{Key: k.Proto()}, nil
}

// RotateSigningKey starts signing with a new key.
func (s *Service) RotateSigningKey(ctx context.Context, _ *authv1.RotateSigningKeyRequest) (*authv1.RotateSigningKeyResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	current, retired, err := s.authn.Tokens().Rotate(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, p, "signing_key.rotate", "signing_key", current, authv1.AuthService_RotateSigningKey_FullMethodName,
		"retired "+strings.Join(retired, ","), nil); err != nil {
		return nil, err
	}
	return &authv1.RotateSigningKeyResponse{SigningKeyId: current, RetiredKeyIds: retired}, nil
}

// ListAuditRecords reads one page of the audit trail. The guard has already checked the team:
// a coach's must be granted, and only an admin may ask for no team (every team).
func (s *Service) ListAuditRecords(ctx context.Context, req *authv1.ListAuditRecordsRequest) (*authv1.ListAuditRecordsResponse, error) {
	var inv fault.Invalid
	q := audit.Query{Team: req.GetTeamId(), Actor: strings.TrimSpace(req.GetActorSubject()), Resource: strings.TrimSpace(req.GetResourceId()),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()}
	if q.Team != "" && q.Team != auth.PlatformTeam && !bus.ValidToken(q.Team) {
		inv.Add("team_id", "%q is not a team id", q.Team)
	}
	for i, a := range req.GetActions() {
		if a = strings.TrimSpace(a); a == "" {
			inv.Add(fault.Field("actions", i), "is empty")
		} else {
			q.Actions = append(q.Actions, a)
		}
	}
	if req.GetPageSize() > audit.MaxPageSize {
		inv.Add("page_size", "must be at most %d, got %d", audit.MaxPageSize, req.GetPageSize())
	}
	if ts := req.GetSince(); ts != nil {
		q.Since = ts.AsTime()
	}
	if ts := req.GetUntil(); ts != nil {
		q.Until = ts.AsTime()
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		inv.Add("until", "must be after since")
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	if s.auditLog == nil {
		return nil, fault.Unavailable("this server reads no audit log (it needs ClickHouse)")
	}
	page, err := s.auditLog.List(ctx, q)
	if errors.Is(err, audit.ErrBadPageToken) {
		return nil, fault.InvalidField("page_token", "is not a token from a previous response")
	}
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	resp := &authv1.ListAuditRecordsResponse{NextPageToken: page.NextPageToken}
	for _, e := range page.Entries {
		resp.Records = append(resp.Records, auditRecordProto(e))
	}
	return resp, nil
}

func auditRecordProto(e audit.Entry) *authv1.AuditRecord {
	// The recorder stores the role as its lower-case name and an empty one for a service.
	role, _ := auth.ParseRole(e.ActorRole)
	return &authv1.AuditRecord{EventId: e.EventID, TeamId: e.TeamID, OccurredAt: timestamppb.New(e.OccurredAt),
		Actor: &commonv1.Actor{Subject: e.ActorSubject, Role: role}, Action: e.Action, ResourceType: e.ResourceType,
		ResourceId: e.ResourceID, Rpc: e.RPC, Detail: e.Detail}
}

// audit records the change; the change itself is already stored, so a failure here is reported
// to the caller as unavailable rather than hidden.
func (s *Service) audit(ctx context.Context, p *auth.Principal, action, resType, resID, rpc, detail string, teams []string) error {
	if s.bus == nil {
		return nil
	}
	err := auth.RecordAudit(ctx, s.bus, auth.Audit{Actor: p.Actor(), Action: action, ResourceType: resType, ResourceID: resID,
		RPC: rpc, Detail: detail, Teams: teams})
	if err != nil {
		return fault.Unavailable("%s done but not audited: %w", action, err)
	}
	return nil
}

func teamsOf(grants []auth.Grant) []string {
	var teams []string
	for _, g := range grants {
		if !slices.Contains(teams, g.TeamID) {
			teams = append(teams, g.TeamID)
		}
	}
	slices.Sort(teams)
	return teams
}

// grantsText renders grants as the CLI takes them: "t1,t2:a1+a2".
func grantsText(grants []auth.Grant) string {
	if len(grants) == 0 {
		return "(none)"
	}
	parts := make([]string, 0, len(grants))
	for _, g := range grants {
		if len(g.AthleteIDs) == 0 {
			parts = append(parts, g.TeamID)
		} else {
			parts = append(parts, g.TeamID+":"+strings.Join(g.AthleteIDs, "+"))
		}
	}
	return strings.Join(parts, ",")
}
