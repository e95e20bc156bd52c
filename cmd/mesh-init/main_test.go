package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/meshctl/meshctl/internal/golden"
	"github.com/meshctl/meshctl/internal/netns"
	"github.com/meshctl/meshctl/meshapi"
)

// mainEnv makes the test binary run mesh-init itself with the arguments after "--".
const mainEnv = "MESH_INIT_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) != "" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Exit(run(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// templateArgs are the arguments the injection template passes by default.
func templateArgs() []string {
	return []string{"-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "",
		"-b", "*", "-d", meshapi.ProxyOwnInboundPorts(meshapi.ProxyStatusPort.String())}
}

func runIn(t *testing.T, ns *netns.NS, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := -1
	fn := func() error { code = run(args, &out, &errOut); return nil }
	if ns == nil {
		_ = fn()
	} else if err := ns.Run(fn); err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

func TestDryRunOfTheTemplatesArguments(t *testing.T) {
	code, out, errOut := runIn(t, nil, append(templateArgs(), "--dry-run")...)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden.Check(t, filepath.Join("testdata", "template-dry-run.nft"), []byte(out))

	// Istio's long names say the same.
	long := []string{"--envoy-port=15001", "--inbound-capture-port=15006", "--proxy-uid=1337",
		"--istio-inbound-interception-mode=REDIRECT", "--istio-service-cidr=*", "--istio-service-exclude-cidr=",
		"--istio-inbound-ports=*", "--istio-local-exclude-ports=" + meshapi.ProxyOwnInboundPorts(meshapi.ProxyStatusPort.String()), "-n"}
	if _, same, _ := runIn(t, nil, long...); same != out {
		t.Errorf("long flag names print\n%s\nshort ones\n%s", same, out)
	}
}

func TestBadFlagsExitNamingTheFlag(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-p", "http"}, `-p/--envoy-port "http": not a port`},
		{[]string{"--istio-service-cidr", "10.0.0.0/40"}, `-i/--istio-service-cidr "10.0.0.0/40"`},
		{[]string{"-b", "80,eighty"}, `-b/--istio-inbound-ports "80,eighty"`},
		{[]string{"-m", "TPROXY"}, `-m/--istio-inbound-interception-mode "TPROXY": interception mode TPROXY is not supported yet`},
		{[]string{"-k", "eth0"}, `unknown shorthand flag: 'k' in -k`},
		{[]string{"--no-such-flag"}, `unknown flag: --no-such-flag`},
		{[]string{"stray"}, `unexpected argument "stray"`},
	}
	for _, tc := range cases {
		code, out, errOut := runIn(t, nil, append(tc.args, "--dry-run")...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("mesh-init %s: exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, out, errOut, exitUsage, tc.want)
		}
	}
}

// TestApplyIsIdempotentAndCleanupRemovesIt runs mesh-init in a network namespace of the test's own.
func TestApplyIsIdempotentAndCleanupRemovesIt(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft(8) to list the rules")
	}
	ns := netns.New(t, "init")
	list := func() string {
		out, err := exec.Command("ip", "netns", "exec", ns.Name, "nft", "list", "ruleset").CombinedOutput()
		if err != nil {
			t.Fatalf("nft list ruleset: %v: %s", err, out)
		}
		return string(out)
	}
	code, printed, errOut := runIn(t, ns, templateArgs()...)
	if code != exitOK {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	first := list()
	if first != printed {
		t.Errorf("the namespace holds\n%s\nmesh-init printed\n%s", first, printed)
	}
	if code, _, errOut := runIn(t, ns, templateArgs()...); code != exitOK {
		t.Fatalf("second apply: exit %d: %s", code, errOut)
	}
	if again := list(); again != first {
		t.Errorf("applying twice changed the ruleset:\n%s", again)
	}
	for i := 0; i < 2; i++ { // cleaning up twice is fine too
		if code, _, errOut := runIn(t, ns, "--cleanup"); code != exitOK {
			t.Fatalf("cleanup: exit %d: %s", code, errOut)
		}
	}
	if left := list(); left != "" {
		t.Errorf("after --cleanup the ruleset is\n%s", left)
	}
}

// TestWithoutCapabilitiesTheErrorSaysWhy: mesh-init run as an ordinary user gets a refusal it explains.
func TestWithoutCapabilitiesTheErrorSaysWhy(t *testing.T) {
	ns := netns.New(t, "nocap")
	cmd := exec.Command(netns.SharedExecutable(t), append([]string{"-test.run=^$", "--"}, templateArgs()...)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: meshapi.ProxyUID, Gid: meshapi.ProxyGID}}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := ns.Start(cmd); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitError {
		t.Fatalf("exit %v, want %d; stderr %s", err, exitError, errOut.String())
	}
	if msg := errOut.String(); !strings.Contains(msg, "operation not permitted") || !strings.Contains(msg, "NET_ADMIN") {
		t.Errorf("stderr %q does not say that NET_ADMIN is missing", msg)
	}
}
