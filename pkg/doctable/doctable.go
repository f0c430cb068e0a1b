// Package doctable keeps a document's table of default settings equal to the code's defaults. A
// service's tests flatten its default settings message into dotted field paths and compare them
// with the two-column table (`path` | value) under a heading of a Markdown document such as
// docs/sports-science.md, so the document cannot drift from the code unnoticed.
package doctable

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Read returns the rows of the first table after the heading (any level) whose text is heading,
// keyed by the first column with its backticks removed, valued by the second column.
func Read(path, heading string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rows := map[string]string{}
	inSection, inTable := false, false
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			if inSection {
				break
			}
			inSection = strings.TrimSpace(strings.TrimLeft(trimmed, "#")) == heading
			continue
		}
		if !inSection {
			continue
		}
		if !strings.HasPrefix(trimmed, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(trimmed, "|"), "|")
		if len(cells) < 2 {
			continue
		}
		key := strings.Trim(strings.TrimSpace(cells[0]), "`")
		value := strings.TrimSpace(cells[1])
		if key == "" || strings.HasPrefix(key, "---") || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue // the header and separator rows
		}
		if _, dup := rows[key]; dup {
			return nil, fmt.Errorf("%s: %q is listed twice under %q", path, key, heading)
		}
		rows[key] = value
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no table of `path` | value rows under a heading %q", path, heading)
	}
	return rows, nil
}

// Flatten returns every scalar field of m by its dotted path of proto field names
// ("strength.window_days"), formatted as the document writes it: numbers in their shortest form
// (21, 1.5, 0.67), booleans as true or false. Unset message fields are walked as empty
// messages, so every field of the schema is listed.
func Flatten(m proto.Message) map[string]string {
	out := map[string]string{}
	flatten(m.ProtoReflect(), "", out)
	return out
}

func flatten(m protoreflect.Message, prefix string, out map[string]string) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		path := prefix + string(f.Name())
		switch {
		case f.IsList() || f.IsMap():
			continue // settings tables list scalars only
		case f.Kind() == protoreflect.MessageKind:
			flatten(m.Get(f).Message(), path+".", out)
		default:
			out[path] = format(m.Get(f))
		}
	}
}

func format(v protoreflect.Value) string {
	switch x := v.Interface().(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case protoreflect.EnumNumber:
		return strconv.Itoa(int(x))
	default:
		return fmt.Sprint(x)
	}
}

// Diff lists, sorted, the paths whose documented value differs from the code's, the settings
// the document lacks and the rows that name no setting. It is empty when the two agree.
func Diff(documented, code map[string]string) []string {
	var out []string
	for path, want := range code {
		got, ok := documented[path]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("`%s` | %s is not documented", path, want))
		case got != want:
			out = append(out, fmt.Sprintf("`%s` is documented as %s, the code's default is %s", path, got, want))
		}
	}
	for path := range documented {
		if _, ok := code[path]; !ok {
			out = append(out, fmt.Sprintf("`%s` is documented but is no setting", path))
		}
	}
	sort.Strings(out)
	return out
}
