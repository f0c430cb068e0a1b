package doctable

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestReadTakesTheTableUnderItsHeading(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "doc.md")
	content := "# Doc\n\n## Other\n\n| path | default |\n| --- | --- |\n| `a.b` | 9 |\n\n" +
		"## Defaults\n\nSome prose.\n\n| setting | default |\n| --- | --- |\n| `a.b` | 21 |\n| `a.c` | 1.5 |\n\nMore prose.\n\n" +
		"| `a.d` | 3 |\n\n## Next\n\n| `a.e` | 4 |\n"
	if err := os.WriteFile(doc, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := Read(doc, "Defaults")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows["a.b"] != "21" || rows["a.c"] != "1.5" {
		t.Errorf("rows %v, want a.b=21 and a.c=1.5 only", rows)
	}
	if _, err := Read(doc, "Missing"); err == nil {
		t.Error("no error for a heading without a table")
	}
}

func TestFlattenListsEveryScalarByPath(t *testing.T) {
	got := Flatten(durationpb.New(1500e6))
	if want := map[string]string{"seconds": "1", "nanos": "500000000"}; !equal(got, want) {
		t.Errorf("Flatten(duration) = %v, want %v", got, want)
	}
	if got := Flatten(wrapperspb.Double(0.67)); got["value"] != "0.67" {
		t.Errorf("Flatten(double) = %v, want value 0.67", got)
	}
	if got := Flatten(wrapperspb.Bool(false)); got["value"] != "false" {
		t.Errorf("Flatten(bool) = %v, want value false", got)
	}
}

func TestDiff(t *testing.T) {
	got := Diff(map[string]string{"a": "1", "b": "2", "x": "0"}, map[string]string{"a": "1", "b": "3", "c": "4"})
	want := []string{
		"`b` is documented as 2, the code's default is 3",
		"`c` | 4 is not documented",
		"`x` is documented but is no setting",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
