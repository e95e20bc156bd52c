package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// BuildOptions says what Build compiles.
type BuildOptions struct {
	// CacheDir is where binaries go; empty means DefaultCacheDir().
	CacheDir string
	// Targets are the versions and components to build; empty means Prebuilt.
	Targets []Target
	// GoCommand is the go binary; empty means "go" from PATH.
	GoCommand string
	// Log receives one progress line per step (use stderr).
	Log io.Writer
}

// Build compiles what is missing from the cache, from the Go module proxy only. A component
// already in the cache is not rebuilt, so calling Build before every start costs a few stat
// calls. Concurrent Builds of the same thing (parallel `go test` packages) take turns on a lock
// file; each writes into a temporary folder and renames the result into place.
func Build(ctx context.Context, o BuildOptions) error {
	if o.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return err
		}
		o.CacheDir = dir
	}
	if len(o.Targets) == 0 {
		o.Targets = Prebuilt
	}
	if o.GoCommand == "" {
		o.GoCommand = "go"
	}
	o.Targets = slices.Clone(o.Targets)
	b := &builder{cache: Cache{Dir: o.CacheDir}, p: newProgress(o.Log)}
	b.goTool = goTool{bin: o.GoCommand, p: b.p}
	var etcd, kwok, realNode bool
	for i, t := range o.Targets {
		if _, err := stagingVersion(t.Version); err != nil {
			return err
		}
		comps, err := normalizeComponents(t.Components)
		if err != nil {
			return err
		}
		o.Targets[i].Components = comps
		etcd = etcd || slices.Contains(comps, Etcd)
		kwok = kwok || slices.Contains(comps, Kwok)
		realNode = realNode || t.RealNode
	}
	if realNode {
		// Packages first: they take seconds, and a missing one is better known before a long compile.
		if err := EnsureHostPackages(ctx, o.Log); err != nil {
			if !errors.Is(err, ErrNotRoot) {
				return err
			}
			b.p.stepf("real node: skipped, %v", err)
		}
	}
	if etcd {
		if err := b.etcd(ctx); err != nil {
			return err
		}
	}
	if kwok {
		if err := b.kwok(ctx); err != nil {
			return err
		}
	}
	for _, t := range o.Targets {
		var kube []Component
		for _, c := range t.Components {
			if c.isKubernetes() {
				kube = append(kube, c)
			}
		}
		if t.RealNode {
			kube = append(kube, NodeComponents...)
		}
		if err := b.kubernetes(ctx, t.Version, kube); err != nil {
			return err
		}
	}
	if realNode {
		return b.coreDNS(ctx)
	}
	return nil
}

type builder struct {
	cache  Cache
	p      *progress
	goTool goTool
}

// ensure builds the named files of dir when any is missing. build writes them into tmp; they
// are then renamed into dir, so a reader sees a file whole or not at all.
func (b *builder) ensure(ctx context.Context, dir string, names []string, what string, build func(tmp string) error) error {
	if allExist(dir, names) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("build %s: %w", what, err)
	}
	lock, err := lockFile(ctx, dir+".lock", b.p.w)
	if err != nil {
		return fmt.Errorf("build %s: %w", what, err)
	}
	defer lock.unlock()
	if allExist(dir, names) { // built by whoever held the lock before us
		b.p.stepf("%s: built by another process", what)
		return nil
	}
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return fmt.Errorf("build %s: %w", what, err)
	}
	defer os.RemoveAll(tmp)
	b.p.stepf("%s: building into %s", what, dir)
	if err := build(tmp); err != nil {
		return fmt.Errorf("build %s: %w", what, err)
	}
	for _, name := range names {
		dst := filepath.Join(dir, name)
		if err := os.RemoveAll(dst); err != nil {
			return fmt.Errorf("build %s: %w", what, err)
		}
		if err := os.Rename(filepath.Join(tmp, name), dst); err != nil {
			return fmt.Errorf("build %s: %w", what, err)
		}
	}
	b.p.stepf("%s: done", what)
	return nil
}

func allExist(dir string, names []string) bool {
	for _, n := range names {
		if !fileExists(filepath.Join(dir, n)) {
			return false
		}
	}
	return true
}

// srcDir is the throwaway module a build runs in; it stays in the cache so a later build of
// the same version skips module resolution.
func srcDir(dir string) (string, error) {
	src := filepath.Join(dir, "src")
	return src, os.MkdirAll(src, 0o755)
}

// writeIfChanged writes a file and reports whether its content changed.
func writeIfChanged(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return false, nil
	}
	return true, os.WriteFile(path, data, 0o644)
}

// checkVersion runs `bin args` and wants want in its output: a binary that reports the wrong
// version (missing -X flags) breaks every version check in precheck.
func (b *builder) checkVersion(ctx context.Context, bin, want string, args ...string) error {
	out, err := runOutput(ctx, bin, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
	}
	if !strings.Contains(out, want) {
		return fmt.Errorf("%s reports %q, want %s", filepath.Base(bin), strings.TrimSpace(out), want)
	}
	return nil
}
