package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
)

// teamFlagsNotFromEnv are the commands whose --team is not the team they act in, so
// SC_TEAM must not fill it: grants given to a key, and the simulated squad of sc demo.
var teamFlagsNotFromEnv = map[string]string{
	"sc keys create": "--team lists the grants of the new key",
	"sc grants set":  "--team lists the grants that replace the key's",
	"sc demo":        "simulated data must never land in the team of SC_TEAM",
}

// TestSCTeamFillsEveryTeamFlag: with SC_TEAM set, every command that takes a team defaults
// to it, so a coach sets it once per shell.
func TestSCTeamFillsEveryTeamFlag(t *testing.T) {
	t.Setenv("SC_TEAM", "from-env")
	var walk func(*cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		if f := c.Flags().Lookup("team"); f != nil {
			seen++
			_, exempt := teamFlagsNotFromEnv[c.CommandPath()]
			if !exempt && f.DefValue != "from-env" {
				t.Errorf("%s --team defaults to %q, not SC_TEAM", c.CommandPath(), f.DefValue)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(io.Discard, io.Discard))
	if seen < 30 {
		t.Errorf("only %d commands take --team; the walk missed the tree", seen)
	}
}

// TestQuietAndTzAreGlobal: --quiet and --tz mean the same on every command; only subscribe
// keeps its first --quiet (quiet hours) as a deprecated spelling.
func TestQuietAndTzAreGlobal(t *testing.T) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if f := c.LocalNonPersistentFlags().Lookup("tz"); f != nil {
			t.Errorf("%s defines its own --tz", c.CommandPath())
		}
		if f := c.LocalNonPersistentFlags().Lookup("quiet"); f != nil && f.Deprecated == "" {
			t.Errorf("%s defines its own --quiet", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(io.Discard, io.Discard))
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []io.Writer{&bytes.Buffer{}, f} {
		if isTerminal(w) {
			t.Errorf("%T counted as a terminal", w)
		}
	}
	var buf bytes.Buffer
	p := newUploadProgress(&buf, 100, !isTerminal(&buf))
	p.add(50)
	p.done("processing")
	if buf.Len() != 0 {
		t.Errorf("progress drawn into a buffer: %q", buf.String())
	}
}
