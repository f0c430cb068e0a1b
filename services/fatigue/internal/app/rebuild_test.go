package app

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// unreadableStore hands out a damaged snapshot the way the KV adapter reports one.
type unreadableStore struct{ memStore }

func (u *unreadableStore) Load(ctx context.Context, k Key) (*domain.State, error) {
	st, err := u.memStore.Load(ctx, k)
	if err != nil {
		return nil, &UnreadableSnapshotError{Key: k, Revision: 1, Data: u.saved[k], Err: err}
	}
	return st, nil
}

// Without a way to rebuild, an unreadable snapshot fails the batch (it is retried) instead of
// restarting the athlete from an empty state.
func TestUnreadableSnapshotWithoutRebuildFailsTheBatch(t *testing.T) {
	team := simulate.Generate(simulate.Config{Team: "t1", Athletes: 1, Weeks: 8, Seed: 3})
	k := Key{Team: "t1", Athlete: "a01"}
	damaged := []byte{99}
	store := &unreadableStore{memStore{saved: map[Key][]byte{k: damaged}}}
	p := NewProcessor(store, &recPub{}, fixedThresholds{})
	_, err := p.HandleTraining(context.Background(), []Message{{Seq: 7, Event: team.Events[0]}})
	var bad *UnreadableSnapshotError
	if !errors.As(err, &bad) || bad.Key != k {
		t.Fatalf("HandleTraining: %v, want the unreadable snapshot of %s", err, k)
	}
	if !bytes.Equal(store.saved[k], damaged) {
		t.Error("the damaged snapshot was overwritten without a rebuild")
	}
	if _, _, err := p.Current(context.Background(), k); err == nil {
		t.Error("Current answered for an athlete whose snapshot is unreadable")
	}
}
