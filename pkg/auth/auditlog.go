package auth

import (
	"context"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/supercomp/supercomp/pkg/bus"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

// auditedMethods are the calls whose success is an act someone must be accountable for: coach
// decisions, threshold and policy changes, edits of athletes' programs, alert handling and
// subscriptions. Key, grant and team changes are audited by AuthService itself. The value is
// the action name recorded.
var auditedMethods = map[string]string{
	programmingv1.ProgrammingService_DecideDeload_FullMethodName:          "deload.decide",
	programmingv1.ProgrammingService_ScheduleDeload_FullMethodName:        "deload.schedule",
	programmingv1.ProgrammingService_UpdatePolicy_FullMethodName:          "programming_policy.update",
	programmingv1.ProgrammingService_PutAthleteProfile_FullMethodName:     "athlete_profile.put",
	programmingv1.ProgrammingService_DeleteAthleteProfile_FullMethodName:  "athlete_profile.delete",
	programmingv1.ProgrammingService_CreateProgram_FullMethodName:         "program.create",
	programmingv1.ProgrammingService_UpdateProgram_FullMethodName:         "program.update",
	programmingv1.ProgrammingService_AssignProgram_FullMethodName:         "program.assign",
	fatiguev1.FatigueService_UpdateThresholds_FullMethodName:              "fatigue_thresholds.update",
	notificationsv1.NotificationService_AcknowledgeAlert_FullMethodName:   "alert.acknowledge",
	notificationsv1.NotificationService_ResolveAlert_FullMethodName:       "alert.resolve",
	notificationsv1.NotificationService_Subscribe_FullMethodName:          "subscription.create",
	notificationsv1.NotificationService_UpdateSubscription_FullMethodName: "subscription.update",
	notificationsv1.NotificationService_Unsubscribe_FullMethodName:        "subscription.delete",
}

// maxAuditDetail bounds the request copy kept in an audit record.
const maxAuditDetail = 4000

// Auditor records audited calls as AuditRecorded events once they succeeded, with who (the
// principal), what (the action and the request, secrets redacted) and on which team.
type Auditor struct {
	bus *bus.Bus
	log *zap.Logger
}

// NewAuditor returns an Auditor publishing on b.
func NewAuditor(b *bus.Bus, log *zap.Logger) *Auditor { return &Auditor{bus: b, log: log} }

// Unary is the interceptor; it must run after the guard, which puts the principal in ctx.
func (a *Auditor) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		action, audited := auditedMethods[info.FullMethod]
		if err != nil || !audited {
			return resp, err
		}
		msg, ok := req.(proto.Message)
		if !ok {
			return resp, err
		}
		record := Audit{
			Actor:        ActorFromContext(ctx),
			Action:       action,
			ResourceType: strings.SplitN(action, ".", 2)[0],
			ResourceID:   resourceID(msg),
			RPC:          info.FullMethod,
			Detail:       auditDetail(msg),
		}
		if team := stringField(msg, "team_id"); team != "" {
			record.Teams = []string{team}
		}
		// The act already happened; a failed audit publish must not turn it into an error the
		// caller would retry, so it is logged loudly instead.
		if aerr := RecordAudit(ctx, a.bus, record); aerr != nil {
			a.log.Error("audit record not published", zap.String("action", action), zap.Error(aerr))
		}
		return resp, err
	}
}

// resourceID names what the call acted on: the most specific id field the request has.
func resourceID(m proto.Message) string {
	for _, f := range []string{"deload_id", "alert_id", "subscription_id", "program_id", "athlete_id", "team_id"} {
		if v := stringField(m, f); v != "" {
			return v
		}
	}
	return ""
}

func stringField(m proto.Message, name string) string {
	fd := m.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return ""
	}
	return m.ProtoReflect().Get(fd).String()
}

// auditDetail is the request as JSON with every secret-looking field cleared, at most
// maxAuditDetail bytes: enough to see which thresholds or which decision, never a credential.
func auditDetail(m proto.Message) string {
	c := proto.Clone(m)
	redact(c.ProtoReflect())
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(c)
	if err != nil {
		return ""
	}
	s := string(b)
	if len(s) > maxAuditDetail {
		s = s[:maxAuditDetail] + "..."
	}
	return s
}

func redact(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := strings.ToLower(string(fd.Name()))
		switch {
		case strings.Contains(name, "secret") || strings.Contains(name, "password") || strings.Contains(name, "token"):
			m.Clear(fd)
		case fd.Kind() == protoreflect.MessageKind && fd.IsList():
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				redact(list.Get(i).Message())
			}
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
			redact(v.Message())
		}
		return true
	})
}
