// Command programming runs the programming service on its own, against a NATS server and a ClickHouse
// server; `supercomp` runs the same service in-process. --help lists every flag.
package main

import (
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/programming/programming"
)

func main() {
	service.Main(service.Spec{
		Name:     programming.Name,
		GRPCAddr: "127.0.0.1:7403",
		HTTPAddr: "127.0.0.1:7483",
		New:      func(d service.Deps) (service.Module, error) { return programming.New(d) },
	})
}
