package web

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"
	"rsc.io/qr"

	"github.com/supercomp/supercomp/pkg/bus"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// The check-in link page: a coach hands an athlete their personal link to the check-in
// (checkin.go), as `sc checkin link` does, and revokes it when a phone is lost. The link
// carries an athlete key (AuthService.CreateCheckinKey), so it is shown once, with its QR code,
// on the page view right after it was created, and never again.

func init() {
	pageNames = append(pageNames, "checkin-link")
}

func (s *Server) registerCheckinLinks() {
	s.mux.HandleFunc("GET /teams/{team}/athletes/{athlete}/checkin-link", s.checkinLinkPage)
	s.mux.HandleFunc("POST /teams/{team}/athletes/{athlete}/checkin-link", s.createCheckinLink)
	s.mux.HandleFunc("POST /teams/{team}/athletes/{athlete}/checkin-link/{key}/revoke", s.revokeCheckinLink)
}

type checkinLinkView struct {
	teamPage
	AthleteID, Athlete, AthleteURL, CreateURL string
	// NewLink is the link just created, on the one page view after creating it, and its QR
	// code as an SVG drawn here.
	NewLink string
	QR      template.HTML
	Links   []checkinLinkRow
	// MayManage is false for performance staff: they see the page, coaches and admins act.
	MayManage bool
}

type checkinLinkRow struct {
	ID, Name, Created, LastUsed, Expires, RevokeURL string
}

// openAthleteOf is openTeam for an athlete's page: the session, team and a valid athlete id.
func (s *Server) openAthleteOf(w http.ResponseWriter, r *http.Request, post bool) (*session, string, string, bool) {
	sess, team, ok := s.openTeam(w, r)
	if !ok {
		return nil, "", "", false
	}
	athlete := r.PathValue("athlete")
	if !bus.ValidToken(athlete) {
		s.renderMessage(w, r, sess, http.StatusNotFound, "Not found", "There is no athlete with that id.")
		return nil, "", "", false
	}
	if post && !s.checkForm(w, r, sess.csrf) {
		return nil, "", "", false
	}
	return sess, team, athlete, true
}

func (s *Server) checkinLinkPage(w http.ResponseWriter, r *http.Request) {
	sess, team, athlete, ok := s.openAthleteOf(w, r, false)
	if !ok {
		return
	}
	who, err := s.athleteNames(r.Context(), sess, team)
	if err != nil {
		s.log.Warn("check-in link page without athlete names", zap.String("team_id", team), zap.Error(err))
	}
	v := &checkinLinkView{teamPage: s.teamPageOf(sess, team, "Check-in link · "+who.of(athlete), navBoard),
		AthleteID: athlete, Athlete: who.of(athlete), AthleteURL: teamPath(team, "athletes", athlete),
		CreateURL: teamPath(team, "athletes", athlete, "checkin-link"),
		MayManage: sess.role == commonv1.Role_ROLE_COACH || sess.role == commonv1.Role_ROLE_ADMIN}
	if v.MayManage {
		resp, err := s.clients.Auth.ListCheckinKeys(withCredential(r.Context(), sess), &authv1.ListCheckinKeysRequest{TeamId: team, AthleteId: athlete})
		if err != nil {
			s.serviceError(w, r, err, "list check-in links")
			return
		}
		now, loc := s.opts.Now(), s.teamLocation(r.Context(), sess, team)
		for _, k := range resp.GetKeys() {
			row := checkinLinkRow{ID: k.GetKeyId(), Name: k.GetName(), LastUsed: "never", Expires: "when revoked",
				RevokeURL: teamPath(team, "athletes", athlete, "checkin-link", k.GetKeyId(), "revoke")}
			if ts := k.GetCreatedAt(); ts != nil {
				row.Created = zonedText(ts.AsTime(), loc) + " by " + cmp.Or(k.GetCreatedBy().GetDisplayName(), k.GetCreatedBy().GetSubject(), "unknown")
			}
			if ts := k.GetLastUsedAt(); ts != nil {
				row.LastUsed = agoText(ts.AsTime(), now)
			}
			if ts := k.GetExpiresAt(); ts != nil {
				row.Expires = zonedText(ts.AsTime(), loc)
			}
			v.Links = append(v.Links, row)
		}
	}
	if n, ok := s.takeNotice(w, r, sess); ok {
		if n.Secret != "" {
			// The link waited, sealed to this session, for this one view; a reload shows no link.
			v.NewLink, n.Secret = n.Secret, ""
			if v.QR, err = qrSVG(v.NewLink); err != nil {
				s.internalError(w, r, err)
				return
			}
		}
		v.Notice = &n
	}
	s.render(w, r, http.StatusOK, "checkin-link", v)
}

func (s *Server) createCheckinLink(w http.ResponseWriter, r *http.Request) {
	sess, team, athlete, ok := s.openAthleteOf(w, r, true)
	if !ok {
		return
	}
	resp, err := s.clients.Auth.CreateCheckinKey(withCredential(r.Context(), sess), &authv1.CreateCheckinKeyRequest{
		TeamId: team, AthleteId: athlete, Name: strings.TrimSpace(r.PostForm.Get("name"))})
	if err != nil {
		s.serviceError(w, r, err, "create check-in link")
		return
	}
	link := s.checkinLinkURL(r, resp.GetSecret())
	s.redirectWithNotice(w, r, sess, teamPath(team, "athletes", athlete, "checkin-link"), notice{Kind: "done",
		Text:   fmt.Sprintf("Check-in link %s created. Hand it to the athlete only: it is shown on this page now and never again.", resp.GetKey().GetKeyId()),
		Secret: link})
}

func (s *Server) revokeCheckinLink(w http.ResponseWriter, r *http.Request) {
	sess, team, athlete, ok := s.openAthleteOf(w, r, true)
	if !ok {
		return
	}
	resp, err := s.clients.Auth.RevokeCheckinKey(withCredential(r.Context(), sess), &authv1.RevokeCheckinKeyRequest{
		TeamId: team, KeyId: r.PathValue("key"), Reason: "revoked in the console"})
	if err != nil {
		s.serviceError(w, r, err, "revoke check-in link")
		return
	}
	s.redirectWithNotice(w, r, sess, teamPath(team, "athletes", athlete, "checkin-link"), notice{Kind: "done",
		Text: fmt.Sprintf("Check-in link %s revoked: it and every phone signed in with it stop working now.", resp.GetKey().GetKeyId())})
}

// checkinLinkURL is the link an athlete opens: this console's address as the coach reached
// it, so a console behind a proxy hands out its public address.
func (s *Server) checkinLinkURL(r *http.Request, secret string) string {
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: "/checkin/link", RawQuery: url.Values{"key": {secret}}.Encode()}
	return u.String()
}

// qrQuietZone is the light margin scanners need around a code, in modules (the standard's 4).
const qrQuietZone = 4

// qrSVG draws text as a QR code: one path of dark modules on a light square, scaled by the
// browser (crispEdges keeps the modules sharp). Only attributes, no style: the page's CSP
// allows no inline styles.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	side := code.Size + 2*qrQuietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="240" height="240" shape-rendering="crispEdges" role="img" aria-label="QR code of the check-in link">`, side, side)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, side, side)
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+qrQuietZone, y+qrQuietZone)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	// Built here from numbers only: nothing of the text reaches the markup but the modules.
	return template.HTML(b.String()), nil //nolint:gosec // see above
}
