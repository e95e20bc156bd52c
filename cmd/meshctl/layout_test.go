package main

import (
	"errors"
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	internalPath = "github.com/meshctl/meshctl/cmd/meshctl/internal/"
	cmdPath      = internalPath + "cmd/"
)

// TestCommandsDoNotImportEachOther keeps cmd/ thin: what two commands share is a library package or
// meshctl's plumbing under internal/cli, never one command package reaching into another. The plumbing
// does not import commands either. Only internal/root, which assembles the tree, imports the commands.
func TestCommandsDoNotImportEachOther(t *testing.T) {
	pkgs := goPackages(t, filepath.Join("internal", "cmd"))
	if len(pkgs) < 10 {
		t.Fatalf("found only %d command packages under internal/cmd: %v", len(pkgs), pkgs)
	}
	for dir, imports := range pkgs {
		self := cmdPath + filepath.ToSlash(dir)
		for _, imp := range imports {
			if strings.HasPrefix(imp, cmdPath) && imp != self && !strings.HasPrefix(imp, self+"/") {
				t.Errorf("command package %s imports command package %s: move what they share into a library package or internal/cli", self, imp)
			}
		}
	}
	for dir, imports := range goPackages(t, filepath.Join("internal", "cli")) {
		for _, imp := range imports {
			if strings.HasPrefix(imp, cmdPath) {
				t.Errorf("plumbing package %scli/%s imports command package %s", internalPath, filepath.ToSlash(dir), imp)
			}
		}
	}
}

// goPackages returns, for every directory under root holding Go files, the imports of its files and
// test files, keyed by the directory relative to root.
func goPackages(t *testing.T, root string) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case !d.IsDir():
			return nil
		case d.Name() == "testdata":
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, build.ImportComment)
		var none *build.NoGoError
		if errors.As(err, &none) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		imports := slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		slices.Sort(imports)
		pkgs[rel] = slices.Compact(imports)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}
