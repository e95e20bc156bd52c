package kubeinject

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/clitest"
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
	if b := readFile(t, target); b != "previous content\n" {
		t.Errorf("a failed run must leave -o alone, got:\n%s", b)
	}
	r = run(t, noKubeconfig(t), "", nil, "-f", good, "--offline", "-o", target)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d err %v stdout %q", r.code, r.err, r.stdout)
	}
	if b := readFile(t, target); !strings.Contains(b, "name: istio-proxy") {
		t.Errorf("-o file not written:\n%s", b)
	}
	if entries := readDir(t, dir); len(entries) != 3 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestLargeOutputSpillsAndIsComplete: past spoolMemory the output waits in a temporary file, which is
// there while stdout is written and gone afterwards.
func TestLargeOutputSpillsAndIsComplete(t *testing.T) {
	var b strings.Builder
	n := 200 // about 2 MiB of output, past spoolMemory
	for i := range n {
		fmt.Fprintf(&b, "%s---\n", strings.ReplaceAll(sleepYAML, "name: sleep\n", fmt.Sprintf("name: sleep-%d\n", i)))
	}
	for _, tc := range []struct {
		name    string
		input   string
		spilled bool
	}{
		{"large", b.String(), true},
		{"small", sleepYAML, false},
	} {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		stdout := &spoolWatcher{dir: tmp}
		r := runWithStdout(t, stdout, tc.input, "-f", "-", "--offline", "--quiet")
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %v", tc.name, r.code, r.err)
		}
		if spilled := len(stdout.spool) > 0; spilled != tc.spilled {
			t.Errorf("%s: temporary files while stdout was written: %v, want a spill: %v", tc.name, stdout.spool, tc.spilled)
		}
		want := strings.Count(tc.input, "\nkind: Deployment\n")
		if got := strings.Count(stdout.out.String(), "\nkind: Deployment\n"); got != want || tc.spilled && stdout.out.Len() <= spoolMemory {
			t.Errorf("%s: output of %d bytes with %d Deployments, want %d", tc.name, stdout.out.Len(), got, want)
		}
		if entries := readDir(t, tmp); len(entries) != 0 {
			t.Errorf("%s: spool file left behind: %v", tc.name, entries)
		}
	}
}

// spoolWatcher is stdout that notes the files in dir when it is first written to. It has only Write, so
// that io.Copy cannot go around it.
type spoolWatcher struct {
	out     bytes.Buffer
	dir     string
	spool   []string
	watched bool
}

func (w *spoolWatcher) Write(p []byte) (int, error) {
	if !w.watched {
		w.watched = true
		entries, err := os.ReadDir(w.dir)
		if err != nil {
			return 0, err
		}
		for _, e := range entries {
			w.spool = append(w.spool, e.Name())
		}
	}
	return w.out.Write(p)
}

// runWithStdout is run with stdout given and no kubeconfig.
func runWithStdout(t *testing.T, stdout io.Writer, stdin string, args ...string) result {
	t.Helper()
	streams, in, _, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString(stdin)
	streams.Out = stdout
	f := factory.New(streams)
	kc := noKubeconfig(t)
	f.ConfigFlags.KubeConfig = &kc
	cmd := NewCmd(f, nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return result{stderr: errOut.String(), code: exitcode.For(err), err: err}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestOfflineNeverConnects(t *testing.T) {
	l := clitest.Listen(t, clitest.HangUp)
	kc := clitest.Kubeconfig(t, l.Addr())
	r := run(t, kc, sleepYAML, nil, "-f", "-", "--offline")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if n := l.Connections(t); n != 0 {
		t.Errorf("--offline opened %d connections", n)
	}
	if strings.Contains(r.stderr, "no kubeconfig") {
		t.Errorf("with --offline there is nothing to explain: %s", r.stderr)
	}
	// Without --offline the same kubeconfig is used: the listener does see a connection.
	if r := run(t, kc, sleepYAML, func(o *Options) { o.ClusterTimeout = 500 * time.Millisecond }, "-f", "-"); r.code == 0 {
		t.Fatalf("a cluster that hangs up cannot give the injector's ConfigMaps, yet exit 0")
	}
	if l.Connections(t) == 0 {
		t.Error("the listener counted no connection from a run that used the cluster")
	}
}

// TestHangingClusterFailsFast: istioctl hangs forever here; meshctl gives up after its timeout and says
// which kubeconfig and context it tried and what to do.
func TestHangingClusterFailsFast(t *testing.T) {
	kc := clitest.Kubeconfig(t, clitest.Listen(t, clitest.Hang).Addr())
	r := run(t, kc, sleepYAML, func(o *Options) { o.ClusterTimeout = 500 * time.Millisecond }, "-f", "-")
	if r.code != exitcode.Error || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	// It gave up because of its own timeout, not because something else ended the wait.
	for _, want := range []string{"cannot reach the cluster", "no answer within 500ms", kc, `context "hanging"`, "--offline"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error %q lacks %q", r.err, want)
		}
	}
}

func TestUnreachableClusterNamesKubeconfig(t *testing.T) {
	kc := clitest.Kubeconfig(t, clitest.Refused(t))
	r := run(t, kc, sleepYAML, nil, "-f", "-")
	if r.code != exitcode.Error || !strings.Contains(r.err.Error(), kc) || !strings.Contains(r.err.Error(), "--offline") {
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
