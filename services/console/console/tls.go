package console

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"os"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/supercomp/supercomp/pkg/config"
)

// Flag names of the console's TLS towards the services.
const (
	flagServicesTLS           = "services-tls"
	flagServicesTLSCA         = "services-tls-ca"
	flagServicesTLSCert       = "services-tls-cert"
	flagServicesTLSKey        = "services-tls-key"
	flagServicesTLSServerName = "services-tls-server-name"
)

// ServicesTLS is how the standalone console secures its gRPC connections to services served
// with --tls-cert (pkg/config.ServerTLS): off by default, like the services; verified against
// the system roots or CAFile; presenting CertFile and KeyFile to services that require mutual
// TLS (--tls-client-ca).
type ServicesTLS struct {
	Enabled           bool
	CAFile            string
	CertFile, KeyFile string
	// ServerName is the name expected in the services' certificates when it is not the host
	// of the target addresses (e.g. targets by IP behind one certificate for a DNS name).
	ServerName string
}

// RegisterFlags registers --services-tls and its files.
func (c *ServicesTLS) RegisterFlags(fs *flag.FlagSet) {
	fs.BoolVar(&c.Enabled, flagServicesTLS, c.Enabled,
		"dial the services with TLS, verifying them against the system roots; implied by the other --services-tls-* flags")
	fs.StringVar(&c.CAFile, flagServicesTLSCA, c.CAFile, "PEM CA bundle that signed the services' certificates")
	fs.StringVar(&c.CertFile, flagServicesTLSCert, c.CertFile,
		"PEM client certificate the console presents to services that require mutual TLS (with --services-tls-key)")
	fs.StringVar(&c.KeyFile, flagServicesTLSKey, c.KeyFile, "PEM private key of --services-tls-cert")
	fs.StringVar(&c.ServerName, flagServicesTLSServerName, c.ServerName,
		"name expected in the services' certificates, when it differs from the target addresses' host")
}

// On reports whether the console dials with TLS.
func (c ServicesTLS) On() bool {
	return c.Enabled || c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != ""
}

// Validate reports half a certificate pair.
func (c ServicesTLS) Validate() error {
	var v config.Validator
	v.Check(c.CertFile == "" || c.KeyFile != "", flagServicesTLSCert, "needs --%s too: a certificate and its key go together", flagServicesTLSKey)
	v.Check(c.KeyFile == "" || c.CertFile != "", flagServicesTLSKey, "needs --%s too: a certificate and its key go together", flagServicesTLSCert)
	return v.Err()
}

// credentials loads the transport credentials: plaintext unless TLS is on. Errors name the
// flag whose file is bad.
func (c ServicesTLS) credentials() (credentials.TransportCredentials, error) {
	if !c.On() {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, config.FlagError(flagServicesTLSCA, "%v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, config.FlagError(flagServicesTLSCA, "%s holds no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, config.FlagError(flagServicesTLSCert, "cannot load the certificate and key: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg), nil
}
