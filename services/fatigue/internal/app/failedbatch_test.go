package app

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// memStore keeps deep copies, as the KV bucket does; failSave makes the next n saves fail.
type memStore struct {
	mu       sync.Mutex
	saved    map[Key][]byte
	failSave int
}

func (m *memStore) Load(_ context.Context, k Key) (*domain.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := &domain.State{}
	if b, ok := m.saved[k]; ok {
		return st, st.UnmarshalBinary(b)
	}
	return st, nil
}

func (m *memStore) Save(_ context.Context, k Key, st *domain.State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSave > 0 {
		m.failSave--
		return errors.New("save timed out")
	}
	b, err := st.MarshalBinary()
	m.saved[k] = b
	return err
}
func (m *memStore) All(context.Context) (map[Key]*domain.State, error)          { return nil, nil }
func (m *memStore) Team(context.Context, string) (map[Key]*domain.State, error) { return nil, nil }

type recPub struct {
	ids  []string
	fail int
}

// Publish records each id once: the bus drops a republished id (Nats-Msg-Id dedupe).
func (r *recPub) Publish(_ context.Context, out []Output) error {
	if r.fail > 0 {
		r.fail--
		return errors.New("publish timed out")
	}
	for _, o := range out {
		e := o.Event
		if !slices.Contains(r.ids, e.GetId()) {
			r.ids = append(r.ids, e.GetId())
		}
	}
	return nil
}

type fixedThresholds struct{}

func (fixedThresholds) Effective(context.Context, string, string) (domain.Thresholds, error) {
	return domain.DefaultThresholds(), nil
}

func TestFailedSaveIsRedeliveredNotSkipped(t *testing.T) {
	team := simulate.Generate(simulate.Config{Team: "t1", Athletes: 2, Overreachers: 1, Weeks: 8, Seed: 3})
	msgs := make([]Message, len(team.Events))
	for i, ev := range team.Events {
		msgs[i] = Message{Seq: uint64(i + 1), Event: ev}
	}
	type snap struct {
		saved map[Key][]byte
		ids   []string
	}
	run := func(failAt int, failPublish bool) []snap {
		var out []snap
		st, pub := &memStore{saved: map[Key][]byte{}}, &recPub{}
		p := NewProcessor(st, pub, fixedThresholds{})
		for i := 0; i < len(msgs); i += 20 {
			batch := msgs[i:min(i+20, len(msgs))]
			if i/20 == failAt {
				if failPublish {
					pub.fail = 1
				} else {
					st.failSave = 1
				}
				if _, err := p.HandleTraining(context.Background(), batch); err == nil {
					t.Fatal("failure not reported")
				}
			}
			// The batch is redelivered (or was fine).
			if _, err := p.HandleTraining(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			saved := map[Key][]byte{}
			for k, v := range st.saved {
				saved[k] = v
			}
			out = append(out, snap{saved, append([]string(nil), pub.ids...)})
		}
		return out
	}
	want := run(-1, false)
	failAt := 1
	for failAt < len(want) && len(want[failAt].ids) == len(want[failAt-1].ids) {
		failAt++
	}
	if failAt == len(want) {
		t.Fatal("no batch publishes anything")
	}
	for _, failPublish := range []bool{false, true} {
		got := run(failAt, failPublish)
		for i := range want {
			if !reflect.DeepEqual(got[i].saved, want[i].saved) {
				t.Errorf("publish failed %v: after batch %d (redelivered) the snapshots differ from a run without failure", failPublish, i)
			}
			if !reflect.DeepEqual(got[i].ids, want[i].ids) {
				t.Errorf("publish failed %v: after batch %d published %d events, want %d", failPublish, i, len(got[i].ids), len(want[i].ids))
			}
		}
	}
}
