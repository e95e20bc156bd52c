package apiretry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// realDialError dials a port nobody listens on: the kernel's own "connection refused".
func realDialError(t *testing.T) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = net.Dial("tcp", addr)
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	return &url.Error{Op: "Get", URL: "https://" + addr + "/api", Err: err}
}

func TestClassify(t *testing.T) {
	gr := schema.GroupResource{Group: "networking.istio.io", Resource: "destinationrules"}
	webhookDenial := apierrors.NewForbidden(gr, "reviews", errors.New(`admission webhook "validation.istio.io" denied the request`))
	tooMany := apierrors.NewTooManyRequests("the server has received too many requests", 3)
	resolving := apierrors.NewInternalError(errors.New("error resolving resource"))
	cases := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, NotTransient},
		{"connection refused", realDialError(t), Refused},
		{"connection reset", &url.Error{Op: "Get", URL: "https://h/api", Err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}, Reset},
		{"EOF", &url.Error{Op: "Get", URL: "https://h/api", Err: io.EOF}, Reset},
		{"unexpected EOF", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), Reset},
		{"http2 stream reset", &url.Error{Op: "Get", URL: "https://h/api", Err: errors.New("stream error: stream ID 3; INTERNAL_ERROR; received from peer")}, Reset},
		{"http2 lost", errors.New("http2: client connection lost"), Reset},
		{"dial timeout", &url.Error{Op: "Get", URL: "https://h/api", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ETIMEDOUT)}}, Timeout},
		{"attempt timeout", &attemptTimeoutError{limit: time.Second}, Timeout},
		{"429 with Retry-After", tooMany, Throttled},
		{"500 error resolving resource", resolving, ServerError},
		{"503 unavailable", apierrors.NewServiceUnavailable("apiserver is shutting down"), ServerError},
		{"504 server timeout", apierrors.NewServerTimeout(gr, "list", 2), Timeout},
		{"409 conflict", apierrors.NewConflict(gr, "reviews", errors.New("the object has been modified")), Conflict},
		{"409 already exists", apierrors.NewAlreadyExists(gr, "reviews"), NotTransient},
		{"403 forbidden", apierrors.NewForbidden(gr, "reviews", errors.New("RBAC")), NotTransient},
		{"403 admission denial", webhookDenial, NotTransient},
		{"422 invalid", apierrors.NewInvalid(schema.GroupKind{Group: gr.Group, Kind: "DestinationRule"}, "reviews", field.ErrorList{field.Required(field.NewPath("spec", "host"), "")}), NotTransient},
		{"400 bad request", apierrors.NewBadRequest("admission webhook denied the request"), NotTransient},
		{"404 not found", apierrors.NewNotFound(gr, "reviews"), NotTransient},
		{"401 unauthorized", apierrors.NewUnauthorized("token expired"), NotTransient},
		{"context cancelled", fmt.Errorf("list: %w", context.Canceled), NotTransient},
		{"deadline", &url.Error{Op: "Get", URL: "https://h/api", Err: context.DeadlineExceeded}, NotTransient},
		{"wrapped 429", fmt.Errorf("apply Deployment/istio-system/istiod: %w", tooMany), Throttled},
		{"gave up", &GaveUpError{Kind: Refused, Attempts: 6}, NotTransient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	if got := RetryAfter(tooMany); got.Seconds() != 3 {
		t.Errorf("RetryAfter(429 Retry-After: 3) = %v", got)
	}
}

func TestReplayable(t *testing.T) {
	req := func(method, path, ctype string) *http.Request {
		r, _ := http.NewRequest(method, "https://h"+path, nil)
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		return r
	}
	cases := []struct {
		name string
		req  *http.Request
		kind Kind
		want bool
	}{
		{"GET cut", req("GET", "/api/v1/pods", ""), Reset, true},
		{"apply cut", req("PATCH", "/apis/apps/v1/namespaces/x/deployments/y", "application/apply-patch+yaml"), Reset, true},
		{"merge patch cut", req("PATCH", "/apis/apps/v1/namespaces/x/deployments/y", "application/merge-patch+json"), Reset, false},
		{"create cut", req("POST", "/api/v1/namespaces", "application/json"), Reset, false},
		{"create refused", req("POST", "/api/v1/namespaces", "application/json"), Refused, true},
		{"create throttled", req("POST", "/api/v1/namespaces", "application/json"), Throttled, true},
		{"create 500", req("POST", "/api/v1/namespaces", "application/json"), ServerError, false},
		{"access review timeout", req("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "application/json"), Timeout, true},
		{"apply conflict", req("PATCH", "/apis/apps/v1/namespaces/x/deployments/y", "application/apply-patch+yaml"), Conflict, true},
		{"update conflict", req("PUT", "/apis/apps/v1/namespaces/x/deployments/y", "application/json"), Conflict, false},
		{"delete 503", req("DELETE", "/api/v1/namespaces/x", ""), ServerError, true},
	}
	for _, tc := range cases {
		if got := replayable(tc.req, tc.kind); got != tc.want {
			t.Errorf("%s: replayable = %v, want %v", tc.name, got, tc.want)
		}
	}
}
