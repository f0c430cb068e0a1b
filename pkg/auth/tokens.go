package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/supercomp/supercomp/pkg/fault"
)

// Token lifetimes (IssueToken): 12 h by default, never more than a week, so a signing key can be
// dropped a week after it was retired.
const (
	DefaultTokenTTL = 12 * time.Hour
	MaxTokenTTL     = 7 * 24 * time.Hour
	issuer          = "supercomp"
	// keyringReload bounds how often an unknown key id makes a verifier re-read the keyring, so
	// tokens with made-up key ids cannot turn every call into a bucket read.
	keyringReload = time.Second
)

// SigningKey is one HS256 secret with its id (the JWT `kid`).
type SigningKey struct {
	ID        string    `json:"id"`
	Secret    []byte    `json:"secret"`
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

// Keyring is the current signing key and the retired ones that still verify.
type Keyring struct {
	Current string       `json:"current"`
	Keys    []SigningKey `json:"keys"`
}

func (kr *Keyring) find(id string) (SigningKey, bool) {
	i := slices.IndexFunc(kr.Keys, func(k SigningKey) bool { return k.ID == id })
	if i < 0 {
		return SigningKey{}, false
	}
	return kr.Keys[i], true
}

func newSigningKey(now time.Time) (SigningKey, error) {
	id := make([]byte, 6)
	secret := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return SigningKey{}, fmt.Errorf("signing key id: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return SigningKey{}, fmt.Errorf("signing key: %w", err)
	}
	return SigningKey{ID: "k" + hex.EncodeToString(id), Secret: secret, CreatedAt: now}, nil
}

// claims are a token's JWT claims. The subject is the API key the token was issued from; role
// and grants are as at issue time, for the client's information: the server acts on the key's
// current state, so revoking the key or narrowing its grants takes effect at once.
type claims struct {
	jwt.RegisteredClaims
	Role   string  `json:"role"`
	Name   string  `json:"name,omitempty"`
	Grants []Grant `json:"grants,omitempty"`
}

// Tokens issues and verifies signed tokens with the keyring in the store.
type Tokens struct {
	store *Store
	now   func() time.Time

	mu       sync.Mutex
	cached   *Keyring
	loadedAt time.Time
}

// NewTokens returns a token issuer and verifier over store.
func NewTokens(store *Store) *Tokens {
	return &Tokens{store: store, now: time.Now}
}

// EnsureKeyring creates the first signing key unless one exists.
func (t *Tokens) EnsureKeyring(ctx context.Context) error {
	kr, rev, err := t.store.keyring(ctx)
	if err != nil {
		return err
	}
	if kr.Current != "" {
		return nil
	}
	key, err := newSigningKey(t.now())
	if err != nil {
		return err
	}
	err = t.store.saveKeyring(ctx, &Keyring{Current: key.ID, Keys: []SigningKey{key}}, rev)
	if errors.Is(err, fault.ErrFailedPrecondition) {
		return nil // another process created it first
	}
	return err
}

// Rotate makes a new key current. Retired keys verify until MaxTokenTTL after retirement, when
// no token they signed can still be valid, and are dropped then.
func (t *Tokens) Rotate(ctx context.Context) (current string, retired []string, err error) {
	kr, rev, err := t.store.keyring(ctx)
	if err != nil {
		return "", nil, err
	}
	now := t.now()
	key, err := newSigningKey(now)
	if err != nil {
		return "", nil, err
	}
	keys := []SigningKey{key}
	for _, k := range kr.Keys {
		if k.RetiredAt.IsZero() {
			k.RetiredAt = now
		}
		if now.Sub(k.RetiredAt) < MaxTokenTTL {
			keys = append(keys, k)
			retired = append(retired, k.ID)
		}
	}
	if err := t.store.saveKeyring(ctx, &Keyring{Current: key.ID, Keys: keys}, rev); err != nil {
		return "", nil, err
	}
	t.mu.Lock()
	t.cached = nil
	t.mu.Unlock()
	return key.ID, retired, nil
}

// Issue signs a token for p with the current key, valid for ttl (DefaultTokenTTL when zero,
// capped at MaxTokenTTL and at the principal's own expiry).
func (t *Tokens) Issue(ctx context.Context, p *Principal, ttl time.Duration) (token string, expires time.Time, kid string, err error) {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	ttl = min(ttl, MaxTokenTTL)
	now := t.now()
	expires = now.Add(ttl).Truncate(time.Second)
	if !p.ExpiresAt.IsZero() && p.ExpiresAt.Before(expires) {
		expires = p.ExpiresAt.Truncate(time.Second)
	}
	kr, _, err := t.store.keyring(ctx)
	if err != nil {
		return "", time.Time{}, "", err
	}
	key, ok := kr.find(kr.Current)
	if !ok {
		return "", time.Time{}, "", fault.FailedPrecondition("no signing key: the platform has not created its keyring")
	}
	jti := make([]byte, 12)
	if _, err := rand.Read(jti); err != nil {
		return "", time.Time{}, "", fmt.Errorf("token id: %w", err)
	}
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   p.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expires),
			ID:        hex.EncodeToString(jti),
		},
		Role:   RoleName(p.Role),
		Name:   p.DisplayName,
		Grants: p.Grants,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = key.ID
	signed, err := tok.SignedString(key.Secret)
	if err != nil {
		return "", time.Time{}, "", fmt.Errorf("sign token: %w", err)
	}
	return signed, expires, key.ID, nil
}

// verify checks the signature (HS256 only, key by kid), issuer and expiry, and returns the
// claims. Every failure is fault.ErrUnauthenticated with a reason a client can act on.
func (t *Tokens) verify(ctx context.Context, raw string) (*claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(raw, &c, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no key id")
		}
		key, err := t.signingKey(ctx, kid)
		if err != nil {
			return nil, err
		}
		return key.Secret, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, fault.Unauthenticated("token expired at %s: run `sc login` again", expiryOf(&c))
	case err != nil:
		return nil, fault.Unauthenticated("invalid token: %v", err)
	}
	return &c, nil
}

func expiryOf(c *claims) string {
	if c.ExpiresAt == nil {
		return "?"
	}
	return c.ExpiresAt.UTC().Format(time.RFC3339)
}

// signingKey finds kid in the cached keyring, re-reading it (at most once per keyringReload)
// when kid is unknown, e.g. after another process rotated.
func (t *Tokens) signingKey(ctx context.Context, kid string) (SigningKey, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cached != nil {
		if k, ok := t.cached.find(kid); ok {
			return k, nil
		}
		if t.now().Sub(t.loadedAt) < keyringReload {
			return SigningKey{}, fmt.Errorf("unknown signing key %q", kid)
		}
	}
	kr, _, err := t.store.keyring(ctx)
	if err != nil {
		return SigningKey{}, err
	}
	t.cached, t.loadedAt = kr, t.now()
	if k, ok := kr.find(kid); ok {
		return k, nil
	}
	return SigningKey{}, fmt.Errorf("unknown signing key %q", kid)
}
