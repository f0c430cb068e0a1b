package chsql

import (
	"fmt"
	"strings"
)

// validIdent reports whether s is a plain identifier: a letter or underscore, then letters,
// digits or underscores. Names outside this set are refused rather than escaped, so a table or
// column name can never carry SQL.
func validIdent(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// QuoteIdent checks that name is a plain identifier and returns it in backquotes.
func QuoteIdent(name string) (string, error) {
	if !validIdent(name) {
		return "", fmt.Errorf("invalid identifier %q: use letters, digits and underscores", name)
	}
	return "`" + name + "`", nil
}

// QuoteTable quotes "table" or "database.table".
func QuoteTable(name string) (string, error) {
	db, table, qualified := strings.Cut(name, ".")
	if !qualified {
		return QuoteIdent(name)
	}
	qdb, err := QuoteIdent(db)
	if err != nil {
		return "", err
	}
	qt, err := QuoteIdent(table)
	if err != nil {
		return "", err
	}
	return qdb + "." + qt, nil
}

// QuoteColumn quotes a column name; dots are allowed for the columns of a Nested structure.
func QuoteColumn(name string) (string, error) {
	for _, part := range strings.Split(name, ".") {
		if !validIdent(part) {
			return "", fmt.Errorf("invalid column name %q: use letters, digits and underscores", name)
		}
	}
	return "`" + name + "`", nil
}

// InsertPrefix returns "INSERT INTO `table` (`a`, `b`)" after validating every name.
func InsertPrefix(table string, columns []string) (string, error) {
	if len(columns) == 0 {
		return "", fmt.Errorf("insert into %s: no columns named", table)
	}
	qt, err := QuoteTable(table)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(qt)
	b.WriteString(" (")
	seen := make(map[string]bool, len(columns))
	for i, c := range columns {
		if seen[c] {
			return "", fmt.Errorf("insert into %s: column %q named twice", table, c)
		}
		seen[c] = true
		qc, err := QuoteColumn(c)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(qc)
	}
	b.WriteString(")")
	return b.String(), nil
}
