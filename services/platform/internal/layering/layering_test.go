package layering

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the repository root, three levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root not found above the layering package: %v", err)
	}
	return root
}

// goFiles lists the Go files under dir (relative to root, slash-separated), skipping
// generated protobuf code.
func goFiles(t *testing.T, root, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "pkg/gen" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".go") {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// domainDir matches a service's domain packages: services/<svc>/internal/domain and
// services/<svc>/internal/<part>/domain.
var domainDir = regexp.MustCompile(`^services/[^/]+/internal/([^/]+/)?domain/[^/]+\.go$`)

// TestDomainsImportNoWireTypes keeps the rule that a service's domain speaks its own language:
// the protobuf types are converted in the app layer, so renumbering or renaming a wire enum
// can never change what the domain (or a snapshot it encodes) means.
func TestDomainsImportNoWireTypes(t *testing.T) {
	root := repoRoot(t)
	var offenders []string
	for _, rel := range goFiles(t, root, "services") {
		if !domainDir.MatchString(rel) {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, rel), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/supercomp/supercomp/pkg/gen/") {
				offenders = append(offenders, rel+" imports "+path)
			}
		}
	}
	for _, o := range offenders {
		t.Errorf("%s: domain packages must not import wire types; convert in the app layer", o)
	}
}

// subjectLiteral matches a string literal that starts a NATS subject of the platform
// ("sc.<stream>." or "sc.>"), and not other "sc." names such as CLI annotations.
var subjectLiteral = regexp.MustCompile(`"sc\.(>|"|[A-Za-z_*]+\.)`)

// subjectByHand matches a subject assembled from a kind written in the code.
var subjectByHand = regexp.MustCompile(`\bbus\.Subject\(`)

// subjectOwners are the packages that define the subject grammar: pkg/bus the streams and
// the token layout, pkg/events the routes read from the proto options.
var subjectOwners = []string{"pkg/bus/", "pkg/events/"}

// TestNoHandWrittenSubjects keeps subjects and filters coming from the proto routes through
// pkg/events: a subject typed by hand silently stops matching when a route changes.
func TestNoHandWrittenSubjects(t *testing.T) {
	root := repoRoot(t)
	files := append(goFiles(t, root, "services"), goFiles(t, root, "pkg")...)
	checked := 0
	for _, rel := range files {
		if strings.HasSuffix(rel, "_test.go") || ownedBy(rel, subjectOwners) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(data), "\n") {
			if subjectLiteral.MatchString(line) {
				t.Errorf("%s:%d: hand-written subject %s; use events.Filters, StreamFilter or TeamFilter",
					rel, i+1, subjectLiteral.FindString(line))
			}
			if subjectByHand.MatchString(line) {
				t.Errorf("%s:%d: subject built by hand with bus.Subject; use events.Filters, StreamFilter or TeamFilter", rel, i+1)
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked: the walk missed the source tree", checked)
	}
}

func ownedBy(rel string, owners []string) bool {
	for _, o := range owners {
		if strings.HasPrefix(rel, o) {
			return true
		}
	}
	return false
}
