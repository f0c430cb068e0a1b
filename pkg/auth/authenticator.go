package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/fault"
)

// KeyUseResolution is how often one process records a key's use: last_used_at is approximate
// so that authentication costs a write only once in this long per key.
const KeyUseResolution = 5 * time.Minute

// Authenticator turns a presented credential (API key or token) into a principal.
type Authenticator struct {
	store  *Store
	tokens *Tokens
	now    func() time.Time

	mu       sync.Mutex
	recorded map[string]time.Time // key id -> last use this process recorded
}

// NewAuthenticator authenticates against store, verifying tokens with tokens' keyring.
func NewAuthenticator(store *Store, tokens *Tokens) *Authenticator {
	return &Authenticator{store: store, tokens: tokens, now: time.Now, recorded: map[string]time.Time{}}
}

// noteUse records a successful authentication by key id, at most once per KeyUseResolution.
// A failed write is not the caller's problem: the call is authenticated either way, and the
// next use past the resolution tries again.
func (a *Authenticator) noteUse(ctx context.Context, id string) {
	now := a.now()
	a.mu.Lock()
	last, ok := a.recorded[id]
	due := !ok || now.Sub(last) >= KeyUseResolution
	if due {
		a.recorded[id] = now
	}
	a.mu.Unlock()
	if !due {
		return
	}
	if err := a.store.RecordKeyUse(ctx, id, now); err != nil {
		a.mu.Lock()
		delete(a.recorded, id)
		a.mu.Unlock()
	}
}

// Store is the credential store.
func (a *Authenticator) Store() *Store { return a.store }

// Tokens is the token issuer and verifier.
func (a *Authenticator) Tokens() *Tokens { return a.tokens }

// Authenticate returns the principal behind credential, or an error of kind
// fault.ErrUnauthenticated saying what is wrong (unknown, revoked, expired, bad signature).
// A JWT has two dots; an API key has none.
func (a *Authenticator) Authenticate(ctx context.Context, credential string) (*Principal, error) {
	if credential == "" {
		return nil, fault.Unauthenticated("missing credentials: send `authorization: Bearer <api key or token>` (sc: --token, SC_TOKEN or `sc login`)")
	}
	if strings.Count(credential, ".") == 2 {
		return a.authenticateToken(ctx, credential)
	}
	return a.authenticateKey(ctx, credential)
}

func (a *Authenticator) authenticateKey(ctx context.Context, presented string) (*Principal, error) {
	k, err := a.store.Key(ctx, KeyIDOf(presented))
	if errors.Is(err, fault.ErrNotFound) {
		return nil, fault.Unauthenticated("unknown api key")
	}
	if err != nil {
		return nil, fault.Unavailable("read api key: %w", err)
	}
	// The hash is compared even for an id that exists, so knowing an id is worth nothing.
	if !k.Matches(presented) {
		return nil, fault.Unauthenticated("unknown api key")
	}
	if err := a.checkActive(k, "api key"); err != nil {
		return nil, err
	}
	if k.OneTime() {
		if err := a.spend(ctx, k); err != nil {
			return nil, err
		}
		return k.Principal(CredentialAPIKey), nil
	}
	a.noteUse(ctx, k.ID)
	return k.Principal(CredentialAPIKey), nil
}

// spend records the single use of a one-time key. The write is revision-checked, so of two
// calls racing with the same link (in any process on the same NATS) exactly one authenticates.
func (a *Authenticator) spend(ctx context.Context, k *KeyRecord) error {
	now := a.now()
	switch {
	case !k.UsedAt.IsZero():
		return fault.Unauthenticated("one-time key %s was already used at %s", k.ID, k.UsedAt.UTC().Format(time.RFC3339))
	case !now.Before(k.UseBy):
		return fault.Unauthenticated("one-time key %s had to be used by %s", k.ID, k.UseBy.UTC().Format(time.RFC3339))
	}
	k.UsedAt = now.UTC()
	err := a.store.UpdateKey(ctx, k)
	if errors.Is(err, fault.ErrFailedPrecondition) {
		return fault.Unauthenticated("one-time key %s was already used", k.ID)
	}
	if err != nil {
		return fault.Unavailable("record the use of one-time key %s: %w", k.ID, err)
	}
	return nil
}

func (a *Authenticator) authenticateToken(ctx context.Context, raw string) (*Principal, error) {
	c, err := a.tokens.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	// The revocation (sign-out) is read next to the key, not after it: two bucket reads in
	// turn made a token call half as expensive again (BenchmarkAuthenticate).
	type revocation struct {
		revoked bool
		err     error
	}
	checked := make(chan revocation, 1)
	go func() {
		revoked, err := a.store.TokenRevoked(ctx, c.ID, c.ExpiresAt.Time)
		checked <- revocation{revoked, err}
	}()
	k, err := a.store.Key(ctx, c.Subject)
	r := <-checked
	if r.err != nil {
		return nil, fault.Unavailable("read token revocation: %w", r.err)
	}
	if r.revoked {
		return nil, fault.Unauthenticated("token was revoked (signed out): sign in again")
	}
	if errors.Is(err, fault.ErrNotFound) {
		return nil, fault.Unauthenticated("token's api key %q no longer exists", c.Subject)
	}
	if err != nil {
		return nil, fault.Unavailable("read api key: %w", err)
	}
	if err := a.checkActive(k, "token's api key"); err != nil {
		return nil, err
	}
	if RoleName(k.Role) != c.Role {
		return nil, fault.Unauthenticated("token role %q no longer matches its api key", c.Role)
	}
	a.noteUse(ctx, k.ID)
	p := k.Principal(CredentialToken)
	p.TokenID, p.TokenExpiresAt = c.ID, c.ExpiresAt.Time
	if exp := c.ExpiresAt.Time; p.ExpiresAt.IsZero() || exp.Before(p.ExpiresAt) {
		p.ExpiresAt = exp
	}
	return p, nil
}

func (a *Authenticator) checkActive(k *KeyRecord, what string) error {
	now := a.now()
	switch {
	case !k.RevokedAt.IsZero():
		return fault.Unauthenticated("%s %s was revoked at %s", what, k.ID, k.RevokedAt.UTC().Format(time.RFC3339))
	case !k.Active(now):
		return fault.Unauthenticated("%s %s expired at %s", what, k.ID, k.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Open binds the credential bucket on b, creates the signing keyring on first use, and returns
// the authenticator a host's Guard uses.
func Open(ctx context.Context, b *bus.Bus) (*Authenticator, error) {
	store, err := OpenStore(ctx, b)
	if err != nil {
		return nil, err
	}
	tokens := NewTokens(store)
	if err := tokens.EnsureKeyring(ctx); err != nil {
		return nil, err
	}
	return NewAuthenticator(store, tokens), nil
}
