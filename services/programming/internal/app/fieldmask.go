package app

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// copyPath copies the field at a dotted path (e.g. "deload.load_percent") from src to dst,
// creating intermediate messages; a path naming a message copies it whole.
func copyPath(dst, src proto.Message, path string) error {
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	parts := strings.Split(path, ".")
	for i, name := range parts {
		fd := d.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return fmt.Errorf("unknown field %q in %q", name, path)
		}
		if i == len(parts)-1 {
			if s.Has(fd) {
				d.Set(fd, s.Get(fd))
			} else {
				d.Clear(fd)
			}
			return nil
		}
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
			return fmt.Errorf("%q is not a message in %q", name, path)
		}
		d = d.Mutable(fd).Message()
		s = s.Get(fd).Message()
	}
	return nil
}
