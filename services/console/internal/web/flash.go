package web

import (
	"sync"
	"time"
)

// notice is what a page says once after a form was posted and the browser redirected
// (redirect-after-post): the outcome, and at most once a secret that must not travel in a URL.
type notice struct {
	// Kind is "done" for a success, "problem" for a refusal or conflict.
	Kind string
	Text string
	// Lines are details, e.g. one per channel of a test delivery.
	Lines []string
	// Secret is a webhook signing secret, shown on the next page view only.
	Secret string
	at     time.Time
}

// noticeTTL bounds how long an unread notice is kept: a browser that posted and never
// followed the redirect must not leave a signing secret in memory for the session's life.
const noticeTTL = 2 * time.Minute

// noticeStore holds at most one notice per session, server-side, so a secret never reaches a
// cookie or an address and a reload does not show it again. The zero value is ready to use.
type noticeStore struct {
	mu      sync.Mutex
	pending map[*session]notice
}

func (n *noticeStore) put(sess *session, msg notice, now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pending == nil {
		n.pending = map[*session]notice{}
	}
	// Sweeping here bounds the map without a goroutine: notices of sessions that went away
	// are dropped by the next post of anyone.
	for s, old := range n.pending {
		if now.Sub(old.at) > noticeTTL {
			delete(n.pending, s)
		}
	}
	msg.at = now
	n.pending[sess] = msg
}

// take returns the session's notice and forgets it.
func (n *noticeStore) take(sess *session, now time.Time) (notice, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	msg, ok := n.pending[sess]
	delete(n.pending, sess)
	if !ok || now.Sub(msg.at) > noticeTTL {
		return notice{}, false
	}
	return msg, true
}
