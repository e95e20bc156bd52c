package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/analyze/analyzetest"
	"github.com/meshctl/meshctl/inject/injecttest"
)

// BenchmarkProcess runs meshctl as a whole process, which is how its speed targets are stated: CPU time of
// the process (user + system) and its peak resident memory, the figures /usr/bin/time reports.
//
//	go test ./cmd/meshctl -run '^$' -bench Process -benchtime 20x
func BenchmarkProcess(b *testing.B) {
	if _, err := os.Stat(timeBin); err != nil {
		b.Skipf("%s not found (apt-get install time): it measures the process's CPU and memory", timeBin)
	}
	bin := buildMeshctl(b)
	dir := b.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
		return path
	}
	deploy := write("deployments-1000.yaml", injecttest.Deployments(1000))
	cases := []struct {
		name string
		args []string
	}{
		// Anchor: istioctl 0.445 s CPU, 106 MiB. Target: ≤ 45 ms, < 50 MiB.
		{"manifest-generate-demo", []string{"manifest", "generate", "--set", "profile=demo"}},
		// Anchor: istioctl 4.9 s CPU, 93 MiB. Target: ≤ 0.98 s, memory flat in the number of documents.
		{"kube-inject-1000", []string{"kube-inject", "--offline", "--quiet", "-f", deploy}},
		// Anchor: istioctl 2.6 s CPU, 153 MiB for 10k. Target: ≤ 0.52 s and < 300 MiB for 10k, linear.
		{"analyze-1k", []string{"analyze", "--use-kube=false", write("analyze-1k.yaml", analyzetest.SyntheticInput(1000))}},
		{"analyze-10k", []string{"analyze", "--use-kube=false", write("analyze-10k.yaml", analyzetest.SyntheticInput(10000))}},
		{"analyze-50k", []string{"analyze", "--use-kube=false", write("analyze-50k.yaml", analyzetest.SyntheticInput(50000))}},
	}
	stats := filepath.Join(dir, "time.out")
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var cpu, maxRSS float64
			for b.Loop() {
				// GNU time forks a small process to exec meshctl: a child forked from this large test binary
				// would report the test binary's peak RSS, which Linux carries across exec.
				cmd := exec.Command(timeBin, append([]string{"-f", "%U %S %M", "-o", stats, bin}, c.args...)...)
				cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
				cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")} // no kubeconfig, no config file
				var exit *exec.ExitError
				if err := cmd.Run(); err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 79) {
					b.Fatalf("meshctl %v: %v", c.args, err)
				}
				var user, sys, rssKiB float64
				out, err := os.ReadFile(stats)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := fmt.Sscanf(lastLine(string(out)), "%f %f %f", &user, &sys, &rssKiB); err != nil {
					b.Fatalf("read %s: %v: %q", stats, err, out)
				}
				cpu += user + sys
				maxRSS = max(maxRSS, rssKiB/1024)
			}
			b.ReportMetric(cpu*1e3/float64(b.N), "cpu-ms/op")
			b.ReportMetric(maxRSS, "maxrss-MiB")
		})
	}
}

// timeBin is GNU time (Debian package time), which reports a process's CPU and peak memory.
const timeBin = "/usr/bin/time"

// lastLine skips the "Command exited with non-zero status" line GNU time writes before its figures.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// buildMeshctl builds the binary as `make build` does.
func buildMeshctl(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "meshctl")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build meshctl: %v\n%s", err, out)
	}
	return bin
}
