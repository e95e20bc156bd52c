package render

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/profiles"
)

// applyPatches applies the component's k8s settings that charts do not take as values (strategy, probes,
// volumes, pull policy, priority class) as a strategic-merge patch of its workload, and its k8s.overlays as
// JSON patches, through kustomize. Objects nothing patches are returned untouched, byte for byte.
func applyPatches(objs []*Object, in instance) ([]*Object, error) {
	k := in.settings.K8s
	if k == nil {
		return objs, nil
	}
	var patches []types.Patch
	targets := map[*Object]bool{}

	if wp, target, err := workloadPatch(objs, in, k); err != nil {
		return nil, err
	} else if wp != "" {
		patches = append(patches, types.Patch{Patch: wp})
		targets[target] = true
	}
	for i, ov := range k.Overlays {
		target := findTarget(objs, ov)
		if target == nil {
			return nil, fmt.Errorf("k8s.overlays[%d]: no %s named %q in this component (it has %s)", i, ov.Kind, ov.Name, objectList(objs))
		}
		ops, err := overlayOps(target, ov)
		if err != nil {
			return nil, fmt.Errorf("k8s.overlays[%d] (%s %s): %w", i, ov.Kind, ov.Name, err)
		}
		b, err := json.Marshal(ops)
		if err != nil {
			return nil, err
		}
		patches = append(patches, types.Patch{Patch: string(b), Target: &types.Selector{
			ResId: resID(target),
		}})
		targets[target] = true
	}
	if len(patches) == 0 {
		return objs, nil
	}
	return runKustomize(objs, targets, patches)
}

// workloadPatch builds the strategic-merge patch for the k8s settings that have no chart value.
func workloadPatch(objs []*Object, in instance, k *profiles.K8s) (string, *Object, error) {
	if k.Strategy == nil && k.ReadinessProbe == nil && k.PriorityClassName == "" && k.ImagePullPolicy == "" &&
		len(k.Volumes) == 0 && len(k.VolumeMounts) == 0 {
		return "", nil, nil
	}
	var target *Object
	for _, o := range objs {
		if o.Kind == in.workloadKind {
			target = o
			break
		}
	}
	if target == nil {
		return "", nil, fmt.Errorf("k8s: strategy, readinessProbe, priorityClassName, imagePullPolicy, volumes and volumeMounts need a workload, and component %s renders none", in.name)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(target.YAML, &obj); err != nil {
		return "", nil, fmt.Errorf("parse %s: %w", target.Key(), err)
	}
	containers, _, _ := unstructured.NestedSlice(obj, "spec", "template", "spec", "containers")
	if len(containers) == 0 {
		return "", nil, fmt.Errorf("%s has no containers to patch", target.Key())
	}
	main, _ := containers[0].(map[string]any)
	container := map[string]any{"name": main["name"]}
	if k.ReadinessProbe != nil {
		container["readinessProbe"] = k.ReadinessProbe
	}
	if k.ImagePullPolicy != "" {
		container["imagePullPolicy"] = k.ImagePullPolicy
	}
	if len(k.VolumeMounts) > 0 {
		container["volumeMounts"] = k.VolumeMounts
	}
	podSpec := map[string]any{"containers": []any{container}}
	if k.PriorityClassName != "" {
		podSpec["priorityClassName"] = k.PriorityClassName
	}
	if len(k.Volumes) > 0 {
		podSpec["volumes"] = k.Volumes
	}
	spec := map[string]any{"template": map[string]any{"spec": podSpec}}
	if k.Strategy != nil {
		if in.workloadKind != "Deployment" {
			return "", nil, fmt.Errorf("k8s.strategy: component %s runs a %s, which has no Deployment strategy", in.name, in.workloadKind)
		}
		spec["strategy"] = k.Strategy
	}
	patch := map[string]any{
		"apiVersion": target.APIVersion, "kind": target.Kind,
		"metadata": map[string]any{"name": target.Name, "namespace": target.Namespace},
		"spec":     spec,
	}
	b, err := yaml.Marshal(patch)
	if err != nil {
		return "", nil, err
	}
	return string(b), target, nil
}

func findTarget(objs []*Object, ov profiles.Overlay) *Object {
	for _, o := range objs {
		if o.Kind == ov.Kind && o.Name == ov.Name && (ov.APIVersion == "" || ov.APIVersion == o.APIVersion) {
			return o
		}
	}
	return nil
}

func objectList(objs []*Object) string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Kind + " " + o.Name
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// jsonOp is one RFC 6902 operation.
type jsonOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// overlayOps resolves Istio's overlay paths (a.b.[name:x].c[1]) against the rendered object into JSON patch
// operations: a patch with a value sets the field, creating missing objects on the way; one without removes it.
func overlayOps(target *Object, ov profiles.Overlay) ([]jsonOp, error) {
	var obj any
	if err := yaml.Unmarshal(target.YAML, &obj); err != nil {
		return nil, fmt.Errorf("parse %s: %w", target.Key(), err)
	}
	var ops []jsonOp
	for i, p := range ov.Patches {
		steps, err := splitOverlayPath(p.Path)
		if err != nil {
			return nil, fmt.Errorf("patches[%d].path %q: %w", i, p.Path, err)
		}
		pops, err := resolveOverlay(obj, steps, p.Value)
		if err != nil {
			return nil, fmt.Errorf("patches[%d].path %q: %w", i, p.Path, err)
		}
		ops = append(ops, pops...)
	}
	return ops, nil
}

// splitOverlayPath splits on dots outside brackets; "args[1]" becomes "args", "[1]".
func splitOverlayPath(p string) ([]string, error) {
	var steps []string
	var cur strings.Builder
	depth := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '[':
			if depth == 0 && cur.Len() > 0 {
				steps = append(steps, cur.String())
				cur.Reset()
			}
			depth++
			cur.WriteByte(c)
		case c == ']':
			if depth == 0 {
				return nil, fmt.Errorf("unbalanced ]")
			}
			depth--
			cur.WriteByte(c)
			if depth == 0 {
				steps = append(steps, cur.String())
				cur.Reset()
			}
		case c == '.' && depth == 0:
			if cur.Len() > 0 {
				steps = append(steps, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced [")
	}
	if cur.Len() > 0 {
		steps = append(steps, cur.String())
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("empty path")
	}
	return steps, nil
}

func resolveOverlay(obj any, steps []string, value any) ([]jsonOp, error) {
	var ops []jsonOp
	pointer := ""
	cur := obj
	for i, step := range steps {
		last := i == len(steps)-1
		if strings.HasPrefix(step, "[") {
			list, ok := cur.([]any)
			if !ok {
				return nil, fmt.Errorf("%s is not a list", strings.Join(steps[:i], "."))
			}
			idx, err := listIndex(list, step[1:len(step)-1])
			if err != nil {
				return nil, err
			}
			pointer += "/" + strconv.Itoa(idx)
			if last {
				return append(ops, setOrRemove(pointer, value, true)), nil
			}
			cur = list[idx]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is not an object", strings.Join(steps[:i], "."))
		}
		pointer += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(step)
		next, exists := m[step]
		if last {
			if !exists && value == nil {
				return nil, fmt.Errorf("nothing to remove at %s", strings.Join(steps, "."))
			}
			return append(ops, setOrRemove(pointer, value, exists)), nil
		}
		if !exists {
			if strings.HasPrefix(steps[i+1], "[") {
				return nil, fmt.Errorf("%s does not exist", strings.Join(steps[:i+1], "."))
			}
			ops = append(ops, jsonOp{Op: "add", Path: pointer, Value: map[string]any{}})
			next = map[string]any{}
			m[step] = next
		}
		cur = next
	}
	return ops, nil
}

func setOrRemove(pointer string, value any, exists bool) jsonOp {
	switch {
	case value == nil:
		return jsonOp{Op: "remove", Path: pointer}
	case exists:
		return jsonOp{Op: "replace", Path: pointer, Value: value}
	}
	return jsonOp{Op: "add", Path: pointer, Value: value}
}

// listIndex resolves "[3]" or "[name:discovery]" (an element whose field name equals discovery).
func listIndex(list []any, sel string) (int, error) {
	if n, err := strconv.Atoi(sel); err == nil {
		if n < 0 || n >= len(list) {
			return 0, fmt.Errorf("index %d out of range (the list has %d elements)", n, len(list))
		}
		return n, nil
	}
	key, want, ok := strings.Cut(sel, ":")
	if !ok {
		return 0, fmt.Errorf("[%s]: want [N] or [field:value]", sel)
	}
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && fmt.Sprint(m[key]) == want {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no element with %s %q", key, want)
}

func resID(o *Object) resid.ResId {
	return resid.ResId{Gvk: resid.Gvk{Kind: o.Kind}, Name: o.Name, Namespace: o.Namespace}
}

// runKustomize applies patches to the targeted objects in an in-memory kustomization and returns objs with
// the patched objects replaced in place.
func runKustomize(objs []*Object, targets map[*Object]bool, patches []types.Patch) ([]*Object, error) {
	fs := filesys.MakeFsInMemory()
	k := types.Kustomization{TypeMeta: types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind}}
	for i, o := range objs {
		if !targets[o] {
			continue
		}
		name := fmt.Sprintf("r%03d.yaml", i)
		if err := fs.WriteFile("/app/"+name, o.YAML); err != nil {
			return nil, err
		}
		k.Resources = append(k.Resources, name)
	}
	k.Patches = patches
	kb, err := yaml.Marshal(k)
	if err != nil {
		return nil, err
	}
	if err := fs.WriteFile("/app/kustomization.yaml", kb); err != nil {
		return nil, err
	}
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/app")
	if err != nil {
		return nil, fmt.Errorf("apply k8s patches: %w", err)
	}
	out := make([]*Object, len(objs))
	copy(out, objs)
	for _, r := range res.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, err
		}
		for i, o := range out {
			if targets[objs[i]] && o.Kind == r.GetKind() && o.Name == r.GetName() {
				patched := *o
				patched.YAML = y
				out[i] = &patched
			}
		}
	}
	return out, nil
}
