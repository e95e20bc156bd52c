package images

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/meshctl/meshctl/meshapi"
)

// Hub is where the project's images are published; the charts' default (global.hub).
const Hub = "ghcr.io/meshctl"

// NonRoot is the user of programs that need no privileges: distroless's "nonroot".
const NonRoot = "65532:65532"

// Program is one program that the mesh or its test cluster deploys, and how its image looks.
type Program struct {
	// Name is the image's name under Hub: "meshd", "samples/productpage".
	Name string
	// Package is the Go main package of this module that is the program ("./cmd/meshd"). Exactly
	// one of Package and File is set.
	Package string
	// File is a static binary built elsewhere (CoreDNS, built into the test cluster's cache).
	File string
	// Binary is the program's path in the image; empty means "/" + the package's last element.
	Binary string
	// Args follow the binary: the entrypoint is [Binary, Args...].
	Args []string
	// User runs the program: NonRoot unless the program needs root ("0:0", such as mesh-init's
	// iptables rules). Empty means NonRoot.
	User string
	// Env is the image's environment, "KEY=value".
	Env []string
	// Ports the program listens on, recorded as the image's exposed ports.
	Ports []int
	// Symlinks are extra paths that point at the binary, for busybox-style programs that act on
	// the name they were started by: {"/usr/bin/curl": "/mesh-samples"}.
	Symlinks map[string]string
	// Description becomes the org.opencontainers.image.description label.
	Description string
}

// BinaryPath is where the program's binary is in the image.
func (p Program) BinaryPath() string {
	if p.Binary != "" {
		return p.Binary
	}
	src := p.Package
	if src == "" {
		src = p.File
	}
	return "/" + path.Base(src)
}

// UserOrDefault is the user the image runs as.
func (p Program) UserOrDefault() string {
	if p.User == "" {
		return NonRoot
	}
	return p.User
}

// Ref is the image's reference for a version: ghcr.io/meshctl/<name>:<version>.
func (p Program) Ref(version string) string { return Hub + "/" + p.Name + ":" + version }

// Validate checks that the program can be built.
func (p Program) Validate() error {
	switch {
	case p.Name == "" || strings.Trim(p.Name, "abcdefghijklmnopqrstuvwxyz0123456789-_./") != "":
		return fmt.Errorf("image %q: a name is lower-case letters, digits, and - _ . /", p.Name)
	case (p.Package == "") == (p.File == ""):
		return fmt.Errorf("image %s: set exactly one of Package and File", p.Name)
	case !strings.HasPrefix(p.BinaryPath(), "/"):
		return fmt.Errorf("image %s: binary path %q is not absolute", p.Name, p.BinaryPath())
	}
	for link := range p.Symlinks {
		if !strings.HasPrefix(link, "/") || link == p.BinaryPath() {
			return fmt.Errorf("image %s: symlink %q must be an absolute path other than the binary", p.Name, link)
		}
	}
	return nil
}

// Programs are the programs of this repository that get an image, one line each. `make images`
// builds them all.
var Programs = append([]Program{
	Pause,
	{Name: "meshd", Package: "./cmd/meshd", Description: "the mesh's control plane (istiod): xDS, webhooks, CA",
		Ports: []int{int(meshapi.ControlPlaneHTTPPort), int(meshapi.DiscoveryPlaintextPort), int(meshapi.DiscoveryPort),
			int(meshapi.ControlPlaneMonitoringPort), int(meshapi.WebhookPort)}},
	{Name: "mesh-proxy", Package: "./cmd/mesh-proxy", User: fmt.Sprintf("%d:%d", meshapi.ProxyUID, meshapi.ProxyGID),
		Description: "the mesh's sidecar and gateway proxy",
		Ports: []int{int(meshapi.ProxyOutboundPort), int(meshapi.ProxyInboundPort), int(meshapi.ProxyStatusPort),
			int(meshapi.ProxyHealthPort), int(meshapi.ProxyPrometheusPort)}},
	{Name: "mesh-init", Package: "./cmd/mesh-init", User: "0:0", Description: "writes a pod's traffic capture rules"},
}, samplePrograms()...)

// Pause is the sandbox image the real node's containerd gives every pod: a program that waits for
// a signal, so a pod's namespaces outlive its containers.
var Pause = Program{Name: "pause", Package: "./cmd/pause", Description: "holds a pod's namespaces"}

// Find returns the program of Programs with this name.
func Find(name string) (Program, bool) {
	i := slices.IndexFunc(Programs, func(p Program) bool { return p.Name == name })
	if i < 0 {
		return Program{}, false
	}
	return Programs[i], true
}
