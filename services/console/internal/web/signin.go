package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/auth"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// Cookie names. Over TLS they take the __Host- prefix, which browsers accept only with Secure,
// Path=/ and no Domain, so no other host or path can plant or shadow them.
const (
	sessionCookie = "sc_session"
	// signinCookie holds the pre-session CSRF token of the sign-in forms (double submit), so a
	// third-party page cannot sign a browser in as someone else.
	signinCookie = "sc_signin"
)

// signinRoles may use the console; devices only upload and athletes get their own check-in
// screen later.
var signinRoles = []commonv1.Role{commonv1.Role_ROLE_COACH, commonv1.Role_ROLE_STAFF, commonv1.Role_ROLE_ADMIN}

func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.opts.SecureCookies }

func (s *Server) cookieName(r *http.Request, name string) string {
	if s.secure(r) {
		return "__Host-" + name
	}
	return name
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(r, name), Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r, name), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

func (s *Server) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(s.cookieName(r, name))
	if err != nil {
		return ""
	}
	return c.Value
}

// currentSession is the request's session, if it has a live one; touch marks it seen.
func (s *Server) currentSession(r *http.Request, touch bool) (*session, bool) {
	return s.sessions.get(s.cookie(r, sessionCookie), touch)
}

// requireSession returns the session or answers the request: a page view without one goes to
// sign-in and comes back after. A page view marks the session seen, which means sealing it
// into the cookie again: the idle clock lives in the browser's cookie, not in one replica.
func (s *Server) requireSession(w http.ResponseWriter, r *http.Request) (*session, bool) {
	if sess, ok := s.currentSession(r, true); ok {
		value, err := s.sessions.seal(sess)
		if err != nil {
			s.internalError(w, r, err)
			return nil, false
		}
		s.setCookie(w, r, sessionCookie, value, sess.expires.Sub(s.opts.Now()))
		return sess, true
	}
	if s.cookie(r, sessionCookie) != "" {
		s.clearCookie(w, r, sessionCookie)
	}
	target := "/signin"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil, false
}

// sameOrigin rejects a POST whose Origin names another site. Browsers send Origin on every
// POST; together with SameSite=Strict cookies and the form tokens it stops cross-site forms.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// checkForm verifies a state-changing form: same origin and the expected CSRF token.
func (s *Server) checkForm(w http.ResponseWriter, r *http.Request, want string) bool {
	if err := r.ParseForm(); err != nil {
		s.renderMessage(w, r, nil, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return false
	}
	if !sameOrigin(r) || !tokensEqual(r.PostForm.Get("csrf"), want) {
		s.renderMessage(w, r, nil, http.StatusForbidden, "Form expired",
			"This form was not sent from this page, or it has expired. Go back, reload the page and try again.")
		return false
	}
	return true
}

// safeNext is where to go after sign-in: only a path on this console, never another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

// signinToken returns the sign-in form's CSRF token, setting its cookie when there is none.
func (s *Server) signinToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	if tok := s.cookie(r, signinCookie); tok != "" {
		return tok, true
	}
	tok, err := randomToken(32)
	if err != nil {
		s.internalError(w, r, err)
		return "", false
	}
	s.setCookie(w, r, signinCookie, tok, time.Hour)
	return tok, true
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.currentSession(r, true); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderSignin(w, r, http.StatusOK, "")
}

func (s *Server) renderSignin(w http.ResponseWriter, r *http.Request, code int, problem string) {
	tok, ok := s.signinToken(w, r)
	if !ok {
		return
	}
	s.render(w, r, code, "signin", &signinView{page: s.pageOf(nil, "Sign in"), FormToken: tok,
		Next: safeNext(r.FormValue("next")), Problem: problem})
}

func (s *Server) signinWithKey(w http.ResponseWriter, r *http.Request) {
	if !s.checkForm(w, r, s.cookie(r, signinCookie)) {
		return
	}
	key := strings.TrimSpace(r.PostForm.Get("key"))
	if key == "" {
		s.renderSignin(w, r, http.StatusUnprocessableEntity, "Enter your API key.")
		return
	}
	ctx := withBearer(r.Context(), key)
	// WhoAmI first: a device key is refused before any token is issued for it.
	me, err := s.clients.Auth.WhoAmI(ctx, &authv1.WhoAmIRequest{})
	if err != nil {
		s.signinFailed(w, r, err)
		return
	}
	if problem := refusedRole(me.GetPrincipal().GetRole()); problem != "" {
		s.renderSignin(w, r, http.StatusForbidden, problem)
		return
	}
	tok, err := s.clients.Auth.IssueToken(ctx, &authv1.IssueTokenRequest{Ttl: durationpb.New(s.opts.SessionMax)})
	if err != nil {
		s.signinFailed(w, r, err)
		return
	}
	s.startSession(w, r, tok, me.GetPrincipal())
}

// linkForm shows the sign-in link's confirmation. Opening the link spends nothing: mail
// scanners and chat previews fetch links, and would otherwise use up the one-time key before
// its owner clicks. The key is spent by the form's POST.
func (s *Server) linkForm(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.signinToken(w, r)
	if !ok {
		return
	}
	key := r.URL.Query().Get("key")
	v := &signinView{page: s.pageOf(nil, "Sign in with a link"), FormToken: tok, LinkKey: key}
	if key == "" {
		v.Problem = "This sign-in link is incomplete. Ask for a new one (sc console link)."
	}
	s.render(w, r, http.StatusOK, "link", v)
}

func (s *Server) signinWithLink(w http.ResponseWriter, r *http.Request) {
	if !s.checkForm(w, r, s.cookie(r, signinCookie)) {
		return
	}
	ctx := withBearer(r.Context(), r.PostForm.Get("key"))
	// The one-time key authenticates exactly one call: this one. Who it is comes from the token.
	tok, err := s.clients.Auth.IssueToken(ctx, &authv1.IssueTokenRequest{Ttl: durationpb.New(s.opts.SessionMax)})
	if err != nil {
		s.linkFailed(w, r, err)
		return
	}
	me, err := s.clients.Auth.WhoAmI(withBearer(r.Context(), tok.GetToken()), &authv1.WhoAmIRequest{})
	if err != nil {
		s.linkFailed(w, r, err)
		return
	}
	if problem := refusedRole(me.GetPrincipal().GetRole()); problem != "" {
		s.renderMessage(w, r, nil, http.StatusForbidden, "Cannot sign in", problem)
		return
	}
	s.startSession(w, r, tok, me.GetPrincipal())
}

func refusedRole(role commonv1.Role) string {
	for _, ok := range signinRoles {
		if role == ok {
			return ""
		}
	}
	switch role {
	case commonv1.Role_ROLE_DEVICE:
		return "This is a device key: devices upload training data and cannot sign in to the console. " +
			"Sign in with your own coach or staff key, or ask an admin for a sign-in link."
	case commonv1.Role_ROLE_ATHLETE:
		return "This is an athlete key: the console is for coaches, performance staff and admins."
	}
	return "This key's role cannot sign in to the console."
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, tok *authv1.IssueTokenResponse, p *authv1.Principal) {
	sess := &session{token: tok.GetToken(), expires: tok.GetExpiresAt().AsTime(), subject: p.GetSubject(),
		name: p.GetDisplayName(), role: p.GetRole()}
	for _, g := range p.GetGrants() {
		sess.teams = append(sess.teams, g.GetTeamId())
	}
	value, err := s.sessions.create(sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.setCookie(w, r, sessionCookie, value, sess.expires.Sub(s.opts.Now()))
	s.clearCookie(w, r, signinCookie)
	s.log.Info("signed in", zap.String("subject", sess.subject), zap.String("role", auth.RoleName(sess.role)))
	// Redirected away so that the address bar, history and a reload hold no key and no form.
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

func (s *Server) signinFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch status.Code(err) {
	case codes.Unauthenticated:
		s.renderSignin(w, r, http.StatusUnauthorized, "This API key is not valid: it is unknown, revoked or expired.")
	case codes.PermissionDenied:
		s.renderSignin(w, r, http.StatusForbidden, "This API key may not sign in.")
	default:
		s.serviceError(w, r, err, "sign in")
	}
}

func (s *Server) linkFailed(w http.ResponseWriter, r *http.Request, err error) {
	if status.Code(err) == codes.Unauthenticated {
		s.renderMessage(w, r, nil, http.StatusUnauthorized, "This link no longer works",
			"A sign-in link works once and only for a short time. Ask for a new one, or sign in with your API key.")
		return
	}
	s.serviceError(w, r, err, "sign in with a link")
}

// signoutTimeout bounds the wait for the auth service to record a sign-out.
const signoutTimeout = 3 * time.Second

func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.currentSession(r, false)
	if !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if !s.checkForm(w, r, sess.csrf) {
		return
	}
	// The session's token is revoked first (AuthService.RevokeToken): every service refuses it
	// from then on, so a copy of this cookie, on any replica, opens nothing; the first page it
	// asks for signs it out. Only then does the browser forget it. When the auth service cannot
	// record the revocation the person stays signed in and is told to try again: clearing the
	// cookie alone would look like a sign-out and leave every copy working.
	// Bounded: with the auth service's storage unreachable the call would otherwise wait as long
	// as the browser does, and the person would see a hung page instead of "try again".
	ctx, cancel := context.WithTimeout(r.Context(), signoutTimeout)
	defer cancel()
	_, err := s.clients.Auth.RevokeToken(withCredential(ctx, sess), &authv1.RevokeTokenRequest{})
	if err != nil && status.Code(err) != codes.Unauthenticated { // already refused: nothing left to end
		s.log.Warn("sign-out not recorded", zap.String("subject", sess.subject), zap.Error(err))
		s.renderMessage(w, r, sess, http.StatusServiceUnavailable, "Not signed out yet",
			"Supercomp could not end your session just now, so you are still signed in. Try signing out again shortly.")
		return
	}
	s.log.Info("signed out", zap.String("subject", sess.subject))
	s.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func withBearer(ctx context.Context, credential string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+credential)
}

// serviceError answers a failed service call: an ended credential signs the browser out, a
// refusal says so, anything else is a plain error page (details in the log, not on the page).
func (s *Server) serviceError(w http.ResponseWriter, r *http.Request, err error, what string) {
	sess, _ := s.currentSession(r, false)
	switch st, _ := status.FromError(err); st.Code() {
	case codes.Unauthenticated:
		if sess != nil {
			s.clearCookie(w, r, sessionCookie)
		}
		s.renderMessage(w, r, nil, http.StatusUnauthorized, "Signed out",
			"Your sign-in is no longer valid (it expired, you signed out, or its key was revoked). Sign in again.")
	case codes.PermissionDenied:
		s.renderMessage(w, r, sess, http.StatusForbidden, "No access", "You do not have access to this: "+st.Message())
	case codes.NotFound:
		s.renderMessage(w, r, sess, http.StatusNotFound, "Not found", st.Message())
	case codes.Unavailable, codes.DeadlineExceeded:
		s.log.Warn("service unavailable", zap.String("call", what), zap.Error(err))
		s.renderMessage(w, r, sess, http.StatusServiceUnavailable, "Try again shortly",
			"Supercomp did not answer in time. The page will work again once the services are back.")
	default:
		s.internalError(w, r, fmt.Errorf("%s: %w", what, err))
	}
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("console request failed", zap.String("path", r.URL.Path), zap.Error(err))
	sess, _ := s.currentSession(r, false)
	if errors.Is(err, context.Canceled) {
		return // the browser went away
	}
	s.renderMessage(w, r, sess, http.StatusInternalServerError, "Something went wrong", "The page could not be shown. Try again.")
}
