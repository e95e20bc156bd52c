package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// realNode is the real node of a cluster: containerd, the kubelet and kube-proxy on this machine,
// running pods that ask for it (OnRealNode) in containers, next to KWOK's fake nodes. Its host
// changes are journaled (hostjournal.go) and undone when the cluster stops.
type realNode struct {
	layout  nodeLayout
	journal *hostJournal

	mu     sync.Mutex
	loaded map[string]string // program name -> image ref, loaded by Env.BuildImages

	imagesDone chan struct{} // closed when the node's own images are built
	tarballs   []string
	imagesErr  error
}

// buildImages builds the node's own images in the background, while the control plane starts: it
// is the slowest step of the node's start (compiling pause, hashing and writing CoreDNS's image).
func (n *realNode) buildImages(ctx context.Context, cache Cache) {
	n.imagesDone = make(chan struct{})
	go func() {
		defer close(n.imagesDone)
		n.tarballs, n.imagesErr = buildNodeImages(ctx, cache, n.layout.images())
	}()
}

// images waits for buildImages.
func (n *realNode) images() ([]string, error) {
	if n.imagesDone == nil {
		return nil, errors.New("the node's images were not built")
	}
	<-n.imagesDone
	return n.tarballs, n.imagesErr
}

// nodeAvailable says why this machine cannot run a real node, if it cannot.
func nodeAvailable(cache Cache, version string) error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	if missing := missingHostPackages(); len(missing) > 0 {
		return fmt.Errorf("the real node needs the packages %v: run `make cluster-build` as root", missing)
	}
	for _, c := range append(NodeComponents, CoreDNS) {
		if !fileExists(cache.Binary(version, c)) {
			return fmt.Errorf("the real node needs %s: run `make cluster-build`", cache.Binary(version, c))
		}
	}
	return nil
}

// prepareNode takes the machine's real node for the cluster and makes the host changes it needs
// before the API server starts (which listens on the node's bridge address). owner is the test
// process, or this process while a detached cluster starts.
func prepareNode(ctx context.Context, cl *Cluster, owner int) (*realNode, error) {
	n := &realNode{layout: nodeLayout{filepath.Join(cl.Dir, "node")}}
	n.journal = &hostJournal{ClusterDir: cl.Dir, NodeDir: n.layout.dir, Owner: owner, OwnerStart: processStartTime(owner)}
	if err := acquireNode(ctx, n.journal, cl.p); err != nil {
		return nil, err
	}
	cl.node = n
	if err := recordHostBefore(n.journal); err != nil {
		return nil, fmt.Errorf("real node: %w", err)
	}
	if err := guardHost(n.journal); err != nil {
		return nil, fmt.Errorf("real node: %w", err)
	}
	cl.p.stepf("real node: routes, bridge %s (%s) and guard rules in place", nodeBridge, nodeIP)
	n.buildImages(ctx, Cache{Dir: cl.cacheDir})
	return n, nil
}

// nodeStarter starts one of the node's programs as a component of the cluster.
type nodeStarter func(comp Component, args []string) error

// start runs containerd, the kubelet and kube-proxy, imports the node's images and deploys
// cluster DNS; it returns once a pod can resolve names and reach Services.
func (n *realNode) start(ctx context.Context, cl *Cluster, pki *clusterPKI, start nodeStarter) error {
	l := n.layout
	for _, d := range []string{l.dir, l.containerdRoot(), l.containerdState(), l.kubeletRoot(), l.podLogs(), l.volumePlugins()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	pts, err := freePorts(4)
	if err != nil {
		return err
	}
	kubeletPort, kubeletHealthz, proxyHealthz, proxyMetrics := pts[0], pts[1], pts[2], pts[3]

	// Identities: the kubelet as system:node:<name> (the Node authorizer and NodeRestriction apply),
	// kube-proxy as system:kube-proxy (bound to system:node-proxier by the bootstrap policy).
	cl.p.stepf("real node: writing configuration in %s", l.dir)
	kubeletID, err := pki.ca.issue(certSpec{cn: "system:node:" + RealNodeName, orgs: []string{"system:nodes"}})
	if err != nil {
		return err
	}
	proxyID, err := pki.ca.issue(certSpec{cn: "system:kube-proxy"})
	if err != nil {
		return err
	}
	cll := layout{cl.Dir}
	if err := writeKubeconfig(cll.kubeconfigOf(Kubelet), cl.Server, pki.ca, kubeletID); err != nil {
		return err
	}
	if err := writeKubeconfig(cll.kubeconfigOf(KubeProxy), cl.Server, pki.ca, proxyID); err != nil {
		return err
	}
	if err := os.WriteFile(l.containerdConfig(), []byte(containerdConfig(l, sandboxImage())), 0o644); err != nil {
		return err
	}
	if err := writeRegistryHosts(l); err != nil {
		return err
	}
	if err := writeCNIConfig(l); err != nil {
		return err
	}
	// Pods with dnsPolicy Default get this: no nameserver at all, rather than the host's.
	if err := os.WriteFile(l.resolvConf(), nil, 0o644); err != nil {
		return err
	}
	kcfg, err := kubeletConfig(l, pki.dir, kubeletPort, kubeletHealthz)
	if err != nil {
		return err
	}
	if err := os.WriteFile(l.kubeletConfig(), kcfg, 0o644); err != nil {
		return err
	}
	pcfg, err := kubeProxyConfig(cll.kubeconfigOf(KubeProxy), proxyHealthz, proxyMetrics)
	if err != nil {
		return err
	}
	if err := os.WriteFile(l.kubeProxyConfig(), pcfg, 0o644); err != nil {
		return err
	}

	if err := n.run(cl, start, Containerd, []string{"--config", l.containerdConfig()}); err != nil {
		return err
	}
	if err := cl.waitFor(ctx, "real node: containerd", time.Minute, containerdReady); err != nil {
		return err
	}
	tarballs, err := n.images()
	if err != nil {
		return fmt.Errorf("real node: images: %w", err)
	}
	if err := importImages(ctx, tarballs...); err != nil {
		return fmt.Errorf("real node: %w", err)
	}
	cl.p.stepf("real node: images %s and %s imported", sandboxImage(), coreDNSImageRef())
	if err := n.run(cl, start, Kubelet, kubeletArgs(l, cll.kubeconfigOf(Kubelet))); err != nil {
		return err
	}
	if err := cl.waitFor(ctx, "real node: registered", 2*time.Minute, func(ctx context.Context) (bool, error) {
		return patchPodCIDR(ctx, cl) == nil, nil
	}); err != nil {
		return err
	}
	if err := cl.waitFor(ctx, "real node: Ready", 2*time.Minute, cl.realNodeReady); err != nil {
		return err
	}
	if err := n.run(cl, start, KubeProxy, []string{"--config", l.kubeProxyConfig()}); err != nil {
		return err
	}
	if err := cl.waitFor(ctx, "real node: kube-proxy synced", time.Minute, kubeProxyHealthy(proxyHealthz)); err != nil {
		return err
	}
	cs, err := cl.clientset()
	if err != nil {
		return err
	}
	if err := deployCoreDNS(ctx, cs, coreDNSImageRef()); err != nil {
		return err
	}
	return cl.waitFor(ctx, "real node: cluster DNS available", 2*time.Minute, cl.coreDNSAvailable)
}

// run starts a node program and records it in the journal too, so that an undo after a crash
// finds it.
func (n *realNode) run(cl *Cluster, start nodeStarter, comp Component, args []string) error {
	if err := start(comp, args); err != nil {
		return err
	}
	cl.mu.Lock()
	ps := cl.state.Procs[len(cl.state.Procs)-1]
	cl.mu.Unlock()
	n.journal.Procs = append(n.journal.Procs, ps)
	return n.journal.save()
}

// release undoes the node's host changes; the cluster's processes are stopped already.
func (n *realNode) release() error {
	if n.imagesDone != nil {
		<-n.imagesDone // its files are in the node's folder, about to be removed
	}
	return releaseNode(n.journal)
}
