package testenv

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// The real node as the cluster sees it. Pods land on it only when they ask: the taint keeps
// everything else on KWOK's nodes (see OnRealNode).
const (
	RealNodeName  = "real-node"
	RealNodeLabel = "meshctl.io/real-node"
	RealNodeTaint = "meshctl.io/real-node"
)

// clusterDNSIP is the kube-dns Service's address, given to pods as their nameserver.
const clusterDNSIP = "10.96.0.10"

// kubeletConfig is the KubeletConfiguration of the node.
func kubeletConfig(l nodeLayout, pki string, port, healthz int) ([]byte, error) {
	cfg := map[string]any{
		"apiVersion":               "kubelet.config.k8s.io/v1beta1",
		"kind":                     "KubeletConfiguration",
		"address":                  nodeIP,
		"port":                     port,
		"readOnlyPort":             0,
		"healthzBindAddress":       loopback,
		"healthzPort":              healthz,
		"containerRuntimeEndpoint": "unix://" + containerdSocket,
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": true},
			"x509":      map[string]any{"clientCAFile": pki + "/ca.crt"},
		},
		"authorization": map[string]any{"mode": "Webhook"},
		"cgroupDriver":  "cgroupfs",
		// Kubernetes 1.35 on refuses cgroup v1 unless told; this machine has v1 hierarchies.
		"failCgroupV1":       false,
		"failSwapOn":         false,
		"clusterDNS":         []string{clusterDNSIP},
		"clusterDomain":      "cluster.local",
		"resolvConf":         l.resolvConf(),
		"podLogsDir":         l.podLogs(),
		"volumePluginDir":    l.volumePlugins(),
		"registerWithTaints": []any{map[string]any{"key": RealNodeTaint, "effect": "NoSchedule"}},
		// A test machine's disk and memory are shared with builds: evict nothing.
		"evictionHard": map[string]string{
			"memory.available": "1Mi", "nodefs.available": "1%", "nodefs.inodesFree": "1%", "imagefs.available": "1%",
		},
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
		"serializeImagePulls":         false,
		"shutdownGracePeriod":         "0s",
		"maxPods":                     110,
		"rotateCertificates":          false,
	}
	return yaml.Marshal(cfg)
}

func kubeletArgs(l nodeLayout, kubeconfig string) []string {
	return []string{
		"--config", l.kubeletConfig(),
		"--kubeconfig", kubeconfig,
		"--root-dir", l.kubeletRoot(),
		"--hostname-override", RealNodeName,
		"--node-ip", nodeIP,
		"--node-labels", RealNodeLabel + "=true",
		"--v", "1",
	}
}

// patchPodCIDR gives the node its pod range: the controller-manager allocates none here, and
// programs that read spec.podCIDR (kube-proxy, a CNI) should find the bridge's subnet.
func patchPodCIDR(ctx context.Context, cl *Cluster) error {
	cs, err := cl.clientset()
	if err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"spec":{"podCIDR":%q,"podCIDRs":[%q]}}`, nodeSubnet, nodeSubnet)
	_, err = cs.CoreV1().Nodes().Patch(ctx, RealNodeName, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// realNodeReady waits for the kubelet to register the node and report it Ready (the runtime and
// its CNI network are up).
func (cl *Cluster) realNodeReady(ctx context.Context) (bool, error) {
	cs, err := cl.clientset()
	if err != nil {
		return false, err
	}
	node, err := cs.CoreV1().Nodes().Get(ctx, RealNodeName, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status != corev1.ConditionTrue {
				return false, fmt.Errorf("node %s not ready: %s", RealNodeName, c.Message)
			}
			return true, nil
		}
	}
	return false, nil
}
