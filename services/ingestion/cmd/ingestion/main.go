// Command ingestion runs the ingestion service on its own, against a NATS server and a ClickHouse
// server; `supercomp` runs the same service in-process. --help lists every flag.
package main

import (
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/ingestion/ingestion"
)

func main() {
	service.Main(service.Spec{
		Name:     ingestion.Name,
		GRPCAddr: "127.0.0.1:7401",
		HTTPAddr: "127.0.0.1:7481",
		New:      func(d service.Deps) (service.Module, error) { return ingestion.New(d) },
	})
}
