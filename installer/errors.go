package installer

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Permission is one verb on one resource, cluster-wide (Namespace "") or in a namespace.
type Permission struct {
	Verb        string `json:"verb"`
	Group       string `json:"group,omitempty"`
	Resource    string `json:"resource"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
}

func (p Permission) String() string {
	res := p.Resource
	if p.Subresource != "" {
		res += "/" + p.Subresource
	}
	if p.Group != "" {
		res += "." + p.Group
	}
	where := "at the cluster scope"
	if p.Namespace != "" {
		where = "in namespace " + p.Namespace
	}
	return fmt.Sprintf("%s %s %s", p.Verb, res, where)
}

// ForbiddenError means the user lacks permissions the operation needs. It lists each missing verb and
// resource, so that an administrator can grant exactly those.
type ForbiddenError struct {
	// User is who the API server says we are, when it told us.
	User   string
	Denied []Permission
	// Err is the API server's refusal, when the error came from a request rather than an access review.
	Err error
}

func (e *ForbiddenError) Error() string {
	who := "the current user"
	if e.User != "" {
		who = fmt.Sprintf("user %q", e.User)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "forbidden: %s may not", who)
	// One line per resource and scope, with its missing verbs, in the order first seen.
	type target struct{ res, where string }
	var order []target
	verbs := map[target][]string{}
	for _, p := range e.Denied {
		full := p.String()
		res := strings.TrimPrefix(full, p.Verb+" ")
		where := ""
		if i := strings.Index(res, " at the cluster scope"); i >= 0 {
			res, where = res[:i], res[i+1:]
		} else if i := strings.Index(res, " in namespace "); i >= 0 {
			res, where = res[:i], res[i+1:]
		}
		t := target{res, where}
		if _, ok := verbs[t]; !ok {
			order = append(order, t)
		}
		verbs[t] = append(verbs[t], p.Verb)
	}
	for _, t := range order {
		fmt.Fprintf(&b, "\n  %s %s %s", strings.Join(verbs[t], ", "), t.res, t.where)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "\n(%v)", e.Err)
	}
	b.WriteString("\nInstalling the mesh needs these permissions (cluster-admin has them): ask a cluster administrator to grant them, or use a kubeconfig or --context with more rights")
	return b.String()
}

func (e *ForbiddenError) Unwrap() error { return e.Err }

// wrapAPIError adds what was being done to an API error and turns a refusal into a ForbiddenError.
func wrapAPIError(verb, key string, gvr schema.GroupVersionResource, namespace string, err error) error {
	if apierrors.IsForbidden(err) {
		return &ForbiddenError{
			Denied: []Permission{{Verb: verb, Group: gvr.Group, Resource: gvr.Resource, Namespace: namespace}},
			Err:    err,
		}
	}
	return fmt.Errorf("%s %s: %w", verb, key, err)
}
