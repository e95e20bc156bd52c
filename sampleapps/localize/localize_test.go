package localize

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/meshctl/meshctl/internal/golden"
	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/manifests"
	"github.com/meshctl/meshctl/sampleapps"
)

const testVersion = "0.0.0-test"

// TestBookinfoGolden: bookinfo.yaml as a local cluster gets it. Only the image lines may differ from
// the shipped file (kustomize also drops the comments and sorts the keys).
func TestBookinfoGolden(t *testing.T) {
	out, err := Manifests(manifests.FS, "samples/bookinfo/platform/kube/bookinfo.yaml", testVersion)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/bookinfo.yaml", out)
}

// images lists the image of every container and init container in the YAML, in order.
func images(t *testing.T, name string, data []byte) []string {
	t.Helper()
	var out []string
	r := kubeyaml.NewReader(bytes.NewReader(data), name)
	for {
		doc, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		objs, err := doc.Objects()
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			spec, _ := o.Value["spec"].(map[string]any)
			tmpl, _ := spec["template"].(map[string]any)
			pod, _ := tmpl["spec"].(map[string]any)
			for _, key := range []string{"initContainers", "containers"} {
				cs, _ := pod[key].([]any)
				for _, c := range cs {
					img, _ := c.(map[string]any)["image"].(string)
					out = append(out, img)
				}
			}
		}
	}
}

// TestEveryApplicationSampleIsLocalized: after Manifests, every image of every application sample (not
// the add-ons, which are other projects' images) is one of ours, with the version as tag; the shipped
// files themselves name upstream images.
func TestEveryApplicationSampleIsLocalized(t *testing.T) {
	ours := map[string]bool{}
	for _, img := range sampleapps.Images() {
		ours[img.Ref(testVersion)] = true
	}
	checked := 0
	err := fs.WalkDir(manifests.FS, "samples", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !kubeyaml.IsYAMLFile(p) || strings.HasPrefix(p, "samples/addons/") {
			return err
		}
		data, err := fs.ReadFile(manifests.FS, p)
		if err != nil {
			return err
		}
		before := images(t, p, data)
		if len(before) == 0 {
			return nil // routing rules only
		}
		out, err := Manifests(manifests.FS, p, testVersion)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		after := images(t, p, out)
		if len(after) != len(before) {
			t.Errorf("%s: %d images before, %d after", p, len(before), len(after))
		}
		for i, img := range after {
			if !ours[img] {
				t.Errorf("%s: image %s (was %s) is not one of the sample images", p, img, before[i])
			}
			if ours[before[i]] {
				t.Errorf("%s: the shipped file names our image %s; it must name the upstream one", p, before[i])
			}
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 {
		t.Errorf("checked %d application samples; bookinfo, sleep, curl, httpbin, helloworld and nginx have images", checked)
	}
}

func TestManifestsDirectoryAndErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"apps/b.yaml": {Data: []byte(deployment("b", "nginx:1.27"))},
		"apps/a.yml":  {Data: []byte(deployment("a", "docker.io/curlimages/curl:8.11.1"))},
		"apps/README": {Data: []byte("not yaml")},
		"empty/x.txt": {Data: []byte("x")},
	}
	out, err := Manifests(fsys, "apps", "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	got := images(t, "apps", out)
	want := []string{sampleapps.Registry + "/curl:1.2.3", sampleapps.Registry + "/static-nginx:1.2.3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("images %v, want %v (files in name order)", got, want)
	}
	for _, tc := range []struct{ name, version, msg string }{
		{"apps", "1.2.3+build", `version "1.2.3+build" is not a valid image tag`},
		{"apps", "", `version "" is not a valid image tag`},
		{"missing.yaml", "1", "missing.yaml"},
		{"empty", "1", "empty: no YAML files"},
	} {
		if _, err := Manifests(fsys, tc.name, tc.version); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Manifests(%s, %q) = %v, want an error with %q", tc.name, tc.version, err, tc.msg)
		}
	}
}

func deployment(name, image string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
      - name: c
        image: ` + image + "\n"
}

func TestImagesCoverEveryUpstreamName(t *testing.T) {
	got := map[string]string{}
	for _, i := range Images("9.9.9") {
		if i.NewTag != "9.9.9" {
			t.Errorf("%s: tag %q", i.Name, i.NewTag)
		}
		got[i.Name] = i.NewName
	}
	for _, img := range sampleapps.Images() {
		for _, up := range img.Upstream {
			if got[up] != path.Join(sampleapps.Registry, img.Name) {
				t.Errorf("%s maps to %q, want %s/%s", up, got[up], sampleapps.Registry, img.Name)
			}
		}
	}
}
