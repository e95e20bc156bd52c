package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	streamhttp "k8s.io/streaming/pkg/httpstream"
)

// Forwarder opens port-forward sessions through the API server of Config.
type Forwarder struct {
	Config *rest.Config
	Client kubernetes.Interface
}

// ForwardOptions say where the local end listens and which pod port it reaches.
type ForwardOptions struct {
	// Address is "localhost" (both loopbacks) or one IP address; empty means localhost.
	Address string
	// LocalPort is the port to listen on; 0 takes a free one.
	LocalPort int
	// FallbackToFreePort takes a free port when LocalPort is taken, instead of failing.
	FallbackToFreePort bool
	// RemotePort is the pod's port.
	RemotePort int
}

// Start forwards a local port to pod and returns once the local end listens. The session runs until ctx
// ends, Close is called, the pod goes away or the stream closes; Wait says which.
func (fw *Forwarder) Start(ctx context.Context, pod *corev1.Pod, opts ForwardOptions) (*Session, error) {
	if opts.Address == "" {
		opts.Address = DefaultAddress
	}
	if err := ValidateAddress(opts.Address); err != nil {
		return nil, err
	}
	if opts.RemotePort <= 0 || opts.RemotePort > 65535 || opts.LocalPort < 0 || opts.LocalPort > 65535 {
		return nil, fmt.Errorf("invalid ports: local %d, remote %d", opts.LocalPort, opts.RemotePort)
	}
	port, err := choosePort(opts.Address, opts.LocalPort, opts.FallbackToFreePort)
	if err != nil {
		return nil, err
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	dialer, err := fw.dialer(ctx, pod)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("port-forward to pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	s := &Session{
		namespace: pod.Namespace, name: pod.Name,
		address: opts.Address, remotePort: opts.RemotePort,
		cancel: cancel, done: make(chan struct{}),
	}
	ready := make(chan struct{})
	listenErrs := &syncBuffer{}
	// client-go's "Forwarding from …" and "Handling connection for …" lines are noise for a dashboard.
	pf, err := portforward.NewOnAddressesForStreamingWithContext(ctx, dialer, []string{opts.Address},
		[]string{fmt.Sprintf("%d:%d", port, opts.RemotePort)}, ready, io.Discard, listenErrs)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("port-forward to pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	forwardDone := make(chan error, 1)
	go func() { forwardDone <- pf.ForwardPorts() }()

	// No select on ctx here: ForwardPorts must end before Start returns, or it would leak. Cancelling ctx
	// makes it end: the dialer closes a connection still waiting for the upgrade, and once dialled
	// ForwardPorts sees ctx itself.
	select {
	case <-ready:
	case err := <-forwardDone:
		cancel()
		if parent.Err() != nil {
			// Ctrl-C before the forward was up: what failed after it (the aborted dial) is not news.
			return nil, context.Cause(parent)
		}
		return nil, s.startError(err, port, listenErrs.String())
	}
	if ports, err := pf.GetPorts(); err == nil && len(ports) == 1 {
		port = int(ports[0].Local)
	}
	s.localPort = port

	podDone := make(chan error, 1)
	go func() { podDone <- watchPod(ctx, fw.Client, pod) }()
	go s.run(ctx, forwardDone, podDone)
	return s, nil
}

// dialer upgrades to SPDY over WebSocket first and falls back to plain SPDY, as kubectl does: API servers
// before 1.31, and proxies that do not pass WebSocket upgrades, only speak SPDY. Ending ctx aborts a dial
// in progress (see abortOnCancel) and rules out the fallback.
func (fw *Forwarder) dialer(ctx context.Context, pod *corev1.Pod) (streamhttp.Dialer, error) {
	url := fw.Client.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(pod.Namespace).Name(pod.Name).SubResource("portforward").URL()
	cfg := rest.CopyConfig(fw.Config)
	cfg.Wrap(abortOnCancel(ctx))
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return nil, err
	}
	spdyDialer := spdy.NewDialerForStreaming(upgrader, &http.Client{Transport: transport}, http.MethodPost, url)
	wsDialer, err := portforward.NewSPDYOverWebsocketDialerForStreaming(url, cfg)
	if err != nil {
		return nil, err
	}
	// The upgrade errors come from k8s.io/streaming: apimachinery's httpstream.IsUpgradeFailure does not
	// recognise them, so the fallback must use the streaming package's tests.
	return portforward.NewFallbackDialerForStreaming(wsDialer, spdyDialer, func(err error) bool {
		return ctx.Err() == nil && (streamhttp.IsUpgradeFailure(err) || streamhttp.IsHTTPSProxyError(err))
	}), nil
}

// abortOnCancel makes the upgrade requests of a session end with ctx. client-go's dialers take no context
// (their requests carry context.Background), so a node that never answers holds the upgrade, and with it
// Ctrl-C, for as long as the API server waits: minutes. The wrapped request carries ctx, which aborts the
// TCP dial and TLS handshake, and the connection it got is closed when ctx ends, which aborts the wait for
// the upgrade response (and, later, ends the stream with the session). Only the WebSocket dialer reports
// its connection (httptrace GotConn); the SPDY fallback's wait for its response cannot be aborted.
func abortOnCancel(ctx context.Context) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			// Only upgrade requests come here: the upgraded connection outlives the request, not its context.
			rctx, cancel := context.WithCancel(req.Context())
			defer cancel()
			stop := context.AfterFunc(ctx, cancel)
			defer stop()
			trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
				context.AfterFunc(ctx, func() { _ = info.Conn.Close() })
			}}
			return rt.RoundTrip(req.WithContext(httptrace.WithClientTrace(rctx, trace)))
		})
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func (s *Session) startError(err error, port int, listenErrs string) error {
	if err == nil {
		// ForwardPorts returns nil only when stopped before it was ready.
		return context.Canceled
	}
	if strings.Contains(err.Error(), "unable to listen on any of the requested ports") {
		// Someone took the port between our probe and client-go's listen.
		return &PortInUseError{Address: s.address, Port: port, Err: errors.New(strings.TrimSpace(listenErrs))}
	}
	return fmt.Errorf("port-forward to pod %s/%s port %d: %w", s.namespace, s.name, s.remotePort, err)
}

// syncBuffer collects client-go's listen errors, which it writes from its own goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
