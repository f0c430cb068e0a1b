package web

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/services/chart"
)

// The kg/lb preference belongs to the signed-in person (AuthService.GetPreferences, kept per
// principal by the auth service), so a choice made on the laptop is there on the phone, in
// every replica. The header of every page can change it, and a page's ?unit= shows that page
// in another unit and remembers it the same way.

// registerPreferences adds the form that changes the preference.
func (s *Server) registerPreferences() {
	s.mux.HandleFunc("POST /preferences/unit", s.setUnit)
}

// unitMemo holds one request's unit, so the page and its header ask the auth service once.
type unitMemo struct {
	once sync.Once
	unit chart.MassUnit
}

type unitMemoKey struct{}

// preferenceTimeout bounds the read of the unit preference.
const preferenceTimeout = time.Second

// massUnit is the signed-in person's unit for loads: kg when they never chose, when nobody is
// signed in, or when the auth service cannot say (the page still works, in kg).
func (s *Server) massUnit(r *http.Request) chart.MassUnit {
	read := func() chart.MassUnit {
		sess, ok := s.currentSession(r, false)
		if !ok {
			return chart.Kilograms
		}
		// A display choice never holds a page up for long: kg after preferenceTimeout.
		ctx, cancel := context.WithTimeout(r.Context(), preferenceTimeout)
		defer cancel()
		resp, err := s.clients.Auth.GetPreferences(withCredential(ctx, sess), &authv1.GetPreferencesRequest{})
		if err != nil {
			s.log.Warn("unit preference unavailable, showing kg", zap.String("subject", sess.subject), zap.Error(err))
			return chart.Kilograms
		}
		if resp.GetPreferences().GetWeightUnit() == commonv1.WeightUnit_WEIGHT_UNIT_LB {
			return chart.Pounds
		}
		return chart.Kilograms
	}
	memo, ok := r.Context().Value(unitMemoKey{}).(*unitMemo)
	if !ok {
		return read()
	}
	memo.once.Do(func() { memo.unit = read() })
	return memo.unit
}

// rememberUnit stores u as the signed-in person's preference.
func (s *Server) rememberUnit(ctx context.Context, sess *session, u chart.MassUnit) error {
	unit := commonv1.WeightUnit_WEIGHT_UNIT_KG
	if u == chart.Pounds {
		unit = commonv1.WeightUnit_WEIGHT_UNIT_LB
	}
	_, err := s.clients.Auth.SetPreferences(withCredential(ctx, sess), &authv1.SetPreferencesRequest{
		Preferences: &authv1.Preferences{WeightUnit: unit}})
	return err
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
	if err := s.rememberUnit(r.Context(), sess, u); err != nil {
		s.serviceError(w, r, err, "save unit preference")
		return
	}
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
