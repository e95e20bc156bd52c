package images

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/meshctl/meshctl/sampleapps"
)

var testInfo = BuildInfo{Version: "1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", Created: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}

func moduleDir(t *testing.T) string {
	t.Helper()
	dir, err := ModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// The same commit gives the same image: built twice, at different times, into different folders,
// the digests and the tarballs' bytes are equal; another commit gives another digest.
func TestBuildIsReproducible(t *testing.T) {
	ctx := context.Background()
	build := func(info BuildInfo) Built {
		t.Helper()
		out, err := Build(ctx, []Program{Pause}, Options{ModuleDir: moduleDir(t), OutDir: t.TempDir(), Info: info})
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	a := build(testInfo)
	time.Sleep(1100 * time.Millisecond) // a second later: no wall-clock time may reach the image
	b := build(testInfo)
	if a.Digest != b.Digest {
		t.Errorf("two builds of the same commit: digests %s and %s", a.Digest, b.Digest)
	}
	ta, _ := os.ReadFile(a.Path)
	tb, _ := os.ReadFile(b.Path)
	if !bytes.Equal(ta, tb) {
		t.Errorf("two builds of the same commit wrote different tarballs (%d and %d bytes)", len(ta), len(tb))
	}
	other := testInfo
	other.Commit = "fedcba9876543210fedcba9876543210fedcba98"
	if c := build(other); c.Digest == a.Digest {
		t.Errorf("another commit gave the same digest %s", c.Digest)
	}
	if a.Ref != "ghcr.io/meshctl/pause:1.2.3" {
		t.Errorf("ref = %s, want ghcr.io/meshctl/pause:1.2.3", a.Ref)
	}
}

// ociLayout reads an OCI tarball into its files.
func ociLayout(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name], _ = io.ReadAll(tr)
	}
}

func blob(t *testing.T, files map[string][]byte, h v1.Hash) []byte {
	t.Helper()
	b, ok := files["blobs/"+h.Algorithm+"/"+h.Hex]
	if !ok {
		t.Fatalf("blob %s missing from the layout", h)
	}
	return b
}

func TestImageContents(t *testing.T) {
	// A stand-in binary: the test reads the image, not the program.
	bin := filepath.Join(t.TempDir(), "mesh-samples")
	if err := os.WriteFile(bin, []byte("\x7fELF binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := Program{
		Name: "samples/curl", File: bin, Binary: "/mesh-samples", Args: []string{"curl"},
		Ports: []int{9080}, Env: []string{"A=b"}, Description: "curl",
		Symlinks: map[string]string{"/usr/bin/curl": "/mesh-samples", "/bin/sleep": "/mesh-samples"},
	}
	img, err := Image(p, bin, testInfo)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), TarballName(p))
	if err := WriteOCIFile(path, p.Ref("1.2.3"), img); err != nil {
		t.Fatal(err)
	}
	files := ociLayout(t, path)
	var index v1.IndexManifest
	if err := json.Unmarshal(files["index.json"], &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Manifests) != 1 || index.Manifests[0].Annotations[annotationContainerdName] != "ghcr.io/meshctl/samples/curl:1.2.3" {
		t.Fatalf("index.json does not name the image for containerd: %s", files["index.json"])
	}
	var m v1.Manifest
	if err := json.Unmarshal(blob(t, files, index.Manifests[0].Digest), &m); err != nil {
		t.Fatal(err)
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(blob(t, files, m.Config.Digest), &cf); err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if got := c.Entrypoint; len(got) != 2 || got[0] != "/mesh-samples" || got[1] != "curl" {
		t.Errorf("entrypoint = %q", got)
	}
	if c.User != NonRoot {
		t.Errorf("user = %q, want %s", c.User, NonRoot)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.version":  "1.2.3",
		"org.opencontainers.image.revision": testInfo.Commit,
		"org.opencontainers.image.created":  "2026-12-04T10:00:00Z",
		"org.opencontainers.image.title":    "samples/curl",
	} {
		if c.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], want)
		}
	}
	if _, ok := c.ExposedPorts["9080/tcp"]; !ok {
		t.Errorf("exposed ports = %v", c.ExposedPorts)
	}
	if cf.OS != "linux" || cf.Architecture == "" || !cf.Created.Time.Equal(testInfo.Created) {
		t.Errorf("os %q, architecture %q, created %v", cf.OS, cf.Architecture, cf.Created)
	}
	// The program layer: the binary, executable, and the symlinks pointing at it; no time but epoch.
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(blob(t, files, m.Layers[1].Digest)))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[hdr.Name] = hdr
		if !hdr.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("%s has time %v, want the epoch", hdr.Name, hdr.ModTime)
		}
	}
	if h := entries["mesh-samples"]; h == nil || h.Mode != 0o755 || h.Typeflag != tar.TypeReg {
		t.Errorf("binary entry = %+v", h)
	}
	for _, link := range []string{"usr/bin/curl", "bin/sleep"} {
		if h := entries[link]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "/mesh-samples" {
			t.Errorf("symlink %s = %+v", link, h)
		}
	}
}

func TestProgramValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    Program
		ok   bool
	}{
		{"package", Program{Name: "meshd", Package: "./cmd/meshd"}, true},
		{"file", Program{Name: "testenv/coredns", File: "/x/coredns"}, true},
		{"neither", Program{Name: "meshd"}, false},
		{"both", Program{Name: "meshd", Package: "./cmd/meshd", File: "/x"}, false},
		{"upper case", Program{Name: "Meshd", Package: "./cmd/meshd"}, false},
		{"relative binary", Program{Name: "meshd", Package: "./cmd/meshd", Binary: "meshd"}, false},
		{"symlink over binary", Program{Name: "m", Package: "./cmd/m", Symlinks: map[string]string{"/m": "/x"}}, false},
	} {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	for _, p := range Programs {
		if err := p.Validate(); err != nil {
			t.Errorf("Programs: %v", err)
		}
	}
}

// Every sample image of sampleapps' table is a program here, under the name the localizer points the
// sample YAML at.
func TestSampleImagesAreProgramsWithTheLocalizersNames(t *testing.T) {
	for _, img := range sampleapps.Images() {
		p, ok := Find("samples/" + img.Name)
		if !ok {
			t.Errorf("sample image %s is not in Programs", img.Name)
			continue
		}
		if p.Ref("1.2.3") != img.Ref("1.2.3") {
			t.Errorf("program %s has ref %s; the sample YAML is localized to %s", p.Name, p.Ref("1.2.3"), img.Ref("1.2.3"))
		}
		if p.BinaryPath() != sampleapps.Entrypoint || p.UserOrDefault() != img.User {
			t.Errorf("program %s: binary %s user %s", p.Name, p.BinaryPath(), p.UserOrDefault())
		}
	}
}
