package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// Environment variables that change how clusters start and stop.
const (
	// KeepEnv=1 keeps a stopped cluster's folder (logs, kubeconfig, PKI) for debugging.
	KeepEnv = "MESHCTL_TESTENV_KEEP"
	// VersionEnv picks the Kubernetes version of the cluster tests share (default Newest).
	VersionEnv = "MESHCTL_TESTENV_VERSION"
)

// Config describes a cluster to start.
type Config struct {
	// Version of Kubernetes; empty means Newest.
	Version string
	// Components to run; empty means AllComponents. etcd and kube-apiserver are required.
	Components []Component
	// Dir is where the cluster keeps its state (PKI, kubeconfig, logs, etcd data). Empty means
	// a new folder under the cache's run/ folder. It must not hold a running cluster.
	Dir string
	// CacheDir is the build cache; empty means DefaultCacheDir().
	CacheDir string
	// Nodes is the number of fake KWOK nodes; zero means 1. Ignored without KWOK.
	Nodes int
	// Detach lets the processes outlive this one (for `make cluster-up`). Otherwise they die
	// with it and the state records this process as the owner.
	Detach bool
	// APIServerArgs are appended to kube-apiserver's flags (they win over the defaults).
	APIServerArgs []string
	// RealNode adds the machine's real node (kubelet, containerd, kube-proxy, cluster DNS) next to
	// KWOK's: pods that ask for it (OnRealNode) run in containers. It needs root and the packages
	// `make cluster-build` installs; a machine runs one at a time (docs/testenv.md). The API server
	// then listens on the node's bridge address, where pods reach it, instead of 127.0.0.1.
	RealNode bool
	// Log receives progress, one line per step (use stderr). Nil discards it.
	Log io.Writer
}

// Cluster is a running test cluster. Stop it when done.
type Cluster struct {
	// Dir holds the cluster's state; Stop removes it.
	Dir string
	// Kubeconfig is the path of an admin (system:masters) kubeconfig.
	Kubeconfig string
	// Version is the Kubernetes version the apiserver reports.
	Version string
	// Components are the programs running.
	Components []Component
	// Server is the apiserver's URL, https://127.0.0.1:PORT.
	Server string
	// KwokPort is the port of KWOK's kubelet-like server (0 without KWOK).
	KwokPort int
	// RealNode reports whether the cluster has the machine's real node.
	RealNode bool

	cfg      *rest.Config
	state    clusterState
	stopOnce sync.Once
	stopErr  error
	p        *progress

	mu      sync.Mutex // guards procs, state.Procs and stopped: a signal handler may Stop during Up
	procs   []*proc
	stopped bool

	node     *realNode // the real node, once its host changes began
	cacheDir string
}

// defaultWait bounds a start-up step that takes a second or two on an idle machine.
const defaultWait = time.Minute

// errPortTaken marks a start that lost a free port to another process in the meantime.
var errPortTaken = errors.New("a port was taken by another process")

// ErrRunning is returned by Up when Config.Dir already holds a running cluster.
var ErrRunning = errors.New("a cluster is already running there")

// Up builds what is missing (see Build), then starts a cluster and returns once it is ready:
// /readyz passes, KWOK's nodes are Ready and, with the controller-manager, the default
// ServiceAccount exists (pods are rejected before that). On error nothing is left running.
func Up(ctx context.Context, c Config) (*Cluster, error) {
	if c.Version == "" {
		c.Version = Newest
	}
	comps, err := normalizeComponents(c.Components)
	if err != nil {
		return nil, err
	}
	c.Components = comps
	if c.Nodes <= 0 {
		c.Nodes = 1
	}
	if c.CacheDir == "" {
		if c.CacheDir, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	if err := Build(ctx, BuildOptions{CacheDir: c.CacheDir, Targets: []Target{{Version: c.Version, Components: comps, RealNode: c.RealNode}}, Log: c.Log}); err != nil {
		return nil, err
	}
	Sweep(c.CacheDir, c.Log)
	for attempt := 1; ; attempt++ {
		cl, err := up(ctx, c)
		if err == nil || !errors.Is(err, errPortTaken) || attempt == 3 {
			return cl, err
		}
		newProgress(c.Log).stepf("%v; starting again on other ports", err)
	}
}

func up(ctx context.Context, c Config) (_ *Cluster, err error) {
	cache := Cache{Dir: c.CacheDir}
	dir, err := prepareDir(c, cache)
	if err != nil {
		return nil, err
	}
	l := layout{dir}
	cl := &Cluster{Dir: dir, Kubeconfig: l.kubeconfig(), Version: c.Version, Components: c.Components, p: newProgress(c.Log), cacheDir: c.CacheDir}
	if !c.Detach {
		live.add(cl)
	}
	defer func() {
		if err != nil {
			cl.Stop()
		}
	}()
	if err := os.MkdirAll(l.logs(), 0o755); err != nil {
		return nil, err
	}
	pts, err := newPorts()
	if err != nil {
		return nil, err
	}
	apiAddress := loopback
	if c.RealNode {
		apiAddress = nodeIP
	}
	cl.Server = "https://" + apiAddress + ":" + strconv.Itoa(pts.APIServer)
	cl.state = clusterState{Version: c.Version, Components: c.Components, Kubeconfig: cl.Kubeconfig, Server: cl.Server, Ports: pts, RealNode: c.RealNode}
	if !c.Detach {
		cl.state.Owner, cl.state.OwnerStart = os.Getpid(), processStartTime(os.Getpid())
	}
	if err := cl.save(); err != nil {
		return nil, err
	}
	pki, err := newClusterPKI(l.pki())
	if err != nil {
		return nil, fmt.Errorf("generate PKI: %w", err)
	}
	if err := writeKubeconfigs(l, cl.Server, pki); err != nil {
		return nil, err
	}
	if cl.cfg, err = restConfigFrom(cl.Kubeconfig); err != nil {
		return nil, err
	}
	if c.RealNode {
		if err := nodeAvailable(cache, c.Version); err != nil {
			return nil, err
		}
		// The node's host changes come first: the API server listens on its bridge.
		if _, err := prepareNode(ctx, cl, os.Getpid()); err != nil {
			return nil, err
		}
		cl.RealNode = true
	}
	cl.p.stepf("kubernetes %s: starting %v in %s", c.Version, c.Components, dir)

	start := func(comp Component, args []string) error {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if cl.stopped {
			return fmt.Errorf("start %s: the cluster was stopped while starting", comp)
		}
		p, err := startProcess(comp, cache.Binary(c.Version, comp), args, l.log(comp), c.Detach)
		if err != nil {
			return err
		}
		cl.procs = append(cl.procs, p)
		cl.state.Procs = append(cl.state.Procs, procState{Name: comp, PID: p.pid, Exe: p.exe})
		return cl.save()
	}
	has := func(comp Component) bool { return slices.Contains(c.Components, comp) }

	if err := start(Etcd, etcdArgs(l, pts)); err != nil {
		return nil, err
	}
	if err := cl.waitFor(ctx, "etcd healthy", time.Minute, etcdHealthy(pts.EtcdClient)); err != nil {
		return nil, err
	}
	if err := start(APIServer, apiServerArgs(l, pts, pki, apiAddress, c.APIServerArgs)); err != nil {
		return nil, err
	}
	if err := cl.waitFor(ctx, "kube-apiserver /readyz", 3*time.Minute, cl.readyz); err != nil {
		return nil, err
	}
	if has(ControllerManager) {
		if err := start(ControllerManager, controllerManagerArgs(l, pki)); err != nil {
			return nil, err
		}
	}
	if has(Scheduler) {
		if err := start(Scheduler, schedulerArgs(l)); err != nil {
			return nil, err
		}
	}
	if has(Kwok) {
		cl.KwokPort = pts.Kwok
		// KWOK's CRDs must be served before it starts, or it gives up on the features they carry.
		if err := loadCRDs(ctx, cl, cache.KwokCRDs()); err != nil {
			return nil, err
		}
		if err := createNodes(ctx, cl, c.Nodes); err != nil {
			return nil, err
		}
		if err := start(Kwok, kwokArgs(l, pts, cache)); err != nil {
			return nil, err
		}
		if err := cl.waitFor(ctx, "nodes Ready", 2*time.Minute, cl.nodesReady(c.Nodes)); err != nil {
			return nil, err
		}
	}
	if has(ControllerManager) {
		if err := cl.waitFor(ctx, "default ServiceAccount", 2*time.Minute, cl.defaultServiceAccount); err != nil {
			return nil, err
		}
	}
	if cl.node != nil {
		if err := cl.node.start(ctx, cl, pki, start); err != nil {
			return nil, err
		}
	}
	if err := cl.waitFor(ctx, "kube-apiserver /readyz", time.Minute, cl.readyz); err != nil {
		return nil, err
	}
	if cl.node != nil && c.Detach {
		// From now on the node belongs to the cluster, not to this process: it lives until `down`.
		cl.node.journal.Owner, cl.node.journal.OwnerStart = 0, 0
		if err := cl.node.journal.save(); err != nil {
			return nil, err
		}
	}
	cl.state.Ready = true
	if err := cl.save(); err != nil {
		return nil, err
	}
	cl.p.stepf("kubernetes %s: ready at %s", c.Version, cl.Server)
	return cl, nil
}

// prepareDir returns the cluster's state folder, new or emptied.
func prepareDir(c Config, cache Cache) (string, error) {
	if c.Dir == "" {
		if err := os.MkdirAll(cache.RunDir(), 0o755); err != nil {
			return "", err
		}
		return os.MkdirTemp(cache.RunDir(), "test-")
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return "", err
	}
	if _, ok := Running(dir); ok {
		return "", fmt.Errorf("start cluster in %s: %w", dir, ErrRunning)
	}
	// What is left there is a stopped or half-started cluster: clear it out.
	if fileExists(layout{dir}.state()) {
		if err := Down(dir, c.Log); err != nil {
			return "", err
		}
	}
	return dir, os.MkdirAll(dir, 0o755)
}

func writeKubeconfigs(l layout, server string, pki *clusterPKI) error {
	if err := writeKubeconfig(l.kubeconfig(), server, pki.ca, pki.admin); err != nil {
		return err
	}
	for comp, kp := range map[Component]*keyPair{ControllerManager: pki.controllerManager, Scheduler: pki.scheduler, Kwok: pki.kwok} {
		if err := writeKubeconfig(l.kubeconfigOf(comp), server, pki.ca, kp); err != nil {
			return err
		}
	}
	return nil
}

func (cl *Cluster) save() error { return writeState(layout{cl.Dir}.state(), &cl.state) }

// Config returns a copy of the admin REST config.
func (cl *Cluster) Config() *rest.Config { return rest.CopyConfig(cl.cfg) }

// Stop stops every process the cluster started and removes its folder, unless
// MESHCTL_TESTENV_KEEP=1. It is safe to call more than once.
func (cl *Cluster) Stop() error {
	cl.stopOnce.Do(func() {
		live.remove(cl)
		cl.mu.Lock()
		cl.stopped = true
		procs := cl.procs
		cl.mu.Unlock()
		var wg sync.WaitGroup
		stopGroup := func(match func(Component) bool) {
			for _, p := range procs {
				if match(p.name) {
					wg.Go(func() { p.stop(5 * time.Second) })
				}
			}
			wg.Wait()
		}
		stopGroup(func(c Component) bool { return c != APIServer && c != Etcd })
		stopGroup(func(c Component) bool { return c == APIServer })
		stopGroup(func(c Component) bool { return c == Etcd })
		if cl.node != nil {
			if err := cl.node.release(); err != nil {
				cl.stopErr = fmt.Errorf("undo the real node's host changes: %w", err)
				return
			}
		}
		if os.Getenv(KeepEnv) == "1" {
			cl.p.stepf("cluster stopped; %s=1 keeps %s (logs in %s)", KeepEnv, cl.Dir, layout{cl.Dir}.logs())
			return
		}
		cl.stopErr = removeAllUnmounted(cl.Dir)
	})
	return cl.stopErr
}

// waitFor polls check until it reports done, a component exits, or timeout passes. A component
// that exits fails the wait at once, with the end of its log, instead of after the timeout.
func (cl *Cluster) waitFor(ctx context.Context, what string, timeout time.Duration, check func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if err := cl.exitedComponent(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		done, err := check(ctx)
		if done {
			cl.p.stepf("%s", what)
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// exitedComponent reports a component that is no longer running, with the end of its log.
func (cl *Cluster) exitedComponent() error {
	cl.mu.Lock()
	procs := cl.procs
	cl.mu.Unlock()
	for _, p := range procs {
		if done, werr := p.hasExited(); done {
			logText := logTail(p.log, 25)
			err := fmt.Errorf("%s exited (%v); log %s:\n%s", p.name, werr, p.log, logText)
			if containsAny(logText, "address already in use", "bind: address in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		}
	}
	return nil
}

// Exited reports a component of the cluster that has stopped running, if any: tests call it to
// tell "the cluster died" from "my code is wrong".
func (cl *Cluster) Exited() error { return cl.exitedComponent() }

// live are the clusters of this process that are not stopped yet, for a signal handler to
// stop (Run): the shared one, those of StartVersion, and one still starting.
var live = liveClusters{set: map[*Cluster]struct{}{}}

type liveClusters struct {
	mu  sync.Mutex
	set map[*Cluster]struct{}
}

func (l *liveClusters) add(cl *Cluster) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.set[cl] = struct{}{}
}

func (l *liveClusters) remove(cl *Cluster) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.set, cl)
}

// stopAll stops every live cluster at once.
func (l *liveClusters) stopAll() {
	l.mu.Lock()
	var cls []*Cluster
	for cl := range l.set {
		cls = append(cls, cl)
	}
	l.mu.Unlock()
	var wg sync.WaitGroup
	for _, cl := range cls {
		wg.Go(func() { _ = cl.Stop() })
	}
	wg.Wait()
}
