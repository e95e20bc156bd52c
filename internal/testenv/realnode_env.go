package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/images"
)

// errNoRealNode is returned by what needs the real node on a cluster without one.
var errNoRealNode = errors.New("the cluster has no real node (testenv.GetRealNode or Options.RealNode)")

// LoadImages imports OCI tarballs (from the images package or `make images`) into the real node's
// containerd, where pods find them without a pull.
func (e *Env) LoadImages(ctx context.Context, tarballs ...string) error {
	if !e.Cluster.RealNode {
		return errNoRealNode
	}
	return importImages(ctx, tarballs...)
}

// Probe is a small static program for tests on the real node, one binary with subcommands
// (internal/testenv/probe): `serve ADDR TEXT`, `get URL` (https with the pod's ServiceAccount),
// `dial ADDR`, `lookup NAME`, `nat-redirect PORT TO`, `route-default GW`, `sleep`. Build and load it
// with env.BuildImages(t, testenv.Probe); its binary is /probe, its user non-root.
var Probe = images.Program{Name: "testenv/probe", Package: "./internal/testenv/probe", Binary: "/probe"}

// TestImageVersion is the tag of images tests build with BuildImages.
const TestImageVersion = "testenv"

// BuildImages builds programs with the project's image pipeline and loads them into the real node,
// returning each program's image reference by name. A program is built once per cluster.
func (e *Env) BuildImages(t testing.TB, programs ...images.Program) map[string]string {
	t.Helper()
	n := e.Cluster.node
	if n == nil {
		t.Fatal(errNoRealNode)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.loaded == nil {
		n.loaded = map[string]string{}
	}
	out := map[string]string{}
	var todo []images.Program
	for _, p := range programs {
		if ref, ok := n.loaded[p.Name]; ok {
			out[p.Name] = ref
		} else {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return out
	}
	moduleDir, err := images.ModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	info := nodeImageInfo
	info.Version = TestImageVersion
	built, err := images.Build(t.Context(), todo, images.Options{ModuleDir: moduleDir, OutDir: n.layout.images(), Info: info})
	if err != nil {
		t.Fatalf("build images: %v", err)
	}
	for _, b := range built {
		if err := importImages(t.Context(), b.Path); err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(b.Path) // in containerd now
		n.loaded[b.Program.Name] = b.Ref
		out[b.Program.Name] = b.Ref
	}
	return out
}

// Kubectl runs the kubectl built for the cluster's version (make cluster-build) with the admin
// kubeconfig, and returns its standard output; the error carries its standard error.
func (e *Env) Kubectl(ctx context.Context, args ...string) (string, error) {
	return e.KubectlInput(ctx, nil, args...)
}

// KubectlInput is Kubectl with stdin as its standard input (`apply -f -`).
func (e *Env) KubectlInput(ctx context.Context, stdin []byte, args ...string) (string, error) {
	bin := Cache{Dir: e.Cluster.cacheDir}.Binary(e.Version, Kubectl)
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", e.Kubeconfig}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// NodeRunning reports whether the machine's real node runs (its containerd answers).
func NodeRunning() bool {
	ok, _ := containerdReady(context.Background())
	return ok
}

// LoadIntoNode imports OCI tarballs into the machine's real node, whichever cluster it belongs to:
// for `make images` after `make cluster-up`.
func LoadIntoNode(ctx context.Context, tarballs ...string) error {
	if !NodeRunning() {
		return errors.New("no real node runs on this machine (make cluster-up starts one)")
	}
	return importImages(ctx, tarballs...)
}
