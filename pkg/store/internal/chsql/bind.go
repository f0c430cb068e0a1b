package chsql

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMultiStatement is returned for a query that holds more than one statement: every call runs
// exactly one (the server protocol allows no more, and chDB would otherwise run them all).
var ErrMultiStatement = errors.New("query holds more than one statement; send one per call")

// ErrUseStatement refuses USE: the database is chosen when the store is opened, and a USE would
// only switch one pooled connection (server) or every handle sharing the session (chDB).
var ErrUseStatement = errors.New("USE is not allowed; open the store on the database instead")

// ErrInlineInsert refuses INSERT ... VALUES and INSERT ... FORMAT: over the native protocol
// ClickHouse 18.16 waits for the rows as data blocks and the call would hang, so rows go through
// InsertBatch (INSERT ... SELECT is fine).
var ErrInlineInsert = errors.New("INSERT with inline VALUES or FORMAT data is not allowed; use InsertBatch " +
	"(or INSERT ... SELECT)")

// skipQuoted returns the index just past the quoted string, identifier or name starting at
// s[i] (a ', ` or "), honouring backslash escapes and doubled quotes.
func skipQuoted(s string, i int) (int, bool) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return len(s), false
}

// skipComment returns the index just past the comment starting at s[i], or i when none starts
// there. ClickHouse comments: "--" and "#" to the end of the line, and nestable /* ... */.
func skipComment(s string, i int) int {
	switch {
	case s[i] == '#', s[i] == '-' && i+1 < len(s) && s[i+1] == '-':
		if nl := strings.IndexByte(s[i:], '\n'); nl >= 0 {
			return i + nl + 1
		}
		return len(s)
	case s[i] == '/' && i+1 < len(s) && s[i+1] == '*':
		depth := 0
		for j := i; j < len(s); j++ {
			switch {
			case s[j] == '/' && j+1 < len(s) && s[j+1] == '*':
				depth++
				j++
			case s[j] == '*' && j+1 < len(s) && s[j+1] == '/':
				depth--
				j++
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(s)
	}
	return i
}

// walk calls code for every byte of query that is SQL code: not inside a string literal, a
// quoted identifier or a comment. Unterminated quotes or comments run to the end of the text.
func walk(query string, code func(i int)) {
	for i := 0; i < len(query); {
		switch query[i] {
		case '\'', '`', '"':
			i, _ = skipQuoted(query, i)
		case '#', '-', '/':
			if j := skipComment(query, i); j > i {
				i = j
				continue
			}
			code(i)
			i++
		default:
			code(i)
			i++
		}
	}
}

// isSpace reports whether c is SQL white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// SplitStatements splits a script at the semicolons that end its statements (not those inside
// literals or comments) and drops pieces holding only white space and comments.
func SplitStatements(script string) []string {
	var (
		out        []string
		start      int
		hasContent bool
	)
	walk(script, func(i int) {
		switch c := script[i]; {
		case c == ';':
			if hasContent {
				out = append(out, strings.TrimSpace(script[start:i]))
			}
			start, hasContent = i+1, false
		case !isSpace(c):
			hasContent = true
		}
	})
	if hasContent {
		out = append(out, strings.TrimSpace(script[start:]))
	}
	return out
}

// Bind checks that query is a single statement (a trailing semicolon is dropped) and replaces
// each `?` placeholder outside literals, quoted identifiers and comments with the SQL literal of
// the matching argument (see AppendLiteral). The number of placeholders and arguments must match.
// Note that `?` is always a placeholder in code: write if(c, a, b) instead of c ? a : b.
func Bind(query string, args []any) (string, error) {
	var (
		marks   []int
		semi    = -1
		multi   bool
		content bool
	)
	walk(query, func(i int) {
		switch c := query[i]; {
		case semi >= 0:
			if !isSpace(c) && c != ';' {
				multi = true
			}
		case c == ';':
			semi = i
		case c == '?':
			marks = append(marks, i)
			content = true
		case !isSpace(c):
			content = true
		}
	})
	if multi {
		return "", ErrMultiStatement
	}
	if !content {
		return "", errors.New("empty query")
	}
	if semi >= 0 {
		query = query[:semi]
	}
	switch firstWord(query) {
	case "USE":
		return "", ErrUseStatement
	case "INSERT":
		if hasInlineData(query) {
			return "", ErrInlineInsert
		}
	}
	if len(marks) != len(args) {
		return "", fmt.Errorf("query has %d ? placeholders but %d arguments were given", len(marks), len(args))
	}
	if len(args) == 0 {
		return query, nil
	}
	buf := make([]byte, 0, len(query)+16*len(args))
	last := 0
	for n, at := range marks {
		buf = append(buf, query[last:at]...)
		var err error
		if buf, err = AppendLiteral(buf, args[n]); err != nil {
			return "", fmt.Errorf("argument %d: %w", n+1, err)
		}
		last = at + 1
	}
	buf = append(buf, query[last:]...)
	return string(buf), nil
}

// firstWord returns the statement's first keyword in upper case.
func firstWord(query string) string {
	return strings.ToUpper(wordAt(query, firstCode(query)))
}

// firstCode returns the index of the first non-space code byte, or len(query).
func firstCode(query string) int {
	at := len(query)
	walk(query, func(i int) {
		if at == len(query) && !isSpace(query[i]) {
			at = i
		}
	})
	return at
}

// wordAt returns the run of letters starting at i.
func wordAt(query string, i int) string {
	end := i
	for end < len(query) && isLetter(query[end]) {
		end++
	}
	return query[i:end]
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

// hasInlineData reports whether an INSERT carries its rows in the query text: a VALUES or
// FORMAT keyword outside parentheses, literals and comments.
func hasInlineData(query string) bool {
	var (
		depth       int
		found, done bool
	)
	walk(query, func(i int) {
		switch c := query[i]; {
		case done:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && isLetter(c) && (i == 0 || !isLetter(query[i-1]) && !isDigit(query[i-1])):
			switch strings.ToUpper(wordAt(query, i)) {
			case "VALUES", "FORMAT":
				found, done = true, true
			case "SELECT", "WITH":
				done = true // INSERT ... SELECT: the rest is the query
			}
		}
	})
	return found
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// CodeOnly returns query with its comments, string literals and quoted identifiers blanked
// out, for checks that look at the SQL itself (e.g. which functions a migration uses).
func CodeOnly(query string) string {
	out := []byte(strings.Repeat(" ", len(query)))
	walk(query, func(i int) { out[i] = query[i] })
	return string(out)
}
