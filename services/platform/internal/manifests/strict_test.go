package manifests

import (
	"fmt"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// apiTypes maps each kind the overlays may render to its Kubernetes API type and the only
// apiVersion the cluster should be given for it. A kind missing here fails the test, so a new
// kind cannot slip in unchecked.
var apiTypes = map[string]struct {
	apiVersion string
	new        func() any
}{
	"Deployment":              {"apps/v1", func() any { return &appsv1.Deployment{} }},
	"Service":                 {"v1", func() any { return &corev1.Service{} }},
	"ServiceAccount":          {"v1", func() any { return &corev1.ServiceAccount{} }},
	"ConfigMap":               {"v1", func() any { return &corev1.ConfigMap{} }},
	"Secret":                  {"v1", func() any { return &corev1.Secret{} }},
	"PodDisruptionBudget":     {"policy/v1", func() any { return &policyv1.PodDisruptionBudget{} }},
	"HorizontalPodAutoscaler": {"autoscaling/v2", func() any { return &autoscalingv2.HorizontalPodAutoscaler{} }},
	// The Prometheus Operator's kinds, from k8s/components/observability.
	"ServiceMonitor": {"monitoring.coreos.com/v1", func() any { return &monitoringv1.ServiceMonitor{} }},
	"PrometheusRule": {"monitoring.coreos.com/v1", func() any { return &monitoringv1.PrometheusRule{} }},
}

// decodeStrict decodes one rendered resource (JSON) into its API type the way the API server's
// strict field validation does: case-sensitive field names, unknown and duplicate fields are
// errors. Plain encoding/json with DisallowUnknownFields would accept a miscased field.
func decodeStrict(kind, apiVersion string, doc []byte) (any, error) {
	typ, ok := apiTypes[kind]
	if !ok {
		return nil, fmt.Errorf("kind %s has no API type in this test", kind)
	}
	if apiVersion != typ.apiVersion {
		return nil, fmt.Errorf("%s has apiVersion %q, want %q", kind, apiVersion, typ.apiVersion)
	}
	obj := typ.new()
	strictErrs, err := kjson.UnmarshalStrict(doc, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("%s: %s", kind, strings.Join(msgs, "; "))
	}
	return obj, nil
}

func TestOverlaysDecodeStrictlyIntoKubernetesTypes(t *testing.T) {
	for _, overlay := range []string{"dev", "prod"} {
		t.Run(overlay, func(t *testing.T) {
			decoded := map[string]int{}
			for id, r := range build(t, overlay) {
				doc, err := r.MarshalJSON()
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				obj, err := decodeStrict(r.GetKind(), r.GetApiVersion(), doc)
				if err != nil {
					t.Errorf("%s: %v", id, err)
					continue
				}
				decoded[r.GetKind()]++
				// The typed form must carry what the map-based checks rely on, so the decode
				// is not vacuous (a field dropped by a wrong type would show here).
				if d, ok := obj.(*appsv1.Deployment); ok {
					c := d.Spec.Template.Spec.Containers
					if len(c) == 0 || c[0].SecurityContext == nil || c[0].SecurityContext.ReadOnlyRootFilesystem == nil || !*c[0].SecurityContext.ReadOnlyRootFilesystem {
						t.Errorf("%s: typed container has no read-only root file system", id)
					}
					// The services answer gRPC health; the console, an HTTP server, /healthz.
					switch {
					case d.Name == "console" && (len(c) == 0 || c[0].ReadinessProbe == nil || c[0].ReadinessProbe.HTTPGet == nil):
						t.Errorf("%s: typed container has no HTTP readiness probe", id)
					case d.Name != "console" && (len(c) == 0 || c[0].ReadinessProbe == nil || c[0].ReadinessProbe.GRPC == nil):
						t.Errorf("%s: typed container has no gRPC readiness probe", id)
					}
				}
			}
			for _, kind := range []string{"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget", "ConfigMap"} {
				if decoded[kind] == 0 {
					t.Errorf("no %s decoded from %s", kind, overlay)
				}
			}
			if decoded["Deployment"] != len(services)+1 {
				t.Errorf("decoded %d Deployments, want %d (the services and the console)", decoded["Deployment"], len(services)+1)
			}
		})
	}
}

// TestStrictDecodeRejectsMisspeltFields proves the check above can fail: the same decoder
// given a manifest with one field wrong.
func TestStrictDecodeRejectsMisspeltFields(t *testing.T) {
	const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: fatigue
spec:
  %s: 2
  selector:
    matchLabels: {app: fatigue}
  template:
    metadata:
      labels: {app: fatigue}
    spec:
      securityContext:
        %s: true
      containers:
        - name: fatigue
          image: ghcr.io/supercomp/supercomp:test
          securityContext:
            %s: true
`
	cases := []struct {
		name, replicas, nonRoot, readOnly string
		kind, apiVersion                  string
		wantErr                           string
	}{
		{"valid", "replicas", "runAsNonRoot", "readOnlyRootFilesystem", "Deployment", "apps/v1", ""},
		{"misspelt top-level spec field", "replica", "runAsNonRoot", "readOnlyRootFilesystem", "Deployment", "apps/v1", `unknown field "spec.replica"`},
		{"misspelt pod field", "replicas", "runAsNonroot", "readOnlyRootFilesystem", "Deployment", "apps/v1", "runAsNonroot"},
		{"miscased container field", "replicas", "runAsNonRoot", "readOnlyRootFileSystem", "Deployment", "apps/v1", "readOnlyRootFileSystem"},
		{"field of another kind", "minReplicas", "runAsNonRoot", "readOnlyRootFilesystem", "Deployment", "apps/v1", "minReplicas"},
		{"old apiVersion", "replicas", "runAsNonRoot", "readOnlyRootFilesystem", "Deployment", "extensions/v1beta1", "want \"apps/v1\""},
		{"unknown kind", "replicas", "runAsNonRoot", "readOnlyRootFilesystem", "StatefulSet", "apps/v1", "no API type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := yaml.YAMLToJSON([]byte(fmt.Sprintf(deployment, tc.replicas, tc.nonRoot, tc.readOnly)))
			if err != nil {
				t.Fatal(err)
			}
			obj, err := decodeStrict(tc.kind, tc.apiVersion, doc)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("valid manifest rejected: %v", err)
				}
				d := obj.(*appsv1.Deployment)
				if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
					t.Errorf("replicas = %v, want 2", d.Spec.Replicas)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestStrictDecodeRejectsDuplicateFields(t *testing.T) {
	doc := []byte(`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a","name":"b"}}`)
	if _, err := decodeStrict("ServiceAccount", "v1", doc); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("error = %v, want a duplicate field error", err)
	}
}
