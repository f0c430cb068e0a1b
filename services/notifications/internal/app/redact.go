package app

import "strings"

// Redact hides all but the scheme and host of a URL, for logs and tables.
func Redact(url string) string {
	rest := url
	scheme := ""
	if i := strings.Index(url, "://"); i >= 0 {
		scheme, rest = url[:i+3], url[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return scheme + rest[:i] + "/…"
	}
	return scheme + rest
}

// RedactAddress hides most of an email's local part: "kim@club.org" -> "k***@club.org".
func RedactAddress(a string) string {
	at := strings.LastIndex(a, "@")
	if at <= 0 {
		return "***"
	}
	return a[:1] + "***" + a[at:]
}
