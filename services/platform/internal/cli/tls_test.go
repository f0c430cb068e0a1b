package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	sccfg "github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/server/servertest"
)

// testPKI writes a CA, a server certificate for 127.0.0.1 and a client certificate as PEM files.
type testPKI struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	issue := func(serial int64, usage x509.ExtKeyUsage, ips []net.IP, name string) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", keyDER)
	}
	p := testPKI{ca: write("ca.pem", "CERTIFICATE", caDER)}
	p.serverCert, p.serverKey = issue(2, x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")}, "server")
	p.clientCert, p.clientKey = issue(3, x509.ExtKeyUsageClientAuth, nil, "client")
	return p
}

func startTLSServer(t *testing.T, cfg sccfg.ServerTLS) string {
	t.Helper()
	tlsCfg, err := cfg.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", TLS: tlsCfg}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	srv.SetServing(healthTargets[1])
	return servertest.Serve(t, srv)
}

func TestTLS(t *testing.T) {
	pki := newTestPKI(t)
	only := []string{"--service", healthTargets[1], "--timeout", "3s"}

	t.Run("server TLS", func(t *testing.T) {
		addr := startTLSServer(t, sccfg.ServerTLS{CertFile: pki.serverCert, KeyFile: pki.serverKey})
		if _, err := runSC(t, append([]string{"health", "--addr", addr, "--tls-ca", pki.ca}, only...)...); err != nil {
			t.Fatalf("sc health over TLS: %v", err)
		}
		if _, err := runSC(t, append([]string{"health", "--addr", addr}, only...)...); err == nil {
			t.Error("a plaintext client reached a TLS server")
		}
		if _, err := runSC(t, append([]string{"health", "--addr", addr, "--tls"}, only...)...); err == nil {
			t.Error("a certificate from an unknown CA was accepted against the system roots")
		}
	})
	t.Run("mutual TLS", func(t *testing.T) {
		addr := startTLSServer(t, sccfg.ServerTLS{CertFile: pki.serverCert, KeyFile: pki.serverKey, ClientCAFile: pki.ca})
		if _, err := runSC(t, append([]string{"health", "--addr", addr, "--tls-ca", pki.ca}, only...)...); err == nil {
			t.Error("a client without a certificate passed mutual TLS")
		}
		if _, err := runSC(t, append([]string{"health", "--addr", addr, "--tls-ca", pki.ca,
			"--tls-cert", pki.clientCert, "--tls-key", pki.clientKey}, only...)...); err != nil {
			t.Fatalf("sc health with a client certificate: %v", err)
		}
	})
	t.Run("bad files name the flag", func(t *testing.T) {
		_, err := sccfg.ServerTLS{CertFile: pki.serverCert, KeyFile: pki.ca}.Load()
		if err == nil || !strings.Contains(err.Error(), "--tls-cert") {
			t.Errorf("Load with a wrong key = %v; want an error naming --tls-cert", err)
		}
		if err := (sccfg.ServerTLS{ClientCAFile: pki.ca}).Validate(); err == nil || !strings.Contains(err.Error(), "--tls-client-ca") {
			t.Errorf("client CA without a certificate = %v", err)
		}
	})
}
