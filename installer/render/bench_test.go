package render

import (
	"io"
	"testing"

	"github.com/meshctl/meshctl/profiles"
)

// BenchmarkGenerateDemo measures what `manifest generate --set profile=demo` does after process start.
func BenchmarkGenerateDemo(b *testing.B) {
	charts := EmbeddedCharts()
	for b.Loop() {
		r, err := profiles.Resolve(profiles.Input{Sets: []string{"profile=demo"}, Charts: charts, DefaultTag: "1.0.0"})
		if err != nil {
			b.Fatal(err)
		}
		m, err := Generate(r.Operator, Options{Charts: charts})
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteYAML(io.Discard, m.Objects()); err != nil {
			b.Fatal(err)
		}
	}
}
