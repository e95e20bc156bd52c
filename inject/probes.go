package inject

import (
	"fmt"

	"istio.io/api/annotation"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshctl/meshctl/meshapi"
)

// probeKinds maps a container's probe fields to the path suffix the proxy serves them under.
var probeKinds = []struct{ field, suffix string }{
	{"livenessProbe", "livez"},
	{"readinessProbe", "readyz"},
	{"startupProbe", "startupz"},
}

// rewriteProbes points the application's HTTP probes at the proxy's status port, as Istio does: with
// mutual TLS the kubelet's plain HTTP probe would not get through the proxy. The proxy runs the original
// probes, which it reads from ISTIO_KUBE_APP_PROBERS; the originals are also kept in an annotation.
func (c *Config) rewriteProbes(pod Pod, annotations map[string]string) error {
	enabled, _ := lookup(c.Values, "sidecarInjectorWebhook", "rewriteAppHTTPProbe").(bool)
	if v, ok := boolAnnotation(annotations, annotation.SidecarRewriteAppHTTPProbers.Name); ok {
		enabled = v
	}
	if !enabled {
		return nil
	}
	port, ok := intValue(lookup(c.Values, "global", "proxy", "statusPort"))
	if v, set := annotations[annotation.SidecarStatusPort.Name]; set {
		port, ok = intValue(v)
	}
	if !ok || port == 0 {
		return nil
	}
	proxy := findContainer(pod.Spec, meshapi.ProxyContainer)
	if proxy == nil {
		return nil // a template without a proxy (or one that renamed it): nothing serves the probes
	}
	probers := map[string]any{}
	originals := map[string]any{}
	items, _ := pod.Spec["containers"].([]any)
	for _, item := range items {
		container := asMap(item)
		name, _ := container["name"].(string)
		if name == meshapi.ProxyContainer {
			continue
		}
		for _, kind := range probeKinds {
			probe := asMap(container[kind.field])
			httpGet := asMap(probe["httpGet"])
			if httpGet == nil {
				continue
			}
			target, ok := probePort(container, httpGet["port"])
			if !ok {
				continue // a port the API server will reject anyway: leave it for it to say so
			}
			path := fmt.Sprintf("/app-health/%s/%s", name, kind.suffix)
			original := runtime.DeepCopyJSON(httpGet)
			original["port"] = target
			prober := map[string]any{"httpGet": original}
			if t, ok := probe["timeoutSeconds"]; ok {
				prober["timeoutSeconds"] = t
			}
			probers[path] = prober
			saved := asMap(originals[name])
			if saved == nil {
				saved = map[string]any{}
				originals[name] = saved
			}
			saved[kind.field] = runtime.DeepCopyJSON(probe)

			rewritten := runtime.DeepCopyJSON(probe)
			rewritten["httpGet"] = map[string]any{"path": path, "port": port}
			container[kind.field] = rewritten
		}
	}
	if len(probers) == 0 {
		return nil
	}
	value, err := toJSON(probers)
	if err != nil {
		return err
	}
	setEnv(proxy, "ISTIO_KUBE_APP_PROBERS", value)
	kept, err := toJSON(originals)
	if err != nil {
		return err
	}
	ensureMap(pod.Metadata, "annotations")[meshapi.AnnotationOriginalProbes] = kept
	return nil
}

// probePort resolves a probe's port, which may name one of the container's ports, to its number.
func probePort(container map[string]any, port any) (int64, bool) {
	if n, ok := intValue(port); ok {
		return n, n > 0
	}
	name, ok := port.(string)
	if !ok {
		return 0, false
	}
	ports, _ := container["ports"].([]any)
	for _, p := range ports {
		pm := asMap(p)
		if pm["name"] == name {
			return intValue(pm["containerPort"])
		}
	}
	return 0, false
}

func findContainer(spec map[string]any, name string) map[string]any {
	for _, key := range []string{"containers", "initContainers"} {
		items, _ := spec[key].([]any)
		for _, item := range items {
			if m := asMap(item); m != nil && m["name"] == name {
				return m
			}
		}
	}
	return nil
}

// setEnv sets (or replaces) a plain environment variable of a container.
func setEnv(container map[string]any, name, value string) {
	env, _ := container["env"].([]any)
	for _, e := range env {
		if m := asMap(e); m != nil && m["name"] == name {
			delete(m, "valueFrom")
			m["value"] = value
			return
		}
	}
	container["env"] = append(env, map[string]any{"name": name, "value": value})
}
