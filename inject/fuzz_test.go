package inject_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/internal/yamlbomb"
	"github.com/meshctl/meshctl/kubeyaml"
)

// FuzzStream feeds arbitrary YAML streams through injection. Whatever the input, the stream must not
// panic; on success every output document parses, and injecting the output again changes nothing; on
// failure the error is bad input naming the file, or an error that names the file and the workload.
func FuzzStream(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/golden/*.yaml")
	for _, s := range seeds {
		if strings.HasSuffix(s, ".out.yaml") {
			continue
		}
		if b, err := os.ReadFile(s); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: a, image: b}]}\n---\nkind: List\napiVersion: v1\nitems: [{kind: Pod, apiVersion: v1, spec: {}}]")
	f.Add("kind: Deployment\napiVersion: apps/v1\nspec: {template: {spec: {containers: [{name: x, livenessProbe: {httpGet: {port: nope}}}]}}}")
	f.Add(yamlbomb.Laughs)
	c := defaultConfig(f)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		s := inject.NewStream(c, &out, inject.StreamOptions{})
		err := s.Inject(context.Background(), kubeyaml.NewReader(strings.NewReader(in), "fuzz.yaml"))
		if err != nil {
			var ke *kubeyaml.Error
			if !errors.As(err, &ke) && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		// Every document written must parse again.
		r := kubeyaml.NewReader(bytes.NewReader(out.Bytes()), "out.yaml")
		for {
			doc, err := r.Next()
			if err != nil {
				break
			}
			if _, err := doc.Value(); err != nil {
				t.Fatalf("output document does not parse: %v\n%s", err, doc.Raw)
			}
		}
		var again bytes.Buffer
		if err := inject.NewStream(c, &again, inject.StreamOptions{}).Inject(context.Background(), kubeyaml.NewReader(bytes.NewReader(out.Bytes()), "out.yaml")); err != nil {
			t.Fatalf("the output does not inject again: %v\n%s", err, out.String())
		}
		if again.String() != out.String() {
			t.Fatalf("injecting twice differs from injecting once:\n%s\n---- vs ----\n%s", out.String(), again.String())
		}
	})
}
