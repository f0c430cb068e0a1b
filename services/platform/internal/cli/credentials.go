package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/supercomp/supercomp/pkg/auth"
)

// defaultDataDir is the all-in-one's default --data-dir, relative to where it was started.
const defaultDataDir = "./.data"

// bearer presents a credential as `authorization: Bearer <credential>` on every call.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false: the local platform speaks plain gRPC on loopback.
func (bearer) RequireTransportSecurity() bool { return false }

// credential finds what to call with, as kubectl finds its kubeconfig: --token / SC_TOKEN, else
// the config file `sc login` wrote (when it is for this address), else, when talking to the
// local platform at the default address, the admin key it wrote to <data-dir>/credentials.
// It returns the credential (empty: none found) and where it came from.
func (o *options) credential() (string, string, error) {
	if o.token != "" {
		return o.token, "--token", nil
	}
	if t := os.Getenv("SC_TOKEN"); t != "" {
		return t, "SC_TOKEN", nil
	}
	path, err := configPath()
	if err == nil {
		cfg, err := readConfig(path)
		switch {
		case err == nil && cfg.token != "" && (cfg.addr == "" || cfg.addr == o.addr):
			return cfg.token, path, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", "", err
		}
	}
	if o.addr == DefaultAddr {
		path := filepath.Join(o.dataDir, auth.CredentialsFileName)
		key, err := auth.ReadCredentialsFile(path)
		switch {
		case err == nil:
			return key, path, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", "", fmt.Errorf("local platform credentials: %w", err)
		}
	}
	return "", "", nil
}

// configPath is $SC_CONFIG, else ~/.config/supercomp/config (XDG_CONFIG_HOME respected).
func configPath() (string, error) {
	if p := os.Getenv("SC_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "supercomp", "config"), nil
}

// config is the file `sc login` writes: `addr: ...` and `token: ...` lines.
type config struct {
	addr  string
	token string
}

func readConfig(path string) (config, error) {
	f, err := os.Open(path)
	if err != nil {
		return config{}, err
	}
	defer f.Close()
	var c config
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.HasPrefix(strings.TrimSpace(key), "#") {
			continue
		}
		switch strings.TrimSpace(key) {
		case "addr":
			c.addr = strings.TrimSpace(value)
		case "token":
			c.token = strings.TrimSpace(value)
		}
	}
	if err := sc.Err(); err != nil {
		return config{}, fmt.Errorf("read %s: %w", path, err)
	}
	return c, nil
}

func writeConfig(path string, c config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config dir: %w", err)
	}
	content := "# written by `sc login`; holds a credential, keep it private\naddr: " + c.addr + "\ntoken: " + c.token + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// WriteFile keeps the mode of an existing file; a credential must not stay readable by others.
	return os.Chmod(path, 0o600)
}
