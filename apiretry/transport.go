package apiretry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// Backoff is the retry schedule: 6 attempts, 250ms doubling to 4s between them (about 8s of
// waiting in all), with jitter so that many clients do not retry in step. Long enough to ride out an API
// server restart; short enough that "no cluster here" is said within seconds.
var Backoff = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: 6}

// AttemptTimeout bounds the wait for one attempt's response headers. A paused or wedged API server
// accepts connections and never answers; this turns that into a retry instead of a hang. Streams (watch,
// logs, port-forward) are not affected once their headers have arrived.
const AttemptTimeout = 30 * time.Second

// MaxRetryAfter caps how long one Retry-After may make a request wait.
const MaxRetryAfter = 30 * time.Second

// WrapConfig makes every request of clients built from cfg go through Transport. It returns cfg.
// The clients built from cfg share one breaker: once a request gave up on an API server that could not be
// reached, the next requests try once each until one gets through, instead of each waiting through the
// whole backoff (a command listing 35 kinds would otherwise wait 35 backoffs and send 6 times the load).
func WrapConfig(cfg *rest.Config) *rest.Config {
	b := &Breaker{}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &Transport{Next: rt, Breaker: b} })
	return cfg
}

// Breaker remembers that an API server could not be reached. Its zero value is closed (retries on).
type Breaker struct {
	mu   sync.Mutex
	open bool
}

func (b *Breaker) isOpen() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}

func (b *Breaker) set(open bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.open = open
	b.mu.Unlock()
}

// Transport retries transient failures of the requests it sends (see Classify and the package comment),
// with Backoff, until the request's context is done.
type Transport struct {
	Next http.RoundTripper
	// Backoff replaces the package's Backoff when its Steps is not 0 (tests).
	Backoff wait.Backoff
	// Breaker, when set, is shared by the Transports of one command (see WrapConfig).
	Breaker *Breaker
	// AttemptTimeout replaces the package's AttemptTimeout when not 0 (tests).
	AttemptTimeout time.Duration
	// OnRetry, when set, is told of each retry (for figures and debugging).
	OnRetry func(req *http.Request, k Kind, attempt int)
}

type retryingKey struct{}

// RoundTrip sends req, again after a transient failure when that is safe.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if ctx.Value(retryingKey{}) != nil {
		return t.Next.RoundTrip(req) // an outer Transport already retries this request
	}
	ctx = context.WithValue(ctx, retryingKey{}, true)
	b := t.Backoff
	if b.Steps == 0 {
		b = Backoff
	}
	if t.Breaker.isOpen() {
		b.Steps = 1 // the API server was unreachable a moment ago: one try, no backoff
	}
	var (
		resp     *http.Response
		err      error
		kind     Kind
		attempts int
	)
	werr := wait.ExponentialBackoffWithContext(ctx, b, func(ctx context.Context) (bool, error) {
		if attempts > 0 {
			if t.OnRetry != nil {
				t.OnRetry(req, kind, attempts)
			}
			if req.Body != nil && req.GetBody == nil {
				return true, nil // the body cannot be sent again
			}
		}
		attempts++
		r, aerr := t.attempt(ctx, req, attempts > 1)
		if aerr != nil && ctx.Err() != nil {
			resp, err, kind = nil, ctx.Err(), NotTransient
			return true, nil
		}
		resp, err = r, aerr
		kind = classifyResult(r, aerr)
		if !kind.Transient() || !replayable(req, kind) {
			return true, nil
		}
		if r != nil {
			// The body of a failed answer was read into memory by statusError: nothing to drain.
			delay := min(retryAfterHeader(r), MaxRetryAfter)
			if delay > 0 && !sleep(ctx, delay) {
				return true, nil
			}
		}
		return false, nil
	})
	if err == nil && resp != nil {
		t.Breaker.set(false)
	}
	switch {
	case werr == nil || !kind.Transient():
		return resp, err
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case resp != nil:
		// Out of attempts with an answer: hand it on, without the Retry-After that would make client-go
		// retry again on top of our retries.
		resp.Header.Del("Retry-After")
		return resp, nil
	}
	g := &GaveUpError{Kind: kind, Attempts: attempts, Last: err}
	if g.Unreachable() {
		t.Breaker.set(true)
	}
	return nil, g
}

// attempt sends one copy of req, bounded by AttemptTimeout until the response headers arrive.
func (t *Transport) attempt(ctx context.Context, req *http.Request, again bool) (*http.Response, error) {
	actx, cancel := context.WithCancel(ctx)
	limit := t.AttemptTimeout
	if limit == 0 {
		limit = AttemptTimeout
	}
	timer := time.AfterFunc(limit, cancel)
	r := req.Clone(actx)
	if again && req.Body != nil {
		body, err := req.GetBody()
		if err != nil {
			timer.Stop()
			cancel()
			return nil, err
		}
		r.Body = body
	}
	resp, err := t.Next.RoundTrip(r)
	if !timer.Stop() && err != nil && ctx.Err() == nil {
		cancel()
		return nil, &attemptTimeoutError{limit: limit}
	}
	if err != nil {
		cancel()
		return nil, err
	}
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok {
		// An upgraded connection (101: port-forward, exec): the caller writes to it too.
		resp.Body = &cancelOnCloseRW{ReadWriteCloser: rwc, cancel: cancel}
	} else {
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	}
	return resp, nil
}

// classifyResult applies Classify to a response by turning a failed one into the API error client-go
// would make of it.
func classifyResult(resp *http.Response, err error) Kind {
	if err != nil {
		return Classify(err)
	}
	if resp.StatusCode < 400 {
		return NotTransient
	}
	return Classify(statusError(resp))
}

// statusError is the API error of a failed response. Only its status code and reason matter for the
// rule, so the body is peeked at and put back untouched.
func statusError(resp *http.Response) error {
	st := metav1.Status{Code: int32(resp.StatusCode)}
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		rest, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(append(b, rest...)))
		var s metav1.Status
		if json.Unmarshal(b, &s) == nil && s.Kind == "Status" {
			st.Reason, st.Message = s.Reason, s.Message
		}
	}
	return &apierrors.StatusError{ErrStatus: st}
}

func retryAfterHeader(resp *http.Response) time.Duration {
	s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

func sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.cancel)
	return err
}

type cancelOnCloseRW struct {
	io.ReadWriteCloser
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelOnCloseRW) Close() error {
	err := c.ReadWriteCloser.Close()
	c.once.Do(c.cancel)
	return err
}

type attemptTimeoutError struct{ limit time.Duration }

func (e *attemptTimeoutError) Error() string {
	return fmt.Sprintf("no response within %s", e.limit)
}
func (e *attemptTimeoutError) Timeout() bool   { return true }
func (e *attemptTimeoutError) Temporary() bool { return true }

// GaveUpError is a transient failure that outlasted every attempt. Its message is one line saying what
// kept failing; it deliberately does not unwrap to the network error, so that client-go does not retry
// it once more.
type GaveUpError struct {
	Kind     Kind
	Attempts int
	Last     error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("%s (%d attempts)", e.Kind, e.Attempts)
}

// Unreachable reports whether the API server could not be reached at all (as opposed to answering badly).
func (e *GaveUpError) Unreachable() bool {
	return e.Kind == Refused || e.Kind == Reset || e.Kind == Timeout
}

// IsUnreachable reports whether err is a GaveUpError for an API server that could not be reached.
func IsUnreachable(err error) bool {
	var g *GaveUpError
	return errors.As(err, &g) && g.Unreachable()
}
