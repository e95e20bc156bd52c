package inject_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/inject/injecttest"
	"github.com/meshctl/meshctl/kubeyaml"
)

func BenchmarkInjectStream(b *testing.B) {
	c := defaultConfig(b)
	in := injecttest.Deployments(1000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s := inject.NewStream(c, io.Discard, inject.StreamOptions{})
		if err := s.Inject(context.Background(), kubeyaml.NewReader(bytes.NewReader(in), "bench.yaml")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "docs/s")
}
