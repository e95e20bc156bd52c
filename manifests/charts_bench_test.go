package manifests

import (
	"strings"
	"testing"
)

// BenchmarkRenderChart measures one render of each chart with its defaults, as meshctl does for
// `manifest generate` (loading excluded: meshctl loads each chart once).
func BenchmarkRenderChart(b *testing.B) {
	for _, cc := range contractCases {
		ch := loadEmbeddedChart(b, cc.dir)
		b.Run(strings.ReplaceAll(cc.dir, "/", "_"), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				out, err := renderValues(ch, nil)
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.ReportMetric(float64(size), "bytes/manifest")
		})
	}
}

// BenchmarkLoadChart measures reading a chart from the embedded FS.
func BenchmarkLoadChart(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		loadEmbeddedChart(b, "istio-control/istio-discovery")
	}
}
