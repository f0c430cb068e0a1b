package config

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
)

// Flag names of the TLS sections.
const (
	FlagTLSCert      = "tls-cert"
	FlagTLSKey       = "tls-key"
	FlagTLSClientCA  = "tls-client-ca"
	FlagNATSTLSCA    = "nats-tls-ca"
	FlagNATSTLSCert  = "nats-tls-cert"
	FlagNATSTLSKey   = "nats-tls-key"
	minTLSVersion    = tls.VersionTLS12
	errTLSPairNeeded = "needs --%s too: a certificate and its key go together"
)

// ServerTLS configures TLS on the gRPC listener: off when no certificate is given, server TLS
// with a certificate and key, mutual TLS when a client CA is given as well.
type ServerTLS struct {
	CertFile, KeyFile string
	// ClientCAFile, when set, makes client certificates required and verified against it (mTLS).
	ClientCAFile string
}

// RegisterFlags registers --tls-cert, --tls-key and --tls-client-ca.
func (c *ServerTLS) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.CertFile, FlagTLSCert, c.CertFile, "PEM certificate of the gRPC server; serves TLS when set (with --tls-key)")
	fs.StringVar(&c.KeyFile, FlagTLSKey, c.KeyFile, "PEM private key of --tls-cert")
	fs.StringVar(&c.ClientCAFile, FlagTLSClientCA, c.ClientCAFile,
		"PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS)")
}

// Validate reports a certificate without its key (or the reverse), and a client CA without a
// server certificate.
func (c ServerTLS) Validate() error {
	var v Validator
	v.Check(c.CertFile == "" || c.KeyFile != "", FlagTLSCert, errTLSPairNeeded, FlagTLSKey)
	v.Check(c.KeyFile == "" || c.CertFile != "", FlagTLSKey, errTLSPairNeeded, FlagTLSCert)
	v.Check(c.ClientCAFile == "" || c.CertFile != "", FlagTLSClientCA, "needs --%s: mutual TLS is TLS first", FlagTLSCert)
	return v.Err()
}

// Enabled reports whether the listener serves TLS.
func (c ServerTLS) Enabled() bool { return c.CertFile != "" }

// Load builds the tls.Config, or nil when TLS is off. Errors name the flag whose file is bad.
func (c ServerTLS) Load() (*tls.Config, error) {
	if !c.Enabled() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, FlagError(FlagTLSCert, "cannot load the certificate and key: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: minTLSVersion}
	if c.ClientCAFile != "" {
		pool, err := loadPool(c.ClientCAFile)
		if err != nil {
			return nil, FlagError(FlagTLSClientCA, "%v", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// NATSTLS configures the NATS client's TLS: a CA to verify the servers and, for mTLS, a client
// certificate and key. The URLs use tls:// (or nats:// with a server that requires TLS).
type NATSTLS struct {
	CAFile, CertFile, KeyFile string
}

// RegisterFlags registers --nats-tls-ca, --nats-tls-cert and --nats-tls-key.
func (c *NATSTLS) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.CAFile, FlagNATSTLSCA, c.CAFile, "PEM CA bundle that signed the NATS servers' certificates")
	fs.StringVar(&c.CertFile, FlagNATSTLSCert, c.CertFile, "PEM client certificate presented to NATS (mutual TLS, with --nats-tls-key)")
	fs.StringVar(&c.KeyFile, FlagNATSTLSKey, c.KeyFile, "PEM private key of --nats-tls-cert")
}

// Validate reports half a certificate pair and files that cannot be read.
func (c NATSTLS) Validate() error {
	var v Validator
	v.Check(c.CertFile == "" || c.KeyFile != "", FlagNATSTLSCert, errTLSPairNeeded, FlagNATSTLSKey)
	v.Check(c.KeyFile == "" || c.CertFile != "", FlagNATSTLSKey, errTLSPairNeeded, FlagNATSTLSCert)
	for flagName, path := range map[string]string{FlagNATSTLSCA: c.CAFile, FlagNATSTLSCert: c.CertFile, FlagNATSTLSKey: c.KeyFile} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			v.Add(FlagError(flagName, "%v", err))
		}
	}
	return v.Err()
}

func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
