package server

import (
	"container/list"
	"sync"
	"time"
)

// lru is a bounded map from callers (client addresses, principals, credentials) to their state.
// Callers are chosen by whoever calls the server, so the map must not grow with them: at most
// max entries are kept, entries unused for idle are dropped as new ones arrive, and when it is
// full the least recently used entry makes room. Dropping an entry resets that caller's state
// (a full token bucket), so idle is chosen long enough for a bucket to have refilled anyway;
// only a flood from more than max callers at once resets buckets early, and memory stays bounded.
type lru[K comparable, V any] struct {
	max  int
	idle time.Duration
	// evicted, when set, is told about each dropped entry (outside the lock, so it may log).
	evicted func(K, V)

	mu    sync.Mutex
	items map[K]*list.Element
	order list.List // of *lruEntry[K, V], most recently used first
}

type lruEntry[K comparable, V any] struct {
	key  K
	val  V
	seen time.Time
}

func newLRU[K comparable, V any](max int, idle time.Duration) *lru[K, V] {
	return &lru[K, V]{max: max, idle: idle, items: make(map[K]*list.Element)}
}

// get returns key's state, creating it with create when absent, and marks it used at now.
func (c *lru[K, V]) get(key K, now time.Time, create func() V) V {
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*lruEntry[K, V])
		e.seen = now
		c.order.MoveToFront(el)
		c.mu.Unlock()
		return e.val
	}
	dropped := c.makeRoom(now)
	e := &lruEntry[K, V]{key: key, val: create(), seen: now}
	c.items[key] = c.order.PushFront(e)
	c.mu.Unlock()
	for _, d := range dropped {
		c.evicted(d.key, d.val)
	}
	return e.val
}

// peek returns key's state without creating it or marking it used.
func (c *lru[K, V]) peek(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		return el.Value.(*lruEntry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// remove forgets key.
func (c *lru[K, V]) remove(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
}

// len is the number of entries kept.
func (c *lru[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// makeRoom drops idle entries, then the least recently used while full, before an insert. The
// work is amortised: each entry is dropped once. It returns the dropped entries when someone
// wants to hear about them.
func (c *lru[K, V]) makeRoom(now time.Time) []*lruEntry[K, V] {
	var dropped []*lruEntry[K, V]
	for {
		back := c.order.Back()
		if back == nil {
			return dropped
		}
		e := back.Value.(*lruEntry[K, V])
		if c.order.Len() < c.max && now.Sub(e.seen) < c.idle {
			return dropped
		}
		c.order.Remove(back)
		delete(c.items, e.key)
		if c.evicted != nil {
			dropped = append(dropped, e)
		}
	}
}
