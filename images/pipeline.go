package images

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Options say what Build makes and where.
type Options struct {
	// ModuleDir is the root of this repository, where Package programs are compiled.
	ModuleDir string
	// OutDir receives one OCI tarball per program: <OutDir>/<name with / as _>.tar.
	OutDir string
	// Info stamps the images (tag, labels, creation time).
	Info BuildInfo
	// Log gets one line per image; nil discards it.
	Log io.Writer
}

// Built is one image Build wrote.
type Built struct {
	Program Program
	Ref     string  // ghcr.io/meshctl/<name>:<version>
	Digest  v1.Hash // the manifest's digest
	Path    string  // the OCI tarball
}

// Build compiles each program once per Go package and writes its image as an OCI tarball.
func Build(ctx context.Context, programs []Program, o Options) ([]Built, error) {
	if err := o.Info.Validate(); err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	binDir, err := os.MkdirTemp("", "meshctl-images-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(binDir)
	binaries := map[string]string{} // package -> compiled binary
	var out []Built
	for _, p := range programs {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		bin := p.File
		if p.Package != "" {
			if bin = binaries[p.Package]; bin == "" {
				bin = filepath.Join(binDir, fmt.Sprintf("%d", len(binaries)), filepath.Base(p.Package))
				if err := goBuild(ctx, o.ModuleDir, p.Package, bin, o.Info); err != nil {
					return nil, fmt.Errorf("image %s: %w", p.Name, err)
				}
				binaries[p.Package] = bin
			}
		}
		img, err := Image(p, bin, o.Info)
		if err != nil {
			return nil, err
		}
		b := Built{Program: p, Ref: p.Ref(o.Info.Version), Path: filepath.Join(o.OutDir, TarballName(p))}
		if b.Digest, err = img.Digest(); err != nil {
			return nil, err
		}
		if err := WriteOCIFile(b.Path, b.Ref, img); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "images: %s %s -> %s\n", b.Ref, b.Digest, b.Path)
		out = append(out, b)
	}
	return out, nil
}

// TarballName is the file name of a program's OCI tarball: samples/productpage -> samples_productpage.tar.
func TarballName(p Program) string { return strings.ReplaceAll(p.Name, "/", "_") + ".tar" }
