package sampleapps_test

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/multicall"
)

// TestImagesRunKnownApps: every image starts an application the binary has, and every link resolves
// to one, so that the pipeline cannot build an image that fails at its first start.
func TestImagesRunKnownApps(t *testing.T) {
	for _, img := range sampleapps.Images() {
		if len(img.Args) == 0 {
			t.Errorf("%s: no Args", img.Name)
			continue
		}
		if _, ok := multicall.Lookup(img.Args[0]); !ok {
			t.Errorf("%s: Args[0] %q is no application of mesh-samples", img.Name, img.Args[0])
		}
	}
	for _, l := range sampleapps.Links {
		if _, ok := multicall.Lookup(path.Base(l)); !ok {
			t.Errorf("link %s: %q is no application of mesh-samples", l, path.Base(l))
		}
	}
}

// TestImagesMapEachUpstreamOnce: an upstream name belongs to one image, or the kustomize override would
// be ambiguous; names are unique; every image replaces something.
func TestImagesMapEachUpstreamOnce(t *testing.T) {
	names, upstream := map[string]bool{}, map[string]string{}
	for _, img := range sampleapps.Images() {
		if names[img.Name] {
			t.Errorf("image %s twice", img.Name)
		}
		names[img.Name] = true
		if len(img.Upstream) == 0 {
			t.Errorf("%s replaces no upstream image", img.Name)
		}
		for _, u := range img.Upstream {
			if strings.Contains(u, ":") || strings.Contains(u, "@") {
				t.Errorf("%s: upstream %q has a tag or digest; kustomize matches names", img.Name, u)
			}
			if other, ok := upstream[u]; ok {
				t.Errorf("upstream %s is mapped by %s and %s", u, other, img.Name)
			}
			upstream[u] = img.Name
		}
	}
}

// TestReviewsVersions: the three reviews images differ only in what the tutorials tell apart: v1 no
// ratings, v2 black stars, v3 red stars.
func TestReviewsVersions(t *testing.T) {
	want := map[string][3]string{
		"examples-bookinfo-reviews-v1": {"v1", "false", "black"},
		"examples-bookinfo-reviews-v2": {"v2", "true", "black"},
		"examples-bookinfo-reviews-v3": {"v3", "true", "red"},
	}
	for _, img := range sampleapps.Images() {
		w, ok := want[img.Name]
		if !ok {
			continue
		}
		delete(want, img.Name)
		got := [3]string{img.Env["SERVICE_VERSION"], img.Env["ENABLE_RATINGS"], img.Env["STAR_COLOR"]}
		if got != w || !slices.Equal(img.Args, []string{"reviews"}) || !slices.Equal(img.Ports, []int{9080}) {
			t.Errorf("%s: env %v args %v ports %v, want env %v args [reviews] ports [9080]", img.Name, got, img.Args, img.Ports, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing images %v", want)
	}
}

func TestRef(t *testing.T) {
	img := sampleapps.Images()[0]
	if got, want := img.Ref("1.2.3"), "ghcr.io/meshctl/samples/examples-bookinfo-productpage-v1:1.2.3"; got != want {
		t.Errorf("Ref = %q, want %q", got, want)
	}
}
