// Command sc is the operator and coach CLI of Supercomp: it talks gRPC to a running platform.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/supercomp/supercomp/services/platform/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.NewRoot(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		// One line, the reason only: sc is used in shells and scripts.
		fmt.Fprintln(os.Stderr, "sc: "+err.Error())
		os.Exit(1)
	}
}
