package security

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/meshctl/meshctl/internal/testenv"
)

// TestRunLeavesNoGoroutines: every goroutine Run starts (informers, election, servers, renewals) ends with
// it. The API client's own connection goroutines are the client's, not Run's.
func TestRunLeavesNoGoroutines(t *testing.T) {
	env := testenv.Get(t)
	meshNS := env.Namespace(t)
	installInjectorConfigMaps(t, env, meshNS, "")
	before := goleak.IgnoreCurrent()
	m := startMeshd(t, env, meshNS, "", "replica-0", nil)
	testenv.Poll(t, "ready", func(context.Context) (bool, error) { return m.Ready() == nil && m.IsLeader(), nil })
	m.Stop(t)
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = goleak.Find(before,
			goleak.IgnoreTopFunction("golang.org/x/net/http2.(*ClientConn).readLoop"),
			goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
		); err == nil {
			return
		}
	}
	t.Fatal(err)
}
