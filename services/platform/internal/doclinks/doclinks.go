// Package doclinks checks the links of the repository's Markdown files, so that the README, the
// service READMEs and docs/ stay readable from a clone on its own: every relative link must name
// a file or folder inside the repository (and, for a Markdown file, an existing heading when it
// has a #fragment), and no link may leave the repository by a relative or absolute path.
// Web links (http, https, mailto) are not fetched.
package doclinks

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// Problem is one link that does not resolve.
type Problem struct {
	File   string // relative to the repository root
	Line   int
	Target string
	Reason string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Target, p.Reason)
}

// skipDirs are folders that hold no documentation of the repository: tools, runtime data and
// test artifacts (all ignored by git).
var skipDirs = map[string]bool{".git": true, "bin": true, ".data": true, ".cache": true, ".artifacts": true, "node_modules": true}

var (
	// inlineLink matches [text](target) and ![alt](target), with an optional "title".
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refDefinition matches a reference definition, [id]: target.
	refDefinition = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	codeSpan      = regexp.MustCompile("`+[^`]*`+")
	heading       = regexp.MustCompile(`^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	// headingLink matches a link inside a heading, whose anchor keeps only the link's text.
	headingLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// Check reads every *.md file under root and returns the links that do not resolve.
func Check(root string) ([]Problem, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	anchors := map[string]map[string]bool{}
	var problems []Problem
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".md") {
			return nil
		}
		links, err := linksOf(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, l := range links {
			if reason := resolve(root, path, l.target, anchors); reason != "" {
				problems = append(problems, Problem{File: filepath.ToSlash(rel), Line: l.line, Target: l.target, Reason: reason})
			}
		}
		return nil
	})
	return problems, err
}

type link struct {
	line   int
	target string
}

// linksOf lists the links of a Markdown file, outside fenced code blocks and code spans.
func linksOf(path string) ([]link, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []link
	fence := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			switch {
			case fence == "":
				fence = trimmed[:3]
			case strings.HasPrefix(trimmed, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, link{n, m[1]})
		}
		if m := refDefinition.FindStringSubmatch(line); m != nil {
			out = append(out, link{n, m[1]})
		}
	}
	return out, sc.Err()
}

// resolve says what is wrong with one link of file, or "" when it resolves.
func resolve(root, file, target string, anchors map[string]map[string]bool) string {
	lower := strings.ToLower(target)
	for _, scheme := range []string{"http://", "https://", "mailto:"} {
		if strings.HasPrefix(lower, scheme) {
			return ""
		}
	}
	if strings.Contains(target, "://") {
		return "uses a scheme other than http, https or mailto"
	}
	pathPart, fragment, _ := strings.Cut(target, "#")
	dest := file
	if pathPart != "" {
		if strings.HasPrefix(pathPart, "/") {
			return "is an absolute path: link relative to the file, inside the repository"
		}
		dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(pathPart))
		if r, err := filepath.Rel(root, dest); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return "points outside the repository"
		}
		info, err := os.Stat(dest)
		if err != nil {
			return "names a file that does not exist"
		}
		if info.IsDir() {
			if fragment != "" {
				return "has a #fragment on a folder"
			}
			return ""
		}
	}
	if fragment == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	if anchors[dest] == nil {
		a, err := headingAnchors(dest)
		if err != nil {
			return "cannot be read: " + err.Error()
		}
		anchors[dest] = a
	}
	if !anchors[dest][fragment] {
		return "names a heading that does not exist"
	}
	return ""
}

// headingAnchors returns the fragment of every heading of a Markdown file as GitHub renders it:
// lower case, punctuation dropped, spaces as hyphens, repeats numbered -1, -2, ...
func headingAnchors(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(string(data), "\n") {
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			switch {
			case fence == "":
				fence = trimmed[:3]
			case strings.HasPrefix(trimmed, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := Slug(m[1])
		if n := seen[slug]; n > 0 {
			out[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out, nil
}

// Slug is the fragment GitHub gives a heading's text.
func Slug(text string) string {
	text = headingLink.ReplaceAllString(text, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// outsideNote matches what points a reader outside the repository: the design notes the project
// started from (they are docs/ now), absolute paths of the machine it was written on, and the
// shared folder beside the checkout, of which only the data sets are meant to be read (by tests,
// through pkg/datasets).
// (Character classes keep this file from matching itself.)
var outsideNote = regexp.MustCompile(`\b(DESIGN|DOMAIN|STYLE|ENVIRONMENT)\.md\b|/w[o]rk/|\.\./shared/([^d]|d[^a]|$)|\.\./shared\b[^/]`)

// textFiles are the files whose text a reader or a build sees.
var textFiles = map[string]bool{".md": true, ".go": true, ".proto": true, ".sh": true, ".yaml": true, ".yml": true, ".sql": true}

// ReferencesOutside lists the lines of the repository's sources and documents that send the
// reader to something outside it (see outsideNote).
func ReferencesOutside(root string) ([]Problem, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	var problems []Problem
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !textFiles[filepath.Ext(path)] && d.Name() != "Makefile" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for i, line := range strings.Split(string(data), "\n") {
			if m := outsideNote.FindString(line); m != "" {
				problems = append(problems, Problem{File: filepath.ToSlash(rel), Line: i + 1, Target: strings.TrimSpace(m),
					Reason: "points outside the repository (the design notes are docs/architecture.md, docs/sports-science.md and docs/conventions.md)"})
			}
		}
		return nil
	})
	return problems, err
}
