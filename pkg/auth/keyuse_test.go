package auth

import (
	"context"
	"testing"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// A key's last use is recorded on authentication, once per KeyUseResolution, without moving
// the key's revision; a key never used shows none.
func TestKeyLastUsedAt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	used := f.key(t, "force plates", commonv1.Role_ROLE_DEVICE, 0, Grant{TeamID: "t1"})
	idle := f.key(t, "spare", commonv1.Role_ROLE_DEVICE, 0, Grant{TeamID: "t1"})

	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	clock := t0
	f.authn.now = func() time.Time { return clock }
	lastUse := func() map[string]*KeyRecord {
		t.Helper()
		keys, err := f.authn.Store().Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*KeyRecord{}
		for _, k := range keys {
			out[k.ID] = k
		}
		return out
	}
	authenticate := func(at time.Time) {
		t.Helper()
		clock = at
		if _, err := f.authn.Authenticate(ctx, f.keys["force plates"]); err != nil {
			t.Fatal(err)
		}
	}

	authenticate(t0)
	authenticate(t0.Add(time.Minute)) // within the resolution: not written
	keys := lastUse()
	if got := keys[used.ID].LastUsedAt; !got.Equal(t0) {
		t.Errorf("last used %s, want %s", got, t0)
	}
	if got := keys[used.ID].Proto().GetLastUsedAt().AsTime(); !got.Equal(t0) {
		t.Errorf("wire last_used_at %s, want %s", got, t0)
	}
	if keys[used.ID].Revision != used.Revision {
		t.Errorf("key revision moved from %d to %d on use", used.Revision, keys[used.ID].Revision)
	}
	if !keys[idle.ID].LastUsedAt.IsZero() || keys[idle.ID].Proto().GetLastUsedAt() != nil {
		t.Errorf("unused key shows a last use: %s", keys[idle.ID].LastUsedAt)
	}

	later := t0.Add(KeyUseResolution + time.Second)
	authenticate(later)
	if got := lastUse()[used.ID].LastUsedAt; !got.Equal(later) {
		t.Errorf("after the resolution, last used %s, want %s", got, later)
	}
}
