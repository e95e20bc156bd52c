package installer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// DefaultReadinessTimeout bounds each waiting phase of install and uninstall unless the caller says
// otherwise.
const DefaultReadinessTimeout = 5 * time.Minute

// InstallOptions say what to install where.
type InstallOptions struct {
	Clients *Clients
	// Manifest is the rendered mesh (render.Generate of Operator): exactly what `manifest generate` prints.
	Manifest *render.Manifest
	// Operator is the resolved configuration, recorded as the installed-state IstioOperator.
	Operator *profiles.IstioOperator
	// ReadinessTimeout bounds every wait: CRDs established, pruned objects gone, workloads ready.
	ReadinessTimeout time.Duration
	// DryRun changes nothing; the result says what would be applied.
	DryRun bool
	// Force takes over objects another tool installed and ignores other sidecar injectors.
	Force bool
	// Version is meshctl's version, recorded on the installed-state.
	Version string
	// Progress receives progress events; nil discards them.
	Progress Sink
	// PhaseHook, when set, is called at each phase boundary (tests interrupt runs there).
	PhaseHook PhaseHook
}

// ObjectResult is what happened to one object.
type ObjectResult struct {
	Object    string `json:"object"`
	Component string `json:"component,omitempty"`
	Action    string `json:"action"`
}

// InstallResult is what Install did.
type InstallResult struct {
	Namespace string         `json:"namespace"`
	Revision  string         `json:"revision"`
	Objects   []ObjectResult `json:"objects"`
	Pruned    []string       `json:"pruned,omitempty"`
	// PruneLeftovers are objects prune could not remove.
	PruneLeftovers []Leftover `json:"pruneLeftovers,omitempty"`
	// Changed is false when the cluster already matched the manifest: nothing was written.
	Changed  bool       `json:"changed"`
	NotReady []NotReady `json:"notReady,omitempty"`
}

// Counts returns how many objects had each action.
func (r *InstallResult) Counts() map[string]int {
	out := map[string]int{}
	for _, o := range r.Objects {
		out[o.Action]++
	}
	return out
}

func (o *InstallOptions) namespace() string { return NamespaceOf(o.Operator) }

func (o *InstallOptions) revision() string {
	if o.Operator != nil {
		return o.Operator.Spec.Revision
	}
	return ""
}

// Install applies the manifest and waits until it is ready. Objects go on in install order, phase by phase
// (CRDs, which are waited for until established; namespaces; RBAC; config; webhooks; workloads), then the
// installed-state record; objects of an earlier install of the same revision that the manifest no longer
// has are pruned; then Install waits for the workloads, webhooks' endpoints and CRDs, reporting each
// component as it becomes ready. Nothing is applied when a preflight check fails: missing permissions, objects
// of another tool, another sidecar injector.
func Install(ctx context.Context, o InstallOptions) (*InstallResult, error) {
	if o.Clients == nil || o.Manifest == nil || o.Operator == nil {
		return nil, errors.New("install: Clients, Manifest and Operator are required")
	}
	if o.ReadinessTimeout <= 0 {
		o.ReadinessTimeout = DefaultReadinessTimeout
	}
	em := newEmitter(o.Progress, "install")
	em.hook = o.PhaseHook
	res, err := install(ctx, &o, em)
	if err != nil {
		em.emit(em.failure(ctx, "Installation", err, o.DryRun))
	}
	return res, err
}

func install(ctx context.Context, o *InstallOptions, em *emitter) (*InstallResult, error) {
	c := o.Clients
	ns, rev := o.namespace(), o.revision()
	owner := render.OwnerName(rev)
	res := &InstallResult{Namespace: ns, Revision: revisionName(rev)}
	if _, err := c.ServerVersion(ctx); err != nil {
		return res, err
	}

	rendered := o.Manifest.Objects()
	state, err := installedState(o.Operator, ns, owner, rev, o.Version)
	if err != nil {
		return res, err
	}
	stateObj, err := stateObject(state)
	if err != nil {
		return res, err
	}
	objs, err := parseObjects(append(rendered, stateObj))
	if err != nil {
		return res, err
	}
	objs[len(objs)-1].u = state
	objs[len(objs)-1].installedState = true

	if err := em.phase(ctx, "preflight", "Checking permissions and existing objects"); err != nil {
		return res, err
	}
	if err := c.missingInstallPermissions(ctx, objs, ns); err != nil {
		return res, err
	}
	live, err := c.fetchLive(ctx, objs)
	if err != nil {
		return res, err
	}
	keepSharedOwner(objs, live)
	if !o.Force {
		if foreign := foreignObjects(objs, live); len(foreign) > 0 {
			return res, &ForeignInstallError{Objects: foreign}
		}
		conflicts, err := c.InjectorConflicts(ctx)
		if err != nil {
			return res, err
		}
		if len(conflicts) > 0 {
			return res, &WebhookConflictError{Conflicts: conflicts}
		}
	}

	titles := componentTitles(o.Manifest)
	keep := map[string]bool{}
	for _, obj := range objs {
		keep[obj.key()] = true
	}
	if err := applyPhases(ctx, c, o, em, objs, live, titles, res); err != nil {
		return res, err
	}

	if err := em.phase(ctx, "prune", "Removing objects the configuration no longer has"); err != nil {
		return res, err
	}
	stale, err := c.pruneCandidates(ctx, owner, keep)
	if err != nil {
		return res, fmt.Errorf("find objects to prune: %w", err)
	}
	action := ActionPruned
	if o.DryRun {
		action = "prune"
	}
	pruned, left, err := c.deleteInOrder(ctx, stale, o.ReadinessTimeout, em, o.DryRun, action, false)
	res.Pruned, res.PruneLeftovers = pruned, left
	if err != nil {
		return res, err
	}
	for _, l := range left {
		em.warn("could not prune %s", l)
	}
	res.Changed = res.Changed || len(pruned) > 0
	if o.DryRun {
		em.emit(Event{Type: EventDone, Message: dryRunSummary(res)})
		return res, nil
	}

	if err := em.phase(ctx, "wait", "Waiting for resources to become ready"); err != nil {
		return res, err
	}
	notReady, err := c.waitReady(ctx, readinessWaits(o.Manifest), o.ReadinessTimeout, em, "installed")
	if err != nil {
		return res, err
	}
	res.NotReady = notReady
	if err := recordStatus(ctx, c, o.Manifest, ns, owner, notReady); err != nil {
		em.warn("installed-state status not recorded: %v", err)
	}
	if len(notReady) > 0 {
		return res, &NotReadyError{Timeout: o.ReadinessTimeout, NotReady: notReady}
	}
	if len(left) > 0 {
		return res, fmt.Errorf("%d object(s) of the previous install could not be pruned: %s", len(left), leftoverList(left))
	}
	em.emit(Event{Type: EventDone, Message: installSummary(res)})
	return res, nil
}

// applyPhases applies the objects phase by phase, in parallel within a phase. A phase with errors stops the
// install: later phases depend on it.
func applyPhases(ctx context.Context, c *Clients, o *InstallOptions, em *emitter, objs []*object, live map[string]*unstructured.Unstructured, titles map[string]string, res *InstallResult) error {
	phases := map[render.Phase][]*object{}
	for _, obj := range objs {
		p := render.PhaseOf(obj.Kind)
		phases[p] = append(phases[p], obj)
	}
	for p := render.PhaseCRDs; p <= render.PhaseWorkloads; p++ {
		batch := phases[p]
		if len(batch) == 0 {
			continue
		}
		if err := em.phase(ctx, p.String(), fmt.Sprintf("Applying %s (%d)", p, len(batch))); err != nil {
			return err
		}
		results := make([]ObjectResult, len(batch))
		var mu sync.Mutex
		err := parallel(ctx, len(batch), func(i int) error {
			obj := batch[i]
			action, _, err := c.applyObject(ctx, obj, live[obj.key()], o.DryRun)
			if err != nil {
				if obj.installedState && errors.Is(err, errNoKind) {
					mu.Lock()
					defer mu.Unlock()
					em.warn("installed-state not recorded: the cluster serves no IstioOperator kind (is the base component disabled?)")
					results[i] = ObjectResult{Object: obj.Key(), Action: "skipped"}
					return nil
				}
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			results[i] = ObjectResult{Object: obj.Key(), Component: titles[obj.Component], Action: action}
			if action != ActionUnchanged {
				res.Changed = true
			}
			em.emit(Event{Type: EventObject, Component: titles[obj.Component], Object: obj.Key(), Action: action,
				Message: action + " " + obj.Key()})
			return nil
		})
		for _, r := range results {
			if r.Object != "" {
				res.Objects = append(res.Objects, r)
			}
		}
		if err != nil {
			return err
		}
		if p == render.PhaseCRDs && !o.DryRun {
			if err := waitEstablished(ctx, c, batch, o.ReadinessTimeout, em); err != nil {
				return err
			}
			c.Mapper.Reset() // the new kinds (IstioOperator for the installed-state) are served now
		}
	}
	return nil
}

// waitEstablished waits until the CRDs just applied are served.
func waitEstablished(ctx context.Context, c *Clients, crds []*object, timeout time.Duration, em *emitter) error {
	var checks []readyCheck
	for _, o := range crds {
		checks = append(checks, readyCheck{Kind: o.Kind, Name: o.Name})
	}
	notReady, err := c.waitReady(ctx, []componentWait{{Title: "CRDs", Checks: checks}}, timeout, newEmitter(filterDone(em), em.op), "established")
	if err != nil {
		return err
	}
	if len(notReady) > 0 {
		return &NotReadyError{Timeout: timeout, NotReady: notReady}
	}
	return nil
}

// filterDone forwards an emitter's events except the internal "CRDs established" component events, which
// are not a component of the mesh.
func filterDone(em *emitter) Sink {
	return SinkFunc(func(e Event) {
		if e.Type == EventComponentDone {
			return
		}
		em.emit(e)
	})
}

// readinessWaits lists, per component in install order, what install waits for. CRDs were waited for
// when applied.
func readinessWaits(m *render.Manifest) []componentWait {
	var out []componentWait
	for _, comp := range m.Components {
		cw := componentWait{Title: comp.Title}
		for _, obj := range comp.Objects {
			if needsWait(obj.Kind) && obj.Kind != "CustomResourceDefinition" {
				cw.Checks = append(cw.Checks, readyCheck{Kind: obj.Kind, Namespace: obj.Namespace, Name: obj.Name, Component: comp.Title})
			}
		}
		out = append(out, cw)
	}
	return out
}

func recordStatus(ctx context.Context, c *Clients, m *render.Manifest, ns, owner string, notReady []NotReady) error {
	failed := map[string]bool{}
	for _, nr := range notReady {
		failed[nr.Object] = true
	}
	status := StatusHealthy
	comps := map[string]string{}
	for _, comp := range m.Components {
		st := StatusHealthy
		for _, obj := range comp.Objects {
			if failed[obj.Key()] {
				st, status = StatusError, StatusError
			}
		}
		comps[comp.Label] = st
	}
	if _, err := c.Mapper.RESTMapping(iopGVR.GroupVersion().WithKind(profiles.Kind).GroupKind(), iopGVR.Version); err != nil {
		return nil // not recorded at all (no CRD): nothing to update
	}
	return c.setInstalledStatus(ctx, ns, owner, status, comps)
}

func componentTitles(m *render.Manifest) map[string]string {
	out := map[string]string{}
	for _, c := range m.Components {
		out[c.Label] = c.Title
	}
	return out
}

func stateObject(u *unstructured.Unstructured) (*render.Object, error) {
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("encode installed-state: %w", err)
	}
	return &render.Object{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Name: u.GetName(), Namespace: u.GetNamespace(), YAML: b}, nil
}

func revisionName(rev string) string {
	if rev == "" {
		return "default"
	}
	return rev
}

func installSummary(r *InstallResult) string {
	if !r.Changed {
		return fmt.Sprintf("Installation complete: nothing changed, all %d objects were already up to date", len(r.Objects))
	}
	return "Installation complete"
}

func dryRunSummary(r *InstallResult) string {
	if !r.Changed {
		return fmt.Sprintf("Dry run: nothing would change (%d objects up to date)", len(r.Objects))
	}
	n := r.Counts()
	return fmt.Sprintf("Dry run: %d would be created, %d configured, %d unchanged, %d pruned; nothing was changed",
		n[ActionWouldCreate], n[ActionWouldConfigure], n[ActionUnchanged], len(r.Pruned))
}

func leftoverList(left []Leftover) string {
	parts := make([]string, len(left))
	for i, l := range left {
		parts[i] = l.String()
	}
	return strings.Join(parts, "; ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
