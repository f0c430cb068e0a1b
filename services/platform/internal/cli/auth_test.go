package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/auth/authservice"
	"github.com/supercomp/supercomp/pkg/auth/authtest"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/server/servertest"
)

// startSecureServer runs the server kit with the auth guard and AuthService (with opts) on real
// JetStream, and returns its address and a bootstrap admin key.
func startSecureServer(t *testing.T, opts ...authservice.Option) (addr, adminKey string) {
	t.Helper()
	b, _ := bustest.New(t)
	adminKey = "cli-test-admin-key-0123456789abcdef"
	authn := authtest.WithAdmin(t, b, adminKey)
	guard := auth.NewGuard(authn)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, zap.NewNop(),
		server.WithUnaryInterceptors(guard.Unary()), server.WithStreamInterceptors(guard.Stream()))
	if err != nil {
		t.Fatal(err)
	}
	authservice.New(authn, b, opts...).Register(srv.GRPC())
	return servertest.Serve(t, srv), adminKey
}

func TestKeysLoginAndCredentials(t *testing.T) {
	addr, admin := startSecureServer(t)
	cfgPath := filepath.Join(t.TempDir(), "config")
	t.Setenv("SC_CONFIG", cfgPath)
	t.Setenv("SC_TOKEN", "")

	if _, err := runSC(t, "whoami", "--addr", addr); err == nil || !strings.Contains(err.Error(), "not authenticated: missing credentials") {
		t.Fatalf("whoami without credentials = %v, want a not-authenticated error", err)
	}
	out, err := runSC(t, "whoami", "--addr", addr, "--token", admin)
	if err != nil || !strings.Contains(out, "role:       admin") {
		t.Fatalf("whoami as admin = %q, %v", out, err)
	}

	out, err = runSC(t, "keys", "create", "--addr", addr, "--token", admin, "--name", "t1 coach", "--role", "coach", "--team", "t1", "--team", "t2:ana,ben")
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	secret := regexp.MustCompile(`secret \(shown only now\): (\S+)`).FindStringSubmatch(out)
	keyID := regexp.MustCompile(`created key (\S+)`).FindStringSubmatch(out)
	if secret == nil || keyID == nil {
		t.Fatalf("keys create printed no key id or secret:\n%s", out)
	}
	if _, err := runSC(t, "keys", "create", "--addr", addr, "--token", admin, "--name", "x", "--role", "chef", "--team", "t1"); err == nil ||
		!strings.Contains(err.Error(), "--role") {
		t.Errorf("bad role = %v", err)
	}

	// SC_TOKEN works, and a coach may not manage keys.
	t.Setenv("SC_TOKEN", secret[1])
	if out, err := runSC(t, "whoami", "--addr", addr); err != nil || !strings.Contains(out, "grants:     t1 t2:ana,ben") {
		t.Fatalf("whoami with SC_TOKEN = %q, %v", out, err)
	}
	if _, err := runSC(t, "keys", "list", "--addr", addr); err == nil || !strings.Contains(err.Error(), "permission denied: role coach") {
		t.Errorf("coach listing keys = %v, want permission denied", err)
	}

	// sc login saves a token for this address; later calls find it without --token.
	if out, err := runSC(t, "login", "--addr", addr, "--ttl", "1h"); err != nil || !strings.Contains(out, "as "+keyID[1]+" (coach)") {
		t.Fatalf("login = %q, %v", out, err)
	}
	t.Setenv("SC_TOKEN", "")
	if fi, err := os.Stat(cfgPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, %v; want mode 0600", fi, err)
	}
	if out, err := runSC(t, "whoami", "--addr", addr); err != nil || !strings.Contains(out, "credential: token from "+cfgPath) {
		t.Fatalf("whoami from the config file = %q, %v", out, err)
	}

	out, err = runSC(t, "keys", "list", "--addr", addr, "--token", admin, "--team", "t2")
	if err != nil || !strings.Contains(out, keyID[1]) || strings.Contains(out, secret[1]) {
		t.Fatalf("keys list = %q, %v; want the key without its secret", out, err)
	}
	if out, err := runSC(t, "grants", "set", keyID[1], "--addr", addr, "--token", admin, "--team", "t3"); err != nil || !strings.Contains(out, "grants t3") {
		t.Fatalf("grants set = %q, %v", out, err)
	}
	if out, err := runSC(t, "grants", "list", "--addr", addr, "--token", admin, "--team", "t3"); err != nil || !strings.Contains(out, keyID[1]) {
		t.Fatalf("grants list = %q, %v", out, err)
	}
	if _, err := runSC(t, "keys", "revoke", keyID[1], "--addr", addr, "--token", admin, "--reason", "test"); err != nil {
		t.Fatal(err)
	}
	// The saved token came from the revoked key.
	if _, err := runSC(t, "whoami", "--addr", addr); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("whoami with a token of a revoked key = %v", err)
	}
}

// TestLocalCredentials: talking to the default local address, sc uses the platform's
// <data-dir>/credentials unless a token or a config file for that address says otherwise.
func TestLocalCredentials(t *testing.T) {
	dataDir := t.TempDir()
	t.Setenv("SC_CONFIG", filepath.Join(t.TempDir(), "none"))
	if err := auth.WriteCredentialsFile(filepath.Join(dataDir, auth.CredentialsFileName), "sck_local"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		opts options
		want string
	}{
		{options{addr: DefaultAddr, dataDir: dataDir}, "sck_local"},
		{options{addr: DefaultAddr, dataDir: dataDir, token: "flag"}, "flag"},
		{options{addr: "10.0.0.1:7400", dataDir: dataDir}, ""},
		{options{addr: DefaultAddr, dataDir: t.TempDir()}, ""},
	}
	for _, tt := range tests {
		got, _, err := tt.opts.credential()
		if err != nil || got != tt.want {
			t.Errorf("credential(%+v) = %q, %v; want %q", tt.opts, got, err, tt.want)
		}
	}
}

// A key in SC_TOKEN is used but never printed: --help shows flag defaults, so the token flag's
// default must not be the environment's value.
func TestHelpDoesNotPrintTheToken(t *testing.T) {
	const secret = "sc_live_help_must_not_show_this_0123456789"
	t.Setenv("SC_TOKEN", secret)
	var out, errOut bytes.Buffer
	root := NewRoot(&out, &errOut)
	root.SetArgs([]string{"--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String()+errOut.String(), secret) {
		t.Errorf("sc --help prints the key from SC_TOKEN:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "env SC_TOKEN") {
		t.Errorf("sc --help no longer says SC_TOKEN is read:\n%s", out.String())
	}
	opts := &options{}
	if tok, from, err := opts.credential(); err != nil || tok != secret || from != "SC_TOKEN" {
		t.Errorf("credential = %q from %q (%v), want the SC_TOKEN key", tok, from, err)
	}
}

func TestConsoleLinkIsOneTime(t *testing.T) {
	addr, admin := startSecureServer(t)
	t.Setenv("SC_CONFIG", filepath.Join(t.TempDir(), "config"))

	if _, err := runSC(t, "console", "link", "--addr", addr, "--token", admin, "--team", "t1", "--role", "device"); err == nil ||
		!strings.Contains(err.Error(), "coach, staff or admin") {
		t.Fatalf("device link = %v, want refused", err)
	}
	out, err := runSC(t, "console", "link", "--addr", addr, "--token", admin, "--team", "t1", "--url", "https://console.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`https://console\.example\.com/signin/link\?key=(sck_\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no link in:\n%s", out)
	}
	key := m[1]
	if out, err := runSC(t, "whoami", "--addr", addr, "--token", key); err != nil || !strings.Contains(out, "coach") {
		t.Fatalf("first use of the link key: %v\n%s", err, out)
	}
	if _, err := runSC(t, "whoami", "--addr", addr, "--token", key); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("second use of the link key = %v, want already used", err)
	}
}
