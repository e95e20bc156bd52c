package testenv

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Network ranges. The service range must not overlap KWOK's pod range (KWOK's default pod
// CIDR 10.0.0.1/24 would), and serviceClusterIP, its first address, is the kubernetes Service.
const (
	serviceCIDR      = "10.96.0.0/16"
	serviceClusterIP = "10.96.0.1"
	podCIDR          = "10.244.0.1/16"
	loopback         = "127.0.0.1"
)

// admissionPlugins are enabled on top of the apiserver's defaults. Most are defaults already;
// naming them keeps a future default change from quietly removing what tests rely on.
// NodeRestriction is what kubeadm adds.
var admissionPlugins = []string{
	"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "NodeRestriction", "PodSecurity",
	"Priority", "DefaultTolerationSeconds", "DefaultStorageClass", "RuntimeClass",
	"MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota",
}

// ports are the loopback ports of one cluster.
type ports struct {
	EtcdClient int `json:"etcdClient"`
	EtcdPeer   int `json:"etcdPeer"`
	APIServer  int `json:"apiServer"`
	Kwok       int `json:"kwok"` // KWOK's kubelet-like server: port-forward, logs, exec
}

// layout is where one cluster keeps its files.
type layout struct{ dir string }

func (l layout) pki() string            { return filepath.Join(l.dir, "pki") }
func (l layout) logs() string           { return filepath.Join(l.dir, "logs") }
func (l layout) log(c Component) string { return filepath.Join(l.logs(), string(c)+".log") }
func (l layout) kubeconfig() string     { return filepath.Join(l.dir, "kubeconfig") }
func (l layout) kubeconfigOf(c Component) string {
	return filepath.Join(l.dir, "kubeconfig-"+string(c))
}
func (l layout) state() string { return filepath.Join(l.dir, "state.json") }

func url(port int) string { return "http://" + loopback + ":" + strconv.Itoa(port) }

// etcdArgs runs a one-member etcd on loopback. --unsafe-no-fsync: the data is thrown away
// with the cluster, and fsync is what makes etcd slow on a busy disk.
func etcdArgs(l layout, p ports) []string {
	return []string{
		"--name", "testenv",
		"--data-dir", filepath.Join(l.dir, "etcd"),
		"--listen-client-urls", url(p.EtcdClient),
		"--advertise-client-urls", url(p.EtcdClient),
		"--listen-peer-urls", url(p.EtcdPeer),
		"--initial-advertise-peer-urls", url(p.EtcdPeer),
		"--initial-cluster", "testenv=" + url(p.EtcdPeer),
		"--unsafe-no-fsync",
		"--log-level", "warn",
	}
}

// apiServerArgs configures kube-apiserver like a kubeadm control plane, on loopback.
//
// address is 127.0.0.1, or with a real node its bridge address: pods reach the API server there
// through the kubernetes Service, whose endpoint the lease reconciler then keeps. Nothing off the
// machine can reach that address (see guardRules).
func apiServerArgs(l layout, p ports, pki *clusterPKI, address string, extra []string) []string {
	reconciler := "none"
	if address != loopback {
		reconciler = "lease"
	}
	args := []string{
		"--etcd-servers", url(p.EtcdClient),
		"--bind-address", address,
		"--advertise-address", address,
		"--secure-port", strconv.Itoa(p.APIServer),
		"--tls-cert-file", pki.path("apiserver.crt"),
		"--tls-private-key-file", pki.path("apiserver.key"),
		"--client-ca-file", pki.path("ca.crt"),
		"--authorization-mode", "Node,RBAC",
		"--enable-admission-plugins", strings.Join(admissionPlugins, ","),
		"--allow-privileged=true",
		"--service-cluster-ip-range", serviceCIDR,
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", pki.path("sa.pub"),
		"--service-account-signing-key-file", pki.path("sa.key"),
		// A loopback address cannot be an endpoint of the kubernetes Service: the default
		// "lease" reconciler would log an error every 10 s. Without a real node nothing in-cluster
		// needs it.
		"--endpoint-reconciler-type", reconciler,
		// Webhooks and aggregated APIs behind a Service are called at an endpoint's address rather than the
		// Service's DNS name: nothing resolves *.svc here, and a name lookup would leave the machine.
		"--enable-aggregator-routing=true",
		// Port-forward, logs and exec go to the node's InternalIP: KWOK's server on loopback.
		"--kubelet-preferred-address-types", "InternalIP",
		"--kubelet-client-certificate", pki.path("apiserver-kubelet-client.crt"),
		"--kubelet-client-key", pki.path("apiserver-kubelet-client.key"),
		// Aggregated API servers authenticate the apiserver with this front-proxy identity.
		"--requestheader-client-ca-file", pki.path("front-proxy-ca.crt"),
		"--requestheader-allowed-names", "front-proxy-client",
		"--requestheader-username-headers", "X-Remote-User",
		"--requestheader-group-headers", "X-Remote-Group",
		"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
		"--proxy-client-cert-file", pki.path("front-proxy-client.crt"),
		"--proxy-client-key-file", pki.path("front-proxy-client.key"),
		"--profiling=false",
	}
	return append(args, extra...)
}

// controllerManagerArgs: no serving port (nothing scrapes it; one port fewer to collide), one
// ServiceAccount per controller as in kubeadm, so RBAC is exercised as on a real cluster.
func controllerManagerArgs(l layout, pki *clusterPKI) []string {
	return []string{
		"--kubeconfig", l.kubeconfigOf(ControllerManager),
		"--secure-port", "0",
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file", pki.path("sa.key"),
		"--root-ca-file", pki.path("ca.crt"),
		"--cluster-signing-cert-file", pki.path("ca.crt"),
		"--cluster-signing-key-file", pki.path("ca.key"),
		// Otherwise it creates /usr/libexec/kubernetes/kubelet-plugins/volume/exec on the host.
		"--flex-volume-plugin-dir", filepath.Join(l.dir, "flexvolume"),
		// KWOK renews the nodes' leases; on a machine busy compiling, a renewal can come later than the
		// default 50 s, the node turns NotReady, and KWOK's heartbeat stage (which only matches Ready nodes)
		// never brings it back: every pod on it stays unready for the rest of the run. The nodes are
		// simulated, so their health is not what tests check.
		"--node-monitor-grace-period", "1h",
		"--node-startup-grace-period", "1h",
		"--profiling=false",
	}
}

func schedulerArgs(l layout) []string {
	return []string{
		"--kubeconfig", l.kubeconfigOf(Scheduler),
		"--secure-port", "0",
		"--leader-elect=false",
		"--profiling=false",
	}
}

// kwokNodeAnnotation marks the nodes KWOK manages; nodes without it are left alone.
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// kwokArgs: the node-initialize stage copies --node-ip and --node-port into each node's
// InternalIP and kubelet port, which is how the apiserver finds KWOK's server for
// port-forward, logs and exec.
func kwokArgs(l layout, p ports, c Cache) []string {
	return []string{
		"--kubeconfig", l.kubeconfigOf(Kwok),
		"--config", c.KwokStages(),
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector", kwokNodeAnnotation + "=fake",
		"--node-ip", loopback,
		"--node-port", strconv.Itoa(p.Kwok),
		"--server-address", fmt.Sprintf("%s:%d", loopback, p.Kwok),
		"--cidr", podCIDR,
		"--enable-crds", strings.Join(kwokCRDKinds, ","),
	}
}
