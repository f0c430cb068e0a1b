package manifests

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/supercomp/supercomp/services/platform/internal/observability"
)

func observabilityDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "deploy", "observability")
}

// The rules load as Prometheus loads a rule file, and the alerts the operators asked for are
// there. Whether their metrics exist is checked against a real scrape (internal/e2e).
func TestAlertRulesLoad(t *testing.T) {
	groups, err := observability.LoadRules(observabilityDir(t))
	if err != nil {
		t.Fatal(err)
	}
	alerts := map[string]bool{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if r.Annotations["summary"] == "" || r.Labels["severity"] == "" {
				t.Errorf("%s: every alert needs a summary and a severity", r.Alert)
			}
		}
	}
	for _, want := range []string{"SupercompDLQGrowing", "SupercompConsumerLag", "SupercompDeliveryFailures",
		"SupercompTeamNoData", "SupercompClickHouseInsertErrors"} {
		if !alerts[want] {
			t.Errorf("no alert %s", want)
		}
	}
}

// Every expression of the rules and the dashboard parses as PromQL and names its metrics.
func TestShippedExpressionsParse(t *testing.T) {
	exprs, err := observability.Expressions(observabilityDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exprs {
		names, err := observability.MetricNames(e.Expr)
		if err != nil {
			t.Errorf("%s: %v", e.Where, err)
			continue
		}
		if len(names) == 0 {
			t.Errorf("%s names no metric: %s", e.Where, e.Expr)
		}
	}
}

// The component renders on top of the prod overlay into a ServiceMonitor that finds every
// Service's metrics port and a PrometheusRule holding exactly the groups of alerts.yaml.
func TestObservabilityComponent(t *testing.T) {
	resources := buildProdWithObservability(t)
	var (
		monitor *monitoringv1.ServiceMonitor
		rule    *monitoringv1.PrometheusRule
	)
	for id, r := range resources {
		doc, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		obj, err := decodeStrict(r.GetKind(), r.GetApiVersion(), doc)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		switch o := obj.(type) {
		case *monitoringv1.ServiceMonitor:
			monitor = o
		case *monitoringv1.PrometheusRule:
			rule = o
		}
	}
	if monitor == nil || rule == nil {
		t.Fatalf("rendered ServiceMonitor %v, PrometheusRule %v; want both", monitor != nil, rule != nil)
	}
	if monitor.Namespace != "supercomp" || rule.Namespace != "supercomp" {
		t.Errorf("namespaces %q, %q; want the overlay's, supercomp", monitor.Namespace, rule.Namespace)
	}

	// Each Service the monitor selects has the port it scrapes, and every Service is selected.
	selected := 0
	for _, r := range resources {
		if r.GetKind() != "Service" {
			continue
		}
		matches := true
		for k, v := range monitor.Spec.Selector.MatchLabels {
			matches = matches && r.GetLabels()[k] == v
		}
		if !matches {
			t.Errorf("Service %s is not scraped: labels %v", r.GetName(), r.GetLabels())
			continue
		}
		selected++
		ports, _ := field(t, r, "spec", "ports").([]any)
		named := false
		for _, p := range ports {
			named = named || p.(map[string]any)["name"] == monitor.Spec.Endpoints[0].Port
		}
		if !named {
			t.Errorf("Service %s has no port %q", r.GetName(), monitor.Spec.Endpoints[0].Port)
		}
	}
	if selected != len(services)+1 {
		t.Errorf("%d Services scraped, want %d (the services and the console)", selected, len(services)+1)
	}

	data, err := os.ReadFile(filepath.Join(observabilityDir(t), observability.RulesFile))
	if err != nil {
		t.Fatal(err)
	}
	var shipped monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(data, &shipped); err != nil {
		t.Fatal(err)
	}
	if len(shipped.Groups) == 0 {
		t.Fatal("alerts.yaml decoded into no groups")
	}
	if !reflect.DeepEqual(rule.Spec.Groups, shipped.Groups) {
		t.Error("k8s/components/observability/prometheusrule.yaml and deploy/observability/alerts.yaml hold different rules")
	}
}

// buildProdWithObservability renders the prod overlay with the component added, on a copy of
// k8s/ in memory.
func buildProdWithObservability(t *testing.T) map[string]*resource.Resource {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	src := filepath.Join(repoRoot(t), "k8s")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return mem.WriteFile(filepath.Join("/k8s", rel), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	// What k8s/README.md tells an operator to add to the prod overlay.
	prod := "/k8s/overlays/prod/kustomization.yaml"
	data, err := mem.ReadFile(prod)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("components:\n  - ../../components/observability\n")...)
	if err := mem.WriteFile(prod, data); err != nil {
		t.Fatal(err)
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, "/k8s/overlays/prod")
	if err != nil {
		t.Fatalf("kustomize build prod with the observability component: %v", err)
	}
	byID := map[string]*resource.Resource{}
	for _, r := range rm.Resources() {
		byID[r.GetKind()+"/"+r.GetName()] = r
	}
	return byID
}
