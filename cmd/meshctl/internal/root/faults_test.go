package root

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/internal/testenv"
)

// runWithin runs meshctl with a context that expires after d: the bound a test puts on a command that
// must not hang (it asserts the outcome, never how long the command took).
func runWithin(t *testing.T, d time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", "")
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out, errOut bytes.Buffer
	code = Run(ctx, args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	if ctx.Err() != nil && code == 0 {
		t.Errorf("meshctl %s: exit 0 after its deadline", strings.Join(args, " "))
	}
	return code, out.String(), errOut.String()
}

// errorLine is the command's error: exactly one "Error: " line naming what was unreachable, followed at
// most by the installer commands' hint of which kubeconfig was tried.
func errorLine(t *testing.T, name, stderr, host string) {
	t.Helper()
	var errs, after []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		switch {
		case strings.HasPrefix(l, "Error: "):
			errs = append(errs, l)
		case len(errs) > 0 && !strings.HasPrefix(strings.TrimSpace(l), "Tried "):
			after = append(after, l) // the one line goes on: not one line
		}
	}
	if len(errs) != 1 || len(after) > 0 || !strings.Contains(errs[0], "no cluster reachable at "+host) {
		t.Errorf("%s: want one Error line naming %s, got:\n%s", name, host, stderr)
	}
}

// TestClusterCommandsUnderFaults: verify-install, manifest diff, x precheck, analyze (live) and
// dashboard, against an API server that refuses connections (it restarts), resets them, or is paused,
// each end with one clear error line naming the server, the exit code of docs/exit-codes.md, and before
// the deadline the test puts on them (a paused server answers nothing: the deadline is what ends it).
func TestClusterCommandsUnderFaults(t *testing.T) {
	env := testenv.Get(t)
	proxy := env.FaultProxy(t)
	kc := proxy.Kubeconfig(t)
	u, err := url.Parse(proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	host := "https://" + u.Host
	commands := []struct {
		name string
		args []string
		code int // when the cluster is unreachable
	}{
		{"verify-install", []string{"verify-install"}, exitcode.Error},
		{"manifest diff", []string{"manifest", "diff"}, exitcode.DiffTrouble},
		{"x precheck", []string{"x", "precheck"}, exitcode.Error},
		{"analyze", []string{"analyze", "--all-namespaces"}, exitcode.Error},
		{"dashboard", []string{"dashboard", "kiali", "--browser=false"}, exitcode.Error},
	}
	faults := []struct {
		name   string
		fault  testenv.Fault
		pause  bool
		within time.Duration
	}{
		{"refused", testenv.Refuse, false, time.Minute},
		{"reset", testenv.Reset, false, time.Minute},
		{"paused", testenv.Pass, true, 5 * time.Second},
	}
	for _, f := range faults {
		for _, c := range commands {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				proxy.Set(f.fault)
				defer proxy.Set(testenv.Pass)
				if f.pause {
					resume := env.PauseAPIServer(t)
					defer resume()
				}
				before := proxy.Requests() + proxy.Faulted()
				code, _, stderr := runWithin(t, f.within, append(c.args, "--kubeconfig", kc)...)
				if code != c.code {
					t.Errorf("exit %d, want %d\n%s", code, c.code, stderr)
				}
				errorLine(t, c.name, stderr, host)
				t.Logf("%s: %d requests or connections; %s", c.name, proxy.Requests()+proxy.Faulted()-before, strings.TrimSpace(stderr))
			})
		}
	}
}
