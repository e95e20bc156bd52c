package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The real node's network. Its pods get addresses from nodeSubnet on bridge nodeBridge, far from
// the addresses KWOK hands its fake pods (10.244.0.x upwards); the host is nodeIP on the bridge.
const (
	nodeBridge   = "meshtest0"
	nodeSubnet   = "10.244.200.0/24"
	nodeIP       = "10.244.200.1"
	podRange     = "10.244.0.0/16"
	serviceRange = serviceCIDR
)

// guardChainPrefix names the node's own iptables chains.
const guardChainPrefix = "MESHTEST-"

// nodeSysctls are recorded before the node starts and restored after it stops: the kubelet sets the
// kernel.* and vm.* ones (protectKernelDefaults is off), the bridge CNI plugin turns on forwarding.
var nodeSysctls = []string{
	"net.ipv4.ip_forward",
	"vm.overcommit_memory",
	"vm.panic_on_oom",
	"kernel.panic",
	"kernel.panic_on_oops",
	"kernel.keys.root_maxkeys",
	"kernel.keys.root_maxbytes",
}

// fixedHostPaths are created by the node's programs whatever their configuration says (see
// docs/testenv.md). Those that did not exist before are removed afterwards. /run/netns, where the
// pods' network namespaces are, is shared with anyone's `ip netns`: see removeNodeNetns.
var fixedHostPaths = []string{
	"/var/lib/kubelet",    // the kubelet's device-plugin socket folder
	"/var/log/containers", // the kubelet's symlinks to container logs
	"/var/log/pods",
	"/var/lib/cni",      // libcni's result cache
	"/run/containerd",   // runc's state and the shims' sockets
	"/run/netns",        // pods' network namespaces (CRI)
	"/run/xtables.lock", // iptables' lock file
	"/etc/cni",
	"/opt/cni",
}

// nodeCgroups are the cgroups a cgroupfs kubelet and containerd create under each hierarchy's root.
var nodeCgroups = []string{"kubepods", "k8s.io"}

// guardRules are the node's own iptables rules (mangle table): nothing is forwarded between the
// pods' bridge and any other interface, so no pod packet can leave the machine whatever the
// routes say; and nothing arriving on another interface reaches the pod or service ranges, or the
// API server listening on the bridge's address.
var guardRules = []struct {
	chain, hook string
	rules       [][]string
}{
	{guardChainPrefix + "FORWARD", "FORWARD", [][]string{
		{"-i", nodeBridge, "!", "-o", nodeBridge, "-j", "DROP"},
		{"!", "-i", nodeBridge, "-o", nodeBridge, "-j", "DROP"},
	}},
	{guardChainPrefix + "INPUT", "INPUT", [][]string{
		{"-i", "lo", "-j", "RETURN"},
		{"-i", nodeBridge, "-j", "RETURN"},
		{"-d", podRange, "-j", "DROP"},
		{"-d", serviceRange, "-j", "DROP"},
	}},
}

// serviceRoutes send the service range to the bridge while it exists, so the host's connections to
// ClusterIPs reach iptables' DNAT; without the bridge the blackhole below them applies again.
var serviceRoutes = [][]string{
	{"10.96.0.0/17", "dev", nodeBridge},
	{"10.96.128.0/17", "dev", nodeBridge},
}

// guardHost makes the node's network changes, each recorded in the journal before it is made:
// blackhole routes for the pod and service ranges first, then the bridge with the node's address,
// the service routes onto it, and the guard chains.
func guardHost(j *hostJournal) error {
	for _, dst := range []string{podRange, serviceRange} {
		if err := addRoute(j, "blackhole", dst); err != nil {
			return err
		}
	}
	if err := addBridge(j); err != nil {
		return err
	}
	for _, r := range serviceRoutes {
		if err := addRoute(j, r...); err != nil {
			return err
		}
	}
	for _, g := range guardRules {
		if _, err := host("iptables", "-w", "-t", "mangle", "-N", g.chain); err != nil {
			return err
		}
		for _, r := range g.rules {
			if _, err := host("iptables", append([]string{"-w", "-t", "mangle", "-A", g.chain}, r...)...); err != nil {
				return err
			}
		}
		if _, err := host("iptables", "-w", "-t", "mangle", "-I", g.hook, "1", "-j", g.chain); err != nil {
			return err
		}
	}
	return nil
}

// addRoute adds a route unless the same one is there already (then it is not ours to remove).
func addRoute(j *hostJournal, spec ...string) error {
	if out, err := host("ip", append([]string{"route", "show"}, routeSelector(spec)...)...); err == nil && strings.TrimSpace(out) != "" {
		return nil
	}
	j.Routes = append(j.Routes, spec)
	if err := j.save(); err != nil {
		return err
	}
	_, err := host("ip", append([]string{"route", "add"}, spec...)...)
	return err
}

// routeSelector turns a route spec into `ip route show` arguments that match it exactly.
func routeSelector(spec []string) []string {
	if spec[0] == "blackhole" {
		return []string{"type", "blackhole", "exact", spec[1]}
	}
	return append([]string{"exact"}, spec...)
}

func addBridge(j *hostJournal) error {
	if _, err := os.Stat(filepath.Join("/sys/class/net", nodeBridge)); err == nil {
		return fmt.Errorf("network interface %s exists already: another real node runs, or one was left behind (ip link del %s)", nodeBridge, nodeBridge)
	}
	j.Links = append(j.Links, nodeBridge)
	if err := j.save(); err != nil {
		return err
	}
	steps := [][]string{
		{"link", "add", nodeBridge, "type", "bridge"},
		{"addr", "add", nodeIP + "/24", "dev", nodeBridge},
		{"link", "set", nodeBridge, "up"},
	}
	for _, s := range steps {
		if _, err := host("ip", s...); err != nil {
			return err
		}
	}
	// No IPv6 on the bridge: the pods' network is IPv4 only, and a link-local address would be one
	// more way out.
	return writeSysctl("net.ipv6.conf."+nodeBridge+".disable_ipv6", "1")
}
