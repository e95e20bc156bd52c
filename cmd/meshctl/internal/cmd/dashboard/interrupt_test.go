package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/meshctl/meshctl/internal/testenv"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
)

// TestCtrlCBeforeForwardIsUp: docs/dashboard.md promises exit code 130 when Ctrl-C comes before the forward
// is up. The pod's node does not answer, so the port-forward is still being dialled when Ctrl-C comes, and
// the API server would wait for the node for many minutes: Ctrl-C must end the command anyway, with 130
// rather than the error of the aborted dial, and no URL printed.
func TestCtrlCBeforeForwardIsUp(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	node := env.SilentNode(t, "silent-"+ns)
	node.RunPod(t, ns, newPod("grafana-0", map[string]string{"app": "grafana"}))

	r := start(t, env, "dashboard", "grafana", "-n", ns, "--browser=false", "-p", "0")
	select {
	case <-node.Dialled:
	case line, ok := <-r.lines:
		code, err := r.end()
		t.Fatalf("the command printed %q (%v) and ended with %v (exit %d) before it dialled the pod's node\nstderr:\n%s",
			line, ok, err, code, r.stderr)
	}
	r.cancel() // Ctrl-C while the forward is being dialled and the node still does not answer
	select {
	case err := <-r.done:
		r.done <- err
	case <-time.After(time.Minute): // only so that a broken build does not hang the run
		node.Release()
		code, err := r.end()
		t.Fatalf("Ctrl-C did not stop the command while the node was silent; it ended only once the dial failed: %v (exit %d)", err, code)
	}
	code, err := r.end()
	if code != exitcode.Interrupted {
		t.Fatalf("Ctrl-C before the forward was up: %v (exit %d); want exit %d", err, code, exitcode.Interrupted)
	}
	if line, ok := <-r.lines; ok {
		t.Errorf("stdout %q; want nothing: no URL was ever served", line)
	}
	if stderr := r.stderr.String(); strings.Contains(stderr, "Forwarding to pod") {
		t.Errorf("stderr says the forward was up:\n%s", stderr)
	}
}
