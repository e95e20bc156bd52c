package testenv

import (
	"slices"
	"testing"
)

func TestSplitShellWords(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{`KUBE-SERVICES -d 10.96.0.1/32 -p tcp -j KUBE-SVC-X`, []string{"KUBE-SERVICES", "-d", "10.96.0.1/32", "-p", "tcp", "-j", "KUBE-SVC-X"}},
		// iptables-save quotes comments with spaces and escapes quotes inside them.
		{`PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`, []string{"PREROUTING", "-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"}},
		{`X -m comment --comment "a \"quoted\" word" -j Y`, []string{"X", "-m", "comment", "--comment", `a "quoted" word`, "-j", "Y"}},
		{`X --comment ""`, []string{"X", "--comment", ""}},
	} {
		got, err := splitShellWords(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitShellWords(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := splitShellWords(`X --comment "open`); err == nil {
		t.Error("an unterminated quote should be an error")
	}
}

func TestJumpsToAndNodeChains(t *testing.T) {
	mine := []string{"KUBE-SERVICES"}
	if !jumpsTo([]string{"PREROUTING", "-m", "comment", "-j", "KUBE-SERVICES"}, mine) {
		t.Error("a -j rule into a node chain is not found")
	}
	if !jumpsTo([]string{"PREROUTING", "-g", "KUBE-SERVICES"}, mine) {
		t.Error("a -g rule into a node chain is not found")
	}
	if jumpsTo([]string{"INPUT", "-j", "ACCEPT"}, mine) {
		t.Error("a rule to ACCEPT counted as a jump into a node chain")
	}
	for name, want := range map[string]bool{"KUBE-FIREWALL": true, "CNI-HOSTPORT-DNAT": true, "MESHTEST-FORWARD": true, "DOCKER": false, "INPUT": false} {
		if isNodeChain(name) != want {
			t.Errorf("isNodeChain(%s) = %v", name, !want)
		}
	}
}

func TestUnescapeMountPath(t *testing.T) {
	if got := unescapeMountPath(`/tmp/with\040space`); got != "/tmp/with space" {
		t.Errorf("got %q", got)
	}
	if !under("/a/b/c", "/a/b") || under("/a/bc", "/a/b") || !under("/a/b", "/a/b") {
		t.Error("under is wrong about path prefixes")
	}
}
