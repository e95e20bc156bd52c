package version

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

const deadKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: dead, context: {cluster: dead, user: u}}]
current-context: dead
`

// An unreachable cluster makes version warn, never fail: the client version still prints.
func TestUnreachableControlPlaneIsAWarning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(deadKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{}, {"--remote=false"}, {"-o", "json"}} {
		streams, _, out, errOut := genericiooptions.NewTestIOStreams()
		f := factory.New(streams)
		f.ConfigFlags.KubeConfig = &path
		cmd := NewCmd(f, nil)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), "0.0.0-dev") {
			t.Errorf("%v: stdout %q lacks the client version", args, out)
		}
		remote := len(args) == 0 || args[0] != "--remote=false"
		if warned := strings.Contains(errOut.String(), "Warning: control plane version unknown"); warned != remote {
			t.Errorf("%v: stderr %q", args, errOut)
		}
		if strings.Contains(out.String(), "control plane version") {
			t.Errorf("%v: stdout claims a control plane: %q", args, out)
		}
	}
}
