package inject

import "fmt"

// FieldError is a problem with the user's pod template at Field, a path relative to the pod template
// such as `metadata.annotations["sidecar.istio.io/proxyCPU"]`. Stream turns it into a *kubeyaml.Error
// naming the file and line.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// InvalidInput marks the error as the user's data being wrong (exit code 65).
func (e *FieldError) InvalidInput() bool { return true }

func annotationField(key string) string { return fmt.Sprintf("metadata.annotations[%q]", key) }

func fieldErrorf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}
