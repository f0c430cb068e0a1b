package manifests

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

var services = []string{"ingestion", "fatigue", "programming", "notifications"}

// repoRoot is found from this file, so the test runs from any working directory.
func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
}

func build(t *testing.T, overlay string) map[string]*resource.Resource {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot(t), "k8s", "overlays", overlay))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	byID := map[string]*resource.Resource{}
	for _, r := range rm.Resources() {
		byID[r.GetKind()+"/"+r.GetName()] = r
	}
	return byID
}

// field reads a nested value from a resource's map form.
func field(t *testing.T, r *resource.Resource, path ...any) any {
	t.Helper()
	m, err := r.Map()
	if err != nil {
		t.Fatal(err)
	}
	var cur any = m
	for _, p := range path {
		switch key := p.(type) {
		case string:
			mm, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = mm[key]
		case int:
			list, ok := cur.([]any)
			if !ok || key >= len(list) {
				return nil
			}
			cur = list[key]
		}
	}
	return cur
}

func TestOverlaysBuildSecureDeployments(t *testing.T) {
	for _, overlay := range []string{"dev", "prod"} {
		t.Run(overlay, func(t *testing.T) {
			res := build(t, overlay)
			for _, svc := range services {
				for _, kind := range []string{"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"} {
					if res[kind+"/"+svc] == nil {
						t.Errorf("%s/%s missing", kind, svc)
					}
				}
				d := res["Deployment/"+svc]
				if d == nil {
					continue
				}
				pod := []any{"spec", "template", "spec"}
				c := append(slices.Clone(pod), "containers", 0)
				checks := []struct {
					path []any
					want any
				}{
					{append(slices.Clone(pod), "securityContext", "runAsNonRoot"), true},
					{append(slices.Clone(pod), "automountServiceAccountToken"), false},
					{append(slices.Clone(c), "securityContext", "readOnlyRootFilesystem"), true},
					{append(slices.Clone(c), "securityContext", "allowPrivilegeEscalation"), false},
					{append(slices.Clone(c), "command", 0), "/usr/local/bin/" + svc},
				}
				for _, ck := range checks {
					if got := field(t, d, ck.path...); got != ck.want {
						t.Errorf("%s %v = %v, want %v", svc, ck.path, got, ck.want)
					}
				}
				if got := field(t, d, append(slices.Clone(c), "securityContext", "capabilities", "drop", 0)...); got != "ALL" {
					t.Errorf("%s does not drop all capabilities: %v", svc, got)
				}
				for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
					if field(t, d, append(slices.Clone(c), probe, "grpc", "port")...) == nil {
						t.Errorf("%s has no gRPC %s", svc, probe)
					}
				}
				for _, kind := range []string{"requests", "limits"} {
					for _, r := range []string{"cpu", "memory"} {
						if field(t, d, append(slices.Clone(c), "resources", kind, r)...) == nil {
							t.Errorf("%s has no %s.%s", svc, kind, r)
						}
					}
				}
				if img, _ := field(t, d, append(slices.Clone(c), "image")...).(string); !strings.HasPrefix(img, "ghcr.io/supercomp/supercomp:") {
					t.Errorf("%s image %q is not the pinned Supercomp image", svc, img)
				}
				if ref := field(t, d, append(slices.Clone(c), "envFrom", 0, "configMapRef", "name")...); ref == "supercomp-config" {
					t.Errorf("%s refers to the ConfigMap by its unhashed name; kustomize did not link it", svc)
				}
			}
		})
	}
}

func TestProdScalesWhereSafe(t *testing.T) {
	res := build(t, "prod")
	if n := field(t, res["Deployment/ingestion"], "spec", "replicas"); n != int64(3) && n != 3 && n != float64(3) {
		t.Errorf("prod ingestion replicas = %v, want 3", n)
	}
	// Per-athlete state must not be updated by two instances at once: more than one fatigue
	// replica needs partitioned consumption, with at least as many partitions as replicas.
	replicas, _ := strconv.Atoi(fmt.Sprint(field(t, res["Deployment/fatigue"], "spec", "replicas")))
	// Several instances, tested by services/fatigue/fatigue/cluster_test.go (a server lost and an
	// instance crashed mid-stream).
	if replicas < 2 {
		t.Errorf("prod fatigue replicas = %d, want several (partitioned)", replicas)
	}
	partitions := 1
	env, _ := field(t, res["Deployment/fatigue"], "spec", "template", "spec", "containers", 0, "env").([]any)
	for _, e := range env {
		if m, _ := e.(map[string]any); m["name"] == "SC_PARTITIONS" {
			p, err := strconv.Atoi(fmt.Sprint(m["value"]))
			if err != nil {
				t.Errorf("SC_PARTITIONS = %v: %v", m["value"], err)
			}
			partitions = p
		}
	}
	if replicas > 1 && (partitions < 2 || partitions < replicas) {
		t.Errorf("prod fatigue has %d replicas but SC_PARTITIONS = %d: instances would share an athlete's state or idle", replicas, partitions)
	}
	for _, hpa := range []string{"ingestion", "notifications"} {
		if res["HorizontalPodAutoscaler/"+hpa] == nil {
			t.Errorf("prod has no HPA for %s", hpa)
		}
	}
	var cm *resource.Resource
	for id, r := range res {
		if strings.HasPrefix(id, "ConfigMap/supercomp-config") {
			cm = r
		}
	}
	if cm == nil || field(t, cm, "data", "SC_NATS_REPLICAS") != "3" {
		t.Error("prod streams are not R3")
	}
}

func TestComposeStack(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Command     []string `json:"command"`
			Entrypoint  []string `json:"entrypoint"`
			EnvFile     []string `json:"env_file"`
			Healthcheck *struct {
				Test []string `json:"test"`
			} `json:"healthcheck"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	nats := 0
	for name, s := range compose.Services {
		if s.Healthcheck == nil || len(s.Healthcheck.Test) == 0 {
			t.Errorf("compose service %s has no health check", name)
		}
		if strings.HasPrefix(name, "nats-") {
			nats++
			if !slices.Contains(s.Command, "--jetstream") || !slices.Contains(s.Command, "--routes") {
				t.Errorf("%s is not a clustered JetStream server: %v", name, s.Command)
			}
		}
	}
	if nats != 3 {
		t.Errorf("compose has %d NATS servers, want 3", nats)
	}
	if s, ok := compose.Services["console"]; !ok || len(s.Entrypoint) == 0 || s.Entrypoint[0] != "/usr/local/bin/console" || len(s.EnvFile) != 1 {
		t.Errorf("compose has no console running /usr/local/bin/console with a config file: %+v", s)
	} else {
		env, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", s.EnvFile[0]))
		if err != nil {
			t.Fatalf("console config: %v", err)
		}
		for _, want := range []string{"SC_AUTH_ADDR=ingestion:7401", "SC_FATIGUE_ADDR=fatigue:7402", "SC_PROGRAMMING_ADDR=programming:7403",
			"SC_NOTIFICATIONS_ADDR=notifications:7404", "SC_HTTP_ADDR=0.0.0.0:7405", "SC_SESSION_KEY="} {
			if !strings.Contains(string(env), want) {
				t.Errorf("console config lacks %s", want)
			}
		}
	}
	for _, svc := range services {
		s, ok := compose.Services[svc]
		if !ok {
			t.Errorf("compose has no %s", svc)
			continue
		}
		if len(s.EnvFile) != 1 {
			t.Errorf("%s has no config file", svc)
			continue
		}
		env, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", s.EnvFile[0]))
		if err != nil {
			t.Errorf("%s config: %v", svc, err)
			continue
		}
		for _, want := range []string{"SC_NATS_URL=nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", "SC_NATS_REPLICAS=3", "SC_GRPC_ADDR="} {
			if !strings.Contains(string(env), want) {
				t.Errorf("%s config lacks %s", svc, want)
			}
		}
	}
}

// TestHeapFitsMemoryLimit: the back-end services run with a high GOGC (the heap may grow to
// several times the live data), so every overlay must give each a GOMEMLIMIT just under its
// container's memory limit: the collector then works harder near the limit instead of the pod
// being killed.
func TestHeapFitsMemoryLimit(t *testing.T) {
	for _, overlay := range []string{"dev", "prod"} {
		res := build(t, overlay)
		for _, svc := range []string{"ingestion", "fatigue", "notifications", "programming"} {
			heapFitsMemoryLimit(t, overlay, svc, res["Deployment/"+svc])
		}
	}
}

func heapFitsMemoryLimit(t *testing.T, overlay, svc string, d *resource.Resource) {
	t.Helper()
	container := []any{"spec", "template", "spec", "containers", 0}
	limit := quantityBytes(t, fmt.Sprint(field(t, d, append(slices.Clone(container), "resources", "limits", "memory")...)))
	env := map[string]string{}
	list, _ := field(t, d, append(slices.Clone(container), "env")...).([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			env[fmt.Sprint(m["name"])] = fmt.Sprint(m["value"])
		}
	}
	if env["GOGC"] == "" {
		t.Errorf("%s: %s sets no GOGC", overlay, svc)
	}
	soft, ok := env["GOMEMLIMIT"]
	if !ok {
		t.Errorf("%s: %s sets no GOMEMLIMIT", overlay, svc)
		return
	}
	if ratio := float64(quantityBytes(t, soft)) / float64(limit); ratio < 0.8 || ratio > 0.95 {
		t.Errorf("%s: %s's GOMEMLIMIT %s is %.0f%% of the %d-byte memory limit, want 80-95%%", overlay, svc, soft, 100*ratio, limit)
	}
}

// quantityBytes reads a Kubernetes memory quantity ("512Mi", "1Gi") or a GOMEMLIMIT ("460MiB").
func quantityBytes(t *testing.T, q string) int64 {
	t.Helper()
	for _, u := range []struct {
		suffix string
		bytes  int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}} {
		if n, ok := strings.CutSuffix(q, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				t.Fatalf("memory quantity %q: %v", q, err)
			}
			return v * u.bytes
		}
	}
	t.Fatalf("memory quantity %q: unknown unit", q)
	return 0
}

// TestConsoleDeployment: the web console runs in every overlay as hardened replicas sharing the
// session key from the supercomp-console Secret, probed over HTTP, calling services that exist
// at their ports, with Secure cookies behind the TLS Ingress.
func TestConsoleDeployment(t *testing.T) {
	for _, overlay := range []string{"dev", "prod"} {
		t.Run(overlay, func(t *testing.T) {
			res := build(t, overlay)
			for _, kind := range []string{"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"} {
				if res[kind+"/console"] == nil {
					t.Fatalf("%s/console missing", kind)
				}
			}
			d := res["Deployment/console"]
			if n := fmt.Sprint(field(t, d, "spec", "replicas")); n != "2" {
				t.Errorf("console replicas = %s, want 2 (sessions sealed with a shared key)", n)
			}
			pod := []any{"spec", "template", "spec"}
			c := append(slices.Clone(pod), "containers", 0)
			checks := []struct {
				path []any
				want any
			}{
				{append(slices.Clone(pod), "securityContext", "runAsNonRoot"), true},
				{append(slices.Clone(pod), "automountServiceAccountToken"), false},
				{append(slices.Clone(c), "securityContext", "readOnlyRootFilesystem"), true},
				{append(slices.Clone(c), "securityContext", "allowPrivilegeEscalation"), false},
				{append(slices.Clone(c), "securityContext", "capabilities", "drop", 0), "ALL"},
				{append(slices.Clone(c), "command", 0), "/usr/local/bin/console"},
			}
			for _, ck := range checks {
				if got := field(t, d, ck.path...); got != ck.want {
					t.Errorf("console %v = %v, want %v", ck.path, got, ck.want)
				}
			}
			for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
				if got := field(t, d, append(slices.Clone(c), probe, "httpGet", "path")...); got != "/healthz" {
					t.Errorf("console %s path = %v, want /healthz", probe, got)
				}
			}
			env := map[string]string{}
			list, _ := field(t, d, append(slices.Clone(c), "env")...).([]any)
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					env[fmt.Sprint(m["name"])] = fmt.Sprint(m["value"])
				}
			}
			for _, e := range list {
				if m, ok := e.(map[string]any); ok && m["name"] == "SC_SESSION_KEY" {
					ref, _ := m["valueFrom"].(map[string]any)
					key, _ := ref["secretKeyRef"].(map[string]any)
					if name := fmt.Sprint(key["name"]); !strings.HasPrefix(name, "supercomp-console") || key["key"] != "session-key" {
						t.Errorf("console SC_SESSION_KEY comes from %v, want the supercomp-console Secret's session-key", ref)
					}
					delete(env, "SC_SESSION_KEY")
					env["session key"] = "from a Secret"
				}
			}
			if env["session key"] == "" {
				t.Error("console has no SC_SESSION_KEY: replicas would not share sessions")
			}
			if env["SC_SECURE_COOKIES"] != "true" {
				t.Errorf("console SC_SECURE_COOKIES = %q, want true", env["SC_SECURE_COOKIES"])
			}
			for _, target := range []string{"SC_AUTH_ADDR", "SC_FATIGUE_ADDR", "SC_PROGRAMMING_ADDR", "SC_NOTIFICATIONS_ADDR"} {
				host, port, ok := strings.Cut(env[target], ":")
				svc := res["Service/"+host]
				if !ok || svc == nil {
					t.Errorf("console %s = %q names no Service of the build", target, env[target])
					continue
				}
				if got := fmt.Sprint(field(t, svc, "spec", "ports", 0, "port")); got != port {
					t.Errorf("console %s = %q, but Service %s serves gRPC on %s", target, env[target], host, got)
				}
			}
		})
	}
}
