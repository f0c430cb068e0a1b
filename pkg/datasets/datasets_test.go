package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records whether the test was skipped or failed instead of
// stopping the calling test, so Dir's handling of a missing data set can be observed.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = true
	r.msg = args[0].(string)
}
func (r *recorder) Fatal(args ...any) {
	r.failed = true
	r.msg = args[0].(string)
}

func TestDirFindsADataSet(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, Strong), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, root)
	if got := Dir(t, Strong); got != filepath.Join(root, Strong) {
		t.Errorf("Dir = %q, want %q", got, filepath.Join(root, Strong))
	}
}

func TestDirMissingSkipsOrFailsNamingTheDataSet(t *testing.T) {
	t.Setenv(EnvDir, t.TempDir())
	for _, require := range []string{"", "1"} {
		t.Setenv(EnvRequire, require)
		r := &recorder{TB: t}
		Dir(r, Hevy)
		if require == "1" && (!r.failed || r.skipped) {
			t.Errorf("%s=1: failed=%v skipped=%v, want a failure", EnvRequire, r.failed, r.skipped)
		}
		if require == "" && (!r.skipped || r.failed) {
			t.Errorf("%s unset: failed=%v skipped=%v, want a skip", EnvRequire, r.failed, r.skipped)
		}
		if !strings.Contains(r.msg, Hevy) {
			t.Errorf("message %q does not name the data set %s", r.msg, Hevy)
		}
	}
}

// TestRootIsBesideTheRepository checks the default location, shared/datasets beside the
// repository root, found from a module's directory as `go test` runs it (this one is pkg/datasets).
func TestRootIsBesideTheRepository(t *testing.T) {
	t.Setenv(EnvDir, "")
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "datasets"))
	if err != nil {
		t.Fatal(err)
	}
	if root != want {
		t.Errorf("Root() = %s, want %s", root, want)
	}
}
