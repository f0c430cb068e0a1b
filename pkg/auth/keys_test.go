package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

func TestKeyIDs(t *testing.T) {
	id, key, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "sck_"+id+"_") || len(key) != len("sck_")+16+1+43 || KeyIDOf(key) != id {
		t.Fatalf("key %q id %q: KeyIDOf = %q", key, id, KeyIDOf(key))
	}
	// Operator-chosen keys get a stable id derived from the key, never the key itself.
	op := "an operator chose this admin key 42"
	if a, b := KeyIDOf(op), KeyIDOf(op); a != b || !strings.HasPrefix(a, "op") || strings.Contains(op, a) {
		t.Fatalf("derived ids %q %q", a, b)
	}
	if KeyIDOf(op) == KeyIDOf(op+"x") {
		t.Fatal("different keys share an id")
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]commonv1.Role{"coach": commonv1.Role_ROLE_COACH, "ROLE_STAFF": commonv1.Role_ROLE_STAFF,
		" Admin ": commonv1.Role_ROLE_ADMIN, "unspecified": commonv1.Role_ROLE_UNSPECIFIED, "boss": commonv1.Role_ROLE_UNSPECIFIED} {
		got, ok := ParseRole(in)
		if got != want || ok != (want != commonv1.Role_ROLE_UNSPECIFIED) {
			t.Errorf("ParseRole(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
}

func TestCredentialsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", CredentialsFileName)
	if err := WriteCredentialsFile(path, "sck_k"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if got, err := ReadCredentialsFile(path); got != "sck_k" || err != nil {
		t.Fatalf("read = %q, %v", got, err)
	}
	if err := WriteCredentialsFile(path, "other"); err == nil {
		t.Fatal("overwrote an existing credentials file")
	}
}
