package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
)

// SkipEnv=1 makes Get and StartVersion skip cluster tests. CI never sets it.
const SkipEnv = "MESHCTL_SKIP_CLUSTER_TESTS"

// sharedCluster is a cluster of a test package, started on first use.
type sharedCluster struct {
	once    sync.Once
	env     *Env
	err     error
	cluster *Cluster
}

// shared are the clusters of a test package: one without and one with the real node.
var shared struct {
	mu    sync.Mutex
	inRun bool
	kwok  sharedCluster
	node  sharedCluster
}

// Run runs a package's tests and stops the package's shared cluster afterwards. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
//
// The cluster starts on the first Get, so a run that selects no cluster test (-run, -short,
// fuzzing) starts nothing. SIGINT and SIGTERM stop the cluster before the process dies of the
// signal. A test binary that panics or hits -timeout skips this; its components die with it
// (Pdeathsig on Linux) and the next start sweeps its files.
func Run(m *testing.M) int {
	shared.mu.Lock()
	shared.inRun = true
	shared.mu.Unlock()

	sigs := make(chan os.Signal, 1)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		// A signal the process was started with ignored (a background job of a script)
		// must stay ignored rather than start killing the process.
		if !signal.Ignored(sig) {
			signal.Notify(sigs, sig)
		}
	}
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			live.stopAll()
			// Die of the signal, as the process would have without the handler.
			signal.Reset(sig)
			_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
		case <-done:
		}
	}()
	defer func() {
		signal.Stop(sigs)
		close(done)
		stopShared()
	}()
	return m.Run()
}

func stopShared() {
	shared.mu.Lock()
	cls := []*Cluster{shared.kwok.cluster, shared.node.cluster}
	shared.kwok.cluster, shared.node.cluster = nil, nil
	shared.mu.Unlock()
	for _, cl := range cls {
		if cl == nil {
			continue
		}
		if err := cl.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stop the shared cluster: %v\n", err)
		}
	}
}

// Get returns the package's shared cluster (Kubernetes Newest, or $MESHCTL_TESTENV_VERSION),
// starting it on first use and building what is missing. Tests isolate themselves with
// env.Namespace(t). It skips the test only when MESHCTL_SKIP_CLUSTER_TESTS=1; a cluster that
// cannot start fails the test with the reason and the end of the failing component's log.
func Get(t testing.TB) *Env {
	t.Helper()
	return getShared(t, &shared.kwok, false)
}

// GetRealNode is Get for tests that run pods for real: the package's shared cluster with the
// machine's real node (Config.RealNode), started on first use. Pods ask for the node with
// OnRealNode. A machine has one real node, so test packages that want it take turns: this waits
// while another test process has it. It skips the test when this process is not root, saying so.
func GetRealNode(t testing.TB) *Env {
	t.Helper()
	skipIfAsked(t)
	skipUnlessRoot(t)
	return getShared(t, &shared.node, true)
}

func getShared(t testing.TB, sc *sharedCluster, realNode bool) *Env {
	t.Helper()
	skipIfAsked(t)
	shared.mu.Lock()
	inRun := shared.inRun
	shared.mu.Unlock()
	if !inRun {
		t.Fatal("testenv.Get needs the package's TestMain to call testenv.Run: " +
			"func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }")
	}
	sc.once.Do(func() {
		version := os.Getenv(VersionEnv)
		if version == "" {
			version = Newest
		}
		cl, err := Up(context.Background(), Config{Version: version, RealNode: realNode, Log: os.Stderr})
		if err != nil {
			sc.err = err
			return
		}
		shared.mu.Lock()
		sc.cluster = cl
		shared.mu.Unlock()
		sc.env, sc.err = newEnv(cl)
	})
	if realNode && errors.Is(sc.err, ErrNodeBusy) {
		// A cluster of `make cluster-up` or `make demo` has the node: the developer's, not a fault.
		t.Skipf("real-node test skipped: %v", sc.err)
	}
	if sc.err != nil {
		t.Fatalf("the test cluster could not start (set %s=1 to skip cluster tests): %v", SkipEnv, sc.err)
	}
	return sc.env
}

// Start is Get under the name the issue that asked for this package used.
func Start(t testing.TB) *Env {
	t.Helper()
	return Get(t)
}

// Options configure a cluster of its own for one test (StartVersion).
type Options struct {
	// Components to run; empty means AllComponents. APIOnly starts in about half the time.
	Components []Component
	// Nodes is the number of fake nodes; zero means 1.
	Nodes int
	// APIServerArgs are extra kube-apiserver flags.
	APIServerArgs []string
	// RealNode adds the machine's real node (Config.RealNode); the test skips when not root.
	RealNode bool
}

// StartVersion starts a cluster of its own for one test, of any Kubernetes version (for
// example Oldest, to test precheck on the oldest supported release), and stops it when the
// test ends. It skips like Get. What Prebuilt does not cover (for Oldest: anything beyond
// APIOnly) is compiled on first use, which takes minutes: prefer Options{Components: APIOnly}.
func StartVersion(t testing.TB, version string, o Options) *Env {
	t.Helper()
	skipIfAsked(t)
	if o.RealNode {
		skipUnlessRoot(t)
	}
	cl, err := Up(context.Background(), Config{
		Version: version, Components: o.Components, Nodes: o.Nodes, APIServerArgs: o.APIServerArgs, RealNode: o.RealNode, Log: os.Stderr,
	})
	if err != nil {
		t.Fatalf("the test cluster %s could not start (set %s=1 to skip cluster tests): %v", version, SkipEnv, err)
	}
	t.Cleanup(func() {
		if err := cl.Stop(); err != nil {
			t.Errorf("stop cluster %s: %v", version, err)
		}
	})
	env, err := newEnv(cl)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// skipUnlessRoot skips a real-node test on a machine where it cannot run, with the reason.
func skipUnlessRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("real-node test skipped: %v (CI runs as root)", ErrNotRoot)
	}
}

func skipIfAsked(t testing.TB) {
	t.Helper()
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("cluster test skipped: %s=1 is set", SkipEnv)
	}
}
