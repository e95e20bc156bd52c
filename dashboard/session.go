package dashboard

import (
	"context"
	"errors"
	"fmt"
)

// Session is one running port-forward. Its goroutines and its listeners are gone once Wait returns.
type Session struct {
	namespace, name string
	address         string
	localPort       int
	remotePort      int

	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// LocalPort is the port the local end listens on.
func (s *Session) LocalPort() int { return s.localPort }

// Pod is the forwarded pod's "namespace/name".
func (s *Session) Pod() string { return s.namespace + "/" + s.name }

// URL is the http URL of the local end with path appended ("/kiali").
func (s *Session) URL(path string) string {
	return fmt.Sprintf("http://%s%s", joinHostPort(URLHost(s.address), s.localPort), path)
}

// Done is closed when the session has ended and cleaned up.
func (s *Session) Done() <-chan struct{} { return s.done }

// Wait blocks until the session ends and says why: the context's error when the caller's context ended or
// Close was called, a *PodGoneError when the pod was deleted or stopped, a *LostConnectionError when the API
// server closed the stream.
func (s *Session) Wait() error {
	<-s.done
	return s.err
}

// Close ends the session and waits for it to clean up; it returns what Wait returns.
func (s *Session) Close() error {
	s.cancel()
	return s.Wait()
}

// run waits for the first of: the caller's context, the forward ending by itself, the pod going away. Then it
// stops the other two and waits for them, so that nothing outlives the session.
func (s *Session) run(ctx context.Context, forwardDone, podDone <-chan error) {
	defer close(s.done)
	forwardEnded, podEnded := false, false
	select {
	case <-ctx.Done():
		s.err = context.Cause(ctx)
	case err := <-forwardDone:
		forwardEnded = true
		s.err = s.forwardEndError(ctx, err)
	case err := <-podDone:
		podEnded = true
		s.err = err
		if err == nil {
			s.err = context.Cause(ctx)
		}
	}
	s.cancel()
	if !forwardEnded {
		<-forwardDone
	}
	if !podEnded {
		<-podDone
	}
}

// forwardEndError explains why client-go's forward returned by itself.
func (s *Session) forwardEndError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err == nil {
		err = errors.New("stream ended")
	}
	return &LostConnectionError{Namespace: s.namespace, Name: s.name, Err: err}
}
