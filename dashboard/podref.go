package dashboard

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// PodRef names a pod given on the command line.
type PodRef struct {
	Name string
	// Namespace is empty when the argument did not say: the caller picks the default.
	Namespace string
}

// PodRefError is a POD argument that cannot name a pod.
type PodRefError struct {
	Arg    string
	Reason string
}

func (e *PodRefError) Error() string {
	return fmt.Sprintf("invalid pod %q: %s (want NAME, NAME.NAMESPACE or pod/NAME[.NAMESPACE])", e.Arg, e.Reason)
}

// ParsePodRef reads istioctl's forms: "NAME", "NAME.NAMESPACE", "pod/NAME", "pod/NAME.NAMESPACE" (also "pods/",
// "po/"). The namespace follows the last dot, as in istioctl: pod names made by controllers have no dots.
func ParsePodRef(arg string) (PodRef, error) {
	s := arg
	if kind, rest, ok := strings.Cut(s, "/"); ok {
		switch strings.ToLower(kind) {
		case "pod", "pods", "po":
			s = rest
		default:
			return PodRef{}, &PodRefError{Arg: arg, Reason: fmt.Sprintf("only pods can be forwarded, not %q", kind)}
		}
	}
	ref := PodRef{Name: s}
	if i := strings.LastIndex(s, "."); i >= 0 {
		ref = PodRef{Name: s[:i], Namespace: s[i+1:]}
		if ref.Namespace == "" {
			return PodRef{}, &PodRefError{Arg: arg, Reason: "empty namespace after the dot"}
		}
		if errs := validation.IsDNS1123Label(ref.Namespace); len(errs) > 0 {
			return PodRef{}, &PodRefError{Arg: arg, Reason: fmt.Sprintf("namespace %q: %s", ref.Namespace, errs[0])}
		}
	}
	if ref.Name == "" {
		return PodRef{}, &PodRefError{Arg: arg, Reason: "empty pod name"}
	}
	if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
		return PodRef{}, &PodRefError{Arg: arg, Reason: fmt.Sprintf("pod name %q: %s", ref.Name, errs[0])}
	}
	return ref, nil
}

// String is the NAME.NAMESPACE form, or NAME alone.
func (r PodRef) String() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Name + "." + r.Namespace
}
