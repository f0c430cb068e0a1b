package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/fault"
)

// Bucket is the key-value bucket holding keys, teams and the signing keyring. NATS permissions
// must keep it away from everything but the Supercomp services (see README.md).
const Bucket = "sc_auth"

// Key names inside Bucket.
const (
	apiKeyPrefix = "apikey."
	// keyUsePrefix keys hold each API key's last use, apart from the key so the key's
	// revision (which admins check when changing grants) does not move on every call.
	keyUsePrefix = "apikey_used."
	teamPrefix   = "team."
	keyringKey   = "signing.keyring"
	// revokedTokenPrefix keys are "revoked_token.<expiry unix seconds>.<jti>": a verifier knows
	// both from the token, so a check is one Get, and a sweep finds the lapsed ones by name.
	revokedTokenPrefix = "revoked_token."
	// preferencesPrefix keys hold a subject's display preferences.
	preferencesPrefix = "preferences."
)

// Store keeps credentials in the bucket, with revision checks on every change.
type Store struct {
	kv jetstream.KeyValue
}

// OpenStore creates or binds the bucket.
func OpenStore(ctx context.Context, b *bus.Bus) (*Store, error) {
	kv, err := b.KeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Supercomp API keys (hashes only), teams and token signing keys",
	})
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv}, nil
}

func revokedTokenKey(jti string, expires time.Time) string {
	return fmt.Sprintf("%s%d.%s", revokedTokenPrefix, expires.Unix(), jti)
}

// RevokeToken records that the token jti, valid until expires, must be refused, and drops the
// records of tokens that have expired by now (they are refused for their expiry anyway).
// The bucket keeps no per-key TTL (it was created without one), so the sweep runs here: a
// sign-out is rare next to the calls that check.
func (s *Store) RevokeToken(ctx context.Context, jti string, expires, now time.Time) error {
	if !bus.ValidToken(jti) {
		return fault.InvalidField("token", "token id %q is not a plain token", jti)
	}
	if _, err := s.kv.Put(ctx, revokedTokenKey(jti, expires), []byte(now.UTC().Format(time.RFC3339))); err != nil {
		return fmt.Errorf("record token revocation: %w", err)
	}
	names, err := s.list(ctx, revokedTokenPrefix)
	if err != nil {
		return err
	}
	for _, name := range names {
		exp, _, ok := strings.Cut(strings.TrimPrefix(name, revokedTokenPrefix), ".")
		unix, err := strconv.ParseInt(exp, 10, 64)
		if !ok || err != nil || time.Unix(unix, 0).After(now) {
			continue
		}
		if err := s.kv.Purge(ctx, name); err != nil {
			return fmt.Errorf("drop lapsed token revocation %s: %w", name, err)
		}
	}
	return nil
}

// TokenRevoked reports whether RevokeToken recorded the token jti valid until expires.
func (s *Store) TokenRevoked(ctx context.Context, jti string, expires time.Time) (bool, error) {
	if !bus.ValidToken(jti) {
		return false, nil // no such key can exist (RevokeToken refuses it)
	}
	_, err := s.kv.Get(ctx, revokedTokenKey(jti, expires))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// PreferencesRecord is a subject's stored display preferences.
type PreferencesRecord struct {
	// WeightUnit is "kg", "lb" or empty (never chosen).
	WeightUnit string    `json:"weight_unit,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Preferences reads subject's preferences; the zero record when none were saved.
func (s *Store) Preferences(ctx context.Context, subject string) (*PreferencesRecord, error) {
	var p PreferencesRecord
	if !bus.ValidToken(subject) {
		return &p, nil // nothing can be stored under it (SetPreferences refuses it)
	}
	_, err := s.get(ctx, preferencesPrefix+subject, &p)
	if errors.Is(err, fault.ErrNotFound) {
		return &p, nil
	}
	return &p, err
}

// SetPreferences replaces subject's preferences. The last write wins: they are one person's
// display choices, not shared state worth a revision check.
func (s *Store) SetPreferences(ctx context.Context, subject string, p *PreferencesRecord) error {
	if !bus.ValidToken(subject) {
		return fault.InvalidField("subject", "subject %q cannot hold preferences", subject)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, preferencesPrefix+subject, data); err != nil {
		return fmt.Errorf("store preferences of %s: %w", subject, err)
	}
	return nil
}

// Key reads an API key; fault.ErrNotFound when there is none.
func (s *Store) Key(ctx context.Context, id string) (*KeyRecord, error) {
	var k KeyRecord
	rev, err := s.get(ctx, apiKeyPrefix+id, &k)
	if err != nil {
		return nil, err
	}
	k.Revision = rev
	return &k, nil
}

// insertKey stores a new key; fault.ErrAlreadyExists when its id is taken.
func (s *Store) insertKey(ctx context.Context, k *KeyRecord) error {
	data, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("encode api key: %w", err)
	}
	rev, err := s.kv.Create(ctx, apiKeyPrefix+k.ID, data)
	if bus.IsRevisionMismatch(err) {
		return fault.AlreadyExists("api key %q", k.ID)
	}
	if err != nil {
		return fmt.Errorf("store api key %s: %w", k.ID, err)
	}
	k.Revision = rev
	return nil
}

// UpdateKey writes k if the stored key is still at k.Revision; fault.ErrFailedPrecondition when
// someone else changed it first.
func (s *Store) UpdateKey(ctx context.Context, k *KeyRecord) error {
	data, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("encode api key: %w", err)
	}
	rev, err := s.kv.Update(ctx, apiKeyPrefix+k.ID, data, k.Revision)
	if bus.IsRevisionMismatch(err) {
		return fault.FailedPrecondition("api key %q changed concurrently (revision %d is stale)", k.ID, k.Revision)
	}
	if err != nil {
		return fmt.Errorf("update api key %s: %w", k.ID, err)
	}
	k.Revision = rev
	return nil
}

// Keys lists every stored key, oldest first.
func (s *Store) Keys(ctx context.Context) ([]*KeyRecord, error) {
	names, err := s.list(ctx, apiKeyPrefix)
	if err != nil {
		return nil, err
	}
	var out []*KeyRecord
	for _, name := range names {
		k, err := s.Key(ctx, strings.TrimPrefix(name, apiKeyPrefix))
		if errors.Is(err, fault.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if k.LastUsedAt, err = s.keyUse(ctx, k.ID); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b *KeyRecord) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RecordKeyUse stores at as the last time key id authenticated.
func (s *Store) RecordKeyUse(ctx context.Context, id string, at time.Time) error {
	if _, err := s.kv.Put(ctx, keyUsePrefix+id, []byte(at.UTC().Format(time.RFC3339Nano))); err != nil {
		return fmt.Errorf("record use of api key %s: %w", id, err)
	}
	return nil
}

// keyUse is when key id last authenticated, zero if never recorded.
func (s *Store) keyUse(ctx context.Context, id string) (time.Time, error) {
	e, err := s.kv.Get(ctx, keyUsePrefix+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read use of api key %s: %w", id, err)
	}
	at, err := time.Parse(time.RFC3339Nano, string(e.Value()))
	if err != nil {
		return time.Time{}, fmt.Errorf("decode use of api key %s: %w", id, err)
	}
	return at, nil
}

// TeamRecord is a team as stored.
type TeamRecord struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	CreatedAt time.Time   `json:"created_at"`
	CreatedBy ActorRecord `json:"created_by"`
	// TimeZone is an IANA name; empty (teams stored before it existed) reads as UTC.
	TimeZone string `json:"time_zone,omitempty"`
}

// Location is the team's time zone, UTC when none was set.
func (t *TeamRecord) Location() *time.Location {
	if t.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil { // validated when set; a zone dropped from tzdata later falls back to UTC
		return time.UTC
	}
	return loc
}

// CreateTeam stores a new team; fault.ErrAlreadyExists when the id is taken.
func (s *Store) CreateTeam(ctx context.Context, t *TeamRecord) error {
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode team: %w", err)
	}
	if _, err := s.kv.Create(ctx, teamPrefix+t.ID, data); bus.IsRevisionMismatch(err) {
		return fault.AlreadyExists("team %q", t.ID)
	} else if err != nil {
		return fmt.Errorf("store team %s: %w", t.ID, err)
	}
	return nil
}

// Team reads one team; fault.ErrNotFound when there is none.
func (s *Store) Team(ctx context.Context, id string) (*TeamRecord, error) {
	var t TeamRecord
	if _, err := s.get(ctx, teamPrefix+id, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// SetTeamTimeZone stores zone (already validated) as the team's time zone and returns the
// team as stored. It updates at the revision it read, so a concurrent change of the same team
// is retried on the new record instead of overwritten.
func (s *Store) SetTeamTimeZone(ctx context.Context, id, zone string) (*TeamRecord, error) {
	for range 5 {
		var t TeamRecord
		rev, err := s.get(ctx, teamPrefix+id, &t)
		if err != nil {
			return nil, err
		}
		t.TimeZone = zone
		data, err := json.Marshal(&t)
		if err != nil {
			return nil, fmt.Errorf("encode team: %w", err)
		}
		if _, err := s.kv.Update(ctx, teamPrefix+id, data, rev); bus.IsRevisionMismatch(err) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("store team %s: %w", id, err)
		}
		return &t, nil
	}
	return nil, fault.Unavailable("team %q kept changing while its time zone was set; try again", id)
}

// Teams lists the teams sorted by id.
func (s *Store) Teams(ctx context.Context) ([]*TeamRecord, error) {
	names, err := s.list(ctx, teamPrefix)
	if err != nil {
		return nil, err
	}
	var out []*TeamRecord
	for _, name := range names {
		var t TeamRecord
		if _, err := s.get(ctx, name, &t); errors.Is(err, fault.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, &t)
	}
	slices.SortFunc(out, func(a, b *TeamRecord) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// keyring reads the signing keyring and its revision (0 when there is none yet).
func (s *Store) keyring(ctx context.Context) (*Keyring, uint64, error) {
	var kr Keyring
	rev, err := s.get(ctx, keyringKey, &kr)
	if errors.Is(err, fault.ErrNotFound) {
		return &Keyring{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return &kr, rev, nil
}

// saveKeyring writes kr if the stored keyring is still at rev (0: not created yet).
func (s *Store) saveKeyring(ctx context.Context, kr *Keyring, rev uint64) error {
	data, err := json.Marshal(kr)
	if err != nil {
		return fmt.Errorf("encode keyring: %w", err)
	}
	if rev == 0 {
		_, err = s.kv.Create(ctx, keyringKey, data)
	} else {
		_, err = s.kv.Update(ctx, keyringKey, data, rev)
	}
	if bus.IsRevisionMismatch(err) {
		return fmt.Errorf("signing keyring changed concurrently: %w", fault.ErrFailedPrecondition)
	}
	if err != nil {
		return fmt.Errorf("store signing keyring: %w", err)
	}
	return nil
}

func (s *Store) get(ctx context.Context, key string, into any) (uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, fault.NotFound("%s", key)
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), into); err != nil {
		return 0, fmt.Errorf("decode %s: %w", key, err)
	}
	return e.Revision(), nil
}

func (s *Store) list(ctx context.Context, prefix string) ([]string, error) {
	lister, err := s.kv.ListKeysFiltered(ctx, prefix+">")
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s*: %w", prefix, err)
	}
	defer func() { _ = lister.Stop() }()
	var names []string
	for name := range lister.Keys() {
		names = append(names, name)
	}
	return names, nil
}
