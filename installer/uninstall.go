package installer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshctl/meshctl/installer/render"
)

// UninstallOptions say what to remove.
type UninstallOptions struct {
	Clients *Clients
	// Namespace is the mesh's namespace (istio-system by default).
	Namespace string
	// Purge removes everything meshctl installed, in every revision, CRDs included, and the objects the
	// control plane created at run time.
	Purge bool
	// Revision selects one control plane (owner installed-state-<revision>) when not purging; "" and
	// "default" mean the default revision.
	Revision string
	// Manifest, when given (-f/--set), adds the objects it renders that meshctl installed.
	Manifest *render.Manifest
	// Timeout bounds the wait for each group of objects to be gone.
	Timeout time.Duration
	// DryRun lists what would be removed and removes nothing.
	DryRun   bool
	Progress Sink
	// PhaseHook, when set, is called at each phase boundary (tests interrupt runs there).
	PhaseHook PhaseHook
}

// UninstallResult is what Uninstall removed and what it left.
type UninstallResult struct {
	Removed []string `json:"removed"`
	// Kept are objects left on purpose (CRDs without --purge; a namespace that holds objects meshctl did
	// not create), with the reason.
	Kept []Leftover `json:"kept,omitempty"`
	// Remaining are objects Uninstall tried and failed to remove, with the reason.
	Remaining []Leftover `json:"remaining,omitempty"`
}

// LeftBehindError means some objects could not be removed.
type LeftBehindError struct {
	Remaining []Leftover
}

func (e *LeftBehindError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d object(s) could not be removed:", len(e.Remaining))
	for _, l := range e.Remaining {
		b.WriteString("\n  " + l.String())
	}
	return b.String()
}

// Uninstall removes the selected objects in deadlock-free order (webhooks, workloads, config, RBAC, CRDs,
// namespaces), waiting for each group to be gone, and reports what is left behind and why.
func Uninstall(ctx context.Context, o UninstallOptions) (*UninstallResult, error) {
	if o.Clients == nil {
		return nil, errors.New("uninstall: Clients is required")
	}
	if !o.Purge && o.Manifest == nil && o.Revision == "" {
		return nil, errors.New("uninstall: say what to remove: Purge, Revision or Manifest")
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultReadinessTimeout
	}
	em := newEmitter(o.Progress, "uninstall")
	em.hook = o.PhaseHook
	res, err := uninstall(ctx, &o, em)
	// The report of what is left comes last, as warnings, so that every progress format carries it.
	for _, k := range res.Kept {
		em.emit(Event{Type: EventWarning, Object: k.Object, Message: "kept " + k.String()})
	}
	for _, r := range res.Remaining {
		em.emit(Event{Type: EventWarning, Object: r.Object, Message: "left behind " + r.String()})
	}
	switch {
	case err != nil:
		em.emit(em.failure(ctx, "Uninstall", err, o.DryRun))
	case o.DryRun:
		em.emit(Event{Type: EventDone, Message: fmt.Sprintf("Dry run: %d object(s) would be removed; nothing was changed", len(res.Removed))})
	case len(res.Removed) == 0:
		em.emit(Event{Type: EventDone, Message: "Nothing to remove: no objects installed by meshctl were found"})
	default:
		em.emit(Event{Type: EventDone, Message: "Uninstall complete"})
	}
	return res, err
}

func uninstall(ctx context.Context, o *UninstallOptions, em *emitter) (*UninstallResult, error) {
	c := o.Clients
	res := &UninstallResult{}
	if _, err := c.ServerVersion(ctx); err != nil {
		return res, err
	}
	kinds, kerr := c.servedKinds()
	if kinds == nil {
		return res, kerr
	}
	if kerr != nil {
		em.warn("some API groups could not be searched, objects there are not removed: %v", kerr)
	}
	owner := ""
	if !o.Purge {
		owner = render.OwnerName(o.Revision)
	}
	if err := em.phase(ctx, "find", "Finding the objects meshctl installed"); err != nil {
		return res, err
	}
	selected, err := c.selectForUninstall(ctx, o, kinds, owner)
	if err != nil {
		return res, err
	}
	var namespaces []liveObject
	var targets []liveObject
	crdsKept := 0
	for _, obj := range selected {
		switch {
		case obj.U.GetKind() == "Namespace":
			namespaces = append(namespaces, obj)
		case obj.U.GetKind() == "CustomResourceDefinition" && !o.Purge:
			crdsKept++
		default:
			targets = append(targets, obj)
		}
	}
	if crdsKept > 0 {
		res.Kept = append(res.Kept, Leftover{Object: fmt.Sprintf("%d CustomResourceDefinitions", crdsKept),
			Reason: "CRDs are shared by every revision and deleting them deletes every Istio resource; uninstall --purge removes them"})
	}

	removed, left, err := c.deleteInOrder(ctx, targets, o.Timeout, em, o.DryRun, ActionDeleted, true)
	res.Removed = removed
	if err != nil {
		return res, err
	}
	if o.DryRun {
		for _, ns := range namespaces {
			if o.Purge {
				res.Removed = append(res.Removed, ns.key()+" (if nothing else is left in it)")
			}
		}
		return res, nil
	}
	reasons := map[string]string{}
	for _, l := range left {
		reasons[l.Object] = l.Reason
	}
	// Controllers may re-create dependents in the moment between deleting them and their owners (a
	// replica set's new pod); look again a few times.
	for round := 0; round < 3; round++ {
		again, err := c.listSelected(ctx, kinds, OwnedSelector(owner).String())
		if err != nil {
			return res, err
		}
		again = withoutKind(again, "Namespace")
		if !o.Purge {
			again = withoutKind(again, "CustomResourceDefinition")
		}
		if len(again) == 0 {
			break
		}
		rm, lo, err := c.deleteInOrder(ctx, again, o.Timeout, em, false, ActionDeleted, false)
		res.Removed = append(res.Removed, rm...)
		if err != nil {
			return res, err
		}
		for _, l := range lo {
			reasons[l.Object] = l.Reason
		}
	}
	if o.Purge {
		for _, ns := range namespaces {
			kept, err := c.removeNamespace(ctx, ns, kinds, o.Timeout, em)
			switch {
			case err != nil:
				reasons[ns.key()] = err.Error()
			case kept != nil:
				res.Kept = append(res.Kept, *kept)
			default:
				res.Removed = append(res.Removed, ns.key())
			}
		}
	} else {
		for _, ns := range namespaces {
			res.Kept = append(res.Kept, Leftover{Object: ns.key(), Reason: "namespaces stay unless uninstall --purge: other revisions and your own objects may live there"})
		}
	}

	// The report of what is left is a fresh look at the cluster, not a tally of errors.
	final, err := c.listSelected(ctx, kinds, OwnedSelector(owner).String())
	if err != nil {
		return res, err
	}
	for _, obj := range final {
		kind := obj.U.GetKind()
		if !o.Purge && (kind == "CustomResourceDefinition" || kind == "Namespace") {
			continue
		}
		reason := reasons[obj.key()]
		if reason == "" {
			reason = describeStuck(obj.U)
		}
		res.Remaining = append(res.Remaining, Leftover{Object: obj.key(), Reason: reason})
	}
	res.Removed = dedupeStrings(res.Removed)
	res.Remaining = dedupeLeftovers(res.Remaining)
	if len(res.Remaining) > 0 {
		return res, &LeftBehindError{Remaining: res.Remaining}
	}
	return res, nil
}

// describeStuck says why an object that should be gone is still there.
func describeStuck(u *unstructured.Unstructured) string {
	if u.GetDeletionTimestamp() == nil {
		return "still present (re-created by a controller, or created while uninstall ran)"
	}
	if f := u.GetFinalizers(); len(f) > 0 {
		return "being deleted, waiting for finalizers " + strings.Join(f, ", ") + ", which the controllers that set them must remove"
	}
	return "still being deleted"
}

func dedupeStrings(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// selectForUninstall finds the objects to remove: everything with meshctl's owner labels (of one owner
// unless purging), the run-time objects when purging, and the live, meshctl-installed objects of the
// manifest when one is given.
func (c *Clients) selectForUninstall(ctx context.Context, o *UninstallOptions, kinds []servedKind, owner string) ([]liveObject, error) {
	selected, err := c.listSelected(ctx, kinds, OwnedSelector(owner).String())
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, s := range selected {
		seen[s.id()] = true
	}
	add := func(l liveObject) {
		if !seen[l.id()] {
			seen[l.id()] = true
			selected = append(selected, l)
		}
	}
	if o.Purge {
		rt, err := c.runtimeObjects(ctx, o.Namespace)
		if err != nil {
			return nil, err
		}
		for _, l := range rt {
			add(l)
		}
	}
	if o.Manifest != nil {
		objs, err := parseObjects(o.Manifest.Objects())
		if err != nil {
			return nil, err
		}
		live, err := c.fetchLive(ctx, objs)
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			u := live[obj.key()]
			if u == nil || !IsMeshctlOwned(u.GetLabels()) {
				continue
			}
			add(liveObject{U: u, Kind: servedKind{GVR: obj.mapping.Resource, Kind: obj.Kind, Namespaced: obj.Namespace != ""}})
		}
	}
	return selected, nil
}

func withoutKind(objs []liveObject, kind string) []liveObject {
	out := objs[:0:0]
	for _, o := range objs {
		if o.U.GetKind() != kind {
			out = append(out, o)
		}
	}
	return out
}

// defaultNamespaceObjects exist in every namespace and do not make it "in use".
var defaultNamespaceObjects = map[string]bool{
	"ServiceAccount/default":     true,
	"ConfigMap/kube-root-ca.crt": true,
}

// removeNamespace deletes a namespace meshctl labelled if nothing but the cluster's defaults is left in
// it. Otherwise it keeps it, takes meshctl's labels off (so that a later install sees no trace of this
// one) and says what holds it: the user's own objects, such as a plugged-in CA (Secret cacerts), must not
// be deleted with it.
func (c *Clients) removeNamespace(ctx context.Context, ns liveObject, kinds []servedKind, timeout time.Duration, em *emitter) (*Leftover, error) {
	name := ns.U.GetName()
	var (
		mu     sync.Mutex
		others []string
	)
	_ = parallel(ctx, len(kinds), func(i int) error {
		k := kinds[i]
		if !k.Namespaced {
			return nil
		}
		list, err := c.scan.Resource(k.GVR).Namespace(name).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil // a kind we may not list says nothing either way
		}
		mu.Lock()
		defer mu.Unlock()
		for _, u := range list.Items {
			if defaultNamespaceObjects[k.Kind+"/"+u.GetName()] || len(u.GetOwnerReferences()) > 0 || u.GetDeletionTimestamp() != nil {
				continue
			}
			others = append(others, k.Kind+"/"+u.GetName())
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(others) == 0 {
		_, left, err := c.deleteInOrder(ctx, []liveObject{ns}, timeout, em, false, ActionDeleted, true)
		if err != nil {
			return nil, err
		}
		if len(left) > 0 {
			return nil, errors.New(left[0].Reason)
		}
		return nil, nil
	}
	sort.Strings(others)
	// Applying the namespace with no labels as meshctl's field manager drops the labels meshctl set and
	// only those.
	bare := &unstructured.Unstructured{}
	bare.SetAPIVersion("v1")
	bare.SetKind("Namespace")
	bare.SetName(name)
	if _, err := c.Dynamic.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).Apply(ctx, name, bare,
		metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		return nil, fmt.Errorf("remove meshctl's labels from namespace %s: %w", name, err)
	}
	shown := others
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(others)-5))
	}
	return &Leftover{Object: ns.key(), Reason: "kept, without meshctl's labels: it holds objects meshctl did not create (" +
		strings.Join(shown, ", ") + "); delete it yourself with kubectl delete namespace " + name}, nil
}

func dedupeLeftovers(in []Leftover) []Leftover {
	seen := map[string]bool{}
	var out []Leftover
	for _, l := range in {
		if !seen[l.Object] {
			seen[l.Object] = true
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Object < out[j].Object })
	return out
}
