package analyze_test

import (
	"flag"
	"os"
	"testing"

	"github.com/meshctl/meshctl/analyze/analyzetest"
)

var (
	synthOut = flag.String("synth.out", "", "TestWriteSyntheticInput writes generated input here")
	synthN   = flag.Int("synth.n", 10000, "number of objects TestWriteSyntheticInput generates")
)

// TestWriteSyntheticInput writes the benchmark input for whole-process measurements:
//
//	go test ./analyze -run TestWriteSyntheticInput -synth.out=/tmp/in10k.yaml -synth.n=10000
func TestWriteSyntheticInput(t *testing.T) {
	if *synthOut == "" {
		t.Skip("set -synth.out to write the input")
	}
	if err := os.WriteFile(*synthOut, analyzetest.SyntheticInput(*synthN), 0o644); err != nil {
		t.Fatal(err)
	}
}
