package testenv

import "path/filepath"

// nodeLayout is where the real node keeps its state: <cluster>/node/.
type nodeLayout struct{ dir string }

func (l nodeLayout) containerdRoot() string  { return filepath.Join(l.dir, "containerd", "root") }
func (l nodeLayout) containerdState() string { return filepath.Join(l.dir, "containerd", "state") }
func (l nodeLayout) containerdConfig() string {
	return filepath.Join(l.dir, "containerd", "config.toml")
}
func (l nodeLayout) registryHosts() string   { return filepath.Join(l.dir, "containerd", "certs.d") }
func (l nodeLayout) cniConfDir() string      { return filepath.Join(l.dir, "cni", "net.d") }
func (l nodeLayout) cniIPAM() string         { return filepath.Join(l.dir, "cni", "ipam") }
func (l nodeLayout) kubeletRoot() string     { return filepath.Join(l.dir, "kubelet") }
func (l nodeLayout) kubeletConfig() string   { return filepath.Join(l.dir, "kubelet-config.yaml") }
func (l nodeLayout) kubeProxyConfig() string { return filepath.Join(l.dir, "kube-proxy-config.yaml") }
func (l nodeLayout) podLogs() string         { return filepath.Join(l.dir, "pod-logs") }
func (l nodeLayout) volumePlugins() string   { return filepath.Join(l.dir, "volume-plugins") }
func (l nodeLayout) resolvConf() string      { return filepath.Join(l.dir, "resolv.conf") }
func (l nodeLayout) images() string          { return filepath.Join(l.dir, "images") }
