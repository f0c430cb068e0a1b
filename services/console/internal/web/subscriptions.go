package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// The subscription form's fields. A subscription has at most one channel of each kind here
// (the API allows more; the console edits the common case and says so when it cannot).
const (
	fieldName        = "name"
	fieldWebhook     = "webhook"
	fieldSlack       = "slack"
	fieldEmails      = "emails"
	fieldChannels    = "channels"
	fieldMinSeverity = "min_severity"
	fieldQuietStart  = "quiet_start"
	fieldQuietEnd    = "quiet_end"
	fieldQuietZone   = "quiet_tz"
	fieldQuietBypass = "quiet_bypass"
)

var severityOptions = []struct {
	value string
	sev   commonv1.Severity
	label string
}{
	{"", commonv1.Severity_SEVERITY_UNSPECIFIED, "Any"},
	{"info", commonv1.Severity_SEVERITY_INFO, "Info and above"},
	{"warning", commonv1.Severity_SEVERITY_WARNING, "Warning and above"},
	{"critical", commonv1.Severity_SEVERITY_CRITICAL, "Critical only"},
}

// subscriptionForm is the create and edit form: the values as typed and a problem per field.
type subscriptionForm struct {
	ID       string
	Revision uint64
	Values   map[string]string
	Errors   map[string]string
	General  string
	// SlackStored is the redacted Slack address of the stored subscription: the URL is a
	// secret the service never returns, so it must be typed again to keep Slack.
	SlackStored string
	// Unsupported says the stored subscription has settings this form would lose.
	Unsupported string
	Severities  []option
	Bypasses    []option
	Team, CSRF  string
	// Suffix keeps field ids unique when a page holds more than one form ("" or "-<id>").
	Suffix string
}

// formFieldView is one labelled input of the subscription form.
type formFieldView struct {
	ID, Name, Label, Type, Hint, Value, Problem, Autocomplete string
}

func init() {
	templateFuncs["subscriptionField"] = func(suffix, name, label, typ, hint, value, problem string) formFieldView {
		f := formFieldView{ID: name + suffix, Name: name, Label: label, Type: typ, Hint: hint, Value: value, Problem: problem}
		if typ == "url" {
			f.Autocomplete = "off" // webhook URLs are credentials of a kind: no autofill history
		}
		return f
	}
	templateFuncs["slackHint"] = func(stored string) string {
		if stored == "" {
			return "Posts a message with the evidence to a Slack channel."
		}
		return "Saved as " + stored + ". The URL is a secret and is never shown again: enter it again to keep posting to Slack; leave empty to stop."
	}
}

type subscriptionView struct {
	ID, Name, Owner   string
	Channels          []string
	MinSeverity       string
	Quiet, Created    string
	Team, CSRF        string
	EditURL, TestURL  string
	DeleteURL         string
	Mine, Unsupported bool
}

type subscriptionsView struct {
	teamPage
	Subscriptions []subscriptionView
	New           subscriptionForm
}

type subscriptionPageView struct {
	teamPage
	Form subscriptionForm
}

func (s *Server) subscriptions(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.openTeam(w, r)
	if !ok {
		return
	}
	v, err := s.loadSubscriptions(r.Context(), sess, team)
	if err != nil {
		s.serviceError(w, r, err, "list subscriptions")
		return
	}
	s.render(w, r, http.StatusOK, "subscriptions", v)
}

func (s *Server) loadSubscriptions(ctx context.Context, sess *session, team string) (*subscriptionsView, error) {
	resp, err := s.clients.Notifications.ListSubscriptions(withCredential(ctx, sess), &notificationsv1.ListSubscriptionsRequest{TeamId: team})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	v := &subscriptionsView{teamPage: s.teamPageOf(sess, team, "Alert subscriptions · "+team, navSubscriptions),
		New: newSubscriptionForm(team, sess)}
	me, loc := cmp.Or(sess.name, sess.subject), s.teamLocation(ctx, sess, team)
	for _, sub := range resp.GetSubscriptions() {
		sv := subscriptionView{ID: sub.GetSubscriptionId(), Name: cmp.Or(sub.GetName(), "(no name)"),
			Owner:       cmp.Or(sub.GetOwner().GetDisplayName(), sub.GetOwner().GetSubject(), "unknown"),
			MinSeverity: severityLabel(sub.GetMinSeverity()), Quiet: quietText(sub.GetQuietHours()),
			Team: team, CSRF: sess.csrf, Unsupported: unsupportedText(sub) != "",
			EditURL: teamPath(team, "subscriptions", sub.GetSubscriptionId())}
		sv.TestURL, sv.DeleteURL = sv.EditURL+"/test", sv.EditURL+"/delete"
		sv.Mine = sv.Owner == me
		if ts := sub.GetCreatedAt(); ts != nil {
			sv.Created = ts.AsTime().In(loc).Format("2006-01-02")
		}
		for _, ch := range sub.GetChannels() {
			sv.Channels = append(sv.Channels, channelText(ch))
		}
		v.Subscriptions = append(v.Subscriptions, sv)
	}
	return v, nil
}

func channelText(ch *notificationsv1.ChannelTarget) string {
	switch t := ch.GetTarget().(type) {
	case *notificationsv1.ChannelTarget_Webhook:
		return "Webhook " + t.Webhook.GetUrl()
	case *notificationsv1.ChannelTarget_SlackWebhook:
		return "Slack " + t.SlackWebhook.GetUrl()
	case *notificationsv1.ChannelTarget_Email:
		return "Email " + strings.Join(t.Email.GetAddresses(), ", ")
	}
	return "unknown channel"
}

func severityLabel(sev commonv1.Severity) string {
	for _, o := range severityOptions {
		if o.sev == sev {
			return o.label
		}
	}
	return enumWord(sev.String(), "SEVERITY_")
}

func severityValue(sev commonv1.Severity) string {
	for _, o := range severityOptions {
		if o.sev == sev {
			return o.value
		}
	}
	return ""
}

func quietText(q *notificationsv1.QuietHours) string {
	if q == nil || q.GetStartMinute() == q.GetEndMinute() {
		return "none"
	}
	out := fmt.Sprintf("%s to %s %s", clockText(q.GetStartMinute()), clockText(q.GetEndMinute()), cmp.Or(q.GetTimeZone(), "UTC"))
	if q.GetBypassSeverity() != commonv1.Severity_SEVERITY_UNSPECIFIED {
		out += ", " + enumWord(q.GetBypassSeverity().String(), "SEVERITY_") + " and above still delivered"
	}
	return out
}

func clockText(minute uint32) string { return fmt.Sprintf("%02d:%02d", minute/60, minute%60) }

// unsupportedText names what the form cannot edit, so saving it would drop that.
func unsupportedText(sub *notificationsv1.Subscription) string {
	var kinds = map[string]int{}
	for _, ch := range sub.GetChannels() {
		kinds[fmt.Sprintf("%T", ch.GetTarget())]++
	}
	var what []string
	for _, n := range kinds {
		if n > 1 {
			what = append(what, "more than one channel of a kind")
			break
		}
	}
	if len(sub.GetAthleteIds()) > 0 || len(sub.GetPositionGroups()) > 0 {
		what = append(what, "athlete or position-group filters")
	}
	if len(sub.GetKinds()) > 0 {
		what = append(what, "alert-kind filters")
	}
	if sub.GetDigest().GetEnabled() {
		what = append(what, "a daily digest")
	}
	if sub.GetEscalateAfter().AsDuration() > 0 || sub.GetEscalationsOnly() {
		what = append(what, "escalation settings")
	}
	if len(what) == 0 {
		return ""
	}
	return "This subscription has " + strings.Join(what, ", ") + ", which this page cannot edit. Change it with sc subscribe, or save here to replace it with what the form shows."
}

func newSubscriptionForm(team string, sess *session) subscriptionForm {
	f := subscriptionForm{Values: map[string]string{fieldQuietZone: "UTC"}, Errors: map[string]string{}, Team: team, CSRF: sess.csrf}
	f.fillOptions()
	return f
}

func (f *subscriptionForm) fillOptions() {
	f.Severities, f.Bypasses = nil, nil
	for _, o := range severityOptions {
		f.Severities = append(f.Severities, option{Value: o.value, Label: o.label, Selected: o.value == f.Values[fieldMinSeverity]})
		label := o.label
		if o.value == "" {
			label = "None: hold every alert"
		}
		f.Bypasses = append(f.Bypasses, option{Value: o.value, Label: label, Selected: o.value == f.Values[fieldQuietBypass]})
	}
}

// formOf fills the edit form from a stored subscription.
func formOf(team string, sess *session, sub *notificationsv1.Subscription) subscriptionForm {
	f := newSubscriptionForm(team, sess)
	f.ID, f.Revision, f.Suffix = sub.GetSubscriptionId(), sub.GetRevision(), "-"+sub.GetSubscriptionId()
	f.Values[fieldName] = sub.GetName()
	f.Values[fieldMinSeverity] = severityValue(sub.GetMinSeverity())
	for _, ch := range sub.GetChannels() {
		switch t := ch.GetTarget().(type) {
		case *notificationsv1.ChannelTarget_Webhook:
			f.Values[fieldWebhook] = t.Webhook.GetUrl()
		case *notificationsv1.ChannelTarget_SlackWebhook:
			f.SlackStored = t.SlackWebhook.GetUrl()
		case *notificationsv1.ChannelTarget_Email:
			f.Values[fieldEmails] = strings.Join(t.Email.GetAddresses(), ", ")
		}
	}
	if q := sub.GetQuietHours(); q != nil && q.GetStartMinute() != q.GetEndMinute() {
		f.Values[fieldQuietStart], f.Values[fieldQuietEnd] = clockText(q.GetStartMinute()), clockText(q.GetEndMinute())
		f.Values[fieldQuietZone] = cmp.Or(q.GetTimeZone(), "UTC")
		f.Values[fieldQuietBypass] = severityValue(q.GetBypassSeverity())
	}
	f.Unsupported = unsupportedText(sub)
	f.fillOptions()
	return f
}

// subscriptionOf builds the subscription a posted form asks for. channelFields maps each
// channel's index to its form field, so the service's field violations land next to it.
func subscriptionOf(f *subscriptionForm) (*notificationsv1.Subscription, []string) {
	sub := &notificationsv1.Subscription{Name: strings.TrimSpace(f.Values[fieldName])}
	var channelFields []string
	if u := strings.TrimSpace(f.Values[fieldWebhook]); u != "" {
		sub.Channels = append(sub.Channels, &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_Webhook{Webhook: &notificationsv1.WebhookTarget{Url: u}}})
		channelFields = append(channelFields, fieldWebhook)
	}
	if u := strings.TrimSpace(f.Values[fieldSlack]); u != "" {
		sub.Channels = append(sub.Channels, &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_SlackWebhook{SlackWebhook: &notificationsv1.SlackWebhookTarget{Url: u}}})
		channelFields = append(channelFields, fieldSlack)
	}
	if raw := strings.TrimSpace(f.Values[fieldEmails]); raw != "" {
		var addrs []string
		for _, a := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
			addrs = append(addrs, strings.TrimSpace(a))
		}
		sub.Channels = append(sub.Channels, &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_Email{Email: &notificationsv1.EmailTarget{Addresses: addrs}}})
		channelFields = append(channelFields, fieldEmails)
	}
	if sub.Name == "" {
		f.Errors[fieldName] = "Give the subscription a name, e.g. \"Head coach phone\"."
	}
	if len(sub.Channels) == 0 {
		f.Errors[fieldChannels] = "Enter at least one of a webhook URL, a Slack URL or an email address."
	}
	for _, o := range severityOptions {
		if o.value == f.Values[fieldMinSeverity] {
			sub.MinSeverity = o.sev
		}
	}
	start, end := strings.TrimSpace(f.Values[fieldQuietStart]), strings.TrimSpace(f.Values[fieldQuietEnd])
	if start != "" || end != "" {
		q := &notificationsv1.QuietHours{TimeZone: strings.TrimSpace(f.Values[fieldQuietZone])}
		var ok bool
		if q.StartMinute, ok = minuteOf(start); !ok {
			f.Errors[fieldQuietStart] = "Enter the start as HH:MM, e.g. 22:00."
		}
		if q.EndMinute, ok = minuteOf(end); !ok {
			f.Errors[fieldQuietEnd] = "Enter the end as HH:MM, e.g. 07:00."
		}
		for _, o := range severityOptions {
			if o.value == f.Values[fieldQuietBypass] {
				q.BypassSeverity = o.sev
			}
		}
		sub.QuietHours = q
	}
	return sub, channelFields
}

func minuteOf(clock string) (uint32, bool) {
	t, err := time.Parse("15:04", clock)
	if err != nil {
		return 0, false
	}
	return uint32(t.Hour()*60 + t.Minute()), true
}

func postedSubscriptionForm(r *http.Request, team string, sess *session) subscriptionForm {
	f := newSubscriptionForm(team, sess)
	for _, k := range []string{fieldName, fieldWebhook, fieldSlack, fieldEmails, fieldMinSeverity, fieldQuietStart, fieldQuietEnd, fieldQuietZone, fieldQuietBypass} {
		f.Values[k] = r.PostForm.Get(k)
	}
	f.fillOptions()
	return f
}

var channelViolation = regexp.MustCompile(`^subscription\.channels\[(\d+)\]`)

// placeProblems puts the service's field violations next to the form's fields.
func placeProblems(f *subscriptionForm, problems map[string]string, channelFields []string) {
	for field, text := range problems {
		target := ""
		switch {
		case channelViolation.MatchString(field):
			if i, err := strconv.Atoi(channelViolation.FindStringSubmatch(field)[1]); err == nil && i < len(channelFields) {
				target = channelFields[i]
			}
		case field == "subscription.channels":
			target = fieldChannels
		case field == "subscription.name":
			target = fieldName
		case field == "subscription.min_severity":
			target = fieldMinSeverity
		case strings.HasPrefix(field, "subscription.quiet_hours.start_minute"):
			target = fieldQuietStart
		case strings.HasPrefix(field, "subscription.quiet_hours.end_minute"):
			target = fieldQuietEnd
		case strings.HasPrefix(field, "subscription.quiet_hours.time_zone"):
			target = fieldQuietZone
		}
		if target == "" {
			f.General = strings.TrimSpace(f.General + " " + text)
			continue
		}
		if prev := f.Errors[target]; prev != "" {
			text = prev + "; " + text
		}
		f.Errors[target] = text
	}
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.postToTeam(w, r)
	if !ok {
		return
	}
	f := postedSubscriptionForm(r, team, sess)
	sub, channelFields := subscriptionOf(&f)
	if len(f.Errors) > 0 {
		s.redisplayNewSubscription(w, r, sess, team, f)
		return
	}
	resp, err := s.clients.Notifications.Subscribe(withActor(r.Context(), sess), &notificationsv1.SubscribeRequest{TeamId: team, Subscription: sub})
	if err != nil {
		problems, invalid := fieldProblems(err)
		if !invalid {
			s.serviceError(w, r, err, "subscribe")
			return
		}
		placeProblems(&f, problems, channelFields)
		s.redisplayNewSubscription(w, r, sess, team, f)
		return
	}
	n := notice{Kind: "done", Text: fmt.Sprintf("Subscription %q created.", resp.GetSubscription().GetName())}
	if secret := resp.GetSigningSecret(); secret != "" {
		// The only time the secret is shown: it waits server-side for the next page view,
		// never in a URL or cookie, and a reload does not show it again.
		n.Secret = secret
		n.Text += " Your webhook receiver verifies each alert's Supercomp-Signature header with the secret below."
	}
	s.redirectWithNotice(w, r, sess, teamPath(team, "subscriptions"), n)
}

func (s *Server) redisplayNewSubscription(w http.ResponseWriter, r *http.Request, sess *session, team string, f subscriptionForm) {
	v, err := s.loadSubscriptions(r.Context(), sess, team)
	if err != nil {
		s.serviceError(w, r, err, "list subscriptions")
		return
	}
	v.New = f
	s.render(w, r, http.StatusUnprocessableEntity, "subscriptions", v)
}

// findSubscription reads the team's subscriptions for one (the API has no single read).
func (s *Server) findSubscription(ctx context.Context, sess *session, team, id string) (*notificationsv1.Subscription, error) {
	resp, err := s.clients.Notifications.ListSubscriptions(withCredential(ctx, sess), &notificationsv1.ListSubscriptionsRequest{TeamId: team})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	for _, sub := range resp.GetSubscriptions() {
		if sub.GetSubscriptionId() == id {
			return sub, nil
		}
	}
	return nil, nil
}

func (s *Server) subscriptionPage(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.openTeam(w, r)
	if !ok {
		return
	}
	sub, err := s.findSubscription(r.Context(), sess, team, r.PathValue("subscription"))
	if err != nil {
		s.serviceError(w, r, err, "subscription")
		return
	}
	if sub == nil {
		s.renderMessage(w, r, sess, http.StatusNotFound, "Not found", "There is no such subscription in this team; it may have been removed.")
		return
	}
	v := &subscriptionPageView{teamPage: s.teamPageOf(sess, team, "Edit subscription "+sub.GetName(), navSubscriptions), Form: formOf(team, sess, sub)}
	s.render(w, r, http.StatusOK, "subscription", v)
}

func (s *Server) updateSubscription(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.postToTeam(w, r)
	if !ok {
		return
	}
	id := r.PathValue("subscription")
	f := postedSubscriptionForm(r, team, sess)
	f.ID, f.Suffix = id, "-"+id
	rev, err := strconv.ParseUint(r.PostForm.Get("revision"), 10, 64)
	if err != nil {
		s.renderMessage(w, r, sess, http.StatusBadRequest, "Bad request", "The form did not carry the subscription's revision. Reload the page and try again.")
		return
	}
	f.Revision = rev
	sub, channelFields := subscriptionOf(&f)
	sub.SubscriptionId = id
	redisplay := func(code int) {
		stored, err := s.findSubscription(r.Context(), sess, team, id)
		if err == nil && stored != nil {
			f.SlackStored, f.Unsupported = formOf(team, sess, stored).SlackStored, unsupportedText(stored)
		}
		v := &subscriptionPageView{teamPage: s.teamPageOf(sess, team, "Edit subscription", navSubscriptions), Form: f}
		s.render(w, r, code, "subscription", v)
	}
	if len(f.Errors) > 0 {
		redisplay(http.StatusUnprocessableEntity)
		return
	}
	resp, err := s.clients.Notifications.UpdateSubscription(withActor(r.Context(), sess),
		&notificationsv1.UpdateSubscriptionRequest{TeamId: team, Subscription: sub, ExpectedRevision: &rev})
	switch {
	case err == nil:
		s.redirectWithNotice(w, r, sess, teamPath(team, "subscriptions"), notice{Kind: "done",
			Text: fmt.Sprintf("Subscription %q saved.", resp.GetSubscription().GetName())})
	case isConflict(err):
		s.redirectWithNotice(w, r, sess, teamPath(team, "subscriptions", id), notice{Kind: "problem",
			Text: "Nothing was saved: someone changed this subscription after you opened it. Here it is as it is now; make your change again."})
	default:
		problems, invalid := fieldProblems(err)
		if !invalid {
			s.serviceError(w, r, err, "update subscription")
			return
		}
		placeProblems(&f, problems, channelFields)
		redisplay(http.StatusUnprocessableEntity)
	}
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.postToTeam(w, r)
	if !ok {
		return
	}
	_, err := s.clients.Notifications.Unsubscribe(withActor(r.Context(), sess),
		&notificationsv1.UnsubscribeRequest{TeamId: team, SubscriptionId: r.PathValue("subscription")})
	if err != nil {
		s.serviceError(w, r, err, "unsubscribe")
		return
	}
	s.redirectWithNotice(w, r, sess, teamPath(team, "subscriptions"), notice{Kind: "done",
		Text: fmt.Sprintf("Subscription %q removed.", r.PostForm.Get("name"))})
}

// testSubscription sends a test alert through every channel and shows each outcome.
func (s *Server) testSubscription(w http.ResponseWriter, r *http.Request) {
	sess, team, ok := s.postToTeam(w, r)
	if !ok {
		return
	}
	resp, err := s.clients.Notifications.TestDelivery(withActor(r.Context(), sess),
		&notificationsv1.TestDeliveryRequest{TeamId: team, SubscriptionId: r.PathValue("subscription")})
	if err != nil {
		s.serviceError(w, r, err, "test delivery")
		return
	}
	n := notice{Kind: "done", Text: fmt.Sprintf("Test sent for %q: every channel delivered.", r.PostForm.Get("name"))}
	for _, a := range resp.GetAttempts() {
		n.Lines = append(n.Lines, attemptText(a))
		if !a.GetDelivered() {
			n.Kind, n.Text = "problem", fmt.Sprintf("Test sent for %q: not every channel delivered.", r.PostForm.Get("name"))
		}
	}
	s.redirectWithNotice(w, r, sess, teamPath(team, "subscriptions"), n)
}

func attemptText(a *notificationsv1.DeliveryAttempt) string {
	where := enumWord(a.GetTarget().GetChannel().String(), "CHANNEL_") + " " + a.GetTarget().GetDestination()
	if a.GetDelivered() {
		return fmt.Sprintf("%s: delivered (status %d, %.0f ms)", where, a.GetStatusCode(), a.GetLatencyMs())
	}
	out := where + ": failed"
	if a.GetStatusCode() != 0 {
		out += fmt.Sprintf(" (status %d)", a.GetStatusCode())
	}
	if a.GetError() != "" {
		out += ": " + a.GetError()
	}
	return out
}
