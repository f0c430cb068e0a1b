package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Settings messages (fatigue thresholds, the programming policy) are changed by field-mask
// paths, so `sc thresholds set` and `sc policy set` take path=value pairs and set them by
// reflection: every field the API has, now or later, is settable without a flag per field.

// fieldRow is one leaf of a settings message: its path and its value as text.
type fieldRow struct{ path, value string }

// leafRows lists every scalar field of m by path, in declaration order, unset ones included:
// a coach reading thresholds wants to see each number, not only the overridden ones.
func leafRows(m protoreflect.Message, prefix string) []fieldRow {
	var rows []fieldRow
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		path := prefix + string(fd.Name())
		switch {
		case fd.IsMap():
			rows = append(rows, fieldRow{path, fmt.Sprint(m.Get(fd).Map().Len()) + " entries"})
		case fd.IsList():
			list := m.Get(fd).List()
			parts := make([]string, list.Len())
			for j := range list.Len() {
				parts[j] = scalarText(fd, list.Get(j))
			}
			rows = append(rows, fieldRow{path, "[" + strings.Join(parts, ", ") + "]"})
		case fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Duration":
			rows = append(rows, fieldRow{path, durationText(m, fd)})
		case fd.Message() != nil:
			rows = append(rows, leafRows(m.Get(fd).Message(), path+".")...)
		default:
			v := "-"
			if !fd.HasPresence() || m.Has(fd) {
				v = scalarText(fd, m.Get(fd))
			}
			rows = append(rows, fieldRow{path, v})
		}
	}
	return rows
}

func durationText(m protoreflect.Message, fd protoreflect.FieldDescriptor) string {
	if !m.Has(fd) {
		return "-"
	}
	d := m.Get(fd).Message()
	secs := d.Get(d.Descriptor().Fields().ByName("seconds")).Int()
	nanos := d.Get(d.Descriptor().Fields().ByName("nanos")).Int()
	return (time.Duration(secs)*time.Second + time.Duration(nanos)).String()
}

func scalarText(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	if fd.Kind() == protoreflect.EnumKind {
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
	}
	return v.String()
}

// setPath sets the field at path (e.g. "load.acwr_high") of m to text, parsed by the field's
// type. Enum values may be given without their type prefix, lists comma-separated.
func setPath(m protoreflect.Message, path, text string) error {
	segments := strings.Split(path, ".")
	for i, seg := range segments {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(seg))
		if fd == nil {
			return usagef("%s: %s has no field %q", path, m.Descriptor().Name(), seg)
		}
		last := i == len(segments)-1
		if fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Duration" && last && !fd.IsList() {
			d, err := time.ParseDuration(text)
			if err != nil {
				return usagef("%s=%q: want a duration, e.g. 36h", path, text)
			}
			m.Set(fd, protoreflect.ValueOfMessage(durationpb.New(d).ProtoReflect()))
			return nil
		}
		if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
			if last {
				return usagef("%s is a group of settings; name one of its fields, e.g. %s.%s", path, path, fd.Message().Fields().Get(0).Name())
			}
			m = m.Mutable(fd).Message()
			continue
		}
		if !last {
			return usagef("%s: %s is not a group of settings", path, seg)
		}
		if fd.IsMap() || (fd.IsList() && fd.Message() != nil) {
			return usagef("%s: lists of groups and maps cannot be set here", path)
		}
		if fd.IsList() {
			list := m.Mutable(fd).List()
			list.Truncate(0)
			for _, part := range strings.Split(text, ",") {
				if part = strings.TrimSpace(part); part == "" {
					continue
				}
				v, err := parseScalar(fd, part)
				if err != nil {
					return usagef("%s=%q: %v", path, text, err)
				}
				list.Append(v)
			}
			return nil
		}
		v, err := parseScalar(fd, text)
		if err != nil {
			return usagef("%s=%q: %v", path, text, err)
		}
		m.Set(fd, v)
	}
	return nil
}

func parseScalar(fd protoreflect.FieldDescriptor, s string) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(s)
		return protoreflect.ValueOfBool(b), err
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s), nil
	case protoreflect.DoubleKind:
		f, err := strconv.ParseFloat(s, 64)
		return protoreflect.ValueOfFloat64(f), err
	case protoreflect.FloatKind:
		f, err := strconv.ParseFloat(s, 32)
		return protoreflect.ValueOfFloat32(float32(f)), err
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(s, 10, 32)
		return protoreflect.ValueOfInt32(int32(n)), err
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := strconv.ParseInt(s, 10, 64)
		return protoreflect.ValueOfInt64(n), err
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(s, 10, 32)
		return protoreflect.ValueOfUint32(uint32(n)), err
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := strconv.ParseUint(s, 10, 64)
		return protoreflect.ValueOfUint64(n), err
	case protoreflect.EnumKind:
		return parseEnumValue(fd.Enum(), s)
	}
	return protoreflect.Value{}, fmt.Errorf("fields of kind %s cannot be set here", fd.Kind())
}

// parseEnumValue accepts an enum value's full name or its name without the common prefix
// ("scheduled" for DELOAD_STATUS_SCHEDULED).
func parseEnumValue(ed protoreflect.EnumDescriptor, s string) (protoreflect.Value, error) {
	want := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	values := ed.Values()
	var names []string
	for i := range values.Len() {
		name := string(values.Get(i).Name())
		if name == want || strings.HasSuffix(name, "_"+want) {
			return protoreflect.ValueOfEnum(values.Get(i).Number()), nil
		}
		if values.Get(i).Number() != 0 {
			names = append(names, name)
		}
	}
	return protoreflect.Value{}, fmt.Errorf("want one of %s", strings.Join(names, ", "))
}

// parseAssignments reads path=value arguments into m and returns the paths, the update mask.
func parseAssignments(m protoreflect.Message, args []string) ([]string, error) {
	paths := make([]string, 0, len(args))
	for _, a := range args {
		path, value, ok := strings.Cut(a, "=")
		if !ok || path == "" {
			return nil, usagef("%q: want path=value, e.g. load.acwr_high=1.6", a)
		}
		if err := setPath(m, strings.TrimSpace(path), strings.TrimSpace(value)); err != nil {
			return nil, err
		}
		paths = append(paths, strings.TrimSpace(path))
	}
	return paths, nil
}
