// Package dashboard opens the web UIs of the mesh and its add-ons (Kiali, Prometheus, Grafana, Jaeger, …)
// on the user's machine: it knows where each one runs (Registry), picks a running, ready pod for it and
// explains why there is none (FindPod, GetPod), and forwards a local port to that pod through the API server
// (Forwarder) until the caller's context ends, the pod goes away or the API server closes the stream.
//
// The package knows nothing of cobra or of the process: it prints nothing and never exits; the meshctl
// command wires flags to it.
package dashboard
