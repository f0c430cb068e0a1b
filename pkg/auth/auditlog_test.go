package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/pkg/server"
)

// decidingProgramming succeeds on DecideDeload and fails on ScheduleDeload, so the test sees
// that only acts that happened are audited.
type decidingProgramming struct {
	programmingv1.UnimplementedProgrammingServiceServer
}

func (decidingProgramming) DecideDeload(context.Context, *programmingv1.DecideDeloadRequest) (*programmingv1.DecideDeloadResponse, error) {
	return &programmingv1.DecideDeloadResponse{}, nil
}

type subscribingNotifications struct {
	notificationsv1.UnimplementedNotificationServiceServer
}

func (subscribingNotifications) Subscribe(context.Context, *notificationsv1.SubscribeRequest) (*notificationsv1.SubscribeResponse, error) {
	return &notificationsv1.SubscribeResponse{}, nil
}

func TestAuditorRecordsSuccessfulActsWithTheActor(t *testing.T) {
	ctx := context.Background()
	b, _ := bustest.New(t)
	if err := b.EnsureStreams(ctx, bus.DefaultStreams(1)...); err != nil {
		t.Fatal(err)
	}
	authn, err := Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, zap.NewNop(),
		server.WithUnaryInterceptors(NewGuard(authn).Unary(), NewAuditor(b, zap.NewNop()).Unary()))
	if err != nil {
		t.Fatal(err)
	}
	programmingv1.RegisterProgrammingServiceServer(srv.GRPC(), decidingProgramming{})
	notificationsv1.RegisterNotificationServiceServer(srv.GRPC(), subscribingNotifications{})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Start(ctx) }()
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = srv.Stop(c)
	})
	conn, err := grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rec, key, err := authn.Store().CreateKey(ctx, KeySpec{Name: "Kim", Role: commonv1.Role_ROLE_COACH, Grants: []Grant{{TeamID: "t1"}}}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	callCtx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)

	prog := programmingv1.NewProgrammingServiceClient(conn)
	if _, err := prog.DecideDeload(callCtx, &programmingv1.DecideDeloadRequest{TeamId: "t1", DeloadId: "d-7",
		Decision: commonv1.DeloadDecision_DELOAD_DECISION_APPROVE, Reason: "looks right"}); err != nil {
		t.Fatal(err)
	}
	if _, err := prog.ScheduleDeload(callCtx, &programmingv1.ScheduleDeloadRequest{TeamId: "t1", AthleteId: "a1"}); err == nil {
		t.Fatal("ScheduleDeload should fail here (unimplemented)")
	}
	if _, err := notificationsv1.NewNotificationServiceClient(conn).Subscribe(callCtx, &notificationsv1.SubscribeRequest{TeamId: "t1",
		Subscription: &notificationsv1.Subscription{Channels: []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_Webhook{
			Webhook: &notificationsv1.WebhookTarget{Url: "https://hooks.example.com/x", SigningSecret: "do-not-log-me"}}}}}}); err != nil {
		t.Fatal(err)
	}

	var audits []*eventsv1.Event
	deadline := time.Now().Add(10 * time.Second)
	for len(audits) < 2 && time.Now().Before(deadline) {
		audits = readAudits(t, b, "t1")
		time.Sleep(50 * time.Millisecond)
	}
	if len(audits) != 2 {
		t.Fatalf("%d audit events on team t1, want 2 (the failed call is not audited): %v", len(audits), audits)
	}
	decide := audits[0].GetAuditRecorded()
	if decide.GetAction() != "deload.decide" || decide.GetResourceId() != "d-7" || decide.GetActor().GetSubject() != rec.ID ||
		decide.GetActor().GetRole() != commonv1.Role_ROLE_COACH || !strings.Contains(decide.GetDetail(), "looks right") {
		t.Errorf("decision audit = %v", decide)
	}
	sub := audits[1].GetAuditRecorded()
	if sub.GetAction() != "subscription.create" || strings.Contains(sub.GetDetail(), "do-not-log-me") || !strings.Contains(sub.GetDetail(), "hooks.example.com") {
		t.Errorf("subscription audit = %v (the signing secret must be redacted)", sub)
	}
}

func readAudits(t *testing.T, b *bus.Bus, team string) []*eventsv1.Event {
	t.Helper()
	ctx := context.Background()
	s, err := b.JetStream().Stream(ctx, bus.StreamAudit)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*eventsv1.Event
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		ev, err := events.Decode(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetTeamId() == team {
			out = append(out, ev)
		}
	}
	return out
}
