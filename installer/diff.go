package installer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/pmezard/go-difflib/difflib"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// Changes Diff reports.
const (
	ChangeAdded   = "added"
	ChangeChanged = "changed"
	ChangeRemoved = "removed"
)

// DiffOptions say what to compare with the live cluster.
type DiffOptions struct {
	Clients  *Clients
	Manifest *render.Manifest
	// Operator is the configuration: its namespace and revision say which earlier install to compare with
	// (objects that install would prune) and it is what the installed-state would record.
	Operator *profiles.IstioOperator
	Version  string
}

// ObjectDiff is one object that install would add, change or remove.
type ObjectDiff struct {
	Object string `json:"object"`
	Change string `json:"change"`
	// Diff is a unified diff of the object's YAML, live first.
	Diff string `json:"diff"`
}

// DiffResult lists what install would change; Unchanged counts the objects it would leave as they are.
type DiffResult struct {
	Objects   []ObjectDiff `json:"objects"`
	Unchanged int          `json:"unchanged"`
}

// Diff computes what install would change on the cluster. The "after" side of each object is the API
// server's answer to a server-side apply dry run, so defaulted fields, other managers' fields and
// admission's changes appear on both sides and produce no noise. An object whose namespace or kind the
// install itself would create cannot be dry-run; its rendered YAML stands in.
func Diff(ctx context.Context, o DiffOptions) (*DiffResult, error) {
	if o.Clients == nil || o.Manifest == nil || o.Operator == nil {
		return nil, errors.New("diff: Clients, Manifest and Operator are required")
	}
	c := o.Clients
	if _, err := c.ServerVersion(ctx); err != nil {
		return nil, err
	}
	io := InstallOptions{Operator: o.Operator}
	ns, rev := io.namespace(), io.revision()
	owner := render.OwnerName(rev)
	state, err := installedState(o.Operator, ns, owner, rev, o.Version)
	if err != nil {
		return nil, err
	}
	stateObj, err := stateObject(state)
	if err != nil {
		return nil, err
	}
	objs, err := parseObjects(append(o.Manifest.Objects(), stateObj))
	if err != nil {
		return nil, err
	}
	objs[len(objs)-1].u, objs[len(objs)-1].installedState = state, true
	live, err := c.fetchLive(ctx, objs)
	if err != nil {
		return nil, err
	}
	keepSharedOwner(objs, live)
	res := &DiffResult{}
	diffs := make([]*ObjectDiff, len(objs))
	var mu sync.Mutex
	err = parallel(ctx, len(objs), func(i int) error {
		obj := objs[i]
		l := live[obj.key()]
		desired, err := c.desired(ctx, obj, l)
		if err != nil {
			return err
		}
		before, after := normalized(l), normalized(desired)
		if l != nil && reflect.DeepEqual(before, after) {
			mu.Lock()
			res.Unchanged++
			mu.Unlock()
			return nil
		}
		change := ChangeChanged
		if l == nil {
			change = ChangeAdded
		}
		text, err := unifiedDiff(obj.Key(), before, after)
		if err != nil {
			return err
		}
		diffs[i] = &ObjectDiff{Object: obj.Key(), Change: change, Diff: text}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range diffs {
		if d != nil {
			res.Objects = append(res.Objects, *d)
		}
	}
	keep := map[string]bool{}
	for _, obj := range objs {
		keep[obj.key()] = true
	}
	stale, err := c.pruneCandidates(ctx, owner, keep)
	if err != nil {
		return nil, fmt.Errorf("find objects install would prune: %w", err)
	}
	for _, s := range stale {
		text, err := unifiedDiff(s.key(), normalized(s.U), nil)
		if err != nil {
			return nil, err
		}
		res.Objects = append(res.Objects, ObjectDiff{Object: s.key(), Change: ChangeRemoved, Diff: text})
	}
	return res, nil
}

// desired is what the API server would store if install applied obj: a server-side apply dry run, or the
// rendered object when the dry run is impossible because the install creates its namespace or kind.
func (c *Clients) desired(ctx context.Context, obj *object, live *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if err := c.resolve(obj); err != nil {
		if errors.Is(err, errNoKind) {
			return obj.u, nil
		}
		return nil, err
	}
	got, err := c.objResource(obj).Apply(ctx, obj.Name, obj.u, metav1.ApplyOptions{
		FieldManager: FieldManager, Force: true, DryRun: []string{metav1.DryRunAll},
	})
	if err != nil {
		if live == nil && apierrors.IsNotFound(err) {
			return obj.u, nil
		}
		return nil, applyError(obj, err)
	}
	return got, nil
}

// unifiedDiff is the diff of two versions of an object as YAML; nil means absent.
func unifiedDiff(key string, before, after map[string]any) (string, error) {
	a, err := yamlText(before)
	if err != nil {
		return "", err
	}
	b, err := yamlText(after)
	if err != nil {
		return "", err
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: splitLines(a), B: splitLines(b), FromFile: "live/" + key, ToFile: "install/" + key, Context: 3,
	})
}

func yamlText(m map[string]any) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode yaml: %w", err)
	}
	return string(b), nil
}

// splitLines splits after each newline without the phantom empty last line difflib.SplitLines adds.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	l := strings.SplitAfter(s, "\n")
	if l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}

// changedPaths lists the field paths where two objects differ ("spec.template.spec.containers[0].image"),
// at most limit of them.
func changedPaths(a, b any, limit int) []string {
	var out []string
	var walk func(path string, x, y any)
	walk = func(path string, x, y any) {
		if len(out) >= limit {
			return
		}
		xm, xok := x.(map[string]any)
		ym, yok := y.(map[string]any)
		if xok && yok {
			keys := map[string]bool{}
			for k := range xm {
				keys[k] = true
			}
			for k := range ym {
				keys[k] = true
			}
			sorted := make([]string, 0, len(keys))
			for k := range keys {
				sorted = append(sorted, k)
			}
			sort.Strings(sorted)
			for _, k := range sorted {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, xm[k], ym[k])
			}
			return
		}
		xs, xok := x.([]any)
		ys, yok := y.([]any)
		if xok && yok && len(xs) == len(ys) {
			for i := range xs {
				walk(fmt.Sprintf("%s[%d]", path, i), xs[i], ys[i])
			}
			return
		}
		if !reflect.DeepEqual(x, y) {
			out = append(out, path)
		}
	}
	walk("", a, b)
	return out
}
