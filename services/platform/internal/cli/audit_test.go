package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/audit"
	"github.com/supercomp/supercomp/pkg/auth/authservice"
)

// pagedLog is a canned audit trail that pages by offset and keeps every query it was asked.
type pagedLog struct {
	entries []audit.Entry
	asked   []audit.Query
}

func (l *pagedLog) List(_ context.Context, q audit.Query) (audit.Page, error) {
	l.asked = append(l.asked, q)
	from := 0
	if q.PageToken != "" {
		from, _ = strconv.Atoi(q.PageToken)
	}
	end := min(from+q.PageSize, len(l.entries))
	page := audit.Page{Entries: l.entries[from:end]}
	if end < len(l.entries) {
		page.NextPageToken = strconv.Itoa(end)
	}
	return page, nil
}

func TestAuditList(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	log := &pagedLog{}
	for i := range 7 {
		log.entries = append(log.entries, audit.Entry{EventID: fmt.Sprintf("e%d", 7-i), TeamID: "t1", ActorSubject: "k-admin", ActorRole: "admin",
			Action: "apikey.create", ResourceType: "api_key", ResourceID: fmt.Sprintf("k%d", 7-i), OccurredAt: at.Add(-time.Duration(i) * time.Minute),
			Detail: "role coach, grants t1 " + strings.Repeat("and a long tail ", 10)})
	}
	log.entries[6].ActorSubject, log.entries[6].ActorRole, log.entries[6].Action = "programming", "", "deload.decide"
	addr, admin := startSecureServer(t, authservice.WithAuditLog(log))

	out, err := runSC(t, "audit", "list", "--addr", addr, "--token", admin, "--team", "t1", "--since", "2026-03-01", "--until", "2026-03-02",
		"--action", "apikey.create,deload.decide", "--actor", "k-admin", "--resource", "k7", "--limit", "3")
	if err != nil {
		t.Fatalf("audit list: %v", err)
	}
	q := log.asked[0]
	if q.Team != "t1" || q.Actor != "k-admin" || q.Resource != "k7" || !slices.Equal(q.Actions, []string{"apikey.create", "deload.decide"}) ||
		!q.Since.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || !q.Until.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) || q.PageSize != 3 {
		t.Errorf("asked %+v; want the filters, --until's whole day and a page of 3", q)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "TIME (UTC)") || !strings.Contains(lines[1], "2026-03-02 09:00:00") ||
		!strings.Contains(lines[1], "apikey.create") || !strings.Contains(lines[1], "api_key k7") || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("table:\n%s", out)
	}
	if !strings.Contains(lines[4], "more records: add --page-token 3") {
		t.Errorf("the table does not say how to go on:\n%s", out)
	}

	// --limit 0 reads every page; -o json has the whole records.
	log.asked = nil
	out, err = runSC(t, "audit", "list", "--addr", addr, "--token", admin, "--limit", "0", "-o", "json")
	if err != nil {
		t.Fatalf("audit list -o json: %v", err)
	}
	var resp struct {
		Records []struct {
			EventID string `json:"event_id"`
			Actor   struct {
				Subject, Role string
			}
			Detail string
		}
		NextPageToken string `json:"next_page_token"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(resp.Records) != 7 || resp.NextPageToken != "" || resp.Records[0].EventID != "e7" || resp.Records[0].Actor.Role != "ROLE_ADMIN" ||
		!strings.HasSuffix(resp.Records[0].Detail, "long tail ") || resp.Records[6].Actor.Subject != "programming" {
		t.Errorf("json = %+v", resp)
	}
	if len(log.asked) != 1 || log.asked[0].PageSize != maxAuditPage {
		t.Errorf("--limit 0 asked %+v; want one page of %d", log.asked, maxAuditPage)
	}

	// Continuing with the printed token; a service's record has no role.
	out, err = runSC(t, "audit", "list", "--addr", addr, "--token", admin, "--page-token", "5")
	if err != nil || !regexp.MustCompile(`programming\s+-\s+deload.decide`).MatchString(out) || strings.Contains(out, "k7") {
		t.Errorf("second page = %q, %v", out, err)
	}

	for _, c := range [][]string{{"-o", "csv"}, {"--since", "last week"}, {"--limit", "-1"}} {
		if _, err := runSC(t, append([]string{"audit", "list", "--addr", addr, "--token", admin}, c...)...); err == nil || !strings.Contains(err.Error(), c[0]) {
			t.Errorf("audit list %v = %v, want an error naming %s", c, err, c[0])
		}
	}
	// The trail is for admins: a team's records can name other teams, so even a coach of the
	// team is refused.
	out, err = runSC(t, "keys", "create", "--addr", addr, "--token", admin, "--name", "c", "--role", "coach", "--team", "t1")
	if err != nil {
		t.Fatal(err)
	}
	coach := regexp.MustCompile(`secret \(shown only now\): (\S+)`).FindStringSubmatch(out)[1]
	for _, team := range []string{"t1", "", "t2", "_platform"} {
		if _, err := runSC(t, "audit", "list", "--addr", addr, "--token", coach, "--team", team); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("a coach of t1 reading team %q = %v, want permission denied", team, err)
		}
	}
}
