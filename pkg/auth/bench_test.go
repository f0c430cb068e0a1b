package auth

import (
	"context"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
)

// BenchmarkAuthenticate measures what every call pays before its handler: one key-value read
// of the API key (both credential kinds, since tokens are checked against their key's revocation)
// plus a SHA-256 or an HS256 verification, and the policy check.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	bs, _ := bustest.New(b)
	authn, err := Open(ctx, bs)
	if err != nil {
		b.Fatal(err)
	}
	k, key, err := authn.Store().CreateKey(ctx, KeySpec{Name: "bench", Role: commonv1.Role_ROLE_COACH, Grants: []Grant{{TeamID: "t1"}}}, nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	token, _, _, err := authn.Tokens().Issue(ctx, k.Principal(CredentialAPIKey), time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	m, _ := LookupMethod("/supercomp.fatigue.v1.FatigueService/GetAthleteStatus")
	req := &fatiguev1.GetAthleteStatusRequest{TeamId: "t1", AthleteId: "a1"}
	for _, tc := range []struct{ name, cred string }{{"api_key", key}, {"token", token}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := authn.Authenticate(ctx, tc.cred)
				if err != nil {
					b.Fatal(err)
				}
				if err := AuthorizeCall(p, m); err != nil {
					b.Fatal(err)
				}
				if err := AuthorizeRequest(p, m, ScopeOf(req, NeedsAthletes(p, "t1")), false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
