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
	// head is the first piece, kept inline: most texts have one, and it saves an allocation
	// per text on every assessment.
	head textPiece
	tail []textPiece
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
	return Text{head: textPiece{format: format, args: args}}
}

// plainText is text without formatting.
func plainText(s string) Text { return Text{head: textPiece{format: s, literal: true}} }

// String formats the text.
func (t Text) String() string {
	if len(t.tail) == 0 && t.head.literal {
		return t.head.format
	}
	var b strings.Builder
	t.head.writeTo(&b)
	for _, p := range t.tail {
		p.writeTo(&b)
	}
	return b.String()
}

func (p textPiece) writeTo(b *strings.Builder) {
	if p.literal {
		b.WriteString(p.format)
		return
	}
	fmt.Fprintf(b, p.format, p.args...)
}

// plus is t followed by more (t itself is left as it was).
func (t Text) plus(more Text) Text {
	tail := make([]textPiece, 0, len(t.tail)+1+len(more.tail))
	tail = append(append(append(tail, t.tail...), more.head), more.tail...)
	return Text{head: t.head, tail: tail}
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
