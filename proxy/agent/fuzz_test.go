package agent

import "testing"

// FuzzComplete: any environment gives options or an error naming a variable, never a panic.
func FuzzComplete(f *testing.F) {
	f.Add(`{"discoveryAddress":"istiod.istio-system.svc:15012","terminationDrainDuration":"5s"}`, `{"/app-health/a/livez":{"httpGet":{"path":"/","port":8080}}}`, "10.0.0.1", `{"scrape":"true","port":"9090"}`)
	f.Add(`{"concurrency":2,"proxyMetadata":{"ISTIO_META_X":"y"}}`, `{"/x":{"tcpSocket":{"port":"80"}}}`, "::1", "")
	f.Fuzz(func(t *testing.T, proxyConfig, probers, ip, prom string) {
		env := map[string]string{"POD_NAME": "p", "POD_NAMESPACE": "ns", "PROXY_CONFIG": proxyConfig,
			"ISTIO_KUBE_APP_PROBERS": probers, "INSTANCE_IP": ip, "ISTIO_PROMETHEUS_ANNOTATIONS": prom, "ISTIO_META_LABELS": `{"app":"a"}`}
		var environ []string
		for k, v := range env {
			environ = append(environ, k+"="+v)
		}
		o := &Options{Role: "sidecar"}
		if err := o.Complete(func(k string) string { return env[k] }, environ); err != nil {
			return
		}
		_ = o.Validate()
		_ = o.NodeID().String()
	})
}
