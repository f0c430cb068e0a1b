package auth

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// registeredMethods are the methods of every Supercomp service the fixture's server serves,
// read from the server itself (so nothing registered escapes the table) and resolved to their
// descriptors and access rules.
func registeredMethods(t *testing.T, f *fixture) []Method {
	t.Helper()
	var out []Method
	for svc, info := range f.srv.GRPC().GetServiceInfo() {
		if !strings.HasPrefix(svc, "supercomp.") {
			continue
		}
		for _, mi := range info.Methods {
			full := "/" + svc + "/" + mi.Name
			m, ok := LookupMethod(full)
			if !ok {
				t.Errorf("%s is served but has no descriptor", full)
				continue
			}
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullMethod < out[j].FullMethod })
	return out
}

// request builds a request for m naming team and, in every athlete_id field reachable through
// messages (one element of a list, the first oneof member that has one), athlete. It reports whether it named an athlete.
func request(t *testing.T, m Method, team, athlete string) (proto.Message, bool) {
	msg := newMessage(t, m.Descriptor.Input())
	if fd := teamField(m.Descriptor.Input()); fd != nil {
		msg.ProtoReflect().Set(fd, protoreflect.ValueOfString(team))
	}
	return msg, fillAthletes(msg.ProtoReflect(), athlete, 0)
}

func fillAthletes(m protoreflect.Message, athlete string, depth int) bool {
	named := false
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch {
		case fd.Name() == "athlete_id" && fd.Kind() == protoreflect.StringKind && !fd.IsList():
			m.Set(fd, protoreflect.ValueOfString(athlete))
			named = true
		case fd.Kind() != protoreflect.MessageKind || fd.IsMap() || depth >= 3 || !hasAthleteField(fd.Message(), depth+1):
		case fd.IsList():
			// One element naming the athlete, as a batch of one record would.
			named = fillAthletes(m.Mutable(fd).List().AppendMutable().Message(), athlete, depth+1) || named
		case fd.ContainingOneof() == nil || m.WhichOneof(fd.ContainingOneof()) == nil:
			named = fillAthletes(m.Mutable(fd).Message(), athlete, depth+1) || named
		}
	}
	return named
}

func hasAthleteField(md protoreflect.MessageDescriptor, depth int) bool {
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Name() == "athlete_id" {
			return true
		}
		if fd.Kind() == protoreflect.MessageKind && !fd.IsMap() && depth < 3 && hasAthleteField(fd.Message(), depth+1) {
			return true
		}
	}
	return false
}

type principalCase struct {
	name       string
	role       commonv1.Role
	restricted bool // granted only athlete a1 of t1
}

var principals = []principalCase{
	{"admin", commonv1.Role_ROLE_ADMIN, false},
	{"coach-t1", commonv1.Role_ROLE_COACH, false},
	{"staff-t1", commonv1.Role_ROLE_STAFF, false},
	{"device-t1", commonv1.Role_ROLE_DEVICE, false},
	{"device-t1-a1", commonv1.Role_ROLE_DEVICE, true},
	{"athlete-t1-a1", commonv1.Role_ROLE_ATHLETE, true},
}

// expected restates the policy: the role must be listed; TEAM scope needs the granted team
// (t1) unless admin; an athlete-restricted principal must name only its athlete (a1).
func expected(m Method, p principalCase, team, athlete string, named bool) codes.Code {
	if !slices.Contains(m.Rule.GetRoles(), p.role) {
		return codes.PermissionDenied
	}
	if m.Rule.GetScope() != commonv1.AccessScope_ACCESS_SCOPE_TEAM || p.role == commonv1.Role_ROLE_ADMIN {
		return codes.Unimplemented
	}
	if team != "t1" || (p.restricted && (!named || athlete != "a1")) {
		return codes.PermissionDenied
	}
	return codes.Unimplemented // reached the (unimplemented) handler
}

// TestEveryRPCRoleAndTeam is the access table: every RPC of every registered service x every
// role x own team / other team / other athlete, against a real gRPC server with the guard. A
// call is allowed when its handler was reached (it answers Unimplemented), denied when it was
// refused with PermissionDenied and the handler saw nothing.
func TestEveryRPCRoleAndTeam(t *testing.T) {
	f := newFixture(t)
	for _, p := range principals {
		var grants []Grant
		switch {
		case p.role == commonv1.Role_ROLE_ADMIN:
		case p.restricted:
			grants = []Grant{{TeamID: "t1", AthleteIDs: []string{"a1"}}}
		default:
			grants = []Grant{{TeamID: "t1"}}
		}
		f.key(t, p.name, p.role, 0, grants...)
	}
	methods := registeredMethods(t, f)
	if len(methods) < 50 {
		t.Fatalf("only %d methods registered; the table must cover every service", len(methods))
	}

	// A new RPC without a usable rule fails here by name (and is denied by the guard).
	for _, m := range methods {
		if err := m.Usable(); err != nil {
			t.Errorf("unusable access rule: %v", err)
		}
	}

	allowedOwnTeam := map[string][]string{}
	scenarios := []struct{ team, athlete string }{{"t1", "a1"}, {"t1", "a2"}, {"t2", "a1"}}
	for _, m := range methods {
		// Without credentials nothing but health and reflection answers.
		req, _ := request(t, m, "t1", "a1")
		if got := f.call(t, m, "", req); got != codes.Unauthenticated {
			t.Errorf("%s without credentials = %v, want Unauthenticated", m.FullMethod, got)
		}
		for _, p := range principals {
			for _, sc := range scenarios {
				req, named := request(t, m, sc.team, sc.athlete)
				want := expected(m, p, sc.team, sc.athlete, named)
				before := f.rec.count(m.FullMethod)
				got := f.call(t, m, f.keys[p.name], req)
				reachedNow := f.rec.count(m.FullMethod) > before
				if got != want {
					t.Errorf("%s as %s on team %s athlete %s = %v, want %v", m.FullMethod, p.name, sc.team, sc.athlete, got, want)
				}
				if reachedNow != (want == codes.Unimplemented) {
					t.Errorf("%s as %s on team %s athlete %s: handler reached = %v, want %v", m.FullMethod, p.name, sc.team, sc.athlete, reachedNow, !reachedNow)
				}
				if sc.team == "t1" && sc.athlete == "a1" && got == codes.Unimplemented {
					allowedOwnTeam[p.name] = append(allowedOwnTeam[p.name], string(m.Descriptor.Name()))
				}
			}
		}
	}

	// Hand-checked: a device only writes training data (it cannot read anything), and an
	// athlete reads only their own status, program, prescription and records, and reports only
	// their own wellness and sessions (the check-in page), and their team's time zone (GetTeam
	// with their athlete id, for the check-in's "today"). GetDeload names no athlete (only a
	// deload id), so an athlete-restricted key cannot use it: fail closed. Every principal may
	// end its own token (RevokeToken), and a person (not a device) keeps display preferences.
	hand := map[string][]string{
		"device-t1": {"ImportCSV", "IssueToken", "RecordBatch", "RecordReadiness", "RecordSession", "RecordSet", "RecordWellness", "RevokeToken",
			"StreamRecords", "WhoAmI"},
		"device-t1-a1": {"ImportCSV", "IssueToken", "RecordBatch", "RecordReadiness", "RecordSession", "RecordSet", "RecordWellness", "RevokeToken",
			"StreamRecords", "WhoAmI"},
		"athlete-t1-a1": {"ExplainAssessment", "Export", "GetAthleteProfile", "GetAthleteProgram", "GetAthleteStatus", "GetPreferences",
			"GetPrescription", "GetTeam", "IssueToken", "ListAssessments", "ListDeloads", "RecordSession", "RecordWellness", "RevokeToken",
			"SetPreferences", "WhoAmI"},
	}
	for name, want := range hand {
		got := slices.Sorted(slices.Values(allowedOwnTeam[name]))
		if !slices.Equal(got, want) {
			t.Errorf("%s may call %v on its own team, want exactly %v", name, got, want)
		}
	}
	// The audit trail names who did what: a coach reads their own team's, staff none.
	if slices.Contains(allowedOwnTeam["coach-t1"], "ListAuditRecords") || slices.Contains(allowedOwnTeam["staff-t1"], "ListAuditRecords") {
		t.Error("ListAuditRecords: want coaches and staff refused (admins only)")
	}
	if n, total := len(allowedOwnTeam["admin"]), len(methods); n != total {
		t.Errorf("admin may call %d of %d methods", n, total)
	}
}
