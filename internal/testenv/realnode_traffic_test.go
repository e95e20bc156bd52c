package testenv

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// outsideAddr is an address outside the pod and service ranges, from TEST-NET-2 (RFC 5737): no
// host on any network has it, and the test drops every packet to it before it could leave anyway.
const outsideAddr = "198.51.100.7"

// outsideCounter counts the pods' packets to outsideAddr that got past the node's guard: the guard
// drops them in the mangle table's FORWARD, so the test's own chain sits in the filter table's
// FORWARD, which every forwarded packet meets after mangle's, and drops what it counts. It returns
// a function that reads that count. A second chain of the test's own drops, in mangle POSTROUTING,
// every packet to outsideAddr from any source, so nothing goes out even when the node's guard is
// broken; it is not asserted on: the host's own packets pass there too (CI runs other packages'
// tests on the host; it has a pod-range address, the bridge's, to send from), and the failure
// output shows its counter.
func outsideCounter(t *testing.T) func() int {
	t.Helper()
	chain, other := guardChainPrefix+"TEST-OUT", guardChainPrefix+"TEST-OTHER"
	steps := [][]string{
		{"-t", "filter", "-N", chain},
		{"-t", "mangle", "-N", other},
		// Only what leaves through another interface, as the guard's rule says: in CI some
		// packets were routed back out of the bridge, which stays on the machine.
		{"-t", "filter", "-A", chain, "-i", nodeBridge, "!", "-o", nodeBridge, "-d", outsideAddr, "-j", "DROP"},
		{"-t", "mangle", "-A", other, "-d", outsideAddr, "-j", "DROP"},
		{"-t", "mangle", "-I", "POSTROUTING", "1", "-j", other},
		{"-t", "filter", "-I", "FORWARD", "1", "-j", chain},
	}
	for _, s := range steps {
		if _, err := host("iptables", append([]string{"-w"}, s...)...); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, s := range [][]string{
			{"-t", "filter", "-D", "FORWARD", "-j", chain},
			{"-t", "mangle", "-D", "POSTROUTING", "-j", other},
			{"-t", "filter", "-F", chain},
			{"-t", "filter", "-X", chain},
			{"-t", "mangle", "-F", other},
			{"-t", "mangle", "-X", other},
		} {
			if _, err := host("iptables", append([]string{"-w"}, s...)...); err != nil {
				t.Error(err)
			}
		}
	})
	return func() int { return chainPackets(t, "filter", chain) }
}

// outsideRoute routes outsideAddr into a veth of the test's own whose peer stays down, so that
// nothing sent there goes anywhere (the kernel has no dummy links here): the host then forwards a pod's packet to outsideAddr (through the node's guard, which
// must drop it first) whatever routes the machine has; without a route of its own a host with no
// default route refuses the packet before FORWARD, and the guard would never be exercised.
func outsideRoute(t *testing.T) {
	t.Helper()
	const link = "meshtestout0"
	// A run killed before its cleanups (go test's timeout) left the link: the node's undo knows
	// only its own links, and adding it again would fail.
	if fileExists("/sys/class/net/" + link) {
		if _, err := host("ip", "link", "del", link); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := host("ip", "link", "add", link, "type", "veth", "peer", "name", link+"p"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := host("ip", "link", "del", link); err != nil {
			t.Error(err)
		}
	})
	for _, s := range [][]string{
		{"link", "set", link, "up"},
		{"route", "add", outsideAddr + "/32", "dev", link},
	} {
		if _, err := host("ip", s...); err != nil {
			t.Fatal(err)
		}
	}
}

// chainPackets sums the packet counters of a chain's rules.
func chainPackets(t *testing.T, table, chain string) int {
	t.Helper()
	out, err := host("iptables", "-w", "-t", table, "-L", chain, "-v", "-x", "-n")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, line := range strings.Split(out, "\n")[2:] {
		if f := strings.Fields(line); len(f) > 0 {
			n, err := strconv.Atoi(f[0])
			if err == nil {
				total += n
			}
		}
	}
	return total
}

// Nothing a pod sends leaves the machine: a pod has no default route; and a pod that adds one
// (it has NET_ADMIN) gets its packets to the host, where the node's guard drops them before they
// reach the uplink.
func TestRealNodeTrafficStaysOnMachine(t *testing.T) {
	env := GetRealNode(t)
	ns := env.Namespace(t)
	image := probeImage(t, env)
	leaving := outsideCounter(t)
	outsideRoute(t)
	target := outsideAddr + ":80"

	createPod(t, env, ns, probePod("plain", image, "sleep"))
	waitPodReady(t, env, ns, "plain")
	if _, err := execProbe(t, env, ns, "plain", "dial", target); err == nil || !strings.Contains(err.Error(), "network is unreachable") {
		t.Errorf("dial %s from a pod: %v; want network is unreachable (no default route)", target, err)
	}

	escaper := probePod("escaper", image, "sleep")
	escaper.Spec.InitContainers = []corev1.Container{{
		Name: "route", Image: image, Args: []string{"route-default", nodeIP},
		SecurityContext: &corev1.SecurityContext{
			RunAsUser: ptr.To[int64](0), RunAsNonRoot: ptr.To(false),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"NET_ADMIN"}},
		},
	}}
	createPod(t, env, ns, escaper)
	waitPodReady(t, env, ns, "escaper")
	guardBefore := chainPackets(t, "mangle", guardChainPrefix+"FORWARD")
	if out, err := execProbe(t, env, ns, "escaper", "dial", target); err == nil {
		t.Errorf("dial %s from a pod with a default route succeeded: %s", target, out)
	}
	if got := chainPackets(t, "mangle", guardChainPrefix+"FORWARD"); got <= guardBefore {
		t.Errorf("the node's forward guard dropped no packet (%d before, %d after): the pod's packets did not reach it", guardBefore, got)
	}
	if n := leaving(); n != 0 {
		t.Errorf("%d packets from pods to %s got past the node's guard (counted in the filter table's FORWARD)", n, outsideAddr)
	}
	if t.Failed() {
		// What the kernel did with the packets: the counters of every mangle rule.
		for _, table := range []string{"mangle", "filter"} {
			out, _ := host("iptables-save", "-c", "-t", table)
			t.Logf("iptables-save -c -t %s:\n%s", table, out)
		}
		socks, _ := host("ss", "-tanp", "dst", outsideAddr)
		t.Logf("the host's sockets to %s:\n%s", outsideAddr, socks)
	}
}

// A pod whose image was not imported cannot pull it: every registry leads to a closed port on
// loopback, so the pull fails at once and no request leaves the machine.
func TestRealNodeNeverPulls(t *testing.T) {
	env := GetRealNode(t)
	ns := env.Namespace(t)
	createPod(t, env, ns, probePod("missing", "ghcr.io/meshctl/not-imported:1.0", "sleep"))
	var msg string
	Poll(t, "pull fails", func(ctx context.Context) (bool, error) {
		p, err := env.Client().CoreV1().Pods(ns).Get(ctx, "missing", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, s := range p.Status.ContainerStatuses {
			if w := s.State.Waiting; w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff") {
				msg = w.Message
				return msg != "", nil
			}
		}
		return false, fmt.Errorf("phase %s", p.Status.Phase)
	})
	if !strings.Contains(msg, "127.0.0.1:1") {
		t.Errorf("pull error = %q; want it to name the blocked registry 127.0.0.1:1", msg)
	}
}
