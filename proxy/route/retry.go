package route

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/cluster"
	"github.com/meshctl/meshctl/proxy/ir"
)

// Envoy's default retry back-off: 25 ms, doubling, at most 250 ms, fully jittered.
const (
	backoffBase = 25 * time.Millisecond
	backoffMax  = 250 * time.Millisecond
	// drainLimit is how much of a discarded response is read so its connection can be reused.
	drainLimit = 64 << 10
)

// exchange is one downstream request's trip upstream: attempts, retries, and what to answer when
// none succeeds.
type exchange struct {
	f      *forward
	c      *cluster.Cluster
	r      *http.Request
	ctx    context.Context // with the route's timeout
	conn   *Conn
	info   *accesslog.Info
	target cluster.Target
	body   *replayBody
	tried  [4]*cluster.Host
	pick   cluster.Target // this attempt's: the target and the hosts to avoid

	host      *cluster.Host // of the response run returned
	cancelTry context.CancelFunc

	// The failure to answer with when no attempt gave a response.
	failStatus  int
	failFlags   accesslog.Flags
	failDetails string
	failBody    string
}

// run makes the attempts; it returns the response to forward, or nil (then fail answers).
func (ex *exchange) run() *http.Response {
	policy := ex.f.cfg.Retry
	attempts := 1
	if policy != nil {
		attempts += policy.NumRetries
		if hasBody(ex.r) {
			ex.body = newReplayBody(ex.r.Body)
		}
	}
	retrying := false
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if !ex.backoff(i) {
				break
			}
		}
		resp, retriable := ex.attempt(i)
		if retrying {
			ex.c.ReleaseRetry()
			retrying = false
		}
		last := i == attempts-1
		if retriable && !last && ex.canRetry() {
			retrying = true
			if resp != nil {
				ex.discard(resp)
			}
			continue
		}
		if retriable && attempts > 1 {
			ex.info.Flags |= accesslog.UpstreamRetryLimitExceeded
		}
		if resp != nil {
			return resp
		}
		return nil
	}
	if retrying {
		ex.c.ReleaseRetry()
	}
	return nil
}

func (ex *exchange) canRetry() bool {
	if ex.body != nil && !ex.body.replayable() {
		return false
	}
	return ex.c.AcquireRetry()
}

// backoffDelay is the wait before retry i (from 1): fully jittered up to base×2^(i-1), at most max.
func backoffDelay(p *ir.RetryPolicy, i int) time.Duration {
	base, limit := backoffBase, backoffMax
	if p != nil && p.BackoffBase > 0 {
		base, limit = p.BackoffBase, 10*p.BackoffBase
		if p.BackoffMax > 0 {
			limit = p.BackoffMax
		}
	}
	ceil := limit
	if i-1 < 30 && base<<(i-1) > 0 {
		ceil = min(base<<(i-1), limit)
	}
	return time.Duration(rand.Int64N(int64(ceil))) + time.Millisecond
}

func (ex *exchange) backoff(i int) bool {
	t := time.NewTimer(backoffDelay(ex.f.cfg.Retry, i))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ex.ctx.Done():
		ex.classify(ex.ctx.Err(), ex.ctx)
		return false
	}
}

// attempt sends the request once; it returns the response (nil on failure, with the failure
// recorded) and whether the outcome may be retried.
func (ex *exchange) attempt(i int) (*http.Response, bool) {
	ex.pick = ex.target
	t := &ex.pick // in the exchange, which is on the heap already: no allocation per attempt
	if p := ex.f.cfg.Retry; p != nil && p.AvoidPreviousHosts {
		t.Tried, t.Attempts = ex.tried[:min(i, len(ex.tried))], p.HostSelectionAttempts
	}
	h, err := ex.c.Pick(t, ex.conn.OrigDst)
	if err != nil {
		ex.setFail(http.StatusServiceUnavailable, accesslog.NoHealthyUpstream, "no_healthy_upstream", bodyNoHealthy)
		return nil, false
	}
	if i < len(ex.tried) {
		ex.tried[i] = h
	}
	if err := ex.c.Acquire(ex.ctx); err != nil {
		if errors.Is(err, cluster.ErrOverflow) {
			ex.setFail(http.StatusServiceUnavailable, accesslog.UpstreamOverflow, "overflow", bodyOverflow)
			return nil, false
		}
		ex.classify(err, ex.ctx)
		return nil, false
	}
	ex.c.Begin(h)
	tctx, cancel := ex.ctx, context.CancelFunc(nil)
	if p := ex.f.cfg.Retry; p != nil && p.PerTryTimeout > 0 {
		tctx, cancel = context.WithTimeout(ex.ctx, p.PerTryTimeout)
	}
	out := outgoing(tctx, ex.r, h.Addr)
	if ex.body != nil {
		out.Body = ex.body.reader()
		out.GetBody = func() (io.ReadCloser, error) {
			if !ex.body.replayable() {
				return nil, errors.New("request body too large to replay")
			}
			return ex.body.reader(), nil
		}
	}
	start := time.Now()
	ex.info.UpstreamHost = h.Addr
	ex.info.Attempts++
	resp, err := ex.c.RoundTripperFor(ex.r).RoundTrip(out)
	if err != nil {
		var ce *cluster.ConnectError
		connectFailed := errors.As(err, &ce)
		ex.c.End(h, 0, connectFailed)
		ex.c.Release()
		retriable := ex.classify(err, tctx)
		if cancel != nil {
			cancel()
		}
		return nil, retriable
	}
	ex.info.UpstreamTime = time.Since(start)
	ex.host, ex.cancelTry = h, cancel
	return resp, ex.retriableStatus(resp)
}

// classify records why an attempt failed and says whether the retry policy covers it.
func (ex *exchange) classify(err error, tctx context.Context) bool {
	on := ir.RetryOn(0)
	if p := ex.f.cfg.Retry; p != nil {
		on = p.On
	}
	var ce *cluster.ConnectError
	switch {
	case ex.r.Context().Err() != nil:
		ex.setFail(0, accesslog.DownstreamConnectionTermination, "downstream_remote_disconnect", "")
		return false
	case ex.ctx.Err() != nil:
		ex.c.Stats.RqTimeout.Add(1)
		ex.setFail(http.StatusGatewayTimeout, accesslog.UpstreamRequestTimeout, "upstream_response_timeout", bodyTimeout)
		return false
	case tctx.Err() != nil:
		ex.c.Stats.RqTimeout.Add(1)
		ex.setFail(http.StatusGatewayTimeout, accesslog.UpstreamRequestTimeout, "upstream_per_try_timeout", bodyTimeout)
		return on&(ir.Retry5xx|ir.RetryGatewayError|ir.RetryReset) != 0
	case errors.As(err, &ce):
		ex.setFail(http.StatusServiceUnavailable, accesslog.UpstreamConnectionFailure,
			"upstream_reset_before_response_started{connection_failure}", bodyConnect)
		ex.info.UpstreamFailure = ce.Err.Error()
		return on&(ir.RetryConnectFailure|ir.Retry5xx|ir.RetryGatewayError|ir.RetryReset) != 0
	}
	ex.setFail(http.StatusServiceUnavailable, accesslog.UpstreamConnectionTermination,
		"upstream_reset_before_response_started{connection_termination}", bodyReset)
	return on&(ir.RetryReset|ir.Retry5xx|ir.RetryGatewayError|ir.RetryRefusedStream) != 0
}

func (ex *exchange) setFail(status int, flags accesslog.Flags, details, body string) {
	ex.failStatus, ex.failFlags, ex.failDetails, ex.failBody = status, flags, details, body
}

// fail answers for the proxy when no attempt gave a response.
func (ex *exchange) fail(w http.ResponseWriter) {
	if ex.failFlags&accesslog.DownstreamConnectionTermination != 0 {
		ex.info.Flags |= ex.failFlags
		ex.info.Details = ex.failDetails
		return // nobody to answer
	}
	localReply(w, ex.r, ex.info, ex.failStatus, ex.failFlags, ex.failDetails, ex.failBody)
}

// grpcRetryOn maps gRPC status codes to their retry conditions.
var grpcRetryOn = map[int]ir.RetryOn{
	1: ir.RetryGRPCCancelled, 4: ir.RetryGRPCDeadlineExceeded, 13: ir.RetryGRPCInternal,
	8: ir.RetryGRPCResourceExhausted, 14: ir.RetryGRPCUnavailable,
}

func (ex *exchange) retriableStatus(resp *http.Response) bool {
	p := ex.f.cfg.Retry
	if p == nil {
		return false
	}
	s := resp.StatusCode
	switch {
	case p.On&ir.Retry5xx != 0 && s >= 500,
		p.On&ir.RetryGatewayError != 0 && (s == 502 || s == 503 || s == 504),
		p.On&ir.RetryRetriable4xx != 0 && s == 409,
		p.On&ir.RetryStatusCodes != 0 && slices.Contains(p.StatusCodes, s):
		return true
	}
	if gs := resp.Header.Get("Grpc-Status"); gs != "" {
		if code, err := strconv.Atoi(gs); err == nil && p.On&grpcRetryOn[code] != 0 {
			return true
		}
	}
	return false
}

// discard ends an attempt whose response is not forwarded.
func (ex *exchange) discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
	ex.c.End(ex.host, resp.StatusCode, false)
	ex.c.Release()
	if ex.cancelTry != nil {
		ex.cancelTry()
		ex.cancelTry = nil
	}
}

// finish ends the attempt whose response was forwarded.
func (ex *exchange) finish(resp *http.Response) {
	resp.Body.Close()
	ex.c.End(ex.host, resp.StatusCode, false)
	ex.c.Release()
	if ex.cancelTry != nil {
		ex.cancelTry()
	}
}
