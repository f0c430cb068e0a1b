package fault

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldViolation says what is wrong with one field of a request.
type FieldViolation struct {
	// Field is the path of the field, e.g. "records[3].load_kg" (see Field).
	Field string
	// Description says why the value is refused, in words a client can act on.
	Description string
}

// Invalid collects the violations found while validating one request. The
// zero value is ready to use:
//
//	var bad fault.Invalid
//	if req.TeamId == "" {
//		bad.Add("team_id", "is required")
//	}
//	for i, r := range req.Records {
//		if r.LoadKg < 0 {
//			bad.Add(fault.Field("records", i, "load_kg"), "must not be negative, got %v", r.LoadKg)
//		}
//	}
//	if err := bad.Err(); err != nil {
//		return err
//	}
//
// Callers recover it with errors.As(err, new(*fault.Invalid)).
type Invalid struct {
	Violations []FieldViolation
}

// Add records a violation of field.
func (v *Invalid) Add(field, format string, args ...any) {
	v.Violations = append(v.Violations, FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// Err returns the collected violations as an error, or nil when there are
// none. The error is a copy, so adding to v afterwards does not change it.
func (v *Invalid) Err() error {
	if len(v.Violations) == 0 {
		return nil
	}
	return &Invalid{Violations: slices.Clone(v.Violations)}
}

// Error lists every violation, e.g.
// "invalid argument: team_id: is required; records[3].load_kg: must not be negative".
func (v *Invalid) Error() string {
	var b strings.Builder
	b.WriteString("invalid argument")
	for i, fv := range v.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if fv.Field != "" {
			b.WriteString(fv.Field)
			b.WriteString(": ")
		}
		b.WriteString(fv.Description)
	}
	return b.String()
}

// InvalidField returns an *Invalid with a single violation, for code that
// stops at the first problem.
func InvalidField(field, format string, args ...any) error {
	var v Invalid
	v.Add(field, format, args...)
	return v.Err()
}

// Field builds a field path from names and indexes, in the form the
// google.rpc.BadRequest convention uses: Field("records", 3, "load_kg") is
// "records[3].load_kg" and Field("sessions", 0, "sets", 2) is "sessions[0].sets[2]".
// An int is an index into the preceding name; anything else is a name.
func Field(path ...any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(p))
			b.WriteByte(']')
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, p)
		}
	}
	return b.String()
}
