package doclinks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepositoryLinks is the check itself: every relative link of every Markdown file in the
// repository resolves to a file (and heading) inside it.
func TestRepositoryLinks(t *testing.T) {
	root := repositoryRoot(t)
	problems, err := Check(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	// The check must have seen the documents it exists for.
	for _, doc := range []string{"README.md", "docs/architecture.md", "docs/sports-science.md", "docs/conventions.md"} {
		if _, err := os.Stat(filepath.Join(root, doc)); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

// TestNothingPointsOutsideTheRepository: no source or document names the design notes the
// project started from, a path of the machine it was written on, or the shared folder beside the
// checkout other than its data sets.
func TestNothingPointsOutsideTheRepository(t *testing.T) {
	problems, err := ReferencesOutside(repositoryRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func TestReferencesOutsideFindsThem(t *testing.T) {
	root := t.TempDir()
	// Spelled in pieces so this file does not match itself.
	note, machine := "DOMAIN"+".md", "/wo"+"rk/shared"
	write(t, filepath.Join(root, "a.go"), "// see "+note+"\npackage a\n")
	write(t, filepath.Join(root, "b.md"), "Data in `../shared/datasets` is fine.\nNotes in "+machine+"/x are not.\n")
	write(t, filepath.Join(root, "Makefile"), "X := $(wildcard ../shared/datasets)\nY := ../sha"+"red/hooks\n")
	write(t, filepath.Join(root, "c.txt"), note+" in a file no one builds or reads as documentation\n")
	problems, err := ReferencesOutside(root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, p := range problems {
		got[p.File] = p.Line
	}
	want := map[string]int{"a.go": 1, "b.md": 2, "Makefile": 2}
	if len(got) != len(want) {
		t.Errorf("problems %v, want one in each of %v", problems, want)
	}
	for f, line := range want {
		if got[f] != line {
			t.Errorf("%s: reported line %d, want %d (problems %v)", f, got[f], line, problems)
		}
	}
}

// TestCheckFindsBrokenLinks runs the check on a small tree with one link of each kind.
func TestCheckFindsBrokenLinks(t *testing.T) {
	outside := t.TempDir()
	root := filepath.Join(outside, "repo")
	design := "DES" + "IGN.md" // spelled in pieces so the repository's own check passes this file
	write(t, filepath.Join(outside, design), "# Design\n")
	write(t, filepath.Join(root, "docs", "guide.md"), "# Guide\n\n## Set up the `sc` CLI\n\n## Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n")
	write(t, filepath.Join(root, "README.md"), strings.Join([]string{
		"# Project", // 1
		"[guide](docs/guide.md) and [setup](docs/guide.md#set-up-the-sc-cli)", // 2: both fine
		"[again](docs/guide.md#notes-1) [web](https://example.com/x.md)",      // 3: fine
		"[folder](docs) [here](#project)",                                     // 4: fine
		"[design](../" + design + ")",                                         // 5: outside
		"[abs](/srv/shared/notes.md)",                                         // 6: absolute
		"[gone](docs/missing.md)",                                             // 7: missing
		"[bad anchor](docs/guide.md#no-such-heading) ![img](docs/none.png)",   // 8: two problems
		"`[code](nowhere.md)` is code, not a link",                            // 9: ignored
		"```",                    // 10
		"[fenced](nowhere.md)",   // 11: ignored
		"```",                    // 12
		"[ref]: docs/nothing.md", // 13: missing
	}, "\n")+"\n")
	problems, err := Check(root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range problems {
		got[p.Target] = true
		if p.File != "README.md" {
			t.Errorf("problem reported in %s: %v", p.File, p)
		}
	}
	want := []string{"../" + design, "/srv/shared/notes.md", "docs/missing.md", "docs/guide.md#no-such-heading", "docs/none.png", "docs/nothing.md"}
	for _, w := range want {
		if !got[w] {
			t.Errorf("broken link %q not reported (problems: %v)", w, problems)
		}
	}
	if len(problems) != len(want) {
		t.Errorf("%d problems, want %d: %v", len(problems), len(want), problems)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Ports and addresses":            "ports-and-addresses",
		"Set up the `sc` CLI":            "set-up-the-sc-cli",
		"Estimated one-rep max (e1RM)":   "estimated-one-rep-max-e1rm",
		"Scores, status & alert hygiene": "scores-status--alert-hygiene",
		"See [the docs](docs/x.md)":      "see-the-docs",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// repositoryRoot is the first parent of the test's directory that holds go.work.
func repositoryRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}
