package app

import (
	"testing"

	"github.com/supercomp/supercomp/pkg/doctable"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// TestSportsScienceDocListsTheThresholds keeps the table of every fatigue threshold in
// docs/sports-science.md equal to DefaultThresholds, field by field.
func TestSportsScienceDocListsTheThresholds(t *testing.T) {
	documented, err := doctable.Read("../../../../docs/sports-science.md", "Every fatigue threshold")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range doctable.Diff(documented, doctable.Flatten(ToProto(domain.DefaultThresholds()))) {
		t.Error(d)
	}
}
