package images

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// CRINamespace is the containerd namespace the kubelet's pods run in: images meant for pods must be
// there.
const CRINamespace = "k8s.io"

// Import loads OCI tarballs into a containerd through its socket with ctr (Debian's containerd
// package ships it), into the namespace the kubelet uses. Pods with imagePullPolicy IfNotPresent (the
// default for any tag but latest) then find them without a pull.
func Import(ctx context.Context, ctr, socket string, tarballs ...string) error {
	for _, t := range tarballs {
		// --no-unpack is not given: the image is unpacked into the snapshotter now, so the first
		// container does not wait for it.
		cmd := exec.CommandContext(ctx, ctr, "--address", socket, "--namespace", CRINamespace, "images", "import", t)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("import %s into containerd at %s: %w: %s", t, socket, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}
