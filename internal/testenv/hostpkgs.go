package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// The host's programs a real node runs or calls, and the Debian package of each. The CNI plugins
// are Debian's containernetworking-plugins, installed in /usr/lib/cni.
const (
	hostContainerd = "/usr/bin/containerd"
	hostCtr        = "/usr/bin/ctr"
	hostRunc       = "/usr/sbin/runc"
	cniBinDir      = "/usr/lib/cni"
)

type hostPackage struct {
	pkg   string
	files []string // any missing means the package is needed
}

var hostPackages = []hostPackage{
	{"containerd", []string{hostContainerd, hostCtr}},
	{"runc", []string{hostRunc}},
	{"containernetworking-plugins", []string{cniBinDir + "/bridge", cniBinDir + "/host-local", cniBinDir + "/loopback", cniBinDir + "/portmap"}},
	{"conntrack", []string{"conntrack"}},
	// kube-proxy and the kubelet call iptables; the node's own guard rules and teardown do too.
	{"iptables", []string{"iptables", "iptables-save", "ip6tables", "ip6tables-save"}},
	{"iproute2", []string{"ip"}},
}

// ErrNotRoot says the real node cannot run (or be installed) because this process is not root:
// containerd, runc and the kubelet need it.
var ErrNotRoot = errors.New("a real node needs root (containerd, runc, the kubelet and iptables)")

// missingHostPackages lists the packages whose files are not on this machine.
func missingHostPackages() []string {
	var out []string
	for _, hp := range hostPackages {
		for _, f := range hp.files {
			if !hostFileExists(f) {
				out = append(out, hp.pkg)
				break
			}
		}
	}
	return out
}

func hostFileExists(f string) bool {
	if strings.HasPrefix(f, "/") {
		return fileExists(f)
	}
	_, err := exec.LookPath(f)
	return err == nil
}

// EnsureHostPackages installs what a real node needs from the host's packages (containerd, runc,
// containernetworking-plugins, conntrack, iptables) with apt-get when something is missing. It
// returns an error wrapping ErrNotRoot when not root, and a clear one when apt-get is absent.
func EnsureHostPackages(ctx context.Context, log io.Writer) error {
	if os.Geteuid() != 0 {
		if missing := missingHostPackages(); len(missing) > 0 {
			return fmt.Errorf("%w; as root, `make cluster-build` installs %s with apt-get", ErrNotRoot, strings.Join(missing, " "))
		}
		return ErrNotRoot
	}
	missing := missingHostPackages()
	if len(missing) == 0 {
		return nil
	}
	p := newProgress(log)
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("the real node needs the packages %s, and apt-get is not on this machine: install them with its package manager", strings.Join(missing, " "))
	}
	p.stepf("real node: installing %s with apt-get", strings.Join(missing, " "))
	install := append([]string{"install", "-y", "--no-install-recommends"}, missing...)
	out, err := aptGet(ctx, install...)
	if err != nil {
		// A fresh machine's package lists may be empty ("Unable to locate package") or out of date
		// (a 404 for a version that was replaced): update them and try once more.
		p.stepf("real node: apt-get install failed; running apt-get update and trying again")
		if out, err := aptGet(ctx, "update"); err != nil {
			return fmt.Errorf("apt-get update: %w\n%s", err, tail(out, 20))
		}
		out, err = aptGet(ctx, install...)
	}
	if err != nil {
		return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(install, " "), err, tail(out, 20))
	}
	if still := missingHostPackages(); len(still) > 0 {
		return fmt.Errorf("apt-get installed %s, yet files of %s are still missing", strings.Join(missing, " "), strings.Join(still, " "))
	}
	p.stepf("real node: packages installed")
	return nil
}

func aptGet(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
