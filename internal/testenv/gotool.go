package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// goTool runs the go command for builds in throwaway modules of the cache.
type goTool struct {
	bin string
	p   *progress
}

// env pins what the build must not inherit: cgo off and -trimpath match the flags the rest of
// the project builds with, so the shared build cache is reused; GOTOOLCHAIN=local stops a
// dependency's go line from downloading another toolchain; GOWORK=off keeps a go.work of the
// caller's tree out of the throwaway modules.
func (g goTool) env() []string {
	return append(os.Environ(),
		"CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local", "GOWORK=off", "GO111MODULE=on")
}

// run runs `go args...` in dir and returns its stdout. Its stderr ("go: downloading ...") is
// kept and shown only when it fails.
func (g goTool) run(ctx context.Context, dir string, extraEnv []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, g.bin, args...)
	cmd.Dir = dir
	cmd.Env = append(g.env(), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	stop := g.p.heartbeat(time.Minute, fmt.Sprintf("go %s in %s", args[0], dir))
	err := cmd.Run()
	stop()
	if err != nil {
		return nil, fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, tail(stderr.String(), 40))
	}
	return stdout.Bytes(), nil
}

// moduleInfo is the part of `go mod download -json` output the build uses.
type moduleInfo struct {
	Path, Version, GoMod, Dir, Error string
}

// download fetches one module@version from the module proxy into the module cache.
func (g goTool) download(ctx context.Context, dir, module, version string) (moduleInfo, error) {
	out, err := g.run(ctx, dir, nil, "mod", "download", "-json", module+"@"+version)
	var info moduleInfo
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return info, fmt.Errorf("download %s@%s: %s", module, version, info.Error)
	}
	if err != nil {
		return info, fmt.Errorf("download %s@%s: %w", module, version, err)
	}
	if err := json.Unmarshal(out, &info); err != nil {
		return info, fmt.Errorf("download %s@%s: read go's answer: %w", module, version, err)
	}
	return info, nil
}

// goModFile is the part of `go mod edit -json` output the build uses.
type goModFile struct {
	Go      string
	Godebug []modGodebug
	Replace []modReplace
}

type (
	modGodebug struct{ Key, Value string }
	modVersion struct{ Path, Version string }
	modReplace struct{ Old, New modVersion }
)

// readGoMod parses a go.mod with the go command itself rather than by hand.
func (g goTool) readGoMod(ctx context.Context, dir, path string) (goModFile, error) {
	out, err := g.run(ctx, dir, nil, "mod", "edit", "-json", path)
	if err != nil {
		return goModFile{}, err
	}
	var mf goModFile
	if err := json.Unmarshal(out, &mf); err != nil {
		return goModFile{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return mf, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
