package auth

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CredentialsFileName is the file in the all-in-one's data dir holding its bootstrap admin key,
// which `sc` reads when it talks to the local platform (as kubectl reads its kubeconfig).
const CredentialsFileName = "credentials"

// WriteCredentialsFile writes key to path, readable by the owner only (0600). It refuses to
// overwrite an existing file.
func WriteCredentialsFile(path, key string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	content := "# Supercomp admin API key, created on first start. Keep it secret; sc reads it when\n" +
		"# talking to the local platform. Use it as: authorization: Bearer <key>\n" + key + "\n"
	if _, err := f.WriteString(content); err != nil {
		_ = f.Close()
		return fmt.Errorf("credentials file: %w", err)
	}
	return f.Close()
}

// ReadCredentialsFile returns the key in path (the first line that is not a comment);
// os.ErrNotExist when there is no file.
func ReadCredentialsFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			return line, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return "", fmt.Errorf("%s holds no key: %w", path, errors.New("empty credentials file"))
}
