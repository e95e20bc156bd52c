// Package sleep is sleep(1) for the sample client pods, whose command is `/bin/sleep infinity` (or a
// number of seconds, minutes, hours or days): it waits, and exits at once on SIGTERM.
package sleep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/meshctl/meshctl/sampleapps"
)

// Forever is the duration of `sleep infinity`.
const Forever = time.Duration(math.MaxInt64)

// ParseArgs adds up the intervals of args as GNU sleep does: a number with an optional suffix s, m, h
// or d (seconds by default), or infinity.
func ParseArgs(args []string) (time.Duration, error) {
	if len(args) == 0 {
		return 0, errors.New("missing operand")
	}
	var total float64 // seconds
	for _, a := range args {
		secs, err := parseInterval(a)
		if err != nil {
			return 0, err
		}
		total += secs
	}
	if total >= Forever.Seconds() {
		return Forever, nil
	}
	return time.Duration(total * float64(time.Second)), nil
}

func parseInterval(s string) (float64, error) {
	num, unit := s, 1.0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 's':
			num = s[:n-1]
		case 'm':
			num, unit = s[:n-1], 60
		case 'h':
			num, unit = s[:n-1], 3600
		case 'd':
			num, unit = s[:n-1], 86400
		}
	}
	// ParseFloat also reads "inf", "infinity" and hex, as GNU sleep does, but "1_0" and "nan" too.
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || strings.Contains(num, "_") || math.IsNaN(v) || v < 0 {
		return 0, fmt.Errorf("invalid time interval %q", s)
	}
	return v * unit, nil
}

// Main waits for the intervals of p.Args, or until ctx ends.
func Main(ctx context.Context, p sampleapps.Process) error {
	d, err := ParseArgs(p.Args)
	if err != nil {
		return &sampleapps.ExitError{Code: 1, Err: fmt.Errorf("sleep: %w", err)}
	}
	if d == Forever {
		<-ctx.Done()
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}
