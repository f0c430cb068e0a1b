package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// session is one signed-in browser. It holds the token the console calls the services with, so
// the browser only ever holds an opaque random id: the credential never reaches the page, and
// signing out (or idling) ends it on the server, not only in the browser.
type session struct {
	// token is the short-lived signed token (AuthService.IssueToken) of the signed-in principal.
	token string
	// expires is when the token expires; the session cannot outlive it.
	expires time.Time
	subject string
	name    string
	role    commonv1.Role
	// teams are the granted teams; admins have none and may open any team.
	teams []string
	// athlete is the one athlete a check-in session reports for (checkin.go); empty otherwise.
	athlete string
	// csrf is the token every form of this session carries.
	csrf     string
	lastSeen time.Time
}

// mayOpen reports whether the session's grants include team. The services check again on
// every call; this only turns an obvious refusal into a clear page before any call is made.
func (s *session) mayOpen(team string) bool {
	return s.role == commonv1.Role_ROLE_ADMIN || slices.Contains(s.teams, team)
}

// sessions is the in-memory session store. Ids are 256 random bits; the map is keyed by their
// SHA-256 so that what sits in memory cannot be replayed as a cookie.
type sessions struct {
	idle time.Duration
	now  func() time.Time

	mu      sync.Mutex
	byHash  map[[32]byte]*session
	created int
}

func newSessions(idle time.Duration, now func() time.Time) *sessions {
	return &sessions{idle: idle, now: now, byHash: map[[32]byte]*session{}}
}

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// create stores s and returns the id for its cookie.
func (st *sessions) create(s *session) (string, error) {
	id, err := randomToken(32)
	if err != nil {
		return "", err
	}
	if s.csrf, err = randomToken(32); err != nil {
		return "", err
	}
	s.lastSeen = st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.byHash[sha256.Sum256([]byte(id))] = s
	// Sweeping on creation bounds the map without a background goroutine: abandoned sessions
	// go at the latest when someone else signs in.
	st.created++
	if st.created%64 == 0 {
		st.sweepLocked()
	}
	return id, nil
}

// get returns the live session with id and marks it seen when touch is set (a page view, not a
// live-update tick, keeps a session from idling out). An idle or expired session is deleted.
func (st *sessions) get(id string, touch bool) (*session, bool) {
	if id == "" {
		return nil, false
	}
	key := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byHash[key]
	if !ok {
		return nil, false
	}
	now := st.now()
	if st.ended(s, now) {
		delete(st.byHash, key)
		return nil, false
	}
	if touch {
		s.lastSeen = now
	}
	return s, true
}

// alive reports whether s has neither idled out nor expired; live streams ask on each tick.
func (st *sessions) alive(s *session) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.ended(s, st.now())
}

func (st *sessions) ended(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) > st.idle || !now.Before(s.expires)
}

// delete ends the session with id (sign out, or the services no longer accept its token).
func (st *sessions) delete(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.byHash, sha256.Sum256([]byte(id)))
}

func (st *sessions) sweepLocked() {
	now := st.now()
	for k, s := range st.byHash {
		if st.ended(s, now) {
			delete(st.byHash, k)
		}
	}
}
