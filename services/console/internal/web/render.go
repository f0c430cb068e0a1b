package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/auth"
)

// pageNames are the full pages; each is layout.html around its own file. Fragments (the board
// rows the live stream sends) are templates inside those files; parts used by more than one
// page live in assets/templates/parts.
var pageNames = []string{"signin", "link", "teams", "board", "message", "athlete"}

type pages struct {
	byName map[string]*template.Template
}

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFiles,
			"assets/templates/layout.html", "assets/templates/"+name+".html", "assets/templates/parts/*.html")
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

var templateFuncs = template.FuncMap{}

// page is what the layout needs on every page.
type page struct {
	Title string
	// Signed-in person, empty on the sign-in pages.
	User, Role string
	// CSRF is the session's form token (the sign-out form).
	CSRF string
	// Script adds the live-update script (the board only).
	Script bool
	// NavTeam shows the team's navigation (board, inbox, alerts); NavCurrent names the page
	// that is open, for aria-current.
	NavTeam, NavCurrent string
	// Notice is the outcome of the form posted just before, shown once (flash.go).
	Notice *notice
	// session is who the page is for; render takes their pending notice.
	session *session
	// Units is the header's kg/lb choice and Here the page to come back to after changing it;
	// render fills both for a signed-in person.
	Units []option
	Here  string
}

func (p *page) layout() *page { return p }

type layoutView interface{ layout() *page }

func (s *Server) pageOf(sess *session, title string) page {
	p := page{Title: title}
	if sess != nil {
		p.User = sess.name
		if p.User == "" {
			p.User = sess.subject
		}
		p.Role = auth.RoleName(sess.role)
		p.CSRF = sess.csrf
		p.session = sess
	}
	return p
}

type signinView struct {
	page
	// FormToken is the pre-session CSRF token of the sign-in forms.
	FormToken string
	Next      string
	LinkKey   string
	Problem   string
}

type teamsView struct {
	page
	Teams []string
}

type messageView struct {
	page
	Heading, Text string
	SignIn        bool
}

// render executes a page into a buffer first, so a template error becomes a clean 500 rather
// than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, data layoutView) {
	if p := data.layout(); p.session != nil && p.Notice == nil && code < http.StatusBadRequest {
		if n, ok := s.takeNotice(w, r, p.session); ok {
			p.Notice = &n
		}
	}
	if p := data.layout(); p.User != "" && p.Units == nil {
		p.Units, p.Here = unitOptions(s.massUnit(r)), r.URL.RequestURI()
		if r.Method != http.MethodGet {
			p.Here = "" // a refused form's address would post nothing when fetched
		}
	}
	var buf bytes.Buffer
	if err := s.pages.byName[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		s.log.Error("render page", zap.String("page", name), zap.String("path", r.URL.Path), zap.Error(err))
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w) // a failed write means the browser went away
}

func (s *Server) renderMessage(w http.ResponseWriter, r *http.Request, sess *session, code int, heading, text string) {
	s.render(w, r, code, "message", &messageView{page: s.pageOf(sess, heading), Heading: heading, Text: text,
		SignIn: sess == nil})
}
