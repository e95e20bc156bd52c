package dashboard

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meshctl/meshctl/internal/testenv"
)

// TestStartEndsWhenCancelledWhileDialling: the pod's node never answers, so the API server holds the
// port-forward upgrade; cancelling the context must end Start at once with context.Canceled, leave no
// goroutine behind and no port open.
func TestStartEndsWhenCancelledWhileDialling(t *testing.T) {
	env := testenv.Get(t)
	base := goroutineBaseline()
	ns := env.Namespace(t)
	node := env.SilentNode(t, "silent-"+ns)
	pod := node.RunPod(t, ns, podSpec("kiali", map[string]string{"app": "kiali"}, 20001))
	fw := &Forwarder{Config: env.Config(), Client: env.Client()}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	port, err := choosePort(DefaultAddress, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	type started struct {
		s   *Session
		err error
	}
	done := make(chan started, 1)
	go func() {
		s, err := fw.Start(ctx, pod, ForwardOptions{LocalPort: port, RemotePort: 20001})
		done <- started{s, err}
	}()
	<-node.Dialled
	cancel()
	var got started
	select {
	case got = <-done:
	case <-time.After(time.Minute): // only so that a broken build does not hang the run
		node.Release()
		got = <-done
		t.Fatalf("Start did not end when cancelled while the node was silent; it ended once the dial failed: %v", got.err)
	}
	if got.s != nil || !errors.Is(got.err, context.Canceled) {
		t.Fatalf("Start cancelled while dialling = %v, %v; want nil, context.Canceled", got.s, got.err)
	}
	assertClosed(t, &Session{address: DefaultAddress, localPort: port})
	node.Release()
	assertNoLeaks(t, base)
}
