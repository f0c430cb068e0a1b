// Command sc is the operator and coach CLI of Supercomp: it talks gRPC to a running platform.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/supercomp/supercomp/services/platform/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
