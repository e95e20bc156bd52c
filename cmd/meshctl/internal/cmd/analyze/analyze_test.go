package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/clitest"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// runCmd runs `meshctl analyze args...` in-process, as the root command would, and returns stdout,
// stderr and the exit code.
func runCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString(stdin)
	f := factory.New(streams)
	f.Getenv = func(string) string { return "" }
	root := &cobra.Command{Use: "meshctl", SilenceUsage: true, SilenceErrors: true}
	f.ConfigFlags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().StringVarP(&f.IstioNamespace, "istioNamespace", "i", factory.DefaultIstioNamespace, "")
	root.AddCommand(NewCmd(f, nil))
	root.SetArgs(append([]string{"analyze"}, args...))
	err := root.ExecuteContext(context.Background())
	if err != nil && err.Error() != "" {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), exitcode.For(err)
}

func TestExitCodeIsTheSameInEveryFormat(t *testing.T) {
	for _, format := range []string{"log", "json", "yaml", "sarif", "junit"} {
		_, _, code := runCmd(t, "", "--use-kube=false", "-o", format, "testdata/bookinfo.yaml")
		if code != exitcode.IssuesFound {
			t.Errorf("-o %s: exit %d, want %d", format, code, exitcode.IssuesFound)
		}
	}
}

func TestLogOutputNamesFileAndLine(t *testing.T) {
	out, _, code := runCmd(t, "", "--use-kube=false", "testdata/bookinfo.yaml")
	want := `Error [IST0101] (VirtualService default/reviews testdata/bookinfo.yaml:64) Referenced host+subset in destinationrule not found: "reviews+v4"`
	if !strings.Contains(out, want) || code != exitcode.IssuesFound {
		t.Fatalf("exit %d, output:\n%s\nwant a line:\n%s", code, out, want)
	}
}

func TestCleanInputSaysSo(t *testing.T) {
	in := "apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {istio-injection: enabled}}\n"
	out, errOut, code := runCmd(t, in, "--use-kube=false", "-")
	if code != 0 || out != "" || !strings.Contains(errOut, "✔ No validation issues found when analyzing namespace: default.") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestUnparsableFileIsReportedAndOthersAnalyzed(t *testing.T) {
	out, _, code := runCmd(t, "", "--use-kube=false", "-o", "json", "testdata/bad.yaml", "testdata/bookinfo.yaml")
	if code != exitcode.BadInput {
		t.Fatalf("exit %d, want %d (bad input wins over findings)", code, exitcode.BadInput)
	}
	var doc struct {
		Findings []struct {
			Code   string
			Origin struct {
				File string
				Line int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("one JSON document expected: %v\n%s", err, out)
	}
	var sawBad, sawOther bool
	for _, f := range doc.Findings {
		sawBad = sawBad || f.Code == "MSH1001" && f.Origin.File == "testdata/bad.yaml" && f.Origin.Line > 0
		sawOther = sawOther || f.Code == "IST0101"
	}
	if !sawBad || !sawOther {
		t.Fatalf("want the parse error with file and line and the other file's findings: %s", out)
	}
}

func TestThresholdsAndSuppression(t *testing.T) {
	out, _, code := runCmd(t, "", "--use-kube=false", "--failure-threshold", "None", "testdata/bookinfo.yaml")
	if code != 0 || out == "" {
		t.Errorf("--failure-threshold None: exit %d, want 0 with output", code)
	}
	out, _, code = runCmd(t, "", "--use-kube=false", "--output-threshold", "Error", "testdata/bookinfo.yaml")
	if strings.Contains(out, "Warning") || !strings.Contains(out, "Error") || code != exitcode.IssuesFound {
		t.Errorf("--output-threshold Error: exit %d, want %d, with errors and without warnings:\n%s", code, exitcode.IssuesFound, out)
	}
	out, _, code = runCmd(t, "", "--use-kube=false", "-S", "IST0101=VirtualService *.default", "-S", "IST0106=*", "-S", "IST0173=*", "testdata/bookinfo.yaml")
	if strings.Contains(out, "IST0101") || code != 0 {
		t.Errorf("suppressed findings still reported (exit %d):\n%s", code, out)
	}
}

func TestBaseline(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline.yaml")
	if _, _, code := runCmd(t, "", "--use-kube=false", "--write-baseline", base, "testdata/bookinfo.yaml"); code != 0 {
		t.Fatalf("--write-baseline: exit %d", code)
	}
	out, _, code := runCmd(t, "", "--use-kube=false", "--baseline", base, "testdata/bookinfo.yaml")
	if code != 0 || out != "" {
		t.Fatalf("all findings are in the baseline: exit %d, output %q", code, out)
	}
	// A new problem fails the run again.
	data, err := os.ReadFile("testdata/bookinfo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(dir, "bookinfo.yaml")
	if err := os.WriteFile(changed, bytes.Replace(data, []byte("subset: v1"), []byte("subset: v7"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = runCmd(t, "", "--use-kube=false", "--baseline", base, changed)
	if code != exitcode.IssuesFound || !strings.Contains(out, "reviews+v7") || strings.Contains(out, "reviews+v4") {
		t.Fatalf("want only the new finding, exit 79: exit %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--use-kube=false"},
		{"--use-kube=false", "-o", "xml", "x.yaml"},
		{"--use-kube=false", "-S", "nonsense", "x.yaml"},
		{"--use-kube=false", "--analyzers", "nope", "x.yaml"},
		{"--use-kube=false", "--failure-threshold", "Severe", "x.yaml"},
		{"--use-kube=false", "--remote-files", "no-equals-sign", "x.yaml"},
		{"--use-kube=false", "--remote-contexts", "other", "x.yaml"},
	} {
		if _, _, code := runCmd(t, "", args...); code != exitcode.Usage {
			t.Errorf("%v: exit %d, want %d", args, code, exitcode.Usage)
		}
	}
}

func TestListAnalyzers(t *testing.T) {
	out, _, code := runCmd(t, "", "--list-analyzers")
	if code != 0 || !strings.Contains(out, "virtualservice.destinations") || !strings.Contains(out, "IST0101,IST0112") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// Codes precheck reports are listed as its, so that users of istioctl find them.
	if !regexp.MustCompile(`\(precheck\)\s+IST0141,IST0142\s+Not run by analyze: IST0141 by meshctl x precheck`).MatchString(out) {
		t.Errorf("--list-analyzers does not say where IST0141 and IST0142 are:\n%s", out)
	}
}

// TestRemoteFiles: other clusters' configuration in files is compared with this one's (IST0170), and
// findings are about this cluster's objects only.
func TestRemoteFiles(t *testing.T) {
	dir := t.TempDir()
	svc := "apiVersion: v1\nkind: Service\nmetadata: {name: helloworld, namespace: sample}\nspec:\n  ports: [{name: http, port: %d}]\n"
	here, there := filepath.Join(dir, "here.yaml"), filepath.Join(dir, "there.yaml")
	if err := os.WriteFile(here, fmt.Appendf(nil, svc, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(there, fmt.Appendf(nil, svc, 5001), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := runCmd(t, "", "--use-kube=false", "--analyzers", "multicluster.", "--remote-files", "cluster2="+there, here)
	want := `Warning [IST0170] (Service sample/helloworld ` + here + `:4) The service helloworld in namespace "sample" is inconsistent across clusters ["primary" "cluster2"]`
	if code != 0 || !strings.Contains(out, want) || strings.Count(out, "IST0170") != 1 {
		t.Fatalf("exit %d, want one line:\n%s\ngot:\n%s", code, want, out)
	}
	if out, _, _ := runCmd(t, "", "--use-kube=false", "--analyzers", "multicluster.", "--remote-files", "cluster2="+here, here); strings.Contains(out, "IST0170") {
		t.Errorf("the same Service in both clusters is reported:\n%s", out)
	}
}

func TestSelectedAnalyzersOnly(t *testing.T) {
	out, _, code := runCmd(t, "", "--use-kube=false", "--analyzers", "schema", "testdata/bookinfo.yaml")
	if strings.Contains(out, "IST0101") || !strings.Contains(out, "IST0106") || code != exitcode.IssuesFound {
		t.Fatalf("--analyzers schema: exit %d, want %d\n%s", code, exitcode.IssuesFound, out)
	}
}

// TestUseKubeFalseOpensNoConnection: with --use-kube=false the kubeconfig is there but never used, not even
// for the version skew check. The same kubeconfig without the flag does reach the listener.
func TestUseKubeFalseOpensNoConnection(t *testing.T) {
	l := clitest.Listen(t, clitest.HangUp)
	kc := clitest.Kubeconfig(t, l.Addr())
	out, stderr, code := runCmd(t, "", "--kubeconfig", kc, "--use-kube=false", "testdata/bookinfo.yaml")
	if code != exitcode.IssuesFound || !strings.Contains(out, "IST0101") {
		t.Fatalf("exit %d, want %d with the file's findings\n%s%s", code, exitcode.IssuesFound, out, stderr)
	}
	if n := l.Connections(t); n != 0 {
		t.Errorf("--use-kube=false opened %d connection(s)", n)
	}
	if _, _, code := runCmd(t, "", "--kubeconfig", kc, "--timeout", "1s", "testdata/bookinfo.yaml"); code != exitcode.Error {
		t.Errorf("a cluster that hangs up cannot be read, yet exit %d", code)
	}
	if l.Connections(t) == 0 {
		t.Error("the listener counted no connection from a run that read the cluster")
	}
}
