package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// clientTLS secures sc's connection to a platform served with --tls-cert: verified against the
// system roots or --tls-ca, presenting --tls-cert/--tls-key where the server wants mutual TLS.
type clientTLS struct {
	enabled           bool
	caFile            string
	certFile, keyFile string
	serverName        string
}

func (c *clientTLS) registerFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.BoolVar(&c.enabled, "tls", envBool("SC_TLS"), "connect with TLS, verifying the server against the system roots (env SC_TLS); implied by the other --tls flags")
	f.StringVar(&c.caFile, "tls-ca", os.Getenv("SC_TLS_CA"), "PEM CA bundle that signed the server's certificate (env SC_TLS_CA)")
	f.StringVar(&c.certFile, "tls-cert", os.Getenv("SC_TLS_CERT"), "PEM client certificate, for servers that require mutual TLS (env SC_TLS_CERT)")
	f.StringVar(&c.keyFile, "tls-key", os.Getenv("SC_TLS_KEY"), "PEM private key of --tls-cert (env SC_TLS_KEY)")
	f.StringVar(&c.serverName, "tls-server-name", os.Getenv("SC_TLS_SERVER_NAME"), "name expected in the server's certificate, when it differs from --addr's host")
}

// credentials returns the transport credentials: plaintext unless TLS was asked for.
func (c clientTLS) credentials() (credentials.TransportCredentials, error) {
	if !c.enabled && c.caFile == "" && c.certFile == "" && c.keyFile == "" {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.serverName}
	if c.caFile != "" {
		pem, err := os.ReadFile(c.caFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca: %s holds no PEM certificate", c.caFile)
		}
		cfg.RootCAs = pool
	}
	if (c.certFile == "") != (c.keyFile == "") {
		return nil, usagef("--tls-cert and --tls-key go together")
	}
	if c.certFile != "" {
		cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg), nil
}

func envBool(name string) bool {
	v := os.Getenv(name)
	return v == "1" || v == "true"
}
