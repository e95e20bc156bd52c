package exitcode

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type badData struct{}

func (badData) Error() string      { return "bad data" }
func (badData) InvalidInput() bool { return true }

func TestForDiff(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		code int
	}{
		{"same", nil, OK},
		{"different", WithCode(Differs, nil), Differs},
		{"unreachable cluster", errors.New("dial tcp 127.0.0.1:1: connection refused"), DiffTrouble},
		{"usage", UsageError(errors.New("-o table")), Usage},
		{"bad input", fmt.Errorf("render: %w", badData{}), BadInput},
		{"interrupted", fmt.Errorf("read: %w", context.Canceled), Interrupted},
	} {
		err := ForDiff(tc.err)
		if got := For(err); got != tc.code {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.code)
		}
		if tc.err != nil && err.Error() != tc.err.Error() {
			t.Errorf("%s: message %q changed to %q", tc.name, tc.err, err)
		}
	}
}
