package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/bus"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/store"
)

// trainingTables hold one row per accepted training event, keyed on its event id.
var trainingTables = []string{"training_sets", "training_sessions", "training_wellness", "training_readiness"}

// outcome is what one workload left behind, read from ClickHouse, NATS and the receiver.
type outcome struct {
	// storedRows is what a reader sees (FINAL); rawRows counts the copies not yet merged away.
	storedRows, distinctIDs, rawRows int
	lost, unknown                    []string
	// recommendations are "athlete as_of" of every deload-recommended assessment.
	recommendations []string
	alertsRaised    int
	undelivered     []string
	// duplicateDeliveries counts deliveries beyond the first of each idempotency key.
	duplicateDeliveries int
	deadLettered        []string
}

func (s *suite) observe(ctx context.Context, team string, events []*eventsv1.Event) (*outcome, error) {
	out := &outcome{}
	stored := map[string]bool{}
	for _, table := range trainingTables {
		var final, distinct, raw uint64
		if err := store.QueryRow(ctx, s.store, "SELECT count() FROM "+table+" FINAL WHERE team_id = ?", team).Scan(&final); err != nil {
			return nil, fmt.Errorf("count %s: %w", table, err)
		}
		if err := store.QueryRow(ctx, s.store, "SELECT uniqExact(event_id), count() FROM "+table+" WHERE team_id = ?", team).Scan(&distinct, &raw); err != nil {
			return nil, fmt.Errorf("count %s: %w", table, err)
		}
		out.storedRows += int(final)
		out.distinctIDs += int(distinct)
		out.rawRows += int(raw)
		ids, err := strings1(ctx, s.store, "SELECT DISTINCT event_id FROM "+table+" WHERE team_id = ?", team)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			stored[id] = true
		}
	}
	sent := map[string]bool{}
	for _, ev := range events {
		sent[ev.GetId()] = true
		if !stored[ev.GetId()] {
			out.lost = append(out.lost, ev.GetId())
		}
	}
	for id := range stored {
		if !sent[id] {
			out.unknown = append(out.unknown, id)
		}
	}
	var err error
	if out.recommendations, err = s.recommendations(ctx, team); err != nil {
		return nil, err
	}
	raised, err := s.alertsRaised(ctx, team)
	if err != nil {
		return nil, err
	}
	out.alertsRaised = len(raised)
	delivered := s.receiver.keys(team)
	for _, id := range raised {
		if delivered[id] == 0 {
			out.undelivered = append(out.undelivered, id)
		}
	}
	for _, n := range delivered {
		out.duplicateDeliveries += n - 1
	}
	if out.deadLettered, err = deadLettered(ctx, s.platform.natsURL, team); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *suite) distinctStored(ctx context.Context, team string) (int, error) {
	total := 0
	for _, table := range trainingTables {
		var n uint64
		if err := store.QueryRow(ctx, s.store, "SELECT uniqExact(event_id) FROM "+table+" WHERE team_id = ?", team).Scan(&n); err != nil {
			return 0, fmt.Errorf("count %s: %w", table, err)
		}
		total += int(n)
	}
	return total, nil
}

// recommendations are the (athlete, day) pairs fatigue recommended a deload for.
func (s *suite) recommendations(ctx context.Context, team string) ([]string, error) {
	return strings1(ctx, s.store, "SELECT DISTINCT concat(athlete_id, ' ', toString(as_of)) FROM fatigue_assessments WHERE team_id = ? AND status = ? ORDER BY 1",
		team, uint8(commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED))
}

// alertsRaised are the ids (the webhook's idempotency keys) of the deload alerts notifications
// raised for team.
func (s *suite) alertsRaised(ctx context.Context, team string) ([]string, error) {
	return strings1(ctx, s.store, "SELECT DISTINCT alert_id FROM alert_events WHERE team_id = ? AND change = 'raised' AND alert_kind = ? ORDER BY 1",
		team, commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED.String())
}

func strings1(ctx context.Context, st store.Store, query string, args ...any) ([]string, error) {
	rows, err := st.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func connectNATS(ctx context.Context, url string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second), nats.Name("chaos-suite"))
	if err != nil {
		return nil, nil, fmt.Errorf("connect NATS: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// pendingMessages lists the durable consumers with messages not yet delivered or not yet
// acknowledged ("" when every consumer has caught up). Key-value buckets and the DLQ are
// skipped: nothing consumes the DLQ, and buckets are read, not consumed.
func pendingMessages(ctx context.Context, url string) (string, error) {
	nc, js, err := connectNATS(ctx, url)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	var behind []string
	names := js.StreamNames(ctx)
	var streams []string
	for name := range names.Name() {
		streams = append(streams, name)
	}
	if err := names.Err(); err != nil {
		return "", fmt.Errorf("list streams: %w", err)
	}
	for _, name := range streams {
		if strings.HasPrefix(name, "KV_") || name == bus.StreamDLQ {
			continue
		}
		stream, err := js.Stream(ctx, name)
		if err != nil {
			return "", fmt.Errorf("stream %s: %w", name, err)
		}
		consumers := stream.ListConsumers(ctx)
		for info := range consumers.Info() {
			if info.Config.Durable == "" {
				continue
			}
			if info.NumPending > 0 || info.NumAckPending > 0 {
				behind = append(behind, fmt.Sprintf("%s/%s %d pending %d unacked", name, info.Name, info.NumPending, info.NumAckPending))
			}
		}
		if err := consumers.Err(); err != nil {
			return "", fmt.Errorf("consumers of %s: %w", name, err)
		}
	}
	sort.Strings(behind)
	return strings.Join(behind, ", "), nil
}

// deadLettered lists the DLQ messages that came from team's subjects, with their reasons.
func deadLettered(ctx context.Context, url, team string) ([]string, error) {
	nc, js, err := connectNATS(ctx, url)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	stream, err := js.Stream(ctx, bus.StreamDLQ)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", bus.StreamDLQ, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			continue // deleted
		}
		subject := msg.Header.Get(bus.HeaderDLQSubject)
		if strings.Contains(subject, "."+team+".") {
			out = append(out, fmt.Sprintf("%s (%s)", subject, msg.Header.Get(bus.HeaderDLQReason)))
		}
	}
	return out, nil
}

// tableRow is one line of the suite's result table.
type tableRow struct {
	fault                                  string
	sent, stored, distinct, lost, rawExtra int
	alertsExpected, alertsDelivered        int
	duplicateDeliveries                    int
	recommendationsEqual                   bool
	deadLettered                           int
	recovery                               time.Duration // 0: did not settle
}

func (r *tableRow) fill(out *outcome, reference *outcome) {
	r.stored, r.distinct, r.lost = out.storedRows, out.distinctIDs, len(out.lost)
	r.rawExtra = out.rawRows - out.distinctIDs
	r.alertsExpected, r.alertsDelivered = out.alertsRaised, out.alertsRaised-len(out.undelivered)
	r.duplicateDeliveries = out.duplicateDeliveries
	// The reference run is equal to itself by definition.
	r.recommendationsEqual = reference == nil || equalStrings(out.recommendations, reference.recommendations)
	r.deadLettered = len(out.deadLettered)
}

func formatTable(rows []tableRow) string {
	var b strings.Builder
	b.WriteString("| fault | sent | stored | distinct | lost | duplicated rows (raw copies) | alerts expected/delivered/duplicate deliveries | recommendations equal? | DLQ | recovery s |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | :---: | :---: | ---: | ---: |\n")
	for _, r := range rows {
		equal := "yes"
		if !r.recommendationsEqual {
			equal = "NO"
		}
		recovery := "did not settle"
		if r.recovery > 0 {
			recovery = fmt.Sprintf("%.1f", r.recovery.Seconds())
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d (%d) | %d/%d/%d | %s | %d | %s |\n",
			r.fault, r.sent, r.stored, r.distinct, r.lost, r.stored-r.distinct, r.rawExtra,
			r.alertsExpected, r.alertsDelivered, r.duplicateDeliveries, equal, r.deadLettered, recovery)
	}
	return b.String()
}
