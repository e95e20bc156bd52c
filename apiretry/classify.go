package apiretry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Kind names a class of failure. Its String is what messages say.
type Kind int

// Kinds of failure. The first group is transient.
const (
	NotTransient Kind = iota
	Refused           // no one listens: the API server is (re)starting, or there is none
	Reset             // the connection was cut: reset, closed early, HTTP/2 connection lost
	Timeout           // no answer in time
	Throttled         // 429: API Priority and Fairness or max-inflight
	ServerError       // 5xx, including "error resolving resource" for a CRD not yet served
	Conflict          // 409 on an apply of our own object
)

func (k Kind) String() string {
	switch k {
	case Refused:
		return "connection refused"
	case Reset:
		return "connection cut"
	case Timeout:
		return "no answer in time"
	case Throttled:
		return "throttled (429 Too Many Requests)"
	case ServerError:
		return "server error"
	case Conflict:
		return "conflict"
	}
	return "not transient"
}

// Transient reports whether k is worth retrying.
func (k Kind) Transient() bool { return k != NotTransient }

// Classify says what kind of failure err is: an error of client-go (an API status error) or of the
// network. A cancelled or expired context is never transient: the caller gave up.
func Classify(err error) Kind {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return NotTransient
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return classifyStatus(status.Status())
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), utilnet.IsProbableEOF(err), utilnet.IsHTTP2ConnectionLost(err),
		strings.Contains(err.Error(), "stream error: stream ID"): // an HTTP/2 stream reset by the other end
		return Reset
	case utilnet.IsTimeout(err), errors.Is(err, syscall.ETIMEDOUT):
		return Timeout
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return Refused // host unreachable, no route: nothing was sent
	}
	return NotTransient
}

func classifyStatus(s metav1.Status) Kind {
	code := int(s.Code)
	switch {
	case code == http.StatusTooManyRequests:
		return Throttled
	case code == http.StatusConflict && s.Reason == metav1.StatusReasonConflict:
		return Conflict
	case code == http.StatusGatewayTimeout, s.Reason == metav1.StatusReasonTimeout, s.Reason == metav1.StatusReasonServerTimeout:
		return Timeout
	case code >= 500:
		return ServerError
	}
	return NotTransient
}

// RetryAfter is the delay the server asked for (429 or 503 with Retry-After), or 0.
func RetryAfter(err error) time.Duration {
	if s, ok := apierrors.SuggestsClientDelay(err); ok && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// replayable reports whether a request may be sent again after a failure of kind k: always when nothing
// was sent (refused, or throttled and other answers that say the server did not act); for a cut
// connection or a timeout only when sending it twice does no harm.
func replayable(req *http.Request, k Kind) bool {
	switch k {
	case Refused, Throttled:
		return true
	case Conflict:
		return isApply(req)
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodDelete:
		return true
	case http.MethodPatch:
		return isApply(req)
	case http.MethodPost:
		// Reviews are answers, not stored objects: asking twice is harmless.
		return strings.HasSuffix(req.URL.Path, "accessreviews") || strings.HasSuffix(req.URL.Path, "rulesreviews") ||
			strings.HasSuffix(req.URL.Path, "selfsubjectreviews") || strings.HasSuffix(req.URL.Path, "tokenreviews")
	}
	return false
}

// isApply: a server-side apply carries the whole intent and no resourceVersion, so it is idempotent.
func isApply(req *http.Request) bool {
	return req.Method == http.MethodPatch && strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch")
}
