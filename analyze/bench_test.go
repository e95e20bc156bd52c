package analyze_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/analyze/analyzers"
	"github.com/meshctl/meshctl/analyze/analyzetest"
)

func benchmarkRun(b *testing.B, n int) {
	dir := b.TempDir()
	path := filepath.Join(dir, "in.yaml")
	in := analyzetest.SyntheticInput(n)
	if err := os.WriteFile(path, in, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	objects := 0
	for b.Loop() {
		res, err := analyze.Run(context.Background(), analyze.Options{Paths: []string{path}, Namespace: "default", RootNamespace: "istio-system", Analyzers: analyzers.All()})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) == 0 {
			b.Fatal("the synthetic input has findings to report")
		}
		objects += res.Objects
	}
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkRun1k, 10k and 50k show the cost per object stays flat (linear scaling).
func BenchmarkRun1k(b *testing.B)  { benchmarkRun(b, 1000) }
func BenchmarkRun10k(b *testing.B) { benchmarkRun(b, 10000) }
func BenchmarkRun50k(b *testing.B) { benchmarkRun(b, 50000) }
