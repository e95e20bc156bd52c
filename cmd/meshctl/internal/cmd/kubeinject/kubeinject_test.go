package kubeinject

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

const sleepYAML = `apiVersion: v1
kind: Service
metadata:
  name: sleep
spec:
  ports:
  - port: 80
  selector:
    app: sleep
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sleep
spec:
  selector:
    matchLabels:
      app: sleep
  template:
    metadata:
      labels:
        app: sleep
    spec:
      containers:
      - name: sleep
        image: curlimages/curl
        command: ["/bin/sleep", "infinity"]
`

type result struct {
	stdout, stderr string
	code           int
	err            error
}

// run executes kube-inject in-process with kubeconfig as --kubeconfig (a path that need not exist).
func run(t *testing.T, kubeconfig, stdin string, setup func(*Options), args ...string) result {
	t.Helper()
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString(stdin)
	f := factory.New(streams)
	f.ConfigFlags.KubeConfig = &kubeconfig
	cmd := NewCmd(f, func(o *Options) error {
		if setup != nil {
			setup(o)
		}
		return o.Run(context.Background())
	})
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return result{stdout: out.String(), stderr: errOut.String(), code: exitcode.For(err), err: err}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// noKubeconfig is a path where no kubeconfig exists.
func noKubeconfig(t *testing.T) string { return filepath.Join(t.TempDir(), "no-such-kubeconfig") }

func TestOfflineWhenNoKubeconfig(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "sleep.yaml", sleepYAML)
	r := run(t, noKubeconfig(t), "", nil, "-f", in)
	if r.code != 0 {
		t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	want := "no kubeconfig found: using meshctl's built-in injection defaults (as with --offline)\nservice/sleep: not a workload\ndeployment/sleep: injected\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
	if !strings.HasPrefix(r.stdout, "apiVersion: v1\nkind: Service\n") || !strings.Contains(r.stdout, "\n---\napiVersion: apps/v1\nkind: Deployment\n") ||
		!strings.Contains(r.stdout, "name: istio-proxy") || !strings.Contains(r.stdout, "name: istio-init") {
		t.Errorf("unexpected stdout:\n%s", r.stdout)
	}
}

func TestQuietAndStdin(t *testing.T) {
	r := run(t, noKubeconfig(t), sleepYAML, nil, "-f", "-", "--quiet", "--offline")
	if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "sidecar.istio.io/status") {
		t.Fatalf("exit %d stderr %q stdout %q", r.code, r.stderr, r.stdout)
	}
}

// TestMalformedInputPrintsNothing: bad YAML at the third document exits 65, names the file and the line,
// and leaves stdout empty, although two good documents came before it.
func TestMalformedInputPrintsNothing(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "bad.yaml", sleepYAML+"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n")
	r := run(t, noKubeconfig(t), "", nil, "-f", in, "--offline")
	if r.code != exitcode.BadInput {
		t.Fatalf("exit %d, want %d: %v", r.code, exitcode.BadInput, r.err)
	}
	if !strings.HasPrefix(r.err.Error(), in+":3") || !strings.Contains(r.err.Error(), "invalid YAML") {
		t.Errorf("error %q should name %s and line 3x", r.err, in)
	}
	if r.stdout != "" {
		t.Errorf("stdout must stay empty, got %d bytes:\n%s", len(r.stdout), r.stdout)
	}
}

func TestUninjectableFailsUnlessSkipped(t *testing.T) {
	dir := t.TempDir()
	bad := strings.Replace(sleepYAML, "      labels:\n        app: sleep\n", "      labels:\n        app: sleep\n      annotations:\n        sidecar.istio.io/proxyMemory: plenty\n", 1)
	in := writeFile(t, dir, "bad.yaml", bad)
	r := run(t, noKubeconfig(t), "", nil, "-f", in, "--offline")
	if r.code != exitcode.BadInput || r.stdout != "" || !strings.Contains(r.err.Error(), in+":24: spec.template.metadata.annotations[\"sidecar.istio.io/proxyMemory\"]") {
		t.Fatalf("exit %d, stdout %q, err %v", r.code, r.stdout, r.err)
	}
	r = run(t, noKubeconfig(t), "", nil, "-f", in, "--offline", "--skip-uninjectable")
	if r.code != 0 || r.stdout != bad {
		t.Fatalf("with --skip-uninjectable: exit %d err %v, stdout:\n%s", r.code, r.err, r.stdout)
	}
	if !strings.Contains(r.stderr, "deployment/sleep: skipped: cannot inject: "+in+":24") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func TestOutputFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", sleepYAML)
	bad := writeFile(t, dir, "bad.yaml", "kind: [\n")
	target := writeFile(t, dir, "out.yaml", "previous content\n")

	r := run(t, noKubeconfig(t), "", nil, "-f", good, "-f", bad, "--offline", "-o", target)
	if r.code != exitcode.BadInput {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if b, _ := os.ReadFile(target); string(b) != "previous content\n" {
		t.Errorf("a failed run must leave -o alone, got:\n%s", b)
	}
	r = run(t, noKubeconfig(t), "", nil, "-f", good, "--offline", "-o", target)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d err %v stdout %q", r.code, r.err, r.stdout)
	}
	if b, _ := os.ReadFile(target); !strings.Contains(string(b), "name: istio-proxy") {
		t.Errorf("-o file not written:\n%s", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestLargeOutputSpillsAndIsComplete(t *testing.T) {
	var b strings.Builder
	n := 200 // about 2 MiB of output, past spoolMemory
	for i := range n {
		fmt.Fprintf(&b, "%s---\n", strings.ReplaceAll(sleepYAML, "name: sleep\n", fmt.Sprintf("name: sleep-%d\n", i)))
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	r := run(t, noKubeconfig(t), b.String(), nil, "-f", "-", "--offline", "--quiet")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if len(r.stdout) <= spoolMemory || strings.Count(r.stdout, "\nkind: Deployment\n") != n {
		t.Errorf("output of %d bytes with %d Deployments", len(r.stdout), strings.Count(r.stdout, "\nkind: Deployment\n"))
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("spool file left behind: %v", entries)
	}
}

// listener is a TCP endpoint that counts connections and never answers, for kubeconfigs that must not
// be used, or that lead to a cluster that hangs.
func listener(t *testing.T) (addr string, conns *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = &atomic.Int32{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			t.Cleanup(func() { c.Close() })
		}
	}()
	return l.Addr().String(), conns
}

func kubeconfigFor(t *testing.T, server string) string {
	t.Helper()
	return writeFile(t, t.TempDir(), "kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://%s
    insecure-skip-tls-verify: true
contexts:
- name: hanging
  context:
    cluster: c
    user: u
current-context: hanging
users:
- name: u
  user:
    token: t
`, server))
}

func TestOfflineNeverConnects(t *testing.T) {
	addr, conns := listener(t)
	r := run(t, kubeconfigFor(t, addr), sleepYAML, nil, "-f", "-", "--offline")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := conns.Load(); n != 0 {
		t.Errorf("--offline opened %d connections", n)
	}
	if strings.Contains(r.stderr, "no kubeconfig") {
		t.Errorf("with --offline there is nothing to explain: %s", r.stderr)
	}
}

// TestHangingClusterFailsFast: istioctl hangs forever here; meshctl gives up after its timeout and says
// which kubeconfig and context it tried and what to do.
func TestHangingClusterFailsFast(t *testing.T) {
	addr, _ := listener(t)
	kc := kubeconfigFor(t, addr)
	start := time.Now()
	r := run(t, kc, sleepYAML, func(o *Options) { o.ClusterTimeout = 500 * time.Millisecond }, "-f", "-")
	if r.code == 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("took %s", elapsed)
	}
	for _, want := range []string{"cannot reach the cluster", kc, `context "hanging"`, "--offline"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error %q lacks %q", r.err, want)
		}
	}
}

func TestUnreachableClusterNamesKubeconfig(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	kc := kubeconfigFor(t, addr)
	r := run(t, kc, sleepYAML, nil, "-f", "-")
	if r.code == 0 || !strings.Contains(r.err.Error(), kc) || !strings.Contains(r.err.Error(), "--offline") {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-f/--filename is required"},
		{[]string{"-f", "-", "-f", "-"}, "-f - can be given only once"},
		{[]string{"-f", "x", "--revision", "Bad_Rev"}, `--revision "Bad_Rev"`},
	} {
		r := run(t, noKubeconfig(t), "", nil, tc.args...)
		if r.code != exitcode.Usage || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: exit %d err %v", tc.args, r.code, r.err)
		}
	}
}
