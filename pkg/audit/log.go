package audit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
)

// Page sizes of Log.List: what a caller gets without asking, and the most it may ask for.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ErrBadPageToken is returned for a page token that no List call produced.
var ErrBadPageToken = errors.New("audit: not a page token from a previous answer")

// Entry is one recorded action.
type Entry struct {
	EventID, TeamID, ActorSubject, ActorRole, Action, ResourceType, ResourceID, RPC, Detail string
	OccurredAt                                                                              time.Time
}

// Query selects entries; every zero field matches everything.
type Query struct {
	Team     string
	Actor    string   // actor_subject
	Actions  []string // any of these
	Resource string   // resource_id
	// Since is inclusive and Until exclusive. audit_log keeps whole seconds, so both are
	// rounded to the second that keeps every entry inside the range.
	Since, Until time.Time
	// PageSize is at most MaxPageSize; zero means DefaultPageSize.
	PageSize int
	// PageToken continues a previous answer (with the same filters); empty for the first page.
	PageToken string
}

// Page is one answer of List: entries newest first, and the token of the next, older page
// (empty when there is none).
type Page struct {
	Entries       []Entry
	NextPageToken string
}

// Log reads audit_log.
type Log struct {
	Store store.Store
}

// cursor is the last entry of a page. Pages are cut by key (entries strictly older than the
// cursor in the order occurred_at, event_id) rather than by offset, so records arriving while
// someone pages through the trail neither repeat nor skip an entry.
type cursor struct {
	at      time.Time
	eventID string
}

func (c cursor) token() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.at.Unix(), 10) + ":" + c.eventID))
}

func parseCursor(token string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return cursor{}, ErrBadPageToken
	}
	secs, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 64 {
		return cursor{}, ErrBadPageToken
	}
	return cursor{at: time.Unix(n, 0).UTC(), eventID: id}, nil
}

// List returns one page of the entries q selects, newest first (ties by event id, descending).
func (l Log) List(ctx context.Context, q Query) (Page, error) {
	size := q.PageSize
	if size == 0 {
		size = DefaultPageSize
	}
	if size < 0 || size > MaxPageSize {
		return Page{}, fmt.Errorf("audit list: page size %d outside 1..%d", size, MaxPageSize)
	}
	var where []string
	var args []any
	add := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	if q.Team != "" {
		add("team_id = ?", q.Team)
	}
	if q.Actor != "" {
		add("actor_subject = ?", q.Actor)
	}
	if len(q.Actions) > 0 {
		add("has(?, action)", q.Actions)
	}
	if q.Resource != "" {
		add("resource_id = ?", q.Resource)
	}
	if !q.Since.IsZero() {
		add("occurred_at >= ?", q.Since.UTC().Truncate(time.Second))
	}
	if !q.Until.IsZero() {
		until := q.Until.UTC()
		if t := until.Truncate(time.Second); !t.Equal(until) {
			until = t.Add(time.Second)
		}
		add("occurred_at < ?", until)
	}
	if q.PageToken != "" {
		c, err := parseCursor(q.PageToken)
		if err != nil {
			return Page{}, err
		}
		// Spelled out rather than as a tuple comparison, which ClickHouse 18.16 does not have.
		add("(occurred_at < ? OR (occurred_at = ? AND event_id < ?))", c.at, c.at, c.eventID)
	}
	sql := "SELECT event_id, team_id, occurred_at, actor_subject, actor_role, action, resource_type, resource_id, rpc, detail " +
		"FROM " + Table + " FINAL"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	// One more than the page tells whether an older page exists.
	sql += " ORDER BY occurred_at DESC, event_id DESC LIMIT ?"
	args = append(args, size+1)

	rows, err := l.Store.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, fmt.Errorf("audit list: %w", err)
	}
	defer rows.Close()
	var page Page
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.EventID, &e.TeamID, &e.OccurredAt, &e.ActorSubject, &e.ActorRole, &e.Action,
			&e.ResourceType, &e.ResourceID, &e.RPC, &e.Detail); err != nil {
			return Page{}, fmt.Errorf("audit list: %w", err)
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("audit list: %w", err)
	}
	if len(page.Entries) > size {
		page.Entries = page.Entries[:size]
		last := page.Entries[size-1]
		page.NextPageToken = cursor{at: last.OccurredAt, eventID: last.EventID}.token()
	}
	return page, nil
}
