package kubeyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// manifest is a typical Deployment + Service pair, n times, in one stream.
func manifest(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%d
  namespace: ns-%d
  labels:
    app: app-%d
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-%d
  template:
    metadata:
      labels:
        app: app-%d
        version: v1
    spec:
      containers:
      - name: app
        image: "docker.io/example/app:1.%d"
        args: ["--port", "8080"]
        ports:
        - containerPort: 8080
        resources:
          requests: {cpu: 100m, memory: 128Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: app-%d
  namespace: ns-%d
spec:
  selector:
    app: app-%d
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
`, i, i%100, i, i, i, i, i, i%100, i)
	}
	return b.Bytes()
}

func benchmarkObjects(b *testing.B, parse func(*Document) error) {
	in := manifest(500)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	objects := 0
	for b.Loop() {
		r := NewReader(bytes.NewReader(in), "bench.yaml")
		for {
			d, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if err := parse(d); err != nil {
				b.Fatal(err)
			}
			objects++
		}
	}
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkObjects is the reader as commands use it: split, parse, convert to values.
func BenchmarkObjects(b *testing.B) {
	benchmarkObjects(b, func(d *Document) error { _, err := d.Objects(); return err })
}

// BenchmarkObjectValues is the reader as analyze uses it: values now, nodes only when a line is asked for.
func BenchmarkObjectValues(b *testing.B) {
	benchmarkObjects(b, func(d *Document) error { _, err := d.ObjectValues(); return err })
}

// BenchmarkYAMLv3Node is the cost the fast parser saves: yaml.v3 alone, nodes only.
func BenchmarkYAMLv3Node(b *testing.B) {
	benchmarkObjects(b, func(d *Document) error { _, err := slowNode(d.Raw); return err })
}

// BenchmarkFastNode is the fast parser alone.
func BenchmarkFastNode(b *testing.B) {
	benchmarkObjects(b, func(d *Document) error { _, err := parseFast(d.Raw); return err })
}

// BenchmarkSplitting compares cutting a stream of many small documents with Reader and with Split.
func BenchmarkSplitting(b *testing.B) {
	in := manifest(5000)
	b.Run("Reader", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			r := NewReader(bytes.NewReader(in), "bench.yaml")
			for {
				if _, err := r.Next(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Split", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if len(Split(in, "bench.yaml")) == 0 {
				b.Fatal("no documents")
			}
		}
	})
}
