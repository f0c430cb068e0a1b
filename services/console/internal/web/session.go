package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// session is one signed-in browser. It holds the token the console calls the services with.
// It lives in the browser's cookie, sealed (AES-256-GCM) with a key only the console replicas
// hold: the browser can neither read the token nor change a field, any replica can open it,
// and a restart signs nobody out. Revoking the key behind the token still ends the session at
// once, because every page calls the services with the token and they check it each time.
type session struct {
	// id names the session (its notices are sealed to it); random, never reused.
	id string
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

// sealedSession is a session as it is sealed into the cookie: short names keep the cookie
// small (the token is most of it).
type sealedSession struct {
	ID       string        `json:"i"`
	Token    string        `json:"t"`
	Expires  int64         `json:"e"`
	Subject  string        `json:"s"`
	Name     string        `json:"n,omitempty"`
	Role     commonv1.Role `json:"r"`
	Teams    []string      `json:"g,omitempty"`
	Athlete  string        `json:"a,omitempty"`
	CSRF     string        `json:"c"`
	LastSeen int64         `json:"l"`
}

// MinSessionKeyLength is the shortest session key accepted: 32 bytes, the strength of the
// AES-256 keys derived from it.
const MinSessionKeyLength = 32

// sealer seals values for one purpose (a console session, a check-in session, a notice): the
// purpose is bound into the key, so a value sealed for one is refused as any other.
type sealer struct{ aead cipher.AEAD }

func newSealer(secret []byte, purpose string) (sealer, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, "supercomp console "+purpose, 32)
	if err != nil {
		return sealer{}, fmt.Errorf("derive %s key: %w", purpose, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("%s cipher: %w", purpose, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("%s cipher: %w", purpose, err)
	}
	return sealer{aead: aead}, nil
}

// seal encrypts and authenticates plain; binding (e.g. the session a notice belongs to) must
// be given again to open it. The nonce is random: 96 bits are safe for far more cookies than a
// console ever seals under one key.
func (s sealer) seal(plain []byte, binding string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(binding))), nil
}

var errBadSeal = errors.New("not a value this console sealed")

func (s sealer) open(value, binding string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, errBadSeal
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(binding))
	if err != nil {
		return nil, errBadSeal
	}
	return plain, nil
}

// sessions turns sessions into cookie values and back, and decides when one has ended.
type sessions struct {
	idle   time.Duration
	now    func() time.Time
	sealer sealer
}

func newSessions(secret []byte, purpose string, idle time.Duration, now func() time.Time) (*sessions, error) {
	sl, err := newSealer(secret, purpose)
	if err != nil {
		return nil, err
	}
	return &sessions{idle: idle, now: now, sealer: sl}, nil
}

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// create gives s its id and form token, marks it seen now, and returns its cookie value.
func (st *sessions) create(s *session) (string, error) {
	var err error
	if s.id, err = randomToken(16); err != nil {
		return "", err
	}
	if s.csrf, err = randomToken(32); err != nil {
		return "", err
	}
	s.lastSeen = st.now()
	return st.seal(s)
}

// seal is s's cookie value.
func (st *sessions) seal(s *session) (string, error) {
	plain, err := json.Marshal(sealedSession{ID: s.id, Token: s.token, Expires: s.expires.Unix(), Subject: s.subject, Name: s.name,
		Role: s.role, Teams: s.teams, Athlete: s.athlete, CSRF: s.csrf, LastSeen: s.lastSeen.Unix()})
	if err != nil {
		return "", fmt.Errorf("encode session: %w", err)
	}
	return st.sealer.seal(plain, "")
}

// get opens a cookie value: the session, if it is one this console sealed and it has neither
// idled out nor expired. touch marks it seen now (a page view; a live-update tick does not
// keep a session from idling out); the caller then stores the session again (seal).
func (st *sessions) get(value string, touch bool) (*session, bool) {
	if value == "" {
		return nil, false
	}
	plain, err := st.sealer.open(value, "")
	if err != nil {
		return nil, false
	}
	var ss sealedSession
	if err := json.Unmarshal(plain, &ss); err != nil {
		return nil, false
	}
	s := &session{id: ss.ID, token: ss.Token, expires: time.Unix(ss.Expires, 0), subject: ss.Subject, name: ss.Name, role: ss.Role,
		teams: ss.Teams, athlete: ss.Athlete, csrf: ss.CSRF, lastSeen: time.Unix(ss.LastSeen, 0)}
	now := st.now()
	if st.ended(s, now) {
		return nil, false
	}
	if touch {
		s.lastSeen = now
	}
	return s, true
}

// alive reports whether s has neither idled out nor expired; live streams ask on each tick.
func (st *sessions) alive(s *session) bool { return !st.ended(s, st.now()) }

func (st *sessions) ended(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) > st.idle || !now.Before(s.expires)
}
