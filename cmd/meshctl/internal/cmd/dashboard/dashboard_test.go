package dashboard

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	lib "github.com/meshctl/meshctl/dashboard"
	"github.com/meshctl/meshctl/internal/golden"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// testRoot stands in for meshctl's root command: the global flags (--kubeconfig, -n, -i) and this command.
type testRoot struct {
	cmd      *cobra.Command
	f        *factory.Factory
	out, err *bytes.Buffer
	opened   []string
}

func newTestRoot(t *testing.T, runF func(*Options) error) *testRoot {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	r := newTestRootWith(streams, runF)
	r.out, r.err = out, errOut
	return r
}

// newTestRootWith is newTestRoot on the given streams; the browser only records what it was asked to open.
func newTestRootWith(streams genericiooptions.IOStreams, runF func(*Options) error) *testRoot {
	f := factory.New(streams)
	r := &testRoot{f: f}
	f.Browser = func(url string) error { r.opened = append(r.opened, url); return nil }
	f.Getenv = func(string) string { return "" }
	root := &cobra.Command{Use: "meshctl", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	f.ConfigFlags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().StringVarP(&f.IstioNamespace, "istioNamespace", "i", factory.DefaultIstioNamespace, "")
	root.AddCommand(NewCmd(f, runF))
	r.cmd = root
	return r
}

// kubeconfigWithNamespace writes a kubeconfig whose current context has namespace ns (no server is contacted).
func kubeconfigWithNamespace(t *testing.T, ns string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: ctx, context: {cluster: c, user: u, namespace: ` + ns + `}}]
current-context: ctx
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFlagsToOptions checks what each invocation asks Run to do, without a cluster.
func TestFlagsToOptions(t *testing.T) {
	kubeconfig := kubeconfigWithNamespace(t, "ctx-ns")
	tests := []struct {
		args          []string
		wantDashboard string
		wantNS        string
		wantPod       *lib.PodRef
		wantSelectors []string
		check         func(t *testing.T, o *Options)
	}{
		{
			args: []string{"dashboard", "kiali"}, wantDashboard: "kiali", wantNS: "istio-system",
			wantSelectors: []string{"app=kiali", "app.kubernetes.io/name=kiali"},
			check: func(t *testing.T, o *Options) {
				if o.LocalPortSet || o.Address != "localhost" || !o.Browser {
					t.Errorf("defaults: port set %v, address %q, browser %v", o.LocalPortSet, o.Address, o.Browser)
				}
			},
		},
		// The context's namespace is not where add-ons live: only -n moves them.
		{args: []string{"--kubeconfig", kubeconfig, "dash", "grafana"}, wantDashboard: "grafana", wantNS: "istio-system",
			wantSelectors: []string{"app=grafana", "app.kubernetes.io/name=grafana"}},
		{args: []string{"d", "prometheus", "-n", "monitoring"}, wantDashboard: "prometheus", wantNS: "monitoring",
			wantSelectors: []string{"app=prometheus", "app.kubernetes.io/name=prometheus"}},
		{args: []string{"dashboard", "jaeger", "-i", "mesh"}, wantDashboard: "jaeger", wantNS: "mesh",
			wantSelectors: []string{"app=jaeger", "app.kubernetes.io/name=jaeger"}},
		{
			args:          []string{"dashboard", "kiali", "-p", "0", "--browser=false", "--address", "0.0.0.0", "-l", "app=my-kiali"},
			wantDashboard: "kiali", wantNS: "istio-system", wantSelectors: []string{"app=my-kiali"},
			check: func(t *testing.T, o *Options) {
				if !o.LocalPortSet || o.LocalPort != 0 || o.Browser || o.Address != "0.0.0.0" {
					t.Errorf("port %d set %v, browser %v, address %q", o.LocalPort, o.LocalPortSet, o.Browser, o.Address)
				}
			},
		},
		{
			args: []string{"dashboard", "grafana", "--port", "3001"}, wantDashboard: "grafana", wantNS: "istio-system",
			wantSelectors: []string{"app=grafana", "app.kubernetes.io/name=grafana"},
			check: func(t *testing.T, o *Options) {
				if !o.LocalPortSet || o.LocalPort != 3001 {
					t.Errorf("port %d set %v", o.LocalPort, o.LocalPortSet)
				}
			},
		},
		// Sidecars: the argument's namespace, else -n, else the context's namespace.
		{args: []string{"dashboard", "proxy", "web-1.shop"}, wantDashboard: "proxy", wantNS: "shop",
			wantPod: &lib.PodRef{Name: "web-1", Namespace: "shop"}},
		{args: []string{"dashboard", "envoy", "pod/web-1", "-n", "default"}, wantDashboard: "proxy", wantNS: "default",
			wantPod: &lib.PodRef{Name: "web-1", Namespace: "default"}},
		{args: []string{"--kubeconfig", kubeconfig, "dashboard", "proxy", "web-1"}, wantDashboard: "proxy", wantNS: "ctx-ns",
			wantPod: &lib.PodRef{Name: "web-1", Namespace: "ctx-ns"}},
		{args: []string{"dashboard", "proxy", "web-1.shop", "-n", "other"}, wantDashboard: "proxy", wantNS: "shop",
			wantPod: &lib.PodRef{Name: "web-1", Namespace: "shop"}},
		{args: []string{"--kubeconfig", kubeconfig, "dashboard", "proxy", "-l", "app=web"}, wantDashboard: "proxy", wantNS: "ctx-ns",
			wantSelectors: []string{"app=web"}},
		// meshd: the mesh's namespace, found by label or named.
		{args: []string{"dashboard", "controlz"}, wantDashboard: "controlz", wantNS: "istio-system",
			wantSelectors: []string{"app=istiod"}},
		{args: []string{"dashboard", "controlz", "istiod-7f9c"}, wantDashboard: "controlz", wantNS: "istio-system",
			wantPod: &lib.PodRef{Name: "istiod-7f9c", Namespace: "istio-system"}},
		{args: []string{"dashboard", "istiod-debug", "-i", "mesh"}, wantDashboard: "istiod-debug", wantNS: "mesh",
			wantSelectors: []string{"app=istiod"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got *Options
			r := newTestRoot(t, func(o *Options) error { got = o; return nil })
			r.cmd.SetArgs(tt.args)
			if err := r.cmd.Execute(); err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if got == nil {
				t.Fatal("runF not called")
			}
			if got.Dashboard.Name != tt.wantDashboard || got.Namespace != tt.wantNS {
				t.Errorf("dashboard %q in namespace %q; want %q in %q", got.Dashboard.Name, got.Namespace, tt.wantDashboard, tt.wantNS)
			}
			switch {
			case tt.wantPod == nil && got.Pod != nil:
				t.Errorf("pod %+v; want none", *got.Pod)
			case tt.wantPod != nil && (got.Pod == nil || *got.Pod != *tt.wantPod):
				t.Errorf("pod %v; want %+v", got.Pod, *tt.wantPod)
			}
			if tt.wantPod == nil && strings.Join(got.Selectors, ",") != strings.Join(tt.wantSelectors, ",") {
				t.Errorf("selectors %q; want %q", got.Selectors, tt.wantSelectors)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
			if len(r.opened) != 0 || r.out.Len() != 0 {
				t.Errorf("printed %q or opened %q before Run", r.out, r.opened)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"dashboard", "proxy"}, "proxy needs a POD argument or --selector"},
		{[]string{"dashboard", "proxy", "a", "b"}, "accepts at most 1 arg(s)"},
		{[]string{"dashboard", "proxy", "web", "-l", "app=web"}, "give either POD or --selector, not both"},
		{[]string{"dashboard", "proxy", "deployment/web"}, `invalid pod "deployment/web": only pods can be forwarded`},
		{[]string{"dashboard", "controlz", "Bad_Name"}, `invalid pod "Bad_Name"`},
		{[]string{"dashboard", "kiali", "extra"}, `unknown command "extra"`},
		{[]string{"dashboard", "kiali", "--address", "example.com"}, `invalid --address "example.com"`},
		{[]string{"dashboard", "kiali", "-l", "app in ("}, `invalid --selector "app in ("`},
		{[]string{"dashboard", "kiali", "-p", "70000"}, "want a port number from 0 to 65535"},
		{[]string{"dashboard", "kiali", "-p", "-1"}, "want a port number from 0 to 65535"},
		{[]string{"dashboard", "nope"}, `unknown dashboard "nope" for "meshctl dashboard"; choose one of: kiali, prometheus, grafana,`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := newTestRoot(t, func(o *Options) error { t.Fatal("runF called"); return nil })
			r.cmd.SetArgs(tt.args)
			err := r.cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want one containing %q", err, tt.want)
			}
			// Flag and argument errors become 64 through root's wrapper; the ones this package raises are 64 itself.
			if strings.HasPrefix(tt.want, "invalid") || strings.Contains(tt.want, "needs a POD") || strings.HasPrefix(tt.want, "unknown dashboard") || strings.Contains(tt.want, "not both") {
				if code := exitcode.For(err); code != exitcode.Usage {
					t.Errorf("exit code %d; want %d", code, exitcode.Usage)
				}
			}
		})
	}
}

// TestHelp pins `meshctl dashboard --help` and two subcommands' help: users read them. The root here has
// none of meshctl's global flags, whose defaults depend on the machine ($HOME/.kube/cache).
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"dashboard", "--help"}, {"dashboard", "kiali", "--help"}, {"dashboard", "proxy", "--help"}} {
		name := strings.Join(args[:len(args)-1], "-")
		t.Run(name, func(t *testing.T) {
			streams, _, out, _ := genericiooptions.NewTestIOStreams()
			root := &cobra.Command{Use: "meshctl"}
			root.SetOut(out)
			root.AddCommand(NewCmd(factory.New(streams), nil))
			root.SetArgs(args)
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".golden"), out.Bytes())
		})
	}
}
