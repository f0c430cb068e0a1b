// Package audit records the AUDIT stream into ClickHouse (table audit_log, migration 0600), so
// the trail of who created keys, changed grants or decided deloads is queryable with SQL next to
// the training data, and reads it back a page at a time for AuthService.ListAuditRecords.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/store"
)

// Table is created by migration 0600_audit_log.sql.
const Table = "audit_log"

// Durable is the recorder's consumer; every host that runs a recorder shares it, so each event
// is inserted by one of them.
const Durable = "audit-recorder"

var columns = []string{"event_id", "team_id", "occurred_at", "actor_subject", "actor_role", "action",
	"resource_type", "resource_id", "rpc", "detail", "recorded_at"}

// NewRecorder returns the consumer that inserts AUDIT events into audit_log in batches. It acks
// only after the insert, retries forever while ClickHouse is down (outages are not bad
// messages), and moves undecodable messages to the DLQ.
func NewRecorder(ctx context.Context, b *bus.Bus, st store.Store, log *zap.Logger) (*bus.Consumer, error) {
	return b.NewBatchConsumer(ctx, bus.ConsumerConfig{
		Stream:     bus.StreamAudit,
		Durable:    Durable,
		MaxDeliver: -1,
		Batch:      1000,
	}, func(ctx context.Context, msgs []jetstream.Msg) error {
		return record(ctx, st, msgs)
	}, log)
}

func record(ctx context.Context, st store.Store, msgs []jetstream.Msg) error {
	rows := make([][]any, 0, len(msgs))
	poison := map[int]error{}
	now := time.Now().UTC()
	for i, m := range msgs {
		ev, err := events.Decode(m.Data())
		if err != nil {
			poison[i] = bus.Poison(err)
			continue
		}
		a := ev.GetAuditRecorded()
		if a == nil {
			poison[i] = bus.Poison(fmt.Errorf("event %s on AUDIT is not an audit record", ev.GetId()))
			continue
		}
		role := strings.ToLower(strings.TrimPrefix(a.GetActor().GetRole().String(), "ROLE_"))
		if role == "unspecified" {
			role = ""
		}
		rows = append(rows, []any{ev.GetId(), ev.GetTeamId(), ev.GetOccurredAt().AsTime().UTC(), a.GetActor().GetSubject(), role,
			a.GetAction(), a.GetResourceType(), a.GetResourceId(), a.GetRpc(), a.GetDetail(), now})
	}
	if len(rows) > 0 {
		if err := st.InsertBatch(ctx, Table, columns, rows); err != nil {
			// The whole batch waits in JetStream and comes back; nothing is acked.
			return fmt.Errorf("insert audit records: %w", err)
		}
	}
	if len(poison) > 0 {
		return &bus.BatchError{Errs: poison}
	}
	return nil
}
