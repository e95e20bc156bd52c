package loadtest

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/anypb"
)

// Whatever a server sends as a cluster or a listener, following its references never panics.
func FuzzReferencedNames(f *testing.F) {
	f.Add([]byte{0x0a, 0x01, 'a'}, true)
	f.Add([]byte{0x12, 0x03, 0x0a, 0x01, 'x'}, false)
	f.Fuzz(func(t *testing.T, value []byte, cluster bool) {
		url := "type.googleapis.com/envoy.config.listener.v3.Listener"
		if cluster {
			url = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
		}
		m := map[string]*anypb.Any{"r": {TypeUrl: url, Value: value}}
		_ = edsNames(m)
		_ = rdsNames(m)
		_ = anyName(m["r"])
	})
}

// A control plane's /metrics page: the two process series are read, anything else skipped.
func FuzzParseUsage(f *testing.F) {
	f.Add("process_resident_memory_bytes 1.5e+08\nprocess_cpu_seconds_total 12.5\n# HELP x\n")
	f.Add("process_cpu_seconds_total NaN")
	f.Fuzz(func(t *testing.T, page string) {
		u, err := parseUsage(strings.NewReader(page))
		if err == nil && u.RSSBytes != 0 && !strings.Contains(page, "process_resident_memory_bytes") {
			t.Errorf("RSS %g from a page without it", u.RSSBytes)
		}
	})
}
