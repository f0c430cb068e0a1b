package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"rsc.io/qr"
)

func TestCheckinLinkIsAnAthleteKeyUntilRevoked(t *testing.T) {
	addr, admin := startSecureServer(t)
	t.Setenv("SC_CONFIG", filepath.Join(t.TempDir(), "config"))

	if _, err := runSC(t, "checkin", "link", "--addr", addr, "--token", admin, "--team", "t1"); err == nil ||
		!strings.Contains(err.Error(), "--athlete") {
		t.Fatalf("link without an athlete = %v, want refused naming --athlete", err)
	}
	out, err := runSC(t, "checkin", "link", "--addr", addr, "--token", admin, "--team", "t1", "--athlete", "a7",
		"--url", "https://console.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`https://console\.example\.com/checkin/link\?key=(sck_([0-9a-f]+)_\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no link in:\n%s", out)
	}
	key, keyID := m[1], m[2]
	if !strings.Contains(out, "█") || !strings.Contains(out, "sc keys revoke "+keyID) {
		t.Errorf("want a QR code and the revoke command in:\n%s", out)
	}
	// Reusable, unlike a console link: the athlete opens it again on a new phone.
	for range 2 {
		who, err := runSC(t, "whoami", "--addr", addr, "--token", key)
		if err != nil || !strings.Contains(who, "athlete") || !strings.Contains(who, "a7") {
			t.Fatalf("whoami with the check-in key: %v\n%s", err, who)
		}
	}
	if _, err := runSC(t, "keys", "revoke", keyID, "--addr", addr, "--token", admin); err != nil {
		t.Fatal(err)
	}
	if _, err := runSC(t, "whoami", "--addr", addr, "--token", key); err == nil {
		t.Fatal("a revoked check-in key still authenticates")
	}
}

func TestWriteQRIsScannableShape(t *testing.T) {
	const text = "http://127.0.0.1:7480/checkin/link?key=sck_0123456789abcdef_secret"
	var b strings.Builder
	if err := writeQR(&b, text); err != nil {
		t.Fatal(err)
	}
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	width := code.Size + 2*qrQuietZone
	if want := (width + 1) / 2; len(lines) != want {
		t.Errorf("%d lines, want %d (two modules a line)", len(lines), want)
	}
	for i, l := range lines {
		if n := len([]rune(l)); n != width {
			t.Fatalf("line %d is %d cells wide, want %d", i, n, width)
		}
	}
	// The quiet zone is light all round: the first line is all full blocks.
	if strings.Trim(lines[0], "█") != "" {
		t.Errorf("first line %q is not quiet zone", lines[0])
	}
}
