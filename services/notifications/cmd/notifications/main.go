// Command notifications runs the notifications service on its own, against a NATS server and a ClickHouse
// server; `supercomp` runs the same service in-process. --help lists every flag.
package main

import (
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/notifications/notifications"
)

func main() {
	service.Main(service.Spec{
		Name:     notifications.Name,
		GRPCAddr: "127.0.0.1:7404",
		HTTPAddr: "127.0.0.1:7484",
		New:      func(d service.Deps) (service.Module, error) { return notifications.New(d) },
	})
}
