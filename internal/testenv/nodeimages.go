package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/meshctl/meshctl/images"
)

// The node's own images: the sandbox (pause) and cluster DNS. They are built by the project's image
// pipeline like every program the mesh deploys, with a fixed BuildInfo: they belong to the test
// cluster, not to a release, so their tag is the same from commit to commit.
var (
	nodeImageInfo = images.BuildInfo{Version: "testenv", Commit: "testenv", Created: time.Unix(1, 0).UTC()}
	coreDNSImage  = images.Program{
		Name: "testenv/coredns", Binary: "/coredns", Ports: []int{coreDNSPort},
		Description: "CoreDNS " + CoreDNSVersion + " for the local test cluster",
	}
)

func sandboxImage() string { return images.Pause.Ref(nodeImageInfo.Version) }

func coreDNSImageRef() string { return coreDNSImage.Ref(CoreDNSVersion) }

// buildNodeImages writes the pause and CoreDNS images as OCI tarballs into dir and returns them.
// Pause is compiled from this repository (found from the working directory, as `go test` and `go
// run` have it); CoreDNS comes from the cache.
func buildNodeImages(ctx context.Context, cache Cache, dir string) ([]string, error) {
	moduleDir, err := images.ModuleDir(".")
	if err != nil {
		return nil, fmt.Errorf("the pause image is built from this repository: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	built, err := images.Build(ctx, []images.Program{images.Pause}, images.Options{ModuleDir: moduleDir, OutDir: dir, Info: nodeImageInfo})
	if err != nil {
		return nil, err
	}
	dns := coreDNSImage
	dns.File = cache.Binary("", CoreDNS)
	info := nodeImageInfo
	info.Version = CoreDNSVersion
	img, err := images.Image(dns, dns.File, info)
	if err != nil {
		return nil, err
	}
	dnsTar := filepath.Join(dir, images.TarballName(dns))
	if err := images.WriteOCIFile(dnsTar, coreDNSImageRef(), img); err != nil {
		return nil, err
	}
	return []string{built[0].Path, dnsTar}, nil
}
