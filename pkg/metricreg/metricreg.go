// Package metricreg registers Prometheus collectors that several components of one process
// declare alike: the all-in-one binary runs every service on one registry, and tests open
// several instances of a service, so the second registration of a family must share the first.
package metricreg

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Shared registers c on reg, or returns the collector of the same description already there.
// A collector of that name that differs (other labels, another type) is an error.
func Shared[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
