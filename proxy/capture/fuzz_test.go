package capture_test

import (
	"testing"

	"github.com/meshctl/meshctl/proxy/capture"
)

// FuzzLists: a list either fails to parse or parses to a value that formats back to an equal list.
func FuzzLists(f *testing.F) {
	for _, s := range []string{"", "*", "80", "15090,15021,15020", " 1 , 2 ", "8080,,1", "65536", "0",
		"10.0.0.0/8", "10.1.2.3,fd00::/8", "10.0.0.0/33", "fe80::1%eth0", "::ffff:1.2.3.4", "*,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l, err := capture.ParsePortList(s); err == nil {
			again, err := capture.ParsePortList(l.String())
			if err != nil || again.String() != l.String() {
				t.Errorf("ports %q -> %q -> %q, %v", s, l.String(), again.String(), err)
			}
		}
		if l, err := capture.ParseCIDRList(s); err == nil {
			again, err := capture.ParseCIDRList(l.String())
			if err != nil || again.String() != l.String() {
				t.Errorf("CIDRs %q -> %q -> %q, %v", s, l.String(), again.String(), err)
			}
		}
	})
}

// FuzzOptions: any flag values give a configuration or an error, and a configuration always renders.
func FuzzOptions(f *testing.F) {
	f.Add("15001", "1337", "*", "", "*", "15090,15021", "", "", "eth0")
	f.Add("x", "a,b", "10.0.0.0/8", "1.2.3.4", "80", "*", "*", "22", "")
	f.Fuzz(func(t *testing.T, port, uid, incCIDR, excCIDR, incIn, excIn, incOut, excOut, ifaces string) {
		o := capture.Options{OutboundPort: port, ProxyUID: uid, IncludeOutboundCIDRs: incCIDR,
			ExcludeOutboundCIDRs: excCIDR, IncludeInboundPorts: incIn, ExcludeInboundPorts: excIn,
			IncludeOutboundPorts: incOut, ExcludeOutboundPorts: excOut, ExcludeInterfaces: ifaces}
		cfg, err := o.Config()
		if err != nil {
			return
		}
		if capture.Rules(cfg).Text() == "" {
			t.Error("empty ruleset text")
		}
	})
}
