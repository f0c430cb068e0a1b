package config

import (
	"errors"
	"fmt"
)

// Validator collects every configuration problem instead of stopping at the
// first, so an operator fixes all bad flags in one go. The zero value is ready
// to use.
type Validator struct {
	errs []error
}

// Check records a problem with flag unless ok. The message is prefixed with
// the flag and its environment variable, because the value may have come from
// either: "--log-level (env SC_LOG_LEVEL): must be one of ...".
func (v *Validator) Check(ok bool, flag, format string, args ...any) {
	if ok {
		return
	}
	v.errs = append(v.errs, FlagError(flag, format, args...))
}

// Add records errors from elsewhere, typically the Validate of a section;
// nil errors are skipped.
func (v *Validator) Add(errs ...error) {
	for _, err := range errs {
		if err != nil {
			v.errs = append(v.errs, err)
		}
	}
}

// Err joins everything recorded (one problem per line), or returns nil.
func (v *Validator) Err() error {
	return errors.Join(v.errs...)
}

// FlagError returns an error about flag in the form Validator uses, for
// checks that do not fit Check.
func FlagError(flag, format string, args ...any) error {
	return fmt.Errorf("--%s (env %s): %s", flag, EnvName(flag), fmt.Sprintf(format, args...))
}
