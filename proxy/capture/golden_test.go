package capture_test

import (
	"path/filepath"
	"testing"

	"github.com/meshctl/meshctl/internal/golden"
	"github.com/meshctl/meshctl/proxy/capture"
)

// goldenOptions are the flag sets whose rules testdata/golden shows a reviewer.
func goldenOptions() map[string]capture.Options {
	all := templateOptions()
	excl := templateOptions()
	excl.ExcludeOutboundCIDRs = "10.96.0.10/32,169.254.169.254,fd00::/8"
	excl.ExcludeOutboundPorts = "22,3306"
	excl.ExcludeInboundPorts = "15090,15021,15020,8443"
	excl.ExcludeInterfaces = "eth1"
	incl := templateOptions()
	incl.IncludeOutboundCIDRs = "10.96.0.0/12,10.244.0.0/16"
	incl.IncludeInboundPorts = "8080,9080"
	incl.IncludeOutboundPorts = "443"
	incl.ProxyUID, incl.ProxyGID = "1337,1338", "1337"
	return map[string]capture.Options{"template-defaults": all, "exclusions": excl, "inclusions": incl}
}

func TestDryRunGolden(t *testing.T) {
	for name, o := range goldenOptions() {
		t.Run(name, func(t *testing.T) {
			cfg, err := o.Config()
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", name+".nft"), []byte(capture.Rules(cfg).Text()))
		})
	}
}
