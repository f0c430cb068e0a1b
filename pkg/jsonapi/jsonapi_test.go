package jsonapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/supercomp/supercomp/pkg/jsonapi"
)

// TestEveryDescribedServiceIsServed: the OpenAPI description `make proto` writes lists every
// service of the protos, and each one must have a gateway here, so a new service is served
// over HTTP, and described, from the day it exists.
func TestEveryDescribedServiceIsServed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "api", "supercomp.swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		BasePath string                     `json:"basePath"`
		Paths    map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("docs/api/supercomp.swagger.json: %v", err)
	}
	if doc.BasePath != jsonapi.Prefix {
		t.Errorf("the description's basePath is %q, the API is served at %q", doc.BasePath, jsonapi.Prefix)
	}
	var described []string
	for path := range doc.Paths {
		service, _, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if !ok {
			t.Errorf("path %s is not /<service>/<method>", path)
			continue
		}
		if !slices.Contains(described, service) {
			described = append(described, service)
		}
	}
	slices.Sort(described)
	if served := jsonapi.Services(); !slices.Equal(described, served) {
		t.Errorf("described services %v, served %v", described, served)
	}
}
