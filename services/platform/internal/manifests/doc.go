// Package manifests holds the checks of the deployment files in deploy/ and k8s/: they are
// configuration that no compiler reads, so the tests here build them the way an operator would
// (kustomize, compose YAML) and assert the properties a production cluster relies on.
package manifests
