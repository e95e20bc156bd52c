package translate_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/xdscontract"
)

// FuzzGenerate: whatever objects the API server hands meshd, translation neither panics nor
// produces a field outside the contract.
func FuzzGenerate(f *testing.F) {
	for _, file := range []string{"testdata/rules.yaml", "testdata/cluster.yaml", "testdata/other-namespace.yaml",
		"testdata/sidecar-narrow.yaml", samples + "nginx/networking/virtual-service.yaml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := model.DecodeYAML(bytes.NewReader(b))
		if err != nil {
			return
		}
		s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
		if err != nil {
			return
		}
		for _, p := range []*translate.Proxy{sleepProxy, gatewayProxy} {
			res, err := translate.Generate(s, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, list := range res {
				for _, r := range list {
					if err := xdscontract.Check(r); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}
