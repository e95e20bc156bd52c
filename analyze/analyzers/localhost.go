package analyzers

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/analyze"
)

// localhostListenerAnalyzer finds containers told to listen on localhost on a port their Service
// exposes. Istio finds these by looking at the running pods' sockets (precheck); meshctl reads what the
// configuration says: the container's command, arguments and environment.
type localhostListenerAnalyzer struct{}

func (localhostListenerAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "service.localhost",
		Description: "Finds containers whose command, arguments or environment bind a Service's target port to localhost, which other pods cannot reach",
		Codes:       []string{"IST0143"},
		Inputs:      append([]analyze.GroupKind{analyze.KindService, analyze.KindSidecar}, analyze.WorkloadKinds...),
	}
}

var (
	// localhostAddress is an address with a port on the loopback interface: localhost:8080, 127.0.0.1:8080,
	// [::1]:8080.
	localhostAddress = regexp.MustCompile(`(?:^|[^\w.-])(?:localhost|127\.0\.0\.1|\[::1\]):(\d{1,5})\b`)
	// localhostWord is the loopback host alone, as a word: --host localhost, -s 127.0.0.1, HOST=::1.
	localhostWord = regexp.MustCompile(`(?:^|[\s=])(?:localhost|127\.0\.0\.1|::1)(?:$|\s)`)
	portNumber    = regexp.MustCompile(`(?:^|[\s=:])(\d{1,5})(?:$|\s)`)
)

func (localhostListenerAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, ns := range c.Store.Namespaces(analyze.WorkloadKinds...) {
		for _, w := range ix.Workloads(ns) {
			svcs := ix.ServicesSelecting(w)
			if len(svcs) == 0 {
				continue
			}
			exposed := map[int64]bool{}
			for _, s := range svcs {
				for _, sp := range s.Ports {
					if t, ok := targetPortOn(sp, w); ok {
						exposed[t] = true
					}
				}
			}
			redirected := sidecarLocalhostPorts(c, w)
			for i, ct := range containers(w.PodSpec) {
				for _, port := range localhostPorts(ct) {
					if exposed[port] && !redirected[port] {
						c.Report("IST0143", w.Object, idx(w.Path+".containers", i), "Port %d is exposed in a Service but listens on localhost. It will not be exposed to other pods.", port)
					}
				}
			}
		}
	}
}

// localhostPorts are the ports a container's configuration binds to loopback: addresses with a port, or
// the loopback host named alone together with port numbers.
func localhostPorts(ct map[string]any) []int64 {
	var words []string
	for _, key := range []string{"command", "args"} {
		list, _ := ct[key].([]any)
		for _, a := range list {
			if s, ok := a.(string); ok {
				words = append(words, s)
			}
		}
	}
	env, _ := ct["env"].([]any)
	for _, e := range env {
		if v, ok := mapOf(e)["value"].(string); ok {
			name, _ := mapOf(e)["name"].(string)
			words = append(words, name+"="+v)
		}
	}
	text := strings.Join(words, "\n")
	var out []int64
	add := func(s string) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && n <= 65535 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, m := range localhostAddress.FindAllStringSubmatch(text, -1) {
		add(m[1])
	}
	if len(out) == 0 && localhostWord.MatchString(strings.ReplaceAll(text, "\n", " ")) {
		for _, w := range words {
			for _, m := range portNumber.FindAllStringSubmatch(w, -1) {
				add(m[1])
			}
		}
	}
	return out
}

// sidecarLocalhostPorts are the ports a Sidecar ingress listener of the workload sends to loopback, the
// documented way to reach an application that listens on localhost.
func sidecarLocalhostPorts(c *analyze.Context, w *analyze.Workload) map[int64]bool {
	out := map[int64]bool{}
	for _, o := range c.Store.InNamespace(analyze.KindSidecar, w.Object.Namespace) {
		sc, ok := o.Spec.(*networking.Sidecar)
		if !ok || !analyze.Matches(sc.GetWorkloadSelector().GetLabels(), w.Labels) {
			continue
		}
		for _, in := range sc.Ingress {
			if in.Port != nil && (strings.HasPrefix(in.DefaultEndpoint, "127.0.0.1:") || strings.HasPrefix(in.DefaultEndpoint, "[::1]:")) {
				out[int64(in.Port.Number)] = true
			}
		}
	}
	return out
}
