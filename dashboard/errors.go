package dashboard

import (
	"fmt"
	"strings"

	"github.com/meshctl/meshctl/meshapi"
)

// NotFoundError: no pod matches any of the selectors: the add-on is not installed there.
type NotFoundError struct {
	Namespace   string
	Selectors   []string
	InstallHint string
}

func (e *NotFoundError) Error() string {
	quoted := make([]string, len(e.Selectors))
	for i, s := range e.Selectors {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	msg := fmt.Sprintf("no pod with label %s in namespace %s", strings.Join(quoted, " or "), e.Namespace)
	if e.InstallHint != "" {
		msg += "; install it with: " + e.InstallHint
		if e.Namespace != meshapi.DefaultNamespace && strings.HasPrefix(e.InstallHint, "kubectl apply") {
			// The samples put their objects in istio-system themselves; say so rather than let -n mislead.
			msg += " (the samples install into istio-system)"
		}
	}
	return msg
}

// PodNotFoundError: the pod named on the command line does not exist.
type PodNotFoundError struct {
	Namespace, Name string
}

func (e *PodNotFoundError) Error() string {
	return fmt.Sprintf("pod %s not found in namespace %s", e.Name, e.Namespace)
}

// NotReadyError: a pod exists but cannot serve: it is not Running, not Ready or being deleted.
type NotReadyError struct {
	Namespace, Name string
	// Reasons are short phrases, the phase first, then the containers' states and failed conditions.
	Reasons []string
	// Selector is set when the pod was found by selector; Others counts the other matching pods, no better.
	Selector string
	Others   int
}

func (e *NotReadyError) Error() string {
	msg := fmt.Sprintf("pod %s/%s is not ready: %s", e.Namespace, e.Name, strings.Join(e.Reasons, "; "))
	if e.Others > 0 {
		msg += fmt.Sprintf(" (and %d more pod(s) with label %q, none ready)", e.Others, e.Selector)
	}
	return msg
}

// SelectorError is a label selector that does not parse: bad user input.
type SelectorError struct {
	Selector string
	Err      error
}

func (e *SelectorError) Error() string {
	return fmt.Sprintf("invalid selector %q: %v", e.Selector, e.Err)
}
func (e *SelectorError) Unwrap() error      { return e.Err }
func (e *SelectorError) InvalidInput() bool { return true }

// NoSidecarError: the pod has no sidecar, so it has no proxy admin page.
type NoSidecarError struct {
	Namespace, Name, Container string
}

func (e *NoSidecarError) Error() string {
	return fmt.Sprintf("pod %s/%s has no %s container: it is not in the mesh (label its namespace istio-injection=enabled and restart it)",
		e.Namespace, e.Name, e.Container)
}

// PortInUseError: the local port asked for is taken.
type PortInUseError struct {
	Address string
	Port    int
	Err     error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("local port %s is already in use (%v); pick another with --port, or --port 0 for a free one",
		joinHostPort(e.Address, e.Port), e.Err)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// PodGoneError: the forward ended because its pod was deleted, is being deleted or has stopped.
type PodGoneError struct {
	Namespace, Name string
	What            string // "was deleted", "is being deleted", "has stopped (phase Failed)"
}

func (e *PodGoneError) Error() string {
	return fmt.Sprintf("pod %s/%s %s: forwarding stopped; run the command again to pick a new pod", e.Namespace, e.Name, e.What)
}

// LostConnectionError: the port-forward stream closed under the session. The API server (or the node, or a
// proxy on the way) dropped it, or the pod refused a connection on its port, after which client-go closes it.
type LostConnectionError struct {
	Namespace, Name string
	Err             error
}

func (e *LostConnectionError) Error() string {
	return fmt.Sprintf("lost the port-forward connection to pod %s/%s (%v): the API server closed the stream, "+
		"or the pod refused a connection on its port; run the command again", e.Namespace, e.Name, e.Err)
}

func (e *LostConnectionError) Unwrap() error { return e.Err }
