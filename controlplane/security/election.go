package security

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/meshctl/meshctl/meshapi"
)

// elect takes part in the election until ctx ends: whenever this replica leads, it runs the singletons,
// and stops them when it loses the lease. The lease is released on the way out, so that another replica
// takes over at once rather than after LeaseDuration.
func (s *Security) elect(ctx context.Context) error {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Name: meshapi.LeaderElectionLease, Namespace: s.opts.Namespace},
		Client:     s.client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: s.opts.Identity},
	}
	for ctx.Err() == nil {
		// client-go calls OnStartedLeading in a goroutine of its own: it only hands the leadership's context
		// over, and the singletons run here, in a goroutine this function owns.
		leading := make(chan context.Context, 1)
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   s.opts.LeaseDuration,
			RenewDeadline:   s.opts.RenewDeadline,
			RetryPeriod:     s.opts.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            meshapi.LeaderElectionLease,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(lctx context.Context) { leading <- lctx },
				OnStoppedLeading: func() {},
			},
		})
		if err != nil {
			return err
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			le.Run(ctx)
		}()
		select {
		case lctx := <-leading:
			s.leader.Store(true)
			s.opts.Log.Info("leader election: leading", "lease", s.opts.Namespace+"/"+meshapi.LeaderElectionLease, "identity", s.opts.Identity)
			s.runSingletons(lctx) // returns when the leadership's context ends
			s.leader.Store(false)
			s.opts.Log.Info("leader election: stopped leading", "identity", s.opts.Identity)
			<-done
		case <-done:
		}
	}
	return nil
}
