// Package authtest sets up the real authenticator for tests of what sits behind it.
package authtest

import (
	"context"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
)

// WithAdmin opens the authenticator on b (its key-value buckets on real JetStream) and
// bootstraps adminKey as the admin key, as an operator does on a new installation.
func WithAdmin(t testing.TB, b *bus.Bus, adminKey string) *auth.Authenticator {
	t.Helper()
	ctx := context.Background()
	authn, err := auth.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := authn.Store().EnsureAdminKey(ctx, adminKey, time.Now()); err != nil {
		t.Fatal(err)
	}
	return authn
}
