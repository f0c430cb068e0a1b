package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// keyPrefix starts every generated API key: sck_<key id>_<secret>. The id is public (it is the
// principal's subject and what `sc keys revoke` takes); the secret is 256 random bits.
const keyPrefix = "sck_"

// MinOperatorKeyLen is the shortest admin key an operator may choose (--admin-key).
const MinOperatorKeyLen = 32

// NewAPIKey returns a fresh key id and the full key to present, shown to its owner once.
func NewAPIKey() (id, presented string, err error) {
	idBytes := make([]byte, 8)
	secret := make([]byte, 32)
	if _, err := rand.Read(idBytes); err != nil {
		return "", "", fmt.Errorf("api key id: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return "", "", fmt.Errorf("api key secret: %w", err)
	}
	id = hex.EncodeToString(idBytes)
	return id, keyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret), nil
}

// KeyIDOf is the id of a presented key: the id inside a generated key, or for a key an operator
// chose (--admin-key, which has no id inside) an id derived from its digest.
func KeyIDOf(presented string) string {
	if rest, ok := strings.CutPrefix(presented, keyPrefix); ok {
		if id, _, ok := strings.Cut(rest, "_"); ok && len(id) == 16 {
			return id
		}
	}
	sum := sha256.Sum256([]byte("supercomp key id\x00" + presented))
	return "op" + hex.EncodeToString(sum[:7])
}

// HashKey is what is stored of a key: SHA-256 of the whole presented string. The secret has 256
// random bits, so a fast hash is enough (no password stretching needed).
func HashKey(presented string) []byte {
	sum := sha256.Sum256([]byte(presented))
	return sum[:]
}

// KeyRecord is an API key as stored in the bucket: metadata and the hash, never the secret.
type KeyRecord struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Role      commonv1.Role `json:"role"`
	Grants    []Grant       `json:"grants,omitempty"`
	Hash      []byte        `json:"hash"`
	CreatedAt time.Time     `json:"created_at"`
	CreatedBy ActorRecord   `json:"created_by"`
	ExpiresAt time.Time     `json:"expires_at,omitzero"`
	RevokedAt time.Time     `json:"revoked_at,omitzero"`
	// UseBy makes the key one-time (a console sign-in link): it authenticates once, before
	// UseBy. The token that one call obtains lives on until ExpiresAt. Zero for ordinary keys.
	UseBy time.Time `json:"use_by,omitzero"`
	// UsedAt is when a one-time key authenticated its call.
	UsedAt time.Time `json:"used_at,omitzero"`
	// Revision is the key-value revision the record was read at (not stored).
	Revision uint64 `json:"-"`
	// LastUsedAt is when the key last authenticated, to within KeyUseResolution; only
	// Store.Keys fills it (it is stored apart from the key).
	LastUsedAt time.Time `json:"-"`
}

// ActorRecord is an Actor as stored.
type ActorRecord struct {
	Subject     string        `json:"subject"`
	Role        commonv1.Role `json:"role"`
	DisplayName string        `json:"display_name,omitempty"`
}

// ActorRecordOf converts an actor for storage; nil is the platform itself.
func ActorRecordOf(a *commonv1.Actor) ActorRecord {
	if a == nil {
		return ActorRecord{Subject: "supercomp", DisplayName: "platform bootstrap"}
	}
	return ActorRecord{Subject: a.GetSubject(), Role: a.GetRole(), DisplayName: a.GetDisplayName()}
}

// Matches reports, in constant time, whether presented is this key.
func (k *KeyRecord) Matches(presented string) bool {
	return subtle.ConstantTimeCompare(k.Hash, HashKey(presented)) == 1
}

// OneTime reports whether the key authenticates a single call (a console sign-in link).
func (k *KeyRecord) OneTime() bool { return !k.UseBy.IsZero() }

// Active reports whether the key may authenticate at now.
func (k *KeyRecord) Active(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// Principal is the caller authenticated by this key.
func (k *KeyRecord) Principal(credential string) *Principal {
	return &Principal{Subject: k.ID, DisplayName: k.Name, Role: k.Role, Grants: k.Grants, Credential: credential, ExpiresAt: k.ExpiresAt}
}

// Proto is the key's metadata on the wire.
func (k *KeyRecord) Proto() *authv1.ApiKey {
	out := &authv1.ApiKey{
		KeyId:     k.ID,
		Name:      k.Name,
		Role:      k.Role,
		Grants:    GrantsToProto(k.Grants),
		CreatedAt: timestamppb.New(k.CreatedAt),
		CreatedBy: &commonv1.Actor{Subject: k.CreatedBy.Subject, Role: k.CreatedBy.Role, DisplayName: k.CreatedBy.DisplayName},
		Revision:  k.Revision,
	}
	if !k.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamppb.New(k.ExpiresAt)
	}
	if !k.RevokedAt.IsZero() {
		out.RevokedAt = timestamppb.New(k.RevokedAt)
	}
	if !k.LastUsedAt.IsZero() {
		out.LastUsedAt = timestamppb.New(k.LastUsedAt)
	}
	if !k.UseBy.IsZero() {
		out.UseBy = timestamppb.New(k.UseBy)
	}
	if !k.UsedAt.IsZero() {
		out.UsedAt = timestamppb.New(k.UsedAt)
	}
	return out
}
