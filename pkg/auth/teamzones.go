package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
)

// TeamZones follows every team's time zone in Bucket, for a service that dates things in a
// team's calendar (the fatigue service's team-trend weeks) and must not ask the AuthService for
// it on each use. Every service already reads this bucket to verify tokens, so it watches the
// `team.` records read-only instead of calling a service: Zone is a map lookup, and a change
// made with SetTeamTimeZone reaches it as soon as the bucket's stream delivers it.
type TeamZones struct {
	watcher jetstream.KeyWatcher
	cancel  context.CancelFunc
	done    chan struct{}
	stop    sync.Once
	stopErr error

	mu    sync.RWMutex
	zones map[string]*time.Location
}

// WatchTeamZones binds the bucket on b and returns once every stored team's zone is loaded
// (or ctx ends first). The watch then runs until Stop.
func WatchTeamZones(ctx context.Context, b *bus.Bus) (*TeamZones, error) {
	s, err := OpenStore(ctx, b)
	if err != nil {
		return nil, err
	}
	// The watch outlives ctx, which only bounds the start: it ends with Stop.
	watchCtx, cancel := context.WithCancel(context.Background())
	w, err := s.kv.Watch(watchCtx, teamPrefix+">")
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watch teams in %s: %w", Bucket, err)
	}
	z := &TeamZones{watcher: w, cancel: cancel, done: make(chan struct{}), zones: map[string]*time.Location{}}
	loaded := make(chan struct{})
	go z.follow(loaded)
	select {
	case <-loaded:
		return z, nil
	case <-z.done:
		_ = z.Stop()
		return nil, fmt.Errorf("load team time zones from %s: the watch ended first (connection closed)", Bucket)
	case <-ctx.Done():
		_ = z.Stop()
		return nil, fmt.Errorf("load team time zones from %s: %w", Bucket, ctx.Err())
	}
}

// follow applies the watch's entries until it stops; the nil entry that marks the end of the
// stored values closes loaded.
func (z *TeamZones) follow(loaded chan struct{}) {
	defer close(z.done)
	for e := range z.watcher.Updates() {
		if e == nil {
			if loaded != nil { // the marker comes once; this guards against a second one
				close(loaded)
				loaded = nil
			}
			continue
		}
		z.apply(e)
	}
}

func (z *TeamZones) apply(e jetstream.KeyValueEntry) {
	team := strings.TrimPrefix(e.Key(), teamPrefix)
	z.mu.Lock()
	defer z.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(z.zones, team)
		return
	}
	var t TeamRecord
	if err := json.Unmarshal(e.Value(), &t); err != nil {
		// A record this version cannot read keeps the team in UTC, as a team without one is;
		// the AuthService reports the same record as undecodable to whoever asks for it.
		delete(z.zones, team)
		return
	}
	z.zones[team] = t.Location()
}

// Zone is the team's time zone: UTC for a team without a record or without a zone, as
// GetTeam reads them.
func (z *TeamZones) Zone(team string) *time.Location {
	z.mu.RLock()
	defer z.mu.RUnlock()
	if loc, ok := z.zones[team]; ok {
		return loc
	}
	return time.UTC
}

// Done is closed once the watch has ended: after Stop, or when the connection closed. Zone
// keeps answering with the last zones it saw.
func (z *TeamZones) Done() <-chan struct{} { return z.done }

// Stop ends the watch and waits for its last entry to be applied. It is safe to call more than
// once.
func (z *TeamZones) Stop() error {
	z.stop.Do(func() {
		// A closed connection has ended the watch already.
		if err := z.watcher.Stop(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
			z.stopErr = fmt.Errorf("stop watching teams in %s: %w", Bucket, err)
		}
		z.cancel()
		<-z.done
	})
	return z.stopErr
}
