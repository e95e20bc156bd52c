package crdgen

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoregistry"
)

const generatedFile = chartDir + "/templates/crds.gen.yaml"

func globalFiles() *protoregistry.Files { return protoregistry.GlobalFiles }

func TestGeneratedFileIsUpToDate(t *testing.T) {
	res, err := Generate(globalFiles(), Kinds())
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Write(&want, res.CRDs, BaseLabelsAction); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(generatedFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(want.String(), "\n")
		line := 0
		for line < len(gl) && line < len(wl) && gl[line] == wl[line] {
			line++
		}
		t.Fatalf("%s is stale (first difference at line %d); regenerate it with `go generate ./manifests/crdgen`", generatedFile, line+1)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	var first []byte
	for i := range 3 {
		res, err := Generate(globalFiles(), Kinds())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, res.CRDs, BaseLabelsAction); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
		} else if !bytes.Equal(first, buf.Bytes()) {
			t.Fatal("two runs of Generate wrote different files")
		}
	}
}

func TestProtoNameAliasesExist(t *testing.T) {
	for name := range protoNameAliases {
		if _, err := globalFiles().FindDescriptorByName(name); err != nil {
			t.Errorf("alias %s: %v", name, err)
		}
	}
}

func TestGenerateRejectsUnknownSpecMessage(t *testing.T) {
	_, err := Generate(globalFiles(), []Kind{{
		Group: "example.istio.io", Kind: "Nope", Plural: "nopes",
		Spec: "istio.example.v1.Nope", Versions: []string{"v1"}, Storage: "v1",
	}})
	if err == nil || !strings.Contains(err.Error(), "istio.example.v1.Nope") {
		t.Errorf("err = %v, want one naming the missing message", err)
	}
}

func TestGenerateRejectsUnservedStorageVersion(t *testing.T) {
	_, err := Generate(globalFiles(), []Kind{{
		Group: "networking.istio.io", Kind: "Gateway", Plural: "gateways",
		Spec: "istio.networking.v1alpha3.Gateway", Versions: []string{"v1"}, Storage: "v1alpha3",
	}})
	if err == nil || !strings.Contains(err.Error(), "storage version") {
		t.Errorf("err = %v, want a storage version error", err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		res, err := Generate(globalFiles(), Kinds())
		if err != nil {
			b.Fatal(err)
		}
		if err := Write(&bytes.Buffer{}, res.CRDs, BaseLabelsAction); err != nil {
			b.Fatal(err)
		}
	}
}
