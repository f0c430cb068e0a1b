package config_test

import (
	"errors"
	"flag"
	"fmt"

	"github.com/supercomp/supercomp/pkg/config"
)

// A binary's main parses, treats --help as success, and validates before
// starting anything.
func Example() {
	cfg := struct {
		Log  config.Log
		GRPC config.GRPC
	}{GRPC: config.GRPC{Addr: "127.0.0.1:7402"}} // the binary's default port

	fs := flag.NewFlagSet("fatigue", flag.ContinueOnError)
	cfg.Log.RegisterFlags(fs)
	cfg.GRPC.RegisterFlags(fs)

	if err := config.Parse(fs, []string{"--log-level=loud"}); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // usage printed; exit 0
		}
		fmt.Println(err)
		return
	}
	var v config.Validator
	v.Add(cfg.Log.Validate(), cfg.GRPC.Validate())
	if err := v.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// --log-level (env SC_LOG_LEVEL): must be one of debug, info, warn, error, got "loud"
}
