package app

import (
	"testing"

	"github.com/supercomp/supercomp/pkg/doctable"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// TestSportsScienceDocListsThePolicy keeps the table of every programming policy setting in
// docs/sports-science.md equal to DefaultPolicy, field by field.
func TestSportsScienceDocListsThePolicy(t *testing.T) {
	documented, err := doctable.Read("../../../../docs/sports-science.md", "Every programming policy setting")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range doctable.Diff(documented, doctable.Flatten(wirePolicy(domain.DefaultPolicy()))) {
		t.Error(d)
	}
}
