package authservice_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/auth/authservice"
	"github.com/supercomp/supercomp/pkg/fault"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// coachOf bootstraps an admin on a fresh bus and returns the service, the authenticator and a
// coach key's secret.
func coachOf(t *testing.T) (*authservice.Service, *auth.Authenticator, string, func() *auth.Authenticator) {
	t.Helper()
	ctx := context.Background()
	b, authn, svc, actx := bootstrapAdmin(t)
	resp, err := svc.CreateApiKey(actx, &authv1.CreateApiKeyRequest{Name: "coach", Role: commonv1.Role_ROLE_COACH,
		Grants: []*authv1.TeamGrant{{TeamId: "t1"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Another process on the same NATS: its own authenticator over the same bucket.
	other := func() *auth.Authenticator {
		a, err := auth.Open(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return svc, authn, resp.GetSecret(), other
}

func TestRevokeTokenEndsItEverywhere(t *testing.T) {
	ctx := context.Background()
	svc, authn, key, otherProcess := coachOf(t)
	coach, err := authn.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	issue := func() string {
		tok, err := svc.IssueToken(auth.WithPrincipal(ctx, coach), &authv1.IssueTokenRequest{Ttl: durationpb.New(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return tok.GetToken()
	}
	signedOut, kept := issue(), issue()
	p, err := authn.Authenticate(ctx, signedOut)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := svc.RevokeToken(auth.WithPrincipal(ctx, p), &authv1.RevokeTokenRequest{})
	if err != nil || !resp.GetRevoked() || !resp.GetExpiresAt().AsTime().Equal(p.TokenExpiresAt) {
		t.Fatalf("revoke = %v, %v", resp, err)
	}
	other := otherProcess()
	for name, a := range map[string]*auth.Authenticator{"this process": authn, "another process": other} {
		if _, err := a.Authenticate(ctx, signedOut); !errors.Is(err, fault.ErrUnauthenticated) {
			t.Errorf("%s: the revoked token authenticates (%v)", name, err)
		}
		// The key and its other tokens (another browser) still work.
		if _, err := a.Authenticate(ctx, kept); err != nil {
			t.Errorf("%s: another token of the same key: %v", name, err)
		}
		if _, err := a.Authenticate(ctx, key); err != nil {
			t.Errorf("%s: the key itself: %v", name, err)
		}
	}
	// Called with the key, nothing is revoked: keys end with RevokeApiKey.
	if resp, err := svc.RevokeToken(auth.WithPrincipal(ctx, coach), &authv1.RevokeTokenRequest{}); err != nil || resp.GetRevoked() {
		t.Errorf("revoke with an api key = %v, %v", resp, err)
	}
}

func TestPreferencesFollowThePrincipal(t *testing.T) {
	ctx := context.Background()
	svc, authn, key, otherProcess := coachOf(t)
	coach, err := authn.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	cctx := auth.WithPrincipal(ctx, coach)
	got, err := svc.GetPreferences(cctx, &authv1.GetPreferencesRequest{})
	if err != nil || got.GetPreferences().GetWeightUnit() != commonv1.WeightUnit_WEIGHT_UNIT_UNSPECIFIED {
		t.Fatalf("never saved = %v, %v", got, err)
	}
	_, err = svc.SetPreferences(cctx, &authv1.SetPreferencesRequest{Preferences: &authv1.Preferences{WeightUnit: 9}})
	var inv *fault.Invalid
	if !errors.As(err, &inv) || inv.Violations[0].Field != "preferences.weight_unit" {
		t.Fatalf("unknown unit = %v, want a violation of preferences.weight_unit", err)
	}
	if _, err := svc.SetPreferences(cctx, &authv1.SetPreferencesRequest{Preferences: &authv1.Preferences{WeightUnit: commonv1.WeightUnit_WEIGHT_UNIT_LB}}); err != nil {
		t.Fatal(err)
	}
	// The same key's token, read by another process: lb.
	tok, err := svc.IssueToken(cctx, &authv1.IssueTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	other := otherProcess()
	p, err := other.Authenticate(ctx, tok.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	got, err = authservice.New(other, nil).GetPreferences(auth.WithPrincipal(ctx, p), &authv1.GetPreferencesRequest{})
	if err != nil || got.GetPreferences().GetWeightUnit() != commonv1.WeightUnit_WEIGHT_UNIT_LB {
		t.Fatalf("preferences through a token in another process = %v, %v", got, err)
	}
}
