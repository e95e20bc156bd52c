package installer_test

import (
	"testing"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

// TestDryRunOnEmptyClusterChangesNothing: on a fresh cluster with no mesh (a cluster of its own: the shared
// one has seen installs), install --dry-run creates no namespace, no CRD, no object of any listable kind
// and changes none, and says it would create everything.
func TestDryRunOnEmptyClusterChangesNothing(t *testing.T) {
	env := testenv.StartVersion(t, testenv.Newest, testenv.Options{})
	c := clients(t, env)
	if left := leftovers(t, env); len(left) > 0 {
		t.Fatalf("a fresh cluster holds objects of the mesh: %v", left)
	}
	before := waitClusterStable(t, env)
	for _, profile := range []string{"demo", "ambient"} {
		dry := install(t, c, func(o *installer.InstallOptions) { o.DryRun = true }, "profile="+profile)
		if dry.err != nil {
			t.Fatalf("install --dry-run profile=%s: %v", profile, dry.err)
		}
		if changed := diffMaps(before, clusterResourceVersions(t, env)); len(changed) > 0 {
			t.Errorf("install --dry-run profile=%s on an empty cluster changed:\n  %v", profile, changed)
		}
		if n := dry.res.Counts(); n[installer.ActionWouldCreate] != len(dry.res.Objects) || dry.res.Objects == nil {
			t.Errorf("install --dry-run profile=%s: %v, want every one of %d objects 'would create'", profile, n, len(dry.res.Objects))
		}
	}
}
