package authservice_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/audit"
	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/auth/authservice"
	"github.com/supercomp/supercomp/pkg/auth/authtest"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// bootstrapAdmin starts the auth service on a fresh bus, bootstraps its admin key and returns
// a context signed in as that admin.
func bootstrapAdmin(t *testing.T) (*bus.Bus, *auth.Authenticator, *authservice.Service, context.Context) {
	t.Helper()
	ctx := context.Background()
	b, _ := bustest.New(t)
	authn := authtest.WithAdmin(t, b, "operator-chosen-admin-key-0123456789")
	admin, err := authn.Authenticate(ctx, "operator-chosen-admin-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	return b, authn, authservice.New(authn, b), auth.WithPrincipal(ctx, admin)
}

func TestKeyLifecycleIsAudited(t *testing.T) {
	ctx := context.Background()
	b, _ := bustest.New(t)
	authn, err := auth.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	svc := authservice.New(authn, b)
	adminID, created, err := authn.Store().EnsureAdminKey(ctx, "operator-chosen-admin-key-0123456789", time.Now())
	if err != nil || !created {
		t.Fatalf("bootstrap admin: %v, created %v", err, created)
	}
	admin, err := authn.Authenticate(ctx, "operator-chosen-admin-key-0123456789")
	if err != nil || admin.Subject != adminID || admin.Role != commonv1.Role_ROLE_ADMIN {
		t.Fatalf("admin authenticates as %+v, %v", admin, err)
	}
	actx := auth.WithPrincipal(ctx, admin)

	// Bad input names every field.
	_, err = svc.CreateApiKey(actx, &authv1.CreateApiKeyRequest{Role: commonv1.Role_ROLE_ATHLETE, Grants: []*authv1.TeamGrant{{TeamId: "bad team"}}})
	var inv *fault.Invalid
	if !errors.As(err, &inv) || len(inv.Violations) != 3 {
		t.Fatalf("invalid create = %v; want name, team_id and athlete_ids violations", err)
	}

	resp, err := svc.CreateApiKey(actx, &authv1.CreateApiKeyRequest{Name: "t1 coach", Role: commonv1.Role_ROLE_COACH,
		Grants: []*authv1.TeamGrant{{TeamId: "t1"}}, Ttl: durationpb.New(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	coach, err := authn.Authenticate(ctx, resp.GetSecret())
	if err != nil || coach.Role != commonv1.Role_ROLE_COACH || coach.Teams()[0] != "t1" {
		t.Fatalf("new key authenticates as %+v, %v", coach, err)
	}
	tok, err := svc.IssueToken(auth.WithPrincipal(ctx, coach), &authv1.IssueTokenRequest{Ttl: durationpb.New(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authn.Authenticate(ctx, tok.GetToken()); err != nil {
		t.Fatalf("issued token: %v", err)
	}

	list, err := svc.ListApiKeys(actx, &authv1.ListApiKeysRequest{TeamId: "t1"})
	if err != nil || len(list.GetKeys()) != 1 || list.GetKeys()[0].GetKeyId() != resp.GetKey().GetKeyId() {
		t.Fatalf("list t1 = %v, %v", list, err)
	}
	stale := resp.GetKey().GetRevision() + 5
	if _, err := svc.SetGrants(actx, &authv1.SetGrantsRequest{KeyId: coach.Subject, Grants: []*authv1.TeamGrant{{TeamId: "t2"}},
		ExpectedRevision: &stale}); !errors.Is(err, fault.ErrFailedPrecondition) {
		t.Fatalf("stale SetGrants = %v, want FailedPrecondition", err)
	}
	rev := resp.GetKey().GetRevision()
	if _, err := svc.SetGrants(actx, &authv1.SetGrantsRequest{KeyId: coach.Subject, Grants: []*authv1.TeamGrant{{TeamId: "t2"}},
		ExpectedRevision: &rev}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RevokeApiKey(actx, &authv1.RevokeApiKeyRequest{KeyId: coach.Subject, Reason: "left the club"}); err != nil {
		t.Fatal(err)
	}
	if _, err := authn.Authenticate(ctx, resp.GetSecret()); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Fatalf("revoked key authenticates: %v", err)
	}
	if _, err := svc.RevokeApiKey(actx, &authv1.RevokeApiKeyRequest{KeyId: adminID}); !errors.Is(err, fault.ErrFailedPrecondition) {
		t.Fatalf("revoking one's own key = %v, want FailedPrecondition", err)
	}

	// Audit: create on t1, grant change on t1 and t2, revoke on t2 (its grants by then).
	got := auditActions(t, b)
	want := []string{"t1 apikey.create", "t1 grant.update", "t2 grant.update", "t2 apikey.revoke"}
	if len(got) != len(want) {
		t.Fatalf("audit = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit[%d] = %s, want %s", i, got[i], want[i])
		}
	}
}

func auditActions(t *testing.T, b *bus.Bus) []string {
	t.Helper()
	ctx := context.Background()
	c, err := b.JetStream().OrderedConsumer(ctx, bus.StreamAudit, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := c.FetchNoWait(100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for m := range batch.Messages() {
		ev, err := events.Decode(m.Data())
		if err != nil {
			t.Fatal(err)
		}
		a := ev.GetAuditRecorded()
		// Admins make most changes; coaches make check-in links.
		if role := a.GetActor().GetRole(); (role != commonv1.Role_ROLE_ADMIN && role != commonv1.Role_ROLE_COACH) || a.GetRpc() == "" {
			t.Errorf("audit event without an admin or coach actor, or without rpc: %v", a)
		}
		out = append(out, ev.GetTeamId()+" "+a.GetAction())
	}
	return out
}

// TestOneTimeKeySignsInOnce is the console's sign-in link: a one-time key authenticates exactly
// one call (the console's IssueToken), even when two race; the token it bought works until the
// key's ttl; the link itself never works again, nor after its deadline.
func TestOneTimeKeySignsInOnce(t *testing.T) {
	ctx := context.Background()
	_, authn, svc, actx := bootstrapAdmin(t)
	link := func(within, ttl time.Duration) *authv1.CreateApiKeyResponse {
		t.Helper()
		resp, err := svc.CreateApiKey(actx, &authv1.CreateApiKeyRequest{Name: "console link", Role: commonv1.Role_ROLE_COACH,
			Grants: []*authv1.TeamGrant{{TeamId: "t1"}}, Ttl: durationpb.New(ttl), SingleUseWithin: durationpb.New(within)})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	// A one-time key needs a ttl at least as long as its use window.
	_, err := svc.CreateApiKey(actx, &authv1.CreateApiKeyRequest{Name: "console link", Role: commonv1.Role_ROLE_COACH,
		Grants: []*authv1.TeamGrant{{TeamId: "t1"}}, SingleUseWithin: durationpb.New(15 * time.Minute)})
	if inv := (*fault.Invalid)(nil); !errors.As(err, &inv) {
		t.Fatalf("one-time key without ttl = %v, want invalid ttl", err)
	}

	resp := link(15*time.Minute, 12*time.Hour)
	if resp.GetKey().GetUseBy() == nil || resp.GetKey().GetUsedAt() != nil {
		t.Fatalf("new one-time key %v: want use_by set, used_at unset", resp.GetKey())
	}
	// Two racing uses of the same link: exactly one is let in.
	results := make(chan error, 2)
	var winner *auth.Principal
	var mu sync.Mutex
	for range 2 {
		go func() {
			p, err := authn.Authenticate(ctx, resp.GetSecret())
			if err == nil {
				mu.Lock()
				winner = p
				mu.Unlock()
			}
			results <- err
		}()
	}
	var failures []error
	for range 2 {
		if err := <-results; err != nil {
			failures = append(failures, err)
		}
	}
	if len(failures) != 1 || !errors.Is(failures[0], fault.ErrUnauthenticated) {
		t.Fatalf("two uses of one link: failures %v, want exactly one Unauthenticated", failures)
	}
	tok, err := svc.IssueToken(auth.WithPrincipal(ctx, winner), &authv1.IssueTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := authn.Authenticate(ctx, tok.GetToken()); err != nil || p.Role != commonv1.Role_ROLE_COACH {
		t.Fatalf("token bought with the link: %+v, %v", p, err)
	}
	if _, err := authn.Authenticate(ctx, resp.GetSecret()); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Fatalf("link used again = %v, want Unauthenticated", err)
	}
	stored, err := authn.Store().Key(ctx, resp.GetKey().GetKeyId())
	if err != nil || stored.UsedAt.IsZero() {
		t.Fatalf("stored link %+v, %v: want used_at recorded", stored, err)
	}

	// An unused link past its deadline does not let anyone in.
	late := link(time.Millisecond, time.Hour)
	time.Sleep(5 * time.Millisecond) // past a 1 ms deadline; not an assertion on timing
	if _, err := authn.Authenticate(ctx, late.GetSecret()); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Fatalf("link past its deadline = %v, want Unauthenticated", err)
	}
}

// recordingLog is an AuditLog with a canned page that keeps the query it was asked.
type recordingLog struct {
	asked audit.Query
	page  audit.Page
	err   error
}

func (l *recordingLog) List(_ context.Context, q audit.Query) (audit.Page, error) {
	l.asked = q
	return l.page, l.err
}

func TestListAuditRecords(t *testing.T) {
	ctx := context.Background()
	b, _ := bustest.New(t)
	authn, err := auth.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	log := &recordingLog{page: audit.Page{NextPageToken: "next", Entries: []audit.Entry{
		{EventID: "e2", TeamID: "t1", ActorSubject: "k-admin", ActorRole: "admin", Action: "apikey.revoke", ResourceType: "api_key",
			ResourceID: "k1", RPC: authv1.AuthService_RevokeApiKey_FullMethodName, Detail: "reason: left", OccurredAt: at},
		{EventID: "e1", TeamID: "t1", ActorSubject: "programming", Action: "deload.decide", OccurredAt: at.Add(-time.Hour)},
	}}}
	svc := authservice.New(authn, b, authservice.WithAuditLog(log))

	since, until := at.Add(-24*time.Hour), at
	resp, err := svc.ListAuditRecords(ctx, &authv1.ListAuditRecordsRequest{TeamId: "t1", ActorSubject: " k-admin ",
		Actions: []string{"apikey.revoke", "apikey.create"}, ResourceId: "k1", Since: timestamppb.New(since), Until: timestamppb.New(until),
		PageSize: 20, PageToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	want := audit.Query{Team: "t1", Actor: "k-admin", Actions: []string{"apikey.revoke", "apikey.create"}, Resource: "k1",
		Since: since, Until: until, PageSize: 20, PageToken: "tok"}
	if !reflect.DeepEqual(log.asked, want) {
		t.Errorf("asked %+v, want %+v", log.asked, want)
	}
	if resp.GetNextPageToken() != "next" || len(resp.GetRecords()) != 2 {
		t.Fatalf("response = %v", resp)
	}
	r := resp.GetRecords()[0]
	if r.GetEventId() != "e2" || r.GetActor().GetSubject() != "k-admin" || r.GetActor().GetRole() != commonv1.Role_ROLE_ADMIN ||
		r.GetAction() != "apikey.revoke" || r.GetResourceId() != "k1" || r.GetDetail() != "reason: left" || !r.GetOccurredAt().AsTime().Equal(at) {
		t.Errorf("record = %v", r)
	}
	if role := resp.GetRecords()[1].GetActor().GetRole(); role != commonv1.Role_ROLE_UNSPECIFIED {
		t.Errorf("a service's record has role %v, want none", role)
	}

	// Bad requests name every field and never reach the log.
	log.asked = audit.Query{}
	_, err = svc.ListAuditRecords(ctx, &authv1.ListAuditRecordsRequest{TeamId: "bad team", Actions: []string{"x", " "},
		PageSize: audit.MaxPageSize + 1, Since: timestamppb.New(until), Until: timestamppb.New(since)})
	var inv *fault.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("bad request = %v, want field violations", err)
	}
	var fields []string
	for _, v := range inv.Violations {
		fields = append(fields, v.Field)
	}
	if want := []string{"team_id", "actions[1]", "page_size", "until"}; !slices.Equal(fields, want) {
		t.Errorf("violations on %v, want %v", fields, want)
	}
	if log.asked.Team != "" {
		t.Error("a bad request reached the log")
	}

	log.err = audit.ErrBadPageToken
	if _, err := svc.ListAuditRecords(ctx, &authv1.ListAuditRecordsRequest{PageToken: "forged"}); !errors.As(err, &inv) || inv.Violations[0].Field != "page_token" {
		t.Errorf("forged page token = %v, want a page_token violation", err)
	}
	if _, err := authservice.New(authn, b).ListAuditRecords(ctx, &authv1.ListAuditRecordsRequest{}); !errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("without an audit log = %v, want Unavailable", err)
	}
}

// TestTeamTimeZone: a team is in UTC until an admin names an IANA zone; a name that is not one
// is refused under its field; every principal granted the team reads it, and the change is
// audited.
func TestTeamTimeZone(t *testing.T) {
	b, _, svc, actx := bootstrapAdmin(t)

	_, err := svc.CreateTeam(actx, &authv1.CreateTeamRequest{Team: &authv1.Team{TeamId: "t1", Name: "First", TimeZone: "Mars/Olympus"}})
	if field := violatedField(err); field != "team.time_zone" {
		t.Fatalf("create with a made-up zone = %v, want a team.time_zone violation", err)
	}
	created, err := svc.CreateTeam(actx, &authv1.CreateTeamRequest{Team: &authv1.Team{TeamId: "t1", Name: "First"}})
	if err != nil || created.GetTeam().GetTimeZone() != "UTC" {
		t.Fatalf("create without a zone = %v, %v; want UTC", created, err)
	}
	for _, bad := range []string{"", "Local", "Europe/Londn"} {
		_, err := svc.SetTeamTimeZone(actx, &authv1.SetTeamTimeZoneRequest{TeamId: "t1", TimeZone: bad})
		if field := violatedField(err); field != "time_zone" {
			t.Errorf("set zone %q = %v, want a time_zone violation", bad, err)
		}
	}
	if _, err := svc.SetTeamTimeZone(actx, &authv1.SetTeamTimeZoneRequest{TeamId: "t9", TimeZone: "UTC"}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("set zone of an unknown team = %v, want NotFound", err)
	}
	set, err := svc.SetTeamTimeZone(actx, &authv1.SetTeamTimeZoneRequest{TeamId: "t1", TimeZone: "America/New_York"})
	if err != nil || set.GetTeam().GetTimeZone() != "America/New_York" || set.GetTeam().GetName() != "First" {
		t.Fatalf("set zone = %v, %v", set, err)
	}
	got, err := svc.GetTeam(actx, &authv1.GetTeamRequest{TeamId: "t1"})
	if err != nil || got.GetTeam().GetTimeZone() != "America/New_York" {
		t.Fatalf("get team = %v, %v", got, err)
	}
	if got, err := svc.GetTeam(actx, &authv1.GetTeamRequest{TeamId: "t9"}); err != nil || got.GetTeam().GetTimeZone() != "UTC" {
		t.Errorf("get a team never created = %v, %v; want it in UTC", got, err)
	}
	if got := auditActions(t, b); !slices.Equal(got, []string{"t1 team.create", "t1 team.time_zone"}) {
		t.Errorf("audit = %v, want the create and the zone change", got)
	}
}

func violatedField(err error) string {
	var inv *fault.Invalid
	if !errors.As(err, &inv) || len(inv.Violations) != 1 {
		return ""
	}
	return inv.Violations[0].Field
}

// TestCheckinKeys: a coach creates a check-in link for an athlete of the team, sees it listed
// (never its secret), and revokes it; the link authenticates as that athlete only, and a key
// that is not a check-in link of the team cannot be revoked this way.
func TestCheckinKeys(t *testing.T) {
	ctx := context.Background()
	b, authn, svc, actx := bootstrapAdmin(t)
	coachKey, err := svc.CreateApiKey(actx, &authv1.CreateApiKeyRequest{Name: "Ana", Role: commonv1.Role_ROLE_COACH,
		Grants: []*authv1.TeamGrant{{TeamId: "t1"}}})
	if err != nil {
		t.Fatal(err)
	}
	coach, err := authn.Authenticate(ctx, coachKey.GetSecret())
	if err != nil {
		t.Fatal(err)
	}
	cctx := auth.WithPrincipal(ctx, coach)

	if _, err := svc.CreateCheckinKey(cctx, &authv1.CreateCheckinKeyRequest{TeamId: "t1", AthleteId: "a 7"}); violatedField(err) != "athlete_id" {
		t.Errorf("create for a bad athlete id = %v, want an athlete_id violation", err)
	}
	created, err := svc.CreateCheckinKey(cctx, &authv1.CreateCheckinKeyRequest{TeamId: "t1", AthleteId: "a7"})
	if err != nil {
		t.Fatal(err)
	}
	athlete, err := authn.Authenticate(ctx, created.GetSecret())
	if err != nil || athlete.Role != commonv1.Role_ROLE_ATHLETE || len(athlete.Grants) != 1 || athlete.Grants[0].TeamID != "t1" ||
		!slices.Equal(athlete.Grants[0].AthleteIDs, []string{"a7"}) {
		t.Fatalf("the link authenticates as %+v, %v; want athlete a7 of t1 only", athlete, err)
	}
	if created.GetKey().GetName() != "check-in: a7 of t1" {
		t.Errorf("default name %q", created.GetKey().GetName())
	}
	list, err := svc.ListCheckinKeys(cctx, &authv1.ListCheckinKeysRequest{TeamId: "t1", AthleteId: "a7"})
	if err != nil || len(list.GetKeys()) != 1 || list.GetKeys()[0].GetKeyId() != created.GetKey().GetKeyId() {
		t.Fatalf("list = %v, %v; want the one link (not the coach's key)", list, err)
	}
	if others, _ := svc.ListCheckinKeys(cctx, &authv1.ListCheckinKeysRequest{TeamId: "t1", AthleteId: "a8"}); len(others.GetKeys()) != 0 {
		t.Errorf("a8's links = %v, want none", others.GetKeys())
	}
	if _, err := svc.RevokeCheckinKey(cctx, &authv1.RevokeCheckinKeyRequest{TeamId: "t1", KeyId: coach.Subject}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("revoking a coach key as a check-in link = %v, want NotFound", err)
	}
	if _, err := svc.RevokeCheckinKey(cctx, &authv1.RevokeCheckinKeyRequest{TeamId: "t2", KeyId: created.GetKey().GetKeyId()}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("revoking t1's link as t2's = %v, want NotFound", err)
	}
	if _, err := svc.RevokeCheckinKey(cctx, &authv1.RevokeCheckinKeyRequest{TeamId: "t1", KeyId: created.GetKey().GetKeyId(), Reason: "lost phone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := authn.Authenticate(ctx, created.GetSecret()); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Errorf("a revoked link authenticates: %v", err)
	}
	if active, _ := svc.ListCheckinKeys(cctx, &authv1.ListCheckinKeysRequest{TeamId: "t1"}); len(active.GetKeys()) != 0 {
		t.Errorf("active links after revoking = %v", active.GetKeys())
	}
	if got := auditActions(t, b); !slices.Equal(got, []string{"t1 apikey.create", "t1 apikey.create", "t1 apikey.revoke"}) {
		t.Errorf("audit = %v", got)
	}
}
