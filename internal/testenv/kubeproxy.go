package testenv

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"
)

// kubeProxyConfig runs kube-proxy in iptables mode for the node. It leaves the host's conntrack
// sysctls alone (maxPerCore 0, timeouts 0) and opens NodePorts only on the node's bridge address,
// never on localhost (which would need route_localnet) or on another interface.
func kubeProxyConfig(kubeconfig string, healthz, metrics int) ([]byte, error) {
	cfg := map[string]any{
		"apiVersion":         "kubeproxy.config.k8s.io/v1alpha1",
		"kind":               "KubeProxyConfiguration",
		"mode":               "iptables",
		"clientConnection":   map[string]any{"kubeconfig": kubeconfig},
		"hostnameOverride":   RealNodeName,
		"bindAddress":        nodeIP,
		"clusterCIDR":        podRange,
		"healthzBindAddress": loopback + ":" + strconv.Itoa(healthz),
		"metricsBindAddress": loopback + ":" + strconv.Itoa(metrics),
		"nodePortAddresses":  []string{nodeIP + "/32"},
		"iptables":           map[string]any{"localhostNodePorts": false},
		"conntrack": map[string]any{
			"maxPerCore": 0, "min": 0,
			"tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s",
		},
	}
	return yaml.Marshal(cfg)
}

// kubeProxyHealthy asks kube-proxy's health endpoint, which passes once its rules are synced.
func kubeProxyHealthy(port int) func(context.Context) (bool, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url(port)+"/healthz", nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	}
}
