package web

import (
	"encoding/json"
	"net/http"
	"time"
)

// notice is what a page says once after a form was posted and the browser redirected
// (redirect-after-post): the outcome, and at most once a secret that must not travel in a URL.
type notice struct {
	// Kind is "done" for a success, "problem" for a refusal or conflict.
	Kind string `json:"k"`
	Text string `json:"t"`
	// Lines are details, e.g. one per channel of a test delivery.
	Lines []string `json:"l,omitempty"`
	// Secret is a webhook signing secret or a new API key, shown on the next page view only.
	Secret string `json:"s,omitempty"`
	At     int64  `json:"a"`
}

// noticeCookie carries the notice across the redirect. It is sealed to the session (see
// session.go) so the browser cannot read a secret in it and no other session can show it, and
// it travels with the browser so that whichever console replica serves the next page can.
const noticeCookie = "sc_notice"

// noticeTTL bounds how long an unread notice lasts: a browser that posted and never followed
// the redirect must not keep a signing secret for the session's life.
const noticeTTL = 2 * time.Minute

// putNotice leaves n for the session's next page view.
func (s *Server) putNotice(w http.ResponseWriter, r *http.Request, sess *session, n notice) error {
	n.At = s.opts.Now().Unix()
	plain, err := json.Marshal(n)
	if err != nil {
		return err
	}
	sealed, err := s.noticeSealer.seal(plain, sess.id)
	if err != nil {
		return err
	}
	s.setCookie(w, r, noticeCookie, sealed, noticeTTL)
	return nil
}

// takeNotice returns the session's pending notice and clears it, so a reload does not show it
// again.
func (s *Server) takeNotice(w http.ResponseWriter, r *http.Request, sess *session) (notice, bool) {
	value := s.cookie(r, noticeCookie)
	if value == "" || sess == nil {
		return notice{}, false
	}
	s.clearCookie(w, r, noticeCookie)
	plain, err := s.noticeSealer.open(value, sess.id)
	if err != nil {
		return notice{}, false
	}
	var n notice
	if json.Unmarshal(plain, &n) != nil || s.opts.Now().Sub(time.Unix(n.At, 0)) > noticeTTL {
		return notice{}, false
	}
	return n, true
}
