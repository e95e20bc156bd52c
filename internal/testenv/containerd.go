package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshctl/meshctl/images"
)

// containerd's socket is machine-wide, like the node: a short path (a unix socket path is at most
// 107 bytes, a cache folder can be long) that the shims carry on their command lines.
var (
	containerdSocket      = filepath.Join(hostRunDir, "containerd.sock")
	containerdTTRPCSocket = filepath.Join(hostRunDir, "containerd.sock.ttrpc")
)

// blockedRegistry is where every image pull goes: nothing listens on port 1 of loopback, so a pull
// of an image that was not imported fails at once, instead of asking a registry off the machine.
const blockedRegistry = "http://127.0.0.1:1"

// pulledRegistries get a hosts.toml that sends them to blockedRegistry; _default covers the rest.
var pulledRegistries = []string{"_default", "docker.io", "ghcr.io", "registry.k8s.io", "quay.io", "gcr.io"}

// containerdConfig is containerd 1.6's configuration for the node: all state below the node's
// folder, the sandbox image built offline, runc with cgroupfs, the CNI bridge of cni.go.
func containerdConfig(l nodeLayout, sandboxImage string) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = %[3]q

[ttrpc]
  address = %[4]q

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  # This machine's root lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj below containerd's.
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = %[6]q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[7]q
    conf_dir = %[8]q
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %[9]q
`, l.containerdRoot(), l.containerdState(), containerdSocket, containerdTTRPCSocket, sandboxImage,
		hostRunc, cniBinDir, l.cniConfDir(), l.registryHosts())
}

// writeRegistryHosts sends every registry to blockedRegistry: pods run only imported images.
func writeRegistryHosts(l nodeLayout) error {
	for _, reg := range pulledRegistries {
		dir := filepath.Join(l.registryHosts(), reg)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		hosts := fmt.Sprintf("# Images are imported, never pulled: see docs/testenv.md.\nserver = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", blockedRegistry, blockedRegistry)
		if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(hosts), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// containerdReady asks containerd for its version over its socket.
func containerdReady(ctx context.Context) (bool, error) {
	if !fileExists(containerdSocket) {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := runOutput(ctx, hostCtr, "--address", containerdSocket, "version")
	if err != nil {
		return false, err
	}
	return strings.Contains(out, "Server:"), nil
}

// importImages loads OCI tarballs into the node's containerd, where the kubelet finds them.
func importImages(ctx context.Context, tarballs ...string) error {
	return images.Import(ctx, hostCtr, containerdSocket, tarballs...)
}
