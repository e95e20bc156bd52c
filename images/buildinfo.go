package images

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// BuildInfo is what an image records about the source it was built from. The same BuildInfo and
// the same binaries give the same image digest.
type BuildInfo struct {
	// Version is the project's version and the images' tag: the Makefile's VERSION, which is also
	// the tag the charts use by default (meshctl's buildinfo.Version).
	Version string
	// Commit is the git commit (full or short).
	Commit string
	// Created is the commit's time: the image's creation time and label.
	Created time.Time
}

// Source is the repository the images' labels point to.
const Source = "https://github.com/meshctl/meshctl"

// labels are the image's org.opencontainers.image.* annotations (image-spec annotations.md).
func (b BuildInfo) labels(p Program) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":    p.Name,
		"org.opencontainers.image.version":  b.Version,
		"org.opencontainers.image.revision": b.Commit,
		"org.opencontainers.image.created":  b.Created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.source":   Source,
		"org.opencontainers.image.vendor":   "meshctl",
	}
	if p.Description != "" {
		l["org.opencontainers.image.description"] = p.Description
	}
	return l
}

// Validate checks that every field is set.
func (b BuildInfo) Validate() error {
	if b.Version == "" || b.Commit == "" || b.Created.IsZero() {
		return fmt.Errorf("image build info: version %q, commit %q and created %v must all be set", b.Version, b.Commit, b.Created)
	}
	return nil
}

// GitBuildInfo reads the commit and its time from the git repository in dir, for a given version.
func GitBuildInfo(ctx context.Context, dir, version string) (BuildInfo, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "log", "-1", "--format=%H %ct")
	out, err := cmd.Output()
	if err != nil {
		return BuildInfo{}, fmt.Errorf("read the commit of %s: %w", dir, err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		return BuildInfo{}, fmt.Errorf("read the commit of %s: unexpected git output %q", dir, out)
	}
	sec, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return BuildInfo{}, fmt.Errorf("read the commit time of %s: %w", dir, err)
	}
	return BuildInfo{Version: version, Commit: fields[0], Created: time.Unix(sec, 0).UTC()}, nil
}
