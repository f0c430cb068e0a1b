package metricreg_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supercomp/supercomp/pkg/metricreg"
)

func TestSharedReusesTheFirstAndRefusesAClash(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := prometheus.CounterOpts{Name: "sc_test_total", Help: "A test counter."}
	first, err := metricreg.Shared(reg, prometheus.NewCounterVec(opts, []string{"kind"}))
	if err != nil {
		t.Fatal(err)
	}
	second, err := metricreg.Shared(reg, prometheus.NewCounterVec(opts, []string{"kind"}))
	if err != nil {
		t.Fatal(err)
	}
	second.WithLabelValues("set").Inc()
	if got := testutil.ToFloat64(first.WithLabelValues("set")); got != 1 {
		t.Errorf("the second registration counts apart from the first: the first reads %v", got)
	}
	if _, err := metricreg.Shared(reg, prometheus.NewCounterVec(opts, []string{"other"})); err == nil {
		t.Error("a family of the same name with other labels was accepted")
	}
}
