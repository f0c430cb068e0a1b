package auth

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// Method is an RPC with its access rule, read from the method descriptor's
// `supercomp.common.v1.access` option.
type Method struct {
	// FullMethod is the gRPC name, "/supercomp.fatigue.v1.FatigueService/GetAthleteStatus".
	FullMethod string
	Descriptor protoreflect.MethodDescriptor
	// Rule is nil when the method declares none.
	Rule *commonv1.AccessRule
}

// Usable reports why the method's rule cannot be enforced, or nil. An unusable rule denies the
// method: no rule, no roles, no scope, or a TEAM scope whose request has no top-level string
// `team_id` field 1 to check.
func (m Method) Usable() error {
	switch {
	case m.Rule == nil:
		return fmt.Errorf("%s declares no (supercomp.common.v1.access) rule", m.FullMethod)
	case len(m.Rule.GetRoles()) == 0:
		return fmt.Errorf("%s: access rule lists no roles", m.FullMethod)
	case m.Rule.GetScope() == commonv1.AccessScope_ACCESS_SCOPE_UNSPECIFIED:
		return fmt.Errorf("%s: access rule has no scope", m.FullMethod)
	case m.Rule.GetScope() == commonv1.AccessScope_ACCESS_SCOPE_TEAM && teamField(m.Descriptor.Input()) == nil:
		return fmt.Errorf("%s: TEAM scope but %s has no string team_id as field 1", m.FullMethod, m.Descriptor.Input().FullName())
	}
	return nil
}

// teamField is the request's top-level team_id (field 1, string), or nil.
func teamField(md protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	fd := md.Fields().ByNumber(1)
	if fd == nil || fd.Name() != "team_id" || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return nil
	}
	return fd
}

var methods sync.Map // full method -> Method

// LookupMethod finds fullMethod in the registered proto descriptors. ok is false for a method
// the process has no descriptor for.
func LookupMethod(fullMethod string) (Method, bool) {
	if m, ok := methods.Load(fullMethod); ok {
		return m.(Method), true
	}
	service, method, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return Method{}, false
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return Method{}, false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return Method{}, false
	}
	md := sd.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return Method{}, false
	}
	m := Method{FullMethod: fullMethod, Descriptor: md}
	if rule, ok := proto.GetExtension(md.Options(), commonv1.E_Access).(*commonv1.AccessRule); ok && rule != nil &&
		proto.HasExtension(md.Options(), commonv1.E_Access) {
		m.Rule = rule
	}
	methods.Store(fullMethod, m)
	return m, true
}

// RequestScope is what a request names: its team and every athlete anywhere in it.
type RequestScope struct {
	TeamID     string
	AthleteIDs []string
}

// ScopeOf reads the team (top-level team_id) and, when withAthletes, every athlete_id and
// athlete_ids value in msg, nested messages included (records of a batch, an import's options).
func ScopeOf(msg proto.Message, withAthletes bool) RequestScope {
	m := msg.ProtoReflect()
	var s RequestScope
	if fd := teamField(m.Descriptor()); fd != nil {
		s.TeamID = m.Get(fd).String()
	}
	if withAthletes {
		s.AthleteIDs = collectAthletes(m, s.AthleteIDs)
	}
	return s
}

func collectAthletes(m protoreflect.Message, out []string) []string {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Kind() == protoreflect.StringKind && fd.Name() == "athlete_id" && !fd.IsList():
			out = append(out, v.String())
		case fd.Kind() == protoreflect.StringKind && fd.Name() == "athlete_ids" && fd.IsList():
			for i := range v.List().Len() {
				out = append(out, v.List().Get(i).String())
			}
		case fd.Kind() == protoreflect.MessageKind && fd.IsList():
			for i := range v.List().Len() {
				out = collectAthletes(v.List().Get(i).Message(), out)
			}
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
			out = collectAthletes(v.Message(), out)
		}
		return true
	})
	return out
}

// AuthorizeCall checks that p's role may call m at all; the team check follows per request.
func AuthorizeCall(p *Principal, m Method) error {
	if err := m.Usable(); err != nil {
		return fault.PermissionDenied("%v (denied until the RPC declares one)", err)
	}
	if !slices.Contains(m.Rule.GetRoles(), p.Role) {
		return fault.PermissionDenied("role %s may not call %s", RoleName(p.Role), m.FullMethod)
	}
	return nil
}

// NeedsAthletes reports whether p's grant on team is restricted to listed athletes, so a
// request must be searched for the athletes it names.
func NeedsAthletes(p *Principal, team string) bool {
	g, ok := p.Grant(team)
	return ok && len(g.AthleteIDs) > 0 && p.Role != commonv1.Role_ROLE_ADMIN
}

// AuthorizeRequest checks one request of a TEAM-scoped method against p's grants: the team must
// be granted, and a principal restricted to listed athletes must name at least one athlete
// (unless namesNone is allowed, for later messages of a client stream) and only its own.
func AuthorizeRequest(p *Principal, m Method, s RequestScope, allowNoAthlete bool) error {
	if m.Rule.GetScope() != commonv1.AccessScope_ACCESS_SCOPE_TEAM || p.Role == commonv1.Role_ROLE_ADMIN {
		return nil
	}
	if s.TeamID == "" {
		return fault.PermissionDenied("%s: the request names no team_id", m.FullMethod)
	}
	g, ok := p.Grant(s.TeamID)
	if !ok {
		return fault.PermissionDenied("%s is not granted team %q", p.Subject, s.TeamID)
	}
	if len(g.AthleteIDs) == 0 {
		return nil
	}
	if len(s.AthleteIDs) == 0 && !allowNoAthlete {
		return fault.PermissionDenied("%s may act only on athletes %v of team %q; the request names none",
			p.Subject, g.AthleteIDs, s.TeamID)
	}
	for _, a := range s.AthleteIDs {
		if !slices.Contains(g.AthleteIDs, a) {
			return fault.PermissionDenied("%s is not granted athlete %q of team %q", p.Subject, a, s.TeamID)
		}
	}
	return nil
}
