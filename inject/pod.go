package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"istio.io/api/annotation"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi"
)

// PodOptions are facts about the target cluster that injection cannot know from the pod.
type PodOptions struct {
	// KubernetesMinor is the cluster's Kubernetes 1.x minor version, 0 when unknown (offline). Native
	// sidecars need 1.29.
	KubernetesMinor int
}

// podSchema tells the strategic merge which lists merge by which key (containers by name, ports by
// containerPort...), from the Pod type's struct tags.
var podSchema = sync.OnceValue(func() strategicpatch.LookupPatchMeta {
	meta, err := strategicpatch.NewPatchMetaFromStruct(&corev1.Pod{})
	if err != nil {
		panic(err) // corev1.Pod is a struct: cannot happen
	}
	return meta
})

// renderBuffers hold rendered templates between documents: a patch is several kilobytes.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// InjectPod injects the sidecar into pod, whose owner is w, and returns the injected pod. It does not
// decide whether the pod should be injected (see Decide). The pod's maps are modified and shared with the
// result. Errors about the pod's own fields are *FieldError.
func (c *Config) InjectPod(w Workload, pod Pod, opts PodOptions) (Pod, error) {
	if pod.Metadata == nil {
		pod.Metadata = map[string]any{}
	}
	if pod.Spec == nil {
		return pod, fieldErrorf("spec", "missing: a pod template needs a spec")
	}
	meta, err := objectMeta(pod.Metadata, "metadata")
	if err != nil {
		return pod, err
	}
	for key, value := range meta.Annotations {
		if key == annotation.SidecarInject.Name {
			continue // Decide has read it: an odd value means no, and the label may have overruled it
		}
		if err := meshapi.ValidateAnnotation(key, value); err != nil {
			return pod, &FieldError{Field: annotationField(key), Err: err}
		}
	}
	containers, err := containerList(pod.Spec, "containers")
	if err != nil {
		return pod, err
	}
	if _, err := containerList(pod.Spec, "initContainers"); err != nil {
		return pod, err
	}
	proxyConfig, proxyConfigJSON, err := c.proxyConfig(meta.Annotations)
	if err != nil {
		return pod, err
	}
	names, err := c.templateNames(meta.Annotations)
	if err != nil {
		return pod, err
	}

	native, _ := lookup(c.Values, "pilot", "enableNativeSidecars").(bool)
	if v, ok := boolAnnotation(meta.Annotations, annotation.SidecarNativeSidecar.Name); ok {
		native = v
	}
	if native && opts.KubernetesMinor > 0 && opts.KubernetesMinor < 29 {
		return pod, fmt.Errorf("native sidecars need Kubernetes 1.29 or later; the cluster runs 1.%d", opts.KubernetesMinor)
	}
	// The mesh's defaultConfig (which the chart fills from the values) with the pod's proxy.istio.io/config
	// decides; the values are the fallback for a mesh config that does not say.
	hold, set := proxyConfig["holdApplicationUntilProxyStarts"].(bool)
	if !set {
		hold, _ = lookup(c.Values, "global", "proxy", "holdApplicationUntilProxyStarts").(bool)
	}

	if w.Namespace == "" {
		w.Namespace = meta.Namespace
	}
	if w.Name == "" {
		w.Name = meta.Name
	}
	data := &templateData{
		Values:          c.Values,
		MeshConfig:      c.Mesh,
		ProxyConfig:     proxyConfig,
		ProxyConfigJSON: proxyConfigJSON,
		ObjectMeta:      meta,
		DeploymentMeta:  metav1.ObjectMeta{Name: w.Name, Namespace: w.Namespace},
		TypeMeta:        metav1.TypeMeta{APIVersion: w.APIVersion, Kind: w.Kind},
		Revision:        c.Revision,
		ProxyImage:      c.image(meta.Annotations[annotation.SidecarProxyImage.Name], "proxy"),
		InitImage:       c.image("", "proxy_init"),
		NativeSidecar:   native,
		HoldApplication: hold,
		AppContainers:   containerNames(containers),
		PodPorts:        podPorts(containers),
		spec:            pod.Spec,
	}
	if err := data.settings(c.Values); err != nil {
		return pod, err
	}

	merged := map[string]any{"metadata": pod.Metadata, "spec": pod.Spec}
	var added addedNames
	// The pod's own containers under a name a template adds (a gateway's istio-proxy): their fields win.
	userContainers := map[string]map[string]any{}
	var ownNames []string
	for _, key := range []string{"containers", "initContainers"} {
		items, _ := containerList(pod.Spec, key)
		for _, c := range items {
			ownNames = append(ownNames, c["name"].(string))
		}
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer renderBuffers.Put(buf)
	for _, name := range names {
		buf.Reset()
		patch, err := c.render(name, data, buf)
		if err != nil {
			return pod, err
		}
		added.collect(patch)
		keepUserContainers(asMap(merged["spec"]), added, ownNames, userContainers)
		if merged, err = strategicpatch.StrategicMergeMapPatchUsingLookupPatchMeta(merged, patch, podSchema()); err != nil {
			return pod, fmt.Errorf("merge template %s into the pod: %w", name, err)
		}
	}
	out := Pod{Metadata: asMap(merged["metadata"]), Spec: asMap(merged["spec"])}
	if out.Metadata == nil || out.Spec == nil {
		return pod, fmt.Errorf("the injection templates removed the pod's metadata or spec")
	}
	if err := reapplyUserFields(&out, userContainers, added, native); err != nil {
		return pod, err
	}
	if len(c.InjectedAnnotations) > 0 {
		annotations := ensureMap(out.Metadata, "annotations")
		for k, v := range c.InjectedAnnotations {
			annotations[k] = v
		}
	}
	if err := c.rewriteProbes(out, meta.Annotations); err != nil {
		return pod, err
	}
	reorder(out.Spec, "initContainers", added.initContainers, true)
	reorder(out.Spec, "containers", added.containers, hold)
	reorder(out.Spec, "volumes", added.volumes, false)
	status, err := added.status(c.Revision)
	if err != nil {
		return pod, err
	}
	ensureMap(out.Metadata, "annotations")[annotation.SidecarStatus.Name] = status
	return out, nil
}

// render executes one template and parses its output: a patch with metadata and spec.
func (c *Config) render(name string, data *templateData, buf *bytes.Buffer) (map[string]any, error) {
	t, ok := c.templates[name]
	if !ok {
		return nil, fmt.Errorf("no injection template called %q", name)
	}
	if err := t.Execute(buf, data); err != nil {
		return nil, fmt.Errorf("injection template %s: %w", name, err)
	}
	doc := &kubeyaml.Document{Source: "template " + name, Line: 1, Raw: buf.Bytes()}
	v, err := doc.Value()
	if err != nil {
		return nil, fmt.Errorf("injection template %s renders invalid YAML: %w%s", name, err, renderedLine(buf.Bytes(), err))
	}
	if v == nil {
		return map[string]any{}, nil
	}
	patch, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("injection template %s renders %s, want a mapping with metadata and spec", name, typeName(v))
	}
	for k := range patch {
		if k != "metadata" && k != "spec" {
			return nil, fmt.Errorf("injection template %s renders key %q, want only metadata and spec", name, k)
		}
	}
	return patch, nil
}

// renderedLine quotes the rendered line an error points at, which the user cannot otherwise see.
func renderedLine(out []byte, err error) string {
	e, ok := err.(*kubeyaml.Error)
	if !ok || e.Line < 1 {
		return ""
	}
	lines := strings.Split(string(out), "\n")
	if e.Line > len(lines) {
		return ""
	}
	return fmt.Sprintf(" (rendered line %d: %q)", e.Line, lines[e.Line-1])
}

// templateNames are the templates a pod gets: its inject.istio.io/templates annotation, or the defaults.
func (c *Config) templateNames(annotations map[string]string) ([]string, error) {
	names := c.DefaultTemplates
	if v, ok := annotations[annotation.InjectTemplates.Name]; ok {
		names = nil
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	names = c.expandTemplates(names)
	for _, n := range names {
		if _, ok := c.templates[n]; !ok {
			known := make([]string, 0, len(c.templates))
			for k := range c.templates {
				known = append(known, k)
			}
			slices.Sort(known)
			return nil, fieldErrorf(annotationField(annotation.InjectTemplates.Name), "no injection template called %q (have %s)", n, strings.Join(known, ", "))
		}
	}
	return names, nil
}

// image is <hub>/<image>:<tag> from values.global.<component>.image, or the image as given when it is a
// full reference (contains "/"). override is a per-pod image (sidecar.istio.io/proxyImage).
func (c *Config) image(override, component string) string {
	return imageFromValues(c.Values, override, component)
}

// ProxyImage is the proxy image the injector puts in pods without a sidecar.istio.io/proxyImage, from the
// control plane chart's values (ConfigMap istio-sidecar-injector, key values): analyze compares running
// pods with it.
func ProxyImage(values map[string]any) string { return imageFromValues(values, "", "proxy") }

func imageFromValues(values map[string]any, override, component string) string {
	img := override
	if img == "" {
		img, _ = lookup(values, "global", component, "image").(string)
	}
	if img == "" || strings.Contains(img, "/") {
		return img
	}
	hub, _ := lookup(values, "global", "hub").(string)
	tag := fmt.Sprint(lookup(values, "global", "tag"))
	if hub == "" {
		return img + ":" + tag
	}
	return hub + "/" + img + ":" + tag
}

// addedNames records what the templates added, for sidecar.istio.io/status and for ordering.
type addedNames struct {
	initContainers, containers, volumes, imagePullSecrets []string
}

func (a *addedNames) collect(patch map[string]any) {
	spec := asMap(patch["spec"])
	for _, f := range []struct {
		key string
		dst *[]string
	}{{"initContainers", &a.initContainers}, {"containers", &a.containers}, {"volumes", &a.volumes}, {"imagePullSecrets", &a.imagePullSecrets}} {
		items, _ := spec[f.key].([]any)
		for _, item := range items {
			if name, _ := asMap(item)["name"].(string); name != "" && !slices.Contains(*f.dst, name) {
				*f.dst = append(*f.dst, name)
			}
		}
	}
}

// status is the sidecar.istio.io/status annotation, in Istio's format, which `istioctl x uninject`-like
// tools read to undo the injection.
func (a *addedNames) status(revision string) (string, error) {
	if revision == "" {
		revision = "default"
	}
	s := struct {
		InitContainers   []string `json:"initContainers"`
		Containers       []string `json:"containers"`
		Volumes          []string `json:"volumes"`
		ImagePullSecrets []string `json:"imagePullSecrets"`
		Revision         string   `json:"revision"`
	}{a.initContainers, a.containers, a.volumes, a.imagePullSecrets, revision}
	b, err := json.Marshal(s)
	return string(b), err
}

// reapplyUserFields puts back what the pod itself set on a container the templates also define (a
// gateway's `istio-proxy` with `image: auto`, resources set on istio-proxy): the user's fields win.
func reapplyUserFields(pod *Pod, user map[string]map[string]any, added addedNames, native bool) error {
	for _, list := range []struct {
		key   string
		names []string
	}{{"initContainers", added.initContainers}, {"containers", added.containers}} {
		var overrides []any
		for _, name := range list.names {
			u, ok := user[name]
			if !ok {
				continue
			}
			if img, _ := u["image"].(string); img == "auto" {
				delete(u, "image") // Istio's convention: "auto" means the injected image
			}
			overrides = append(overrides, u)
		}
		if len(overrides) == 0 {
			continue
		}
		if list.key == "initContainers" && native {
			// The pod declared the container among its containers; as a native sidecar it lives among the
			// init containers now.
			removeContainers(pod.Spec, "containers", list.names)
		}
		patch := map[string]any{"spec": map[string]any{list.key: overrides}}
		merged, err := strategicpatch.StrategicMergeMapPatchUsingLookupPatchMeta(map[string]any{"metadata": pod.Metadata, "spec": pod.Spec}, patch, podSchema())
		if err != nil {
			return fmt.Errorf("apply the pod's own %s settings: %w", list.key, err)
		}
		pod.Metadata, pod.Spec = asMap(merged["metadata"]), asMap(merged["spec"])
	}
	return nil
}

// keepUserContainers copies, before a merge overwrites them, the pod's own containers (own names the
// pod's) that carry a name the templates add. A container is copied at the first template that adds its
// name, so the copy is the pod's, not an earlier template's.
func keepUserContainers(spec map[string]any, added addedNames, own []string, keep map[string]map[string]any) {
	for _, key := range []string{"containers", "initContainers"} {
		items, _ := spec[key].([]any)
		for _, item := range items {
			m := asMap(item)
			name, _ := m["name"].(string)
			if _, done := keep[name]; done || !slices.Contains(own, name) {
				continue
			}
			if slices.Contains(added.containers, name) || slices.Contains(added.initContainers, name) {
				keep[name] = runtime.DeepCopyJSON(m)
			}
		}
	}
}

func removeContainers(spec map[string]any, key string, names []string) {
	items, _ := spec[key].([]any)
	kept := items[:0]
	for _, item := range items {
		if name, _ := asMap(item)["name"].(string); !slices.Contains(names, name) {
			kept = append(kept, item)
		}
	}
	spec[key] = kept
}

// reorder moves the injected containers of a list first or last: init containers go first so that
// traffic capture is in place before the application's own init containers; the proxy goes after the
// application containers unless the application must wait for it.
func reorder(spec map[string]any, key string, injected []string, first bool) {
	items, _ := spec[key].([]any)
	if len(items) == 0 || len(injected) == 0 {
		return
	}
	var ours, theirs []any
	for _, name := range injected {
		for _, item := range items {
			if n, _ := asMap(item)["name"].(string); n == name {
				ours = append(ours, item)
			}
		}
	}
	for _, item := range items {
		if n, _ := asMap(item)["name"].(string); !slices.Contains(injected, n) {
			theirs = append(theirs, item)
		}
	}
	if first {
		spec[key] = append(ours, theirs...)
	} else {
		spec[key] = append(theirs, ours...)
	}
}

// containerList returns spec[key] as container maps, or a FieldError when it has the wrong shape.
func containerList(spec map[string]any, key string) ([]map[string]any, error) {
	v, ok := spec[key]
	if !ok || v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fieldErrorf("spec."+key, "want a list of containers, got %s", typeName(v))
	}
	out := make([]map[string]any, 0, len(items))
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fieldErrorf(fmt.Sprintf("spec.%s[%d]", key, i), "want a container, got %s", typeName(item))
		}
		if name, ok := m["name"].(string); !ok || name == "" {
			return nil, fieldErrorf(fmt.Sprintf("spec.%s[%d].name", key, i), "missing: every container needs a name")
		}
		out = append(out, m)
	}
	return out, nil
}

func containerNames(containers []map[string]any) []string {
	names := make([]string, 0, len(containers))
	for _, c := range containers {
		if n, _ := c["name"].(string); n != meshapi.ProxyContainer {
			names = append(names, n)
		}
	}
	return names
}

// podPorts is ISTIO_META_POD_PORTS: the application's declared ports as a JSON list.
func podPorts(containers []map[string]any) string {
	var ports []any
	for _, c := range containers {
		if n, _ := c["name"].(string); n == meshapi.ProxyContainer {
			continue
		}
		if list, ok := c["ports"].([]any); ok {
			ports = append(ports, list...)
		}
	}
	if len(ports) == 0 {
		return "[]"
	}
	s, err := toJSON(ports)
	if err != nil {
		return "[]"
	}
	return s
}

// lookup walks nested maps; it returns nil when a step is missing.
func lookup(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func ensureMap(m map[string]any, key string) map[string]any {
	if sub, ok := m[key].(map[string]any); ok {
		return sub
	}
	sub := map[string]any{}
	m[key] = sub
	return sub
}

// intValue reads an integer that may come as a number or a numeric string.
func intValue(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case int:
		return int64(t), true
	case float64:
		return int64(t), t == float64(int64(t))
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		return n, err == nil
	}
	return 0, false
}
