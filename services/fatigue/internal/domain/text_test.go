package domain

import (
	"fmt"
	"testing"
)

func TestTextFormatsAsSprintfWhenRead(t *testing.T) {
	loads, day := []float64{102.5}, Day(20000)
	text := textf("%s %.1f kg, %d%% of the usual", day, loads[0], 97)
	want := fmt.Sprintf("%s %.1f kg, %d%% of the usual", day, loads[0], 97)
	// The arguments were copied when the text was made: a later change of the slice the
	// number came from does not reach the explanation.
	loads[0] = 0
	if got := text.String(); got != want {
		t.Errorf("textf: %q, want %q", got, want)
	}
	if got := plainText("drop > 5%").String(); got != "drop > 5%" {
		t.Errorf("plainText formatted its %% sign: %q", got)
	}
	list := textList{[]Text{textf("%+.1f%%", -2.25), plainText("no data"), textf("%+.1f%%", 1.0)}, ", "}
	joined := textf("weeks: %s", list).plus(plainText(" (no RPE)")).plus(textf("; latest %+.1f", -0.5))
	if got, want := joined.String(), "weeks: -2.2%, no data, +1.0% (no RPE); latest -0.5"; got != want {
		t.Errorf("joined text %q, want %q", got, want)
	}
	base := textf("base %d", 1)
	_ = base.plus(plainText(" more"))
	if got := base.String(); got != "base 1" {
		t.Errorf("plus changed the text it extends: %q", got)
	}
}
