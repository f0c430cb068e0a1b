// Package datasets finds the larger real data sets (app exports of real lifters, PMData, a VBT
// recording) that some tests read. They are not part of the repository: they sit in a folder
// beside the checkout, ../shared/datasets, or wherever SC_DATASETS points. Every format also has
// a small fixture made by the project in the testdata/ folder of the package that parses it, so
// a clone on its own still tests every parser; the data sets add volume and real-world oddities.
//
// A test that needs one asks for it by name with Dir. When the folder is missing the test is
// skipped with a message naming the data set, or fails when SC_REQUIRE_DATASETS=1 (which
// `make test` sets whenever ../shared/datasets exists), so a machine that has the data can never
// pass by skipping it.
package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir overrides where the data sets live; EnvRequire=1 turns a missing one into a failure.
const (
	EnvDir     = "SC_DATASETS"
	EnvRequire = "SC_REQUIRE_DATASETS"
)

// The data sets tests use, by folder name.
const (
	Strong   = "strong-k2rth1k"
	Hevy     = "hevy-nathann275"
	FitNotes = "fitnotes-wmgriffi3"
	PMData   = "pmdata-pmsys"
	VBT      = "vbt-danielho01"
)

// Dir returns the folder of the named data set. When it is missing, the test is skipped with the
// data set's name and where it was looked for, or fails when SC_REQUIRE_DATASETS=1.
func Dir(tb testing.TB, name string) string {
	tb.Helper()
	root, err := Root()
	if err == nil {
		dir := filepath.Join(root, name)
		if _, err = os.Stat(dir); err == nil {
			return dir
		}
	}
	msg := "data set " + name + " is missing (" + err.Error() + "); it lives outside the repository in " +
		"../shared/datasets or $" + EnvDir + ", and every format also has a small fixture under testdata/"
	if os.Getenv(EnvRequire) == "1" {
		tb.Fatal(msg + " (" + EnvRequire + "=1 requires it)")
		return ""
	}
	tb.Skip(msg + " (set " + EnvRequire + "=1 to make this a failure)")
	return ""
}

// Root returns the folder holding every data set: $SC_DATASETS, or shared/datasets beside the
// repository root (the first parent of the working directory with a go.work file).
func Root() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return filepath.Abs(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "datasets"), nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("no go.work above " + wd + " to find the repository root")
		}
	}
}
