package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/server/servertest"
)

// runSC runs the sc command tree with args and returns its output.
func runSC(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(&out, &errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// startServer runs the real gRPC server kit with the given services marked SERVING.
func startServer(t *testing.T, serving ...string) string {
	t.Helper()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range serving {
		srv.SetServing(name)
	}
	return servertest.Serve(t, srv)
}

func TestVersion(t *testing.T) {
	out, err := runSC(t, "version")
	if err != nil || !strings.HasPrefix(out, "sc dev") {
		t.Fatalf("sc version = %q, %v", out, err)
	}
}

func TestHealth(t *testing.T) {
	t.Run("all serving", func(t *testing.T) {
		addr := startServer(t, healthTargets[1:]...)
		out, err := runSC(t, "health", "--addr", addr)
		if err != nil {
			t.Fatalf("sc health: %v\n%s", err, out)
		}
		if got := strings.Count(out, "SERVING"); got != len(healthTargets) {
			t.Errorf("sc health printed %d SERVING rows, want %d:\n%s", got, len(healthTargets), out)
		}
	})
	t.Run("a service missing", func(t *testing.T) {
		addr := startServer(t, healthTargets[1:3]...)
		out, err := runSC(t, "health", "--addr", addr)
		if err == nil || !strings.Contains(err.Error(), "not serving") {
			t.Fatalf("sc health = %v; want a not-serving error", err)
		}
		if !strings.Contains(out, "NOT_REGISTERED") {
			t.Errorf("output does not show the missing service:\n%s", out)
		}
	})
	t.Run("only the named service", func(t *testing.T) {
		addr := startServer(t, healthTargets[1])
		out, err := runSC(t, "health", "--addr", addr, "--service", healthTargets[1])
		if err != nil {
			t.Fatalf("sc health --service: %v\n%s", err, out)
		}
		if strings.Contains(out, healthTargets[2]) {
			t.Errorf("--service still checked other services:\n%s", out)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		_, err := runSC(t, "health", "--addr", "127.0.0.1:1", "--timeout", "2s")
		if err == nil || !strings.Contains(err.Error(), "cannot reach Supercomp at 127.0.0.1:1") {
			t.Fatalf("sc health = %v; want a one-line unreachable error", err)
		}
	})
	t.Run("addr from SC_ADDR", func(t *testing.T) {
		addr := startServer(t, healthTargets[1:]...)
		t.Setenv("SC_ADDR", addr)
		if _, err := runSC(t, "health"); err != nil {
			t.Fatalf("sc health with SC_ADDR: %v", err)
		}
	})
}
