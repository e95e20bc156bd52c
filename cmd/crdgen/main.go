// Command crdgen writes the CustomResourceDefinitions of Istio's APIs for meshctl's base chart,
// generated from istio.io/api's protobuf descriptors by package manifests/crdgen.
//
// Usage (from manifests/crdgen, via `go generate ./manifests/crdgen`):
//
//	go run ../../cmd/crdgen -o ../charts/base/templates/crds.gen.yaml
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/meshctl/meshctl/manifests/crdgen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "crdgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("crdgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "-", "output file (- for stdout)")
	labels := fs.String("labels", crdgen.BaseLabelsAction, "template action that renders each CRD's labels")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := crdgen.Generate(protoregistry.GlobalFiles, crdgen.Kinds())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := crdgen.Write(&buf, res.CRDs, *labels); err != nil {
		return err
	}
	for _, c := range res.Cuts {
		fmt.Fprintln(stderr, "recursive type left open at", c)
	}
	if *out == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write CRDs: %w", err)
	}
	return nil
}
