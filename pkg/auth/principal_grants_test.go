package auth

import (
	"context"
	"slices"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

func TestGrantedTeams(t *testing.T) {
	tests := []struct {
		name           string
		p              *Principal
		wantTeams      []string
		wantRestricted bool
	}{
		{"no principal: a service's own call", nil, nil, false},
		{"admin reads what it asks for", &Principal{Role: commonv1.Role_ROLE_ADMIN}, nil, false},
		{"staff over two teams", &Principal{Role: commonv1.Role_ROLE_STAFF, Grants: []Grant{{TeamID: "t1"}, {TeamID: "t2"}}}, []string{"t1", "t2"}, true},
		{"coach without grants reads nothing", &Principal{Role: commonv1.Role_ROLE_COACH}, []string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.p != nil {
				ctx = WithPrincipal(ctx, tt.p)
			}
			teams, restricted := GrantedTeams(ctx)
			if restricted != tt.wantRestricted || !slices.Equal(teams, tt.wantTeams) || (restricted && teams == nil) {
				t.Errorf("GrantedTeams = %v, %v; want %v, %v", teams, restricted, tt.wantTeams, tt.wantRestricted)
			}
		})
	}
}
