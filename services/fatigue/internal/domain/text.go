package domain

import (
	"fmt"
	"strings"
)

// Text is explanation text that is formatted when it is read. The assessment runs after every
// event, but its evidence and rule checks are read only when it is published (it changed) or
// queried; formatting every number of every explanation on each event took about a tenth of
// the platform's CPU under a stream of sets (BenchmarkAlertPath in services/platform). The
// arguments are copied when the text is made, so it reads the same whenever it is formatted.
type Text struct {
	pieces []textPiece
}

// textPiece is one fmt format with its arguments, or a literal.
type textPiece struct {
	format  string
	args    []any
	literal bool
}

// textf is fmt.Sprintf, formatted on String. Arguments must be values (numbers, strings,
// days, Texts, textLists), not pointers or slices that change afterwards.
func textf(format string, args ...any) Text {
	return Text{pieces: []textPiece{{format: format, args: args}}}
}

// plainText is text without formatting.
func plainText(s string) Text { return Text{pieces: []textPiece{{format: s, literal: true}}} }

// String formats the text.
func (t Text) String() string {
	if len(t.pieces) == 1 && t.pieces[0].literal {
		return t.pieces[0].format
	}
	var b strings.Builder
	for _, p := range t.pieces {
		if p.literal {
			b.WriteString(p.format)
			continue
		}
		fmt.Fprintf(&b, p.format, p.args...)
	}
	return b.String()
}

// plus is t followed by more (t itself is left as it was).
func (t Text) plus(more Text) Text {
	pieces := make([]textPiece, 0, len(t.pieces)+len(more.pieces))
	return Text{pieces: append(append(pieces, t.pieces...), more.pieces...)}
}

// textList joins texts with a separator when formatted; as an argument of textf it is formatted
// with the text around it.
type textList struct {
	items []Text
	sep   string
}

func (l textList) String() string {
	parts := make([]string, len(l.items))
	for i, it := range l.items {
		parts[i] = it.String()
	}
	return strings.Join(parts, l.sep)
}
