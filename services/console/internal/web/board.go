package web

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/supercomp/supercomp/pkg/bus"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

// Board orders (the sort query parameter).
const (
	sortConcern  = "concern"
	sortName     = "name"
	sortScore    = "score"
	sortLastData = "last-data"
	sortGroup    = "group"
)

var sortLabels = []struct{ value, label string }{
	{sortConcern, "Concern (deload first)"},
	{sortName, "Name"},
	{sortScore, "Score (highest first)"},
	{sortLastData, "Last data (oldest first)"},
	{sortGroup, "Position group"},
}

// boardQuery is what the board shows: its order and position-group filter, both in the URL so
// the page works without JavaScript and can be bookmarked.
type boardQuery struct {
	Sort, Group string
}

func boardQueryOf(r *http.Request) boardQuery {
	q := boardQuery{Sort: r.URL.Query().Get("sort"), Group: strings.TrimSpace(r.URL.Query().Get("group"))}
	if !slices.ContainsFunc(sortLabels, func(l struct{ value, label string }) bool { return l.value == q.Sort }) {
		q.Sort = sortConcern
	}
	return q
}

func (q boardQuery) encode() string {
	v := url.Values{}
	if q.Sort != sortConcern {
		v.Set("sort", q.Sort)
	}
	if q.Group != "" {
		v.Set("group", q.Group)
	}
	return v.Encode()
}

type option struct {
	Value, Label string
	Selected     bool
}

type countView struct {
	Light light
	N     int
}

// rowView is one athlete on the board, every value already in words.
type rowView struct {
	AthleteID, Name, Group string
	Light                  light
	Score, Confidence      string
	Families, Headline     string
	LastData, LastDataAt   string
	AsOf                   string
	OpenRecommendation     string
	Coverage               string

	status   commonv1.AthleteStatus
	score    float64
	lastData time.Time
}

type boardView struct {
	page
	Team    string
	Sorts   []option
	Groups  []option
	Group   string
	Summary []countView
	Rows    []rowView
	// Updated is when the data was read, in words; Version identifies what is shown, so the
	// live stream sends only what changed since the page was rendered.
	Updated, Version string
	LiveURL          string
	// Compliance is today's check-ins (compliance.go); nil without the ingestion service.
	Compliance *complianceView
}

// loadBoard reads the team's status and athlete profiles (for names and groups) in parallel,
// with the session's credential, and builds the board.
func (s *Server) loadBoard(ctx context.Context, sess *session, team string, q boardQuery) (*boardView, error) {
	loc := make(chan *time.Location, 1)
	go func(ctx context.Context) { loc <- s.teamLocation(ctx, sess, team) }(ctx)
	ctx = withCredential(ctx, sess)
	type profilesResult struct {
		resp *programmingv1.ListAthleteProfilesResponse
		err  error
	}
	profiles := make(chan profilesResult, 1)
	go func() {
		resp, err := s.clients.Programming.ListAthleteProfiles(ctx, &programmingv1.ListAthleteProfilesRequest{TeamId: team})
		profiles <- profilesResult{resp, err}
	}()
	status, err := s.clients.Fatigue.ListTeamStatus(ctx, &fatiguev1.ListTeamStatusRequest{TeamId: team})
	p, zone := <-profiles, <-loc
	if err != nil {
		return nil, fmt.Errorf("team status: %w", err)
	}
	if p.err != nil {
		return nil, fmt.Errorf("athlete profiles: %w", p.err)
	}
	return buildBoard(team, q, status.GetAthletes(), p.resp.GetProfiles(), s.opts.Now().In(zone)), nil
}

// buildBoard merges the fatigue rows with the profiles: every athlete of either appears, an
// athlete with a profile but no data yet too. now carries the team's time zone, in which every
// time on the board is shown.
func buildBoard(team string, q boardQuery, status []*fatiguev1.AthleteStatusSummary, profiles []*programmingv1.AthleteProfile, now time.Time) *boardView {
	byID := make(map[string]*programmingv1.AthleteProfile, len(profiles))
	groups := map[string]bool{}
	for _, p := range profiles {
		byID[p.GetAthleteId()] = p
		if g := p.GetPositionGroup(); g != "" {
			groups[g] = true
		}
	}
	v := &boardView{Team: team, Group: q.Group, Updated: now.Format("15:04:05 MST")}
	seen := make(map[string]bool, len(status))
	add := func(id string, st *fatiguev1.AthleteStatusSummary) {
		p := byID[id]
		if q.Group != "" && p.GetPositionGroup() != q.Group {
			return
		}
		v.Rows = append(v.Rows, rowOf(id, st, p, now))
	}
	for _, st := range status {
		seen[st.GetAthleteId()] = true
		add(st.GetAthleteId(), st)
	}
	for _, p := range profiles {
		if !seen[p.GetAthleteId()] {
			add(p.GetAthleteId(), nil)
		}
	}
	sortRows(v.Rows, q.Sort)

	counts := map[commonv1.AthleteStatus]int{}
	for _, r := range v.Rows {
		counts[r.status]++
	}
	for st := commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED; st >= commonv1.AthleteStatus_ATHLETE_STATUS_UNSPECIFIED; st-- {
		v.Summary = append(v.Summary, countView{Light: lightOf(st), N: counts[st]})
	}
	for _, l := range sortLabels {
		v.Sorts = append(v.Sorts, option{Value: l.value, Label: l.label, Selected: l.value == q.Sort})
	}
	v.Groups = append(v.Groups, option{Value: "", Label: "All groups", Selected: q.Group == ""})
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.Sort(names)
	for _, g := range names {
		v.Groups = append(v.Groups, option{Value: g, Label: g, Selected: g == q.Group})
	}
	v.LiveURL = "/teams/" + url.PathEscape(team) + "/live"
	if enc := q.encode(); enc != "" {
		v.LiveURL += "?" + enc
	}
	return v
}

func rowOf(id string, st *fatiguev1.AthleteStatusSummary, p *programmingv1.AthleteProfile, now time.Time) rowView {
	r := rowView{AthleteID: id, Name: cmp.Or(p.GetDisplayName(), st.GetDisplayName(), id), Group: cmp.Or(p.GetPositionGroup(), "-"),
		status: st.GetStatus(), score: st.GetScore(), Light: lightOf(st.GetStatus())}
	if st == nil {
		r.Score, r.Confidence, r.Families, r.LastData, r.OpenRecommendation, r.Coverage = "-", "-", "none", "never", "none", "no data yet"
		return r
	}
	assessed := st.GetStatus() != commonv1.AthleteStatus_ATHLETE_STATUS_UNSPECIFIED
	r.Score, r.Confidence = "-", "-"
	if assessed {
		r.Score = fmt.Sprintf("%.0f", st.GetScore())
		r.Confidence = fmt.Sprintf("%.0f%%", st.GetConfidence()*100)
	}
	r.Families = familiesText(st.GetAbnormalFamilies())
	// The headline explains a concern; on an OK row it would only repeat the status.
	if st.GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_WATCH || st.GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED {
		r.Headline = st.GetHeadline()
	}
	// last_data_at is when data was recorded (an import records months at once); the day
	// assessed says how recent the training itself is.
	if d := st.GetAsOf(); d != nil && assessed {
		r.AsOf = fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
	}
	if ts := st.GetLastDataAt(); ts != nil {
		r.lastData = ts.AsTime()
		r.LastDataAt = zonedText(r.lastData, now.Location())
	}
	r.LastData = agoText(r.lastData, now)
	r.OpenRecommendation = "none"
	if st.GetOpenRecommendationId() != "" {
		r.OpenRecommendation = "deload awaiting decision"
	}
	r.Coverage = coverageText(st.GetCoverage())
	return r
}

func sortRows(rows []rowView, by string) {
	concern := func(a, b rowView) int {
		return cmp.Or(cmp.Compare(b.status, a.status), cmp.Compare(b.score, a.score), strings.Compare(a.Name, b.Name), strings.Compare(a.AthleteID, b.AthleteID))
	}
	slices.SortStableFunc(rows, func(a, b rowView) int {
		switch by {
		case sortName:
			return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.AthleteID, b.AthleteID))
		case sortScore:
			return cmp.Or(cmp.Compare(b.score, a.score), concern(a, b))
		case sortLastData:
			return cmp.Or(a.lastData.Compare(b.lastData), concern(a, b))
		case sortGroup:
			return cmp.Or(strings.Compare(a.Group, b.Group), concern(a, b))
		}
		return concern(a, b)
	})
}

// fragments renders the parts of the board the live stream replaces, and their version.
func (s *Server) fragments(v *boardView) (rows, summary, version string, err error) {
	var rb, sb bytes.Buffer
	t := s.pages.byName["board"]
	if err := t.ExecuteTemplate(&rb, "rows", v); err != nil {
		return "", "", "", fmt.Errorf("render board rows: %w", err)
	}
	if err := t.ExecuteTemplate(&sb, "summary", v); err != nil {
		return "", "", "", fmt.Errorf("render board summary: %w", err)
	}
	sum := sha256.Sum256(append(rb.Bytes(), sb.Bytes()...))
	return rb.String(), sb.String(), hex.EncodeToString(sum[:8]), nil
}

func (s *Server) board(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	team := r.PathValue("team")
	if !bus.ValidToken(team) {
		s.renderMessage(w, r, sess, http.StatusNotFound, "Not found", "There is no team with that id.")
		return
	}
	if !sess.mayOpen(team) {
		s.renderMessage(w, r, sess, http.StatusForbidden, "No access",
			fmt.Sprintf("You are not granted team %q. Ask an admin for access.", team))
		return
	}
	v, err := s.loadBoard(r.Context(), sess, team, boardQueryOf(r))
	if err != nil {
		s.serviceError(w, r, err, "team board")
		return
	}
	if v.Compliance, err = s.loadCompliance(r.Context(), sess, team, v.Rows); err != nil {
		s.serviceError(w, r, err, "check-in compliance")
		return
	}
	v.page = s.pageOf(sess, "Team "+team)
	v.NavTeam, v.NavCurrent = team, navBoard
	v.Script = true
	if _, _, v.Version, err = s.fragments(v); err != nil {
		s.internalError(w, r, err)
		return
	}
	// The stream starts from what this page shows: a change between rendering and connecting
	// is sent at once, and nothing is sent when there was none.
	v.LiveURL += map[bool]string{true: "&", false: "?"}[strings.Contains(v.LiveURL, "?")] + "v=" + v.Version
	s.render(w, r, http.StatusOK, "board", v)
}
