package console_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/metadata"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/auth/authservice"
	"github.com/supercomp/supercomp/pkg/auth/authtest"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/config"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/server/servertest"
	"github.com/supercomp/supercomp/services/console/console"
)

// pemFiles are a throwaway CA and the certificates it signed, as the PEM files the flags take.
type pemFiles struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func writePKI(t *testing.T) pemFiles {
	t.Helper()
	dir := t.TempDir()
	save := func(name, kind string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	valid := func(c *x509.Certificate) *x509.Certificate {
		c.NotBefore, c.NotAfter = time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
		return c
	}
	caTemplate := valid(&x509.Certificate{SerialNumber: big.NewInt(10), Subject: pkix.Name{CommonName: "console test CA"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage, ips ...net.IP) (string, string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		template := valid(&x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature, IPAddresses: ips})
		der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return save(name+".pem", "CERTIFICATE", der), save(name+".key", "EC PRIVATE KEY", keyDER)
	}
	f := pemFiles{ca: save("ca.pem", "CERTIFICATE", caDER)}
	f.serverCert, f.serverKey = leaf("services", 11, x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1))
	f.clientCert, f.clientKey = leaf("console", 12, x509.ExtKeyUsageClientAuth)
	return f
}

const adminKey = "console-tls-test-admin-key-0123456789abcdef"

// startMutualTLSAuth serves the real AuthService (on embedded NATS, behind the access guard)
// on a gRPC port that requires client certificates signed by the test CA.
func startMutualTLSAuth(t *testing.T, pki pemFiles) string {
	t.Helper()
	b, _ := bustest.New(t)
	authn := authtest.WithAdmin(t, b, adminKey)
	tlsCfg, err := config.ServerTLS{CertFile: pki.serverCert, KeyFile: pki.serverKey, ClientCAFile: pki.ca}.Load()
	if err != nil {
		t.Fatal(err)
	}
	guard := auth.NewGuard(authn)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", TLS: tlsCfg}, zap.NewNop(),
		server.WithUnaryInterceptors(guard.Unary()), server.WithStreamInterceptors(guard.Stream()))
	if err != nil {
		t.Fatal(err)
	}
	authservice.New(authn, b).Register(srv.GRPC())
	return servertest.Serve(t, srv)
}

func targetsAt(addr string, tls console.ServicesTLS) console.Targets {
	return console.Targets{Auth: addr, Fatigue: addr, Programming: addr, Notifications: addr, TLS: tls}
}

// TestConsoleDialsServicesWithTLS: with the CA and a client certificate the console reaches a
// service that requires mutual TLS and signs a person in through it; without the certificate,
// or in plaintext, it does not get through.
func TestConsoleDialsServicesWithTLS(t *testing.T) {
	pki := writePKI(t)
	addr := startMutualTLSAuth(t, pki)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	whoAmI := func(tls console.ServicesTLS) (*authv1.WhoAmIResponse, error) {
		clients, closeAll, err := console.Dial(targetsAt(addr, tls))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = closeAll() }()
		return clients.Auth.WhoAmI(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+adminKey), &authv1.WhoAmIRequest{})
	}
	mutual := console.ServicesTLS{CAFile: pki.ca, CertFile: pki.clientCert, KeyFile: pki.clientKey}
	if resp, err := whoAmI(mutual); err != nil || resp.GetPrincipal().GetRole() != commonv1.Role_ROLE_ADMIN {
		t.Fatalf("WhoAmI over mutual TLS = %v, %v", resp, err)
	}
	if _, err := whoAmI(console.ServicesTLS{CAFile: pki.ca}); err == nil {
		t.Error("the console got through without its client certificate")
	}
	if _, err := whoAmI(console.ServicesTLS{}); err == nil {
		t.Error("a plaintext console got through to a TLS service")
	}
	if _, err := whoAmI(console.ServicesTLS{Enabled: true, CertFile: pki.clientCert, KeyFile: pki.clientKey}); err == nil {
		t.Error("the test CA's certificate was accepted against the system roots")
	}

	// Signing in through the console: IssueToken over the same mutual TLS.
	clients, closeAll, err := console.Dial(targetsAt(addr, mutual))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeAll() }()
	cfg := console.DefaultConfig()
	cfg.SessionKey = "console-tls-test-session-key-0123456789abcdef"
	web, err := console.New(cfg, clients, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(web)
	defer site.Close()
	defer web.Shutdown()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form, err := browser.Get(site.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(form.Body)
	form.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(body))
	if csrf == nil {
		t.Fatalf("no form token on the sign-in page:\n%s", body)
	}
	req, _ := http.NewRequest(http.MethodPost, site.URL+"/signin",
		strings.NewReader(url.Values{"csrf": {csrf[1]}, "key": {adminKey}, "next": {"/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", site.URL)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("sign in through services on mutual TLS: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestServicesTLSFlagsGoTogether(t *testing.T) {
	if err := targetsAt("127.0.0.1:1", console.ServicesTLS{CertFile: "c.pem"}).Validate(); err == nil || !strings.Contains(err.Error(), "--services-tls-key") {
		t.Errorf("a certificate without its key = %v", err)
	}
	pki := writePKI(t)
	_, _, err := console.Dial(targetsAt("127.0.0.1:1", console.ServicesTLS{CertFile: pki.clientCert, KeyFile: pki.ca}))
	if err == nil || !strings.Contains(err.Error(), "--services-tls-cert") {
		t.Errorf("a key file that is no key = %v, want an error naming --services-tls-cert", err)
	}
}
