// Package version holds the build identity stamped by the Makefile with -ldflags -X, so every
// binary, log line and `sc version` reports which code is running.
package version

// Version and Commit are overwritten at link time:
//
//	-X github.com/supercomp/supercomp/pkg/version.Version=v0.1.0
//	-X github.com/supercomp/supercomp/pkg/version.Commit=abc1234
var (
	Version = "dev"
	Commit  = "unknown"
)

// String is the human form used by --version flags and `sc version`.
func String() string { return Version + " (" + Commit + ")" }
