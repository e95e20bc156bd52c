package images

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// buildinfoPkg is where every program of the repository keeps its stamped version.
const buildinfoPkg = "github.com/meshctl/meshctl/cmd/internal/buildinfo"

// goBuild compiles a main package of the module in moduleDir into a static Linux binary at out,
// stamped like `make build` stamps meshctl. -trimpath and a fixed build date keep it the same
// bytes for the same commit.
func goBuild(ctx context.Context, moduleDir, pkg, out string, info BuildInfo) error {
	ldflags := strings.Join([]string{
		"-s", "-w",
		"-X", buildinfoPkg + ".Version=" + info.Version,
		"-X", buildinfoPkg + ".GitCommit=" + info.Commit,
		"-X", buildinfoPkg + ".BuildDate=" + info.Created.UTC().Format(time.RFC3339),
	}, " ")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, pkg)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, stderr.String())
	}
	return nil
}

// ModuleDir finds the root of the module that contains dir (the folder of its go.mod).
func ModuleDir(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod in %s or above", dir)
		}
		d = parent
	}
}
