package sleep

import (
	"context"
	"testing"
	"time"

	"github.com/meshctl/meshctl/sampleapps"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{[]string{"infinity"}, Forever},
		{[]string{"inf"}, Forever},
		{[]string{"3650d"}, 3650 * 24 * time.Hour},
		{[]string{"1"}, time.Second},
		{[]string{"0.5"}, 500 * time.Millisecond},
		{[]string{"1m", "30s"}, 90 * time.Second},
		{[]string{"2h"}, 2 * time.Hour},
		{[]string{"1", "infinity"}, Forever},
	} {
		got, err := ParseArgs(tc.args)
		if err != nil || got != tc.want {
			t.Errorf("ParseArgs(%q) = %v, %v; want %v", tc.args, got, err, tc.want)
		}
	}
	for _, bad := range [][]string{nil, {"x"}, {"-1"}, {"1w"}, {"s"}, {"nan"}, {"1_0"}, {""}} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q): no error", bad)
		}
	}
}

// TestSleepEndsOnSIGTERM: sleep infinity returns as soon as its context ends (SIGTERM), with success.
func TestSleepEndsOnSIGTERM(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Main(ctx, sampleapps.Process{Args: []string{"infinity"}}) }()
	time.Sleep(10 * time.Millisecond) // lets a broken sleep return early; a working one cannot
	select {
	case err := <-done:
		t.Fatalf("sleep infinity returned before SIGTERM: %v", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Main = %v, want nil", err)
	}
	if err := Main(t.Context(), sampleapps.Process{Args: []string{"0.001"}}); err != nil {
		t.Errorf("sleep 0.001 = %v", err)
	}
	if got := sampleapps.ExitCode(Main(t.Context(), sampleapps.Process{Args: []string{"soon"}})); got != 1 {
		t.Errorf("sleep soon: exit %d, want 1", got)
	}
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"infinity", "1.5m", "3650d", "0x10", "1e3s", "-0", "nan", "inf", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseArgs([]string{s})
		if err == nil && d < 0 {
			t.Errorf("ParseArgs(%q) = %v, negative", s, d)
		}
	})
}
