package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/supercomp/supercomp/services/chart"
)

// The kg/lb preference. It is a display choice, not a secret, kept in a long-lived cookie of
// its own so that it outlives sessions and signing in with another key on the same browser;
// every page that shows a load reads it, and the header of every page can change it.

// registerPreferences adds the form that changes the preference.
func (s *Server) registerPreferences() {
	s.mux.HandleFunc("POST /preferences/unit", s.setUnit)
}

// massUnit is the browser's chosen unit for loads, kg when none was chosen.
func (s *Server) massUnit(r *http.Request) chart.MassUnit {
	u, err := chart.ParseMassUnit(s.cookie(r, unitCookie))
	if err != nil {
		return chart.Kilograms
	}
	return u
}

func (s *Server) rememberUnit(w http.ResponseWriter, r *http.Request, u chart.MassUnit) {
	s.setCookie(w, r, unitCookie, u.String(), 365*24*time.Hour)
}

// setUnit stores the unit from the header's form and goes back to the page it was sent from.
func (s *Server) setUnit(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.requireSession(w, r)
	if !ok || !s.checkForm(w, r, sess.csrf) {
		return
	}
	u, err := chart.ParseMassUnit(r.PostForm.Get("unit"))
	if err != nil {
		s.renderMessage(w, r, sess, http.StatusUnprocessableEntity, "Unknown unit", "Loads can be shown in kg or lb.")
		return
	}
	s.rememberUnit(w, r, u)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// massText is a load in kilograms as the reader wants it: "102.5 kg" or "226.0 lb".
func massText(kg float64, u chart.MassUnit) string {
	return strconv.FormatFloat(u.FromKilograms(kg), 'f', 1, 64) + " " + u.String()
}

// unitOptions are the header form's choices with the current one selected.
func unitOptions(current chart.MassUnit) []option {
	var out []option
	for _, u := range []chart.MassUnit{chart.Kilograms, chart.Pounds} {
		out = append(out, option{Value: u.String(), Label: u.String(), Selected: u == current})
	}
	return out
}
