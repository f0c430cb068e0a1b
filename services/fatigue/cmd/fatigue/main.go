// Command fatigue runs the fatigue service on its own, against a NATS server and a ClickHouse
// server; `supercomp` runs the same service in-process. --help lists every flag.
package main

import (
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/fatigue/fatigue"
)

func main() {
	var opts fatigue.Options
	service.Main(service.Spec{
		Name:          fatigue.Name,
		GRPCAddr:      "127.0.0.1:7402",
		HTTPAddr:      "127.0.0.1:7482",
		RegisterFlags: opts.RegisterFlags,
		New:           func(d service.Deps) (service.Module, error) { return fatigue.NewWithOptions(d, opts) },
	})
}
