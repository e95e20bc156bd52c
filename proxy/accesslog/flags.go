// Package accesslog records what happened to each request or connection (Envoy's stream info) and
// writes Istio's default text access log line from it, with Envoy's response flags.
package accesslog

import "strings"

// Flags are Envoy's response flags: why a request got the answer it got, when the proxy had a hand in
// it. Istio's tools and users read them (UH, UF, UO, NR, URX ...), so their names are Envoy's.
type Flags uint32

const (
	NoHealthyUpstream               Flags = 1 << iota // UH
	UpstreamRequestTimeout                            // UT
	UpstreamConnectionFailure                         // UF
	UpstreamConnectionTermination                     // UC
	UpstreamOverflow                                  // UO
	NoRouteFound                                      // NR
	DelayInjected                                     // DI
	FaultInjected                                     // FI
	DownstreamConnectionTermination                   // DC
	UpstreamRetryLimitExceeded                        // URX
	DownstreamProtocolError                           // DPE
	NoClusterFound                                    // NC
	RBACAccessDenied                                  // RBAC
)

// flagNames in Envoy's order of printing.
var flagNames = []struct {
	f    Flags
	name string
}{
	{NoHealthyUpstream, "UH"}, {UpstreamRequestTimeout, "UT"}, {UpstreamConnectionFailure, "UF"},
	{UpstreamConnectionTermination, "UC"}, {UpstreamOverflow, "UO"}, {NoRouteFound, "NR"},
	{DelayInjected, "DI"}, {FaultInjected, "FI"}, {DownstreamConnectionTermination, "DC"},
	{UpstreamRetryLimitExceeded, "URX"}, {DownstreamProtocolError, "DPE"}, {NoClusterFound, "NC"},
	{RBACAccessDenied, "RBAC"},
}

// String is the flags as Envoy prints %RESPONSE_FLAGS%: comma-separated short names, "-" for none.
func (f Flags) String() string {
	if f == 0 {
		return "-"
	}
	return string(f.appendTo(nil))
}

func (f Flags) appendTo(b []byte) []byte {
	if f == 0 {
		return append(b, '-')
	}
	first := true
	for _, n := range flagNames {
		if f&n.f != 0 {
			if !first {
				b = append(b, ',')
			}
			b = append(b, n.name...)
			first = false
		}
	}
	return b
}

// ParseFlags reads a %RESPONSE_FLAGS% value back, for tests and tools.
func ParseFlags(s string) Flags {
	var f Flags
	for _, part := range strings.Split(s, ",") {
		for _, n := range flagNames {
			if n.name == part {
				f |= n.f
			}
		}
	}
	return f
}
