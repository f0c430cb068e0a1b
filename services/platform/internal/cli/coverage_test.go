package cli

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// apiMethods lists every RPC of every Supercomp service in the generated protos (pkg/gen,
// registered in protoregistry by the imports of this package) as full method names.
func apiMethods(t *testing.T) []string {
	t.Helper()
	var methods []string
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "supercomp.") {
			return true
		}
		services := fd.Services()
		for i := range services.Len() {
			sd := services.Get(i)
			for j := range sd.Methods().Len() {
				methods = append(methods, "/"+string(sd.FullName())+"/"+string(sd.Methods().Get(j).Name()))
			}
		}
		return true
	})
	if len(methods) < 40 {
		t.Fatalf("found %d RPCs in the registry; the generated packages are not all linked in", len(methods))
	}
	slices.Sort(methods)
	return methods
}

// coveredMethods maps each RPC that a command declares to the commands declaring it.
func coveredMethods(root *cobra.Command) map[string][]string {
	out := map[string][]string{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if rpcs := c.Annotations[annotationRPCs]; rpcs != "" {
			for _, m := range strings.Split(rpcs, ",") {
				out[m] = append(out[m], c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// TestEveryRPCIsCoveredBySC fails when an RPC of the API has neither an sc command that
// declares it nor a documented reason in rpcsWithoutCommand, and when a declaration or a
// reason names an RPC that does not exist (a renamed method must not leave a stale entry).
func TestEveryRPCIsCoveredBySC(t *testing.T) {
	methods := apiMethods(t)
	covered := coveredMethods(NewRoot(io.Discard, io.Discard))
	for _, m := range methods {
		_, hasCommand := covered[m]
		reason, hasReason := rpcsWithoutCommand[m]
		switch {
		case !hasCommand && !hasReason:
			t.Errorf("%s: no sc command declares it (covers(cmd, ...)) and rpcsWithoutCommand gives no reason", m)
		case hasCommand && hasReason:
			t.Errorf("%s: covered by %v but also listed in rpcsWithoutCommand (%q); drop the reason", m, covered[m], reason)
		case hasReason && strings.TrimSpace(reason) == "":
			t.Errorf("%s: rpcsWithoutCommand gives an empty reason", m)
		}
	}
	for m, cmds := range covered {
		if !slices.Contains(methods, m) {
			t.Errorf("%v declare %s, which is not an RPC of the API", cmds, m)
		}
	}
	for m := range rpcsWithoutCommand {
		if !slices.Contains(methods, m) {
			t.Errorf("rpcsWithoutCommand names %s, which is not an RPC of the API", m)
		}
	}
}

// TestCommandsHaveExamples: every command that calls the platform shows how in --help.
func TestCommandsHaveExamples(t *testing.T) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Annotations[annotationRPCs] != "" && strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no example in --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(io.Discard, io.Discard))
}
