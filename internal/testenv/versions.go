package testenv

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// Kubernetes versions the project tests against. Newest is the newest release whose module
// the proxy serves; Oldest is the oldest release meshctl supports (precheck rejects older).
const (
	Newest = "v1.37.1"
	Oldest = "v1.33.13"
)

// Versions lists every Kubernetes version `make cluster-build` builds, newest first.
var Versions = []string{Newest, Oldest}

// Target is a Kubernetes version and the components to build for it.
type Target struct {
	Version    string
	Components []Component
	// RealNode also builds what a real node needs (NodeComponents of this version and CoreDNS)
	// and installs the host packages it runs on (containerd, runc, CNI plugins, iptables).
	RealNode bool
}

// Prebuilt is what `make cluster-build` (so CI) compiles ahead of the tests: everything for
// Newest, and for Oldest only etcd and kube-apiserver, which is what version checks, precheck
// and server-side dry-run need; a full Oldest build would add minutes to a cold CI run. Any
// other version or component builds on first use (Up calls Build).
var Prebuilt = []Target{
	{Version: Newest, Components: AllComponents, RealNode: true},
	{Version: Oldest, Components: APIOnly},
}

// Versions of the components that are not Kubernetes itself. They are the same for every
// Kubernetes version: etcd 3.6 serves both the 3.5 client of Kubernetes 1.33 and the 3.7
// client of 1.37, and KWOK v0.8.0 talks to any apiserver from 1.33 on.
// CoreDNS v1.15.0 is built on client-go v0.37, the release the project itself uses, so its build
// shares most of the Go build cache.
const (
	EtcdVersion    = "v3.6.16"
	KwokVersion    = "v0.8.0"
	CoreDNSVersion = "v1.15.0"
)

// MinSupported and MaxSupported give the supported range as minor versions of 1.x, derived
// from Oldest and Newest so there is one place to change.
func MinSupported() int { return mustMinor(Oldest) }

// MaxSupported is the newest supported minor version of Kubernetes 1.x.
func MaxSupported() int { return mustMinor(Newest) }

// Minor returns the minor number of a Kubernetes release version such as "v1.33.13" (33): semantic
// versions of Kubernetes 1.x only, since a release's modules are named after it.
func Minor(v string) (int, error) {
	parsed, err := version.ParseSemantic(v)
	if err != nil || parsed.Major() != 1 || parsed.Minor() > math.MaxInt32 {
		return 0, fmt.Errorf("kubernetes version %q: want v1.MINOR.PATCH", v)
	}
	return int(parsed.Minor()), nil
}

func mustMinor(version string) int {
	m, err := Minor(version)
	if err != nil {
		panic(err)
	}
	return m
}

// stagingVersion maps a Kubernetes version to the version of its staging modules
// (k8s.io/api, k8s.io/client-go, ...): v1.33.13 -> v0.33.13.
func stagingVersion(version string) (string, error) {
	if _, err := Minor(version); err != nil {
		return "", err
	}
	return "v0." + strings.SplitN(strings.TrimPrefix(version, "v"), ".", 2)[1], nil
}

// Component is one program of the test cluster.
type Component string

// The components, in start order.
const (
	Etcd              Component = "etcd"
	APIServer         Component = "kube-apiserver"
	ControllerManager Component = "kube-controller-manager"
	Scheduler         Component = "kube-scheduler"
	Kwok              Component = "kwok"
)

// AllComponents is a full cluster: workloads get ReplicaSets and Pods, Pods get nodes and turn
// Ready, namespaces finish deleting, every namespace gets its default ServiceAccount.
var AllComponents = []Component{Etcd, APIServer, ControllerManager, Scheduler, Kwok}

// APIOnly is an API server and its storage: enough for discovery, version checks, CRDs,
// admission, RBAC and server-side apply or dry-run; nothing reconciles.
var APIOnly = []Component{Etcd, APIServer}

// The real node's programs (see Config.RealNode). containerd comes from the host's packages; the
// others are built into the cache: kubelet, kube-proxy and kubectl of the cluster's version, and
// CoreDNS, which serves cluster DNS to the node's pods.
const (
	Containerd Component = "containerd"
	Kubelet    Component = "kubelet"
	KubeProxy  Component = "kube-proxy"
	Kubectl    Component = "kubectl"
	CoreDNS    Component = "coredns"
)

// NodeComponents are the Kubernetes programs a real node needs, built for the cluster's version.
// kubectl is among them because `make demo` and users need a client of the server's version.
var NodeComponents = []Component{Kubelet, KubeProxy, Kubectl}

// kubernetesComponents are the ones compiled from k8s.io/kubernetes.
var kubernetesComponents = []Component{APIServer, ControllerManager, Scheduler, Kubelet, KubeProxy, Kubectl}

func (c Component) isKubernetes() bool { return slices.Contains(kubernetesComponents, c) }

// ParseComponents reads a comma-separated list such as "etcd,kube-apiserver"; "all" and "api"
// name AllComponents and APIOnly.
func ParseComponents(s string) ([]Component, error) {
	switch strings.TrimSpace(s) {
	case "", "all":
		return slices.Clone(AllComponents), nil
	case "api":
		return slices.Clone(APIOnly), nil
	}
	var out []Component
	for _, name := range strings.Split(s, ",") {
		c := Component(strings.TrimSpace(name))
		if !slices.Contains(AllComponents, c) {
			return nil, fmt.Errorf("unknown component %q (want one of %v, \"all\" or \"api\")", name, AllComponents)
		}
		out = append(out, c)
	}
	return normalizeComponents(out)
}

// normalizeComponents puts components in start order and checks that what they need is there.
func normalizeComponents(in []Component) ([]Component, error) {
	if len(in) == 0 {
		return slices.Clone(AllComponents), nil
	}
	var out []Component
	for _, c := range AllComponents {
		if slices.Contains(in, c) {
			out = append(out, c)
		}
	}
	for _, c := range in {
		if !slices.Contains(AllComponents, c) {
			return nil, fmt.Errorf("unknown component %q", c)
		}
	}
	if !slices.Contains(out, Etcd) || !slices.Contains(out, APIServer) {
		return nil, fmt.Errorf("components %v: etcd and kube-apiserver are always needed", in)
	}
	return out, nil
}
