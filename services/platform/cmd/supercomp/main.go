// Command supercomp is the all-in-one platform: every Supercomp service on one gRPC port, with
// an embedded NATS JetStream server and the embedded ClickHouse engine (chDB) keeping their data
// under --data-dir. It is what `make run` starts; --help lists every flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/supercomp/supercomp/services/platform/internal/allinone"
)

func main() {
	err := allinone.Run(context.Background(), os.Args[1:], os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "supercomp: "+err.Error())
		os.Exit(1)
	}
}
