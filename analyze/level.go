package analyze

import (
	"fmt"
	"strings"
)

// Level is how severe a finding is. Higher is more severe, so thresholds compare with >=.
type Level int

// The levels, as Istio names them.
const (
	Info Level = iota + 1
	Warning
	Error
)

func (l Level) String() string {
	switch l {
	case Info:
		return "Info"
	case Warning:
		return "Warning"
	case Error:
		return "Error"
	}
	return "Unknown"
}

// ParseLevel reads a level name, in any case. "None" is above Error: a failure threshold of None never fails.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(s) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	case "none":
		return Error + 1, nil
	}
	return 0, fmt.Errorf("unknown level %q: want Info, Warning, Error or None", s)
}

// MarshalText makes levels print as their names in JSON and YAML.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a level name (baseline files).
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
