// Package web is the console's HTTP side: sign-in and sessions, the pages (server-rendered
// html/template), the live-update stream, and the security headers every response carries. It
// reaches the platform only through the services' gRPC clients, calling with the signed-in
// principal's token, so the services' own access rules decide what a person may see.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/metadata"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
)

//go:embed assets/templates/*.html assets/templates/parts/*.html
var templateFiles embed.FS

//go:embed assets/static
var staticFiles embed.FS

// Clients are the services the console calls. Each is an interface so that tests and
// benchmarks can serve fakes; in production they share one connection (the all-in-one) or
// point at each service's own address.
type Clients struct {
	Auth          authv1.AuthServiceClient
	Fatigue       fatiguev1.FatigueServiceClient
	Programming   programmingv1.ProgrammingServiceClient
	Notifications notificationsv1.NotificationServiceClient
	// Trends is served by the fatigue service (the athlete page's weekly volume and wellness).
	Trends trendsv1.TrendsServiceClient
	// Ingestion records athletes' check-ins and reads who reported (checkin.go). Optional: a
	// console without it has no check-in and no compliance line on the board.
	Ingestion ingestionv1.IngestionServiceClient
}

// Options tune sessions and live updates.
type Options struct {
	// SessionIdle signs a browser out after this long without a page view.
	SessionIdle time.Duration
	// SessionMax is the longest a session lasts (the lifetime of the token it holds).
	SessionMax time.Duration
	// LiveInterval is how often an open board asks for the team's status.
	LiveInterval time.Duration
	// SecureCookies marks cookies Secure even on plain HTTP, for a console behind a proxy that
	// terminates TLS. Requests that arrive over TLS get Secure cookies regardless.
	SecureCookies bool
	// SessionKey seals the session cookies (session.go): every replica of a console must have
	// the same one, and sessions outlive a restart only if it stays the same. At least
	// MinSessionKeyLength bytes; empty means a random key for this process alone.
	SessionKey []byte
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Server serves the console.
type Server struct {
	clients  Clients
	opts     Options
	log      *zap.Logger
	pages    *pages
	sessions *sessions
	mux      *http.ServeMux
	// noticeSealer seals the message carried across a redirect-after-post (flash.go).
	noticeSealer sealer
	// checkin is the athletes' check-in: its sessions and page (checkin.go).
	checkin *checkin

	// closing ends the live streams when the HTTP server shuts down: they never finish on
	// their own, and a graceful shutdown would otherwise wait for them until its deadline.
	closing   context.Context
	closeOnce sync.Once
	close     context.CancelFunc
}

// New returns the console handler.
func New(clients Clients, opts Options, logger *zap.Logger) (*Server, error) {
	if clients.Auth == nil || clients.Fatigue == nil || clients.Programming == nil || clients.Notifications == nil ||
		clients.Trends == nil {
		return nil, errors.New("console: every service client is required")
	}
	if opts.SessionIdle <= 0 || opts.SessionMax <= 0 || opts.LiveInterval <= 0 {
		return nil, fmt.Errorf("console: session idle (%s), session max (%s) and live interval (%s) must be positive",
			opts.SessionIdle, opts.SessionMax, opts.LiveInterval)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch n := len(opts.SessionKey); {
	case n == 0:
		key := make([]byte, MinSessionKeyLength)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("console: session key: %w", err)
		}
		opts.SessionKey = key
		logger.Warn("console: no session key configured (--session-key, SC_SESSION_KEY): sessions end when this process does and work on this replica only")
	case n < MinSessionKeyLength:
		return nil, fmt.Errorf("console: the session key has %d bytes, want at least %d", n, MinSessionKeyLength)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{clients: clients, opts: opts, log: logger, pages: p, mux: http.NewServeMux()}
	if s.sessions, err = newSessions(opts.SessionKey, "session", opts.SessionIdle, opts.Now); err != nil {
		return nil, err
	}
	if s.noticeSealer, err = newSealer(opts.SessionKey, "notice"); err != nil {
		return nil, err
	}
	s.closing, s.close = context.WithCancel(context.Background())
	static, err := fs.Sub(staticFiles, "assets/static")
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheAssets(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.HandleFunc("GET /signin", s.signinForm)
	s.mux.HandleFunc("POST /signin", s.signinWithKey)
	s.mux.HandleFunc("GET /signin/link", s.linkForm)
	s.mux.HandleFunc("POST /signin/link", s.signinWithLink)
	s.mux.HandleFunc("POST /signout", s.signout)
	s.mux.HandleFunc("GET /teams/{team}", s.board)
	s.mux.HandleFunc("GET /teams/{team}/live", s.live)
	s.mux.HandleFunc("GET /teams/{team}/athletes/{athlete}", s.athlete)
	s.registerInbox()
	s.registerAlerts()
	if err := s.registerCheckin(); err != nil {
		return nil, err
	}
	s.registerTrends()
	s.registerAdmin()
	s.registerPreferences()
	s.registerCheckinLinks()
	s.mux.HandleFunc("/", s.notFound)
	return s, nil
}

// ServeHTTP serves every console page with the security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No inline script or style anywhere, so the policy needs no 'unsafe-inline': the only
	// script is /static/live.js. form-action keeps forms posting to the console only.
	h.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// No page's address leaves the console (a sign-in link carries its one-time key in it).
	// Not no-referrer: with it, browsers send "Origin: null" on the console's own form posts,
	// which the same-origin check must refuse.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		// Pages hold athletes' health data: never kept in shared or browser caches.
		h.Set("Cache-Control", "no-store")
	}
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), unitMemoKey{}, &unitMemo{})))
}

// Shutdown ends the open live streams; hosts call it when their HTTP server starts shutting
// down (http.Server.RegisterOnShutdown).
func (s *Server) Shutdown() { s.closeOnce.Do(s.close) }

func cacheAssets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Assets change only with a new binary; an hour keeps a rollout visible soon enough.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// withCredential is ctx carrying the session's token to the services.
func withCredential(ctx context.Context, sess *session) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+sess.token)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	teams := sess.teams
	if sess.role != commonv1.Role_ROLE_ADMIN {
		// The list comes from the session, so ask the services once whether its token still
		// works (signed out elsewhere, key revoked): other pages find out by calling them.
		if _, err := s.clients.Auth.WhoAmI(withCredential(r.Context(), sess), &authv1.WhoAmIRequest{}); err != nil {
			s.serviceError(w, r, err, "who am I")
			return
		}
	}
	if sess.role == commonv1.Role_ROLE_ADMIN { // admins have no grants: every team there is
		resp, err := s.clients.Auth.ListTeams(withCredential(r.Context(), sess), &authv1.ListTeamsRequest{})
		if err != nil {
			s.serviceError(w, r, err, "list teams")
			return
		}
		teams = nil
		for _, t := range resp.GetTeams() {
			teams = append(teams, t.GetTeamId())
		}
	}
	if len(teams) == 1 {
		http.Redirect(w, r, "/teams/"+teams[0], http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "teams", &teamsView{page: s.pageOf(sess, "Teams"), Teams: teams})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.currentSession(r, false)
	s.render(w, r, http.StatusNotFound, "message", &messageView{page: s.pageOf(sess, "Not found"),
		Heading: "Not found", Text: "There is no page at this address."})
}
