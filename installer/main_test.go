package installer_test

import (
	"os"
	"testing"

	"github.com/meshctl/meshctl/internal/testenv"
)

// Every test of this package that installs the mesh shares one cluster and runs serially: an install is
// cluster-scoped (CRDs, webhooks, ClusterRoles). Each such test ends with uninstall --purge.
func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
