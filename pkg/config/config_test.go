package config

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// testConfig is a binary configuration as a service would declare it.
type testConfig struct {
	Log      Log
	GRPC     GRPC
	HTTP     HTTP
	NATS     NATS
	Store    Store
	Shutdown Shutdown
	DataDir  string
	Verbose  bool
}

func (c *testConfig) RegisterFlags(fs *flag.FlagSet) {
	c.Log.RegisterFlags(fs)
	c.GRPC.RegisterFlags(fs)
	c.HTTP.RegisterFlags(fs)
	c.NATS.RegisterFlags(fs)
	c.Store.RegisterFlags(fs)
	c.Shutdown.RegisterFlags(fs)
	fs.StringVar(&c.DataDir, "data.dir", c.DataDir, "where embedded data lives")
	fs.BoolVar(&c.Verbose, "verbose", false, "say more")
}

func (c *testConfig) Validate() error {
	var v Validator
	v.Add(c.Log.Validate(), c.GRPC.Validate(), c.HTTP.Validate(), c.NATS.Validate(), c.Store.Validate(), c.Shutdown.Validate())
	return v.Err()
}

func defaults() testConfig {
	return testConfig{
		GRPC:    GRPC{Addr: "127.0.0.1:7402"},
		HTTP:    HTTP{Addr: "127.0.0.1:7482"},
		Store:   Store{Backend: BackendCHDB},
		DataDir: "./.data",
	}
}

func TestEnvName(t *testing.T) {
	tests := map[string]string{
		"nats-url":         "SC_NATS_URL",
		"grpc-addr":        "SC_GRPC_ADDR",
		"store.dsn":        "SC_STORE_DSN",
		"shutdown-timeout": "SC_SHUTDOWN_TIMEOUT",
		"x":                "SC_X",
	}
	for flagName, want := range tests {
		if got := EnvName(flagName); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c testConfig)
		wantErr []string // substrings of the error; nil means success
	}{
		{
			name: "defaults",
			check: func(t *testing.T, c testConfig) {
				want := defaults()
				want.Log = Log{Level: "info", Format: "json"}
				want.NATS.Replicas = 1
				want.Shutdown.Timeout = 15 * time.Second
				want.GRPC.Limits = RateLimits{
					PrincipalRate: DefaultPrincipalRate, PrincipalBurst: DefaultPrincipalBurst,
					PeerRate: DefaultPeerRate, PeerBurst: DefaultPeerBurst,
					AuthFailureRate: DefaultAuthFailureRate, AuthFailureBurst: DefaultAuthFailureBurst,
				}
				want.GRPC.Transport = GRPCTransport{
					MaxConnections: DefaultMaxConnections, KeepaliveMinTime: DefaultKeepaliveMinTime,
					KeepaliveTime: DefaultKeepaliveTime, KeepaliveTimeout: DefaultKeepaliveTimeout,
					MaxConnectionIdle: DefaultMaxConnectionIdle,
				}
				if c != want {
					t.Errorf("got %+v, want %+v", c, want)
				}
			},
		},
		{
			name: "flags",
			args: []string{"--grpc-addr", "0.0.0.0:9000", "--log-level=debug", "--nats-replicas=3", "--shutdown-timeout=2s", "--verbose"},
			check: func(t *testing.T, c testConfig) {
				if c.GRPC.Addr != "0.0.0.0:9000" || c.Log.Level != "debug" || c.NATS.Replicas != 3 ||
					c.Shutdown.Timeout != 2*time.Second || !c.Verbose {
					t.Errorf("flags not applied: %+v", c)
				}
			},
		},
		{
			name: "env fills unset flags",
			env: map[string]string{
				"SC_NATS_URL": "nats://10.0.0.1:4222", "SC_NATS_REPLICAS": "3", "SC_DATA_DIR": "/var/lib/sc",
				"SC_SHUTDOWN_TIMEOUT": "1m", "SC_VERBOSE": "true",
			},
			check: func(t *testing.T, c testConfig) {
				if c.NATS.URL != "nats://10.0.0.1:4222" || c.NATS.Replicas != 3 || c.DataDir != "/var/lib/sc" ||
					c.Shutdown.Timeout != time.Minute || !c.Verbose {
					t.Errorf("env not applied: %+v", c)
				}
			},
		},
		{
			name: "flag wins over env",
			args: []string{"--nats-url=nats://flag:4222"},
			env:  map[string]string{"SC_NATS_URL": "nats://env:4222", "SC_LOG_FORMAT": "console"},
			check: func(t *testing.T, c testConfig) {
				if c.NATS.URL != "nats://flag:4222" {
					t.Errorf("NATS.URL = %q, want the flag's value", c.NATS.URL)
				}
				if c.Log.Format != "console" {
					t.Errorf("Log.Format = %q, want the env value for an unset flag", c.Log.Format)
				}
			},
		},
		{
			name: "empty env counts as unset",
			env:  map[string]string{"SC_GRPC_ADDR": ""},
			check: func(t *testing.T, c testConfig) {
				if c.GRPC.Addr != "127.0.0.1:7402" {
					t.Errorf("GRPC.Addr = %q, want the default", c.GRPC.Addr)
				}
			},
		},
		{
			name: "limits from flags and env, 0 turns a limit off",
			args: []string{"--grpc-principal-rate=0", "--grpc-peer-burst=50"},
			env:  map[string]string{"SC_GRPC_AUTH_FAILURE_RATE": "0.5", "SC_GRPC_MAX_CONNECTIONS": "0", "SC_GRPC_KEEPALIVE_MIN_TIME": "30s"},
			check: func(t *testing.T, c testConfig) {
				l, tr := c.GRPC.Limits, c.GRPC.Transport
				if l.PrincipalRate != 0 || l.PeerBurst != 50 || l.AuthFailureRate != 0.5 || tr.MaxConnections != 0 || tr.KeepaliveMinTime != 30*time.Second {
					t.Errorf("limits not applied: %+v %+v", l, tr)
				}
			},
		},
		{
			name:    "bad env value names env and flag",
			env:     map[string]string{"SC_NATS_REPLICAS": "three"},
			wantErr: []string{"SC_NATS_REPLICAS", "--nats-replicas", `"three"`},
		},
		{
			name:    "every bad env value is reported",
			env:     map[string]string{"SC_NATS_REPLICAS": "three", "SC_SHUTDOWN_TIMEOUT": "soon"},
			wantErr: []string{"SC_NATS_REPLICAS", "SC_SHUTDOWN_TIMEOUT"},
		},
		{
			name:    "bad flag value names the flag",
			args:    []string{"--nats-replicas=three"},
			wantErr: []string{"-nats-replicas"},
		},
		{
			name:    "unknown flag names it",
			args:    []string{"--nats-ur=nats://x:4222"},
			wantErr: []string{"-nats-ur"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaults()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.RegisterFlags(fs)
			err := parse(fs, tt.args, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Parse succeeded with %+v, want an error", c)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, c)
		})
	}
}

// TestParseUsesProcessEnv covers the exported Parse, which reads os.Getenv.
func TestParseUsesProcessEnv(t *testing.T) {
	t.Setenv("SC_GRPC_ADDR", "127.0.0.1:9999")
	c := defaults()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := Parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	if c.GRPC.Addr != "127.0.0.1:9999" {
		t.Errorf("GRPC.Addr = %q, want the value of SC_GRPC_ADDR", c.GRPC.Addr)
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			c := defaults()
			fs := flag.NewFlagSet("fatigue", flag.ContinueOnError)
			var out bytes.Buffer
			fs.SetOutput(&out)
			c.RegisterFlags(fs)
			err := Parse(fs, []string{arg})
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("Parse(%s) = %v, want flag.ErrHelp", arg, err)
			}
			usage := out.String()
			for _, want := range []string{
				"Usage of fatigue:",
				"--grpc-addr string",
				"(env SC_GRPC_ADDR, default \"127.0.0.1:7402\")",
				"--nats-url string",
				"embedded server", // the usage text explains the empty value
				"(env SC_NATS_URL)",
				"--nats-replicas int",
				"(env SC_NATS_REPLICAS, default 1)",
				"--shutdown-timeout duration",
				"(env SC_SHUTDOWN_TIMEOUT, default 15s)",
				"--verbose\n",
				"(env SC_DATA_DIR, default \"./.data\")",
			} {
				if !strings.Contains(usage, want) {
					t.Errorf("usage lacks %q:\n%s", want, usage)
				}
			}
		})
	}
}

func TestValidateSections(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr []string // nil means valid
	}{
		{"log ok", Log{Level: "warn", Format: "console"}.Validate(), nil},
		{"log bad level", Log{Level: "verbose", Format: "json"}.Validate(), []string{"--log-level (env SC_LOG_LEVEL)", `"verbose"`, "debug, info, warn, error"}},
		{"log bad format", Log{Level: "info", Format: "xml"}.Validate(), []string{"--log-format", `"xml"`}},
		{"grpc ok", GRPC{Addr: "127.0.0.1:7400"}.Validate(), nil},
		{"grpc any interface", GRPC{Addr: ":7400"}.Validate(), nil},
		{"grpc ipv6", GRPC{Addr: "[::1]:0"}.Validate(), nil},
		{"grpc empty", GRPC{}.Validate(), []string{"--grpc-addr", "host:port"}},
		{"grpc no port", GRPC{Addr: "localhost"}.Validate(), []string{"--grpc-addr", `"localhost"`}},
		{"grpc named port", GRPC{Addr: "localhost:http"}.Validate(), []string{"--grpc-addr"}},
		{"grpc port out of range", GRPC{Addr: "127.0.0.1:70000"}.Validate(), []string{"--grpc-addr"}},
		{"grpc limits ok", GRPC{Addr: ":1", Limits: RateLimits{PrincipalRate: 10, PrincipalBurst: 1, PeerRate: 5, PeerBurst: 5, AuthFailureRate: 5, AuthFailureBurst: 1}}.Validate(), nil},
		{"grpc negative rate", GRPC{Addr: ":1", Limits: RateLimits{PeerRate: -1}}.Validate(), []string{"--grpc-peer-rate (env SC_GRPC_PEER_RATE)", "-1"}},
		{"grpc infinite rate", RateLimits{PrincipalRate: math.Inf(1), PrincipalBurst: 1}.Validate(), []string{"--grpc-principal-rate"}},
		{"grpc zero burst", RateLimits{PrincipalRate: 10}.Validate(), []string{"--grpc-principal-burst", "every call is refused"}},
		{"grpc auth failures looser than calls", RateLimits{PeerRate: 10, PeerBurst: 10, AuthFailureRate: 20, AuthFailureBurst: 1}.Validate(),
			[]string{"--grpc-auth-failure-rate", "more strictly"}},
		{"grpc transport zero is gRPC's defaults", GRPCTransport{}.Validate(), nil},
		{"grpc transport bad", GRPCTransport{MaxConnections: -1, KeepaliveTime: 10 * time.Millisecond, KeepaliveMinTime: -time.Second}.Validate(),
			[]string{"--grpc-max-connections", "--grpc-keepalive-time", "at least 1s", "--grpc-keepalive-min-time"}},
		{"http ok", HTTP{Addr: "127.0.0.1:7480"}.Validate(), nil},
		{"http bad", HTTP{Addr: "7480"}.Validate(), []string{"--http-addr (env SC_HTTP_ADDR)"}},
		{"nats embedded", NATS{Replicas: 1}.Validate(), nil},
		{"nats cluster", NATS{URL: "nats://a:4222, tls://b:4222", Replicas: 3}.Validate(), nil},
		{"nats no scheme", NATS{URL: "127.0.0.1:4222", Replicas: 1}.Validate(), []string{"--nats-url", "nats://"}},
		{"nats wrong scheme", NATS{URL: "http://a:4222", Replicas: 1}.Validate(), []string{"--nats-url"}},
		{"nats replicas", NATS{Replicas: 7}.Validate(), []string{"--nats-replicas", "between 1 and 5"}},
		{"store chdb", Store{Backend: BackendCHDB}.Validate(), nil},
		{"store clickhouse", Store{Backend: BackendClickHouse, DSN: "clickhouse://default:@127.0.0.1:9000/supercomp"}.Validate(), nil},
		{"store clickhouse tcp", Store{Backend: BackendClickHouse, DSN: "tcp://127.0.0.1:9000"}.Validate(), nil},
		{"store clickhouse no dsn", Store{Backend: BackendClickHouse}.Validate(), []string{"--clickhouse-dsn", "--store-backend=clickhouse"}},
		{"store clickhouse http dsn", Store{Backend: BackendClickHouse, DSN: "http://127.0.0.1:8123"}.Validate(), []string{"--clickhouse-dsn"}},
		{"store chdb with dsn", Store{Backend: BackendCHDB, DSN: "clickhouse://h:9000"}.Validate(), []string{"--clickhouse-dsn", "only used with"}},
		{"store unknown", Store{Backend: "postgres"}.Validate(), []string{"--store-backend", `"postgres"`}},
		{"shutdown ok", Shutdown{Timeout: time.Second}.Validate(), nil},
		{"shutdown zero", Shutdown{}.Validate(), []string{"--shutdown-timeout", "positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantErr == nil {
				if tt.err != nil {
					t.Fatalf("Validate() = %v, want nil", tt.err)
				}
				return
			}
			if tt.err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(tt.err.Error(), s) {
					t.Errorf("error %q does not mention %q", tt.err, s)
				}
			}
		})
	}
}

// TestValidateReportsEverything: an operator sees all bad flags at once.
func TestValidateReportsEverything(t *testing.T) {
	c := testConfig{
		Log:      Log{Level: "loud", Format: "xml"},
		GRPC:     GRPC{Addr: "nope"},
		HTTP:     HTTP{Addr: "127.0.0.1:7480"},
		NATS:     NATS{Replicas: 0},
		Store:    Store{Backend: BackendClickHouse},
		Shutdown: Shutdown{Timeout: -time.Second},
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	lines := strings.Split(err.Error(), "\n")
	wantFlags := []string{"--log-level", "--log-format", "--grpc-addr", "--nats-replicas", "--clickhouse-dsn", "--shutdown-timeout"}
	if len(lines) != len(wantFlags) {
		t.Errorf("got %d problems, want %d:\n%v", len(lines), len(wantFlags), err)
	}
	for _, f := range wantFlags {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error does not mention %s:\n%v", f, err)
		}
	}
}

func TestValidator(t *testing.T) {
	var v Validator
	if v.Err() != nil {
		t.Fatal("empty Validator has an error")
	}
	v.Check(true, "a", "never")
	v.Add(nil, nil)
	if v.Err() != nil {
		t.Fatalf("passing checks recorded %v", v.Err())
	}
	sentinel := errors.New("from a section")
	v.Check(false, "batch-size", "must be positive, got %d", -1)
	v.Add(sentinel)
	err := v.Err()
	if got, want := err.Error(), "--batch-size (env SC_BATCH_SIZE): must be positive, got -1\nfrom a section"; got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
	if !errors.Is(err, sentinel) {
		t.Error("joined error does not wrap the added error")
	}
}
