package analyze_test

import (
	"context"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/analyze/analyzers"
	"github.com/meshctl/meshctl/analyze/analyzetest"
	"github.com/meshctl/meshctl/internal/yamlbomb"
)

// FuzzRun feeds arbitrary input through reading, decoding and every analyzer: nothing may panic (an
// analyzer panic shows as IST0001), every unreadable document is reported with its file, and findings
// from files carry a line.
func FuzzRun(f *testing.F) {
	f.Add(string(analyzetest.SyntheticInput(10)))
	f.Add("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  hosts: [\"*\"]\n  http: [{route: [{destination: {host: b, port: {number: -1}}}]}]\n")
	f.Add("kind: List\napiVersion: v1\nitems: [{kind: Gateway, apiVersion: networking.istio.io/v1, metadata: {name: g}, spec: {servers: 3}}]\n")
	f.Add("a: [\n---\nkind: Service\n")
	f.Add(yamlbomb.Laughs)
	f.Fuzz(func(t *testing.T, in string) {
		res, err := analyze.Run(context.Background(), analyze.Options{Paths: []string{"-"}, Stdin: strings.NewReader(in),
			Namespace: "default", RootNamespace: "istio-system", Analyzers: analyzers.All()})
		if err != nil {
			t.Fatalf("Run failed instead of reporting: %v", err)
		}
		for _, f := range res.Findings {
			if f.Code == "IST0001" {
				t.Fatalf("analyzer panicked: %s", f.Message)
			}
			if f.Origin.File != "-" {
				t.Fatalf("finding without its file: %v", f)
			}
		}
	})
}
