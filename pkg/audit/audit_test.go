package audit_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/audit"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

func auditEvent(team, action, resource string, at time.Time) *eventsv1.Event {
	return &eventsv1.Event{
		Id: events.NewID(), TeamId: team, Source: "auth", OccurredAt: timestamppb.New(at),
		Payload: &eventsv1.Event_AuditRecorded{AuditRecorded: &eventsv1.AuditRecorded{
			Actor:  &commonv1.Actor{Subject: "key-admin", Role: commonv1.Role_ROLE_ADMIN},
			Action: action, ResourceType: "api_key", ResourceId: resource, Rpc: "/supercomp.auth.v1.AuthService/CreateApiKey",
			Detail: "created a coach key for " + team,
		}},
	}
}

func TestRecorderStoresEachAuditEventOnce(t *testing.T) {
	ctx := context.Background()
	b, _ := bustest.New(t)
	if err := b.EnsureStreams(ctx, bus.DefaultStreams(1)...); err != nil {
		t.Fatal(err)
	}
	st := storetest.OpenServer(t, "sc_audit_test")
	if err := store.Migrate(ctx, st, store.Migrations, bustest.Logger(t)); err != nil {
		t.Fatal(err)
	}

	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	first := auditEvent("t1", "api_key.create", "k1", t0)
	second := auditEvent("t1", "api_key.revoke", "k1", t0.Add(time.Hour))
	other := auditEvent("t2", "api_key.create", "k2", t0)
	for _, ev := range []*eventsv1.Event{first, second, other} {
		if _, err := events.Publish(ctx, b, ev); err != nil {
			t.Fatal(err)
		}
	}
	// A redelivered event (same id, outside the dedupe window) and a message that is not an event.
	if _, err := b.Publish(ctx, "sc.audit.t1._team.audit", "replayed-"+first.GetId(), mustEncode(t, first), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(ctx, "sc.audit.t1._team.audit", "garbage-1", []byte{0xff, 0x01}, nil); err != nil {
		t.Fatal(err)
	}

	rec, err := audit.NewRecorder(ctx, b, st, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rec.Start(ctx) }()
	defer func() {
		_ = rec.Stop(context.Background())
		<-done
	}()

	var got []audit.Entry
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		page, err := audit.Log{Store: st}.List(ctx, audit.Query{Team: "t1"})
		if err != nil {
			t.Fatal(err)
		}
		got = page.Entries
		if len(got) >= 2 && dlqCount(t, b) == 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) != 2 {
		t.Fatalf("team t1 has %d audit entries, want 2 (the replay stored once): %+v", len(got), got)
	}
	if got[0].Action != "api_key.revoke" || got[1].Action != "api_key.create" {
		t.Errorf("entries not newest first: %s, %s", got[0].Action, got[1].Action)
	}
	e := got[1]
	if e.ActorSubject != "key-admin" || e.ActorRole != "admin" || e.ResourceID != "k1" || !e.OccurredAt.Equal(t0) || e.RPC == "" {
		t.Errorf("entry = %+v", e)
	}
	if n := dlqCount(t, b); n != 1 {
		t.Errorf("DLQ holds %d messages, want the one undecodable message", n)
	}
	if others, err := (audit.Log{Store: st}).List(ctx, audit.Query{Team: "t2"}); err != nil || len(others.Entries) != 1 {
		t.Errorf("team t2 entries = %v, %v; want 1", others, err)
	}
}

func mustEncode(t *testing.T, ev *eventsv1.Event) []byte {
	t.Helper()
	_, data, err := events.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func dlqCount(t *testing.T, b *bus.Bus) uint64 {
	t.Helper()
	s, err := b.JetStream().Stream(context.Background(), bus.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
