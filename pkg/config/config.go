// Package config fills each binary's typed configuration from command-line
// flags, falling back to SC_* environment variables, and validates it so a
// bad setting stops the binary at start with a message naming the flag.
//
// A binary keeps its settings in a struct built from the shared sections of
// this package plus its own fields. Field values set before RegisterFlags are
// the flag defaults, which is how each binary picks its own ports:
//
//	type Config struct {
//		Log      config.Log
//		GRPC     config.GRPC
//		NATS     config.NATS
//		Shutdown config.Shutdown
//	}
//
//	func (c *Config) RegisterFlags(fs *flag.FlagSet) {
//		c.Log.RegisterFlags(fs)
//		c.GRPC.RegisterFlags(fs)
//		c.NATS.RegisterFlags(fs)
//		c.Shutdown.RegisterFlags(fs)
//	}
//
//	func (c *Config) Validate() error {
//		var v config.Validator
//		v.Add(c.Log.Validate(), c.GRPC.Validate(), c.NATS.Validate(), c.Shutdown.Validate())
//		return v.Err()
//	}
//
// and main does:
//
//	cfg := Config{GRPC: config.GRPC{Addr: "127.0.0.1:7402"}}
//	fs := flag.NewFlagSet("fatigue", flag.ContinueOnError)
//	cfg.RegisterFlags(fs)
//	if err := config.Parse(fs, os.Args[1:]); err != nil {
//		if errors.Is(err, flag.ErrHelp) {
//			return nil // --help: usage is already printed, exit 0
//		}
//		return err
//	}
//	if err := cfg.Validate(); err != nil {
//		return err
//	}
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// EnvPrefix starts the name of every environment variable that can stand in
// for a flag.
const EnvPrefix = "SC_"

// EnvName is the environment variable read for a flag that is not set on the
// command line: "nats-url" -> "SC_NATS_URL", "store.dsn" -> "SC_STORE_DSN".
func EnvName(flagName string) string {
	return EnvPrefix + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(flagName))
}

// Parse parses args into fs, then sets every flag that args left unset from
// its environment variable (see EnvName), so the command line wins over the
// environment and the environment over the defaults. An empty variable counts
// as unset, so compose files can pass optional variables through.
//
// fs should be created with flag.ContinueOnError: Parse then returns errors
// instead of exiting. For --help (or -h) it prints the usage, which names the
// environment variable of each flag, and returns flag.ErrHelp, which the
// caller should treat as a successful exit (Parse replaces fs.Usage for this).
// An unknown flag or a bad value on
// the command line returns the flag package's error, which names the flag; a
// bad value in the environment returns an error naming the variable and the
// flag.
func Parse(fs *flag.FlagSet, args []string) error {
	return parse(fs, args, os.LookupEnv)
}

// parse is Parse with the environment injected, so tests need not mutate the
// process environment.
func parse(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool)) error {
	fs.Usage = func() { printUsage(fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		name := EnvName(f.Name)
		value, ok := lookupEnv(name)
		if !ok || value == "" {
			return
		}
		if err := fs.Set(f.Name, value); err != nil {
			errs = append(errs, fmt.Errorf("invalid value %q in env %s (for flag --%s): %w", value, name, f.Name, err))
		}
	})
	return errors.Join(errs...)
}

// printUsage is flag.PrintDefaults with the environment variable of each flag
// added, so --help documents both ways of configuring the binary.
func printUsage(fs *flag.FlagSet) {
	out := fs.Output()
	if fs.Name() == "" {
		fmt.Fprintf(out, "Usage:\n")
	} else {
		fmt.Fprintf(out, "Usage of %s:\n", fs.Name())
	}
	fmt.Fprintf(out, "Every flag can also be set with the environment variable shown; the flag wins.\n")
	fs.VisitAll(func(f *flag.Flag) {
		var b strings.Builder
		typeName, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  --%s", f.Name)
		if typeName != "" {
			fmt.Fprintf(&b, " %s", typeName)
		}
		b.WriteString("\n    \t")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		fmt.Fprintf(&b, " (env %s", EnvName(f.Name))
		if !isZeroDefault(f) {
			if isString(f) {
				fmt.Fprintf(&b, ", default %q", f.DefValue)
			} else {
				fmt.Fprintf(&b, ", default %s", f.DefValue)
			}
		}
		b.WriteString(")\n")
		fmt.Fprint(out, b.String())
	})
}

// isZeroDefault reports whether a default is not worth printing, as
// flag.PrintDefaults does for the flag types config uses.
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "0s":
		return true
	}
	return false
}

func isString(f *flag.Flag) bool {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = g.Get().(string)
	return ok
}
