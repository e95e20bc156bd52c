package inject

import (
	"fmt"
	"strings"

	"istio.io/api/annotation"
	"istio.io/api/label"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/meshapi"
)

// Capture is the traffic capture the init container (or the CNI plugin) sets up, with the pod's
// traffic.sidecar.istio.io/* annotations applied over the values.
type Capture struct {
	IncludeOutboundIPRanges, ExcludeOutboundIPRanges string
	IncludeInboundPorts, ExcludeInboundPorts         string // ExcludeInboundPorts includes the proxy's own ports
	IncludeOutboundPorts, ExcludeOutboundPorts       string
}

// Readiness is the proxy's readiness probe timing, values overridden by readiness.status.sidecar.istio.io/*.
type Readiness struct {
	InitialDelaySeconds, PeriodSeconds, FailureThreshold string
}

// settings computes, once per pod in Go, what templates would otherwise work out with dozens of function
// calls: text/template calls functions through reflection, and they were most of injection's cost.
func (d *templateData) settings(values map[string]any) error {
	proxy, _ := lookup(values, "global", "proxy").(map[string]any)
	meta := d.ObjectMeta
	get := func(key string, def any) string { return annotationOr(meta, key, def) }

	d.StatusPort = get(annotation.SidecarStatusPort.Name, proxy["statusPort"])
	mode, _ := d.ProxyConfig["interceptionMode"].(string)
	if mode == "" {
		mode = "REDIRECT"
	}
	d.InterceptionMode = get(annotation.SidecarInterceptionMode.Name, mode)
	exclude := meshapi.ProxyOwnInboundPorts(d.StatusPort)
	if extra := get(annotation.SidecarTrafficExcludeInboundPorts.Name, proxy["excludeInboundPorts"]); extra != "" {
		exclude += "," + extra
	}
	d.Capture = Capture{
		IncludeOutboundIPRanges: get(annotation.SidecarTrafficIncludeOutboundIPRanges.Name, proxy["includeIPRanges"]),
		ExcludeOutboundIPRanges: get(annotation.SidecarTrafficExcludeOutboundIPRanges.Name, proxy["excludeIPRanges"]),
		IncludeInboundPorts:     get(annotation.SidecarTrafficIncludeInboundPorts.Name, proxy["includeInboundPorts"]),
		ExcludeInboundPorts:     exclude,
		IncludeOutboundPorts:    get(annotation.SidecarTrafficIncludeOutboundPorts.Name, proxy["includeOutboundPorts"]),
		ExcludeOutboundPorts:    get(annotation.SidecarTrafficExcludeOutboundPorts.Name, proxy["excludeOutboundPorts"]),
	}
	d.Readiness = Readiness{
		InitialDelaySeconds: get(annotation.SidecarStatusReadinessInitialDelaySeconds.Name, proxy["readinessInitialDelaySeconds"]),
		PeriodSeconds:       get(annotation.SidecarStatusReadinessPeriodSeconds.Name, proxy["readinessPeriodSeconds"]),
		FailureThreshold:    get(annotation.SidecarStatusReadinessFailureThreshold.Name, proxy["readinessFailureThreshold"]),
	}

	d.DiscoveryAddress, _ = d.ProxyConfig["discoveryAddress"].(string)
	if d.DiscoveryAddress == "" {
		ns, _ := lookup(values, "global", "istioNamespace").(string)
		d.DiscoveryAddress = meshapi.DiscoveryAddress(d.Revision, firstNonEmpty(ns, meshapi.DefaultNamespace))
	}

	labels := meta.Labels
	d.CanonicalName = labelName(firstNonEmpty(labels[label.ServiceCanonicalName.Name], labels["app.kubernetes.io/name"], labels["app"], d.DeploymentMeta.Name, meshapi.ProxyContainer))
	d.CanonicalRevision = labelName(firstNonEmpty(labels[label.ServiceCanonicalRevision.Name], labels["app.kubernetes.io/version"], labels["version"], "latest"))

	d.ProxyResources = proxyResources(meta, proxy["resources"])

	d.TLSMode = firstNonEmpty(labels[label.SecurityTlsMode.Name], "istio")
	d.DefaultContainer = meta.Annotations["kubectl.kubernetes.io/default-container"]
	if d.DefaultContainer == "" && len(d.AppContainers) > 0 {
		d.DefaultContainer = d.AppContainers[0]
	}
	_, scrape := meta.Annotations["prometheus.io/scrape"]
	merge, set := d.MeshConfig["enablePrometheusMerge"].(bool)
	d.PrometheusMerge = (merge || !set) && !scrape
	d.LogLevel = get(annotation.SidecarLogLevel.Name, proxy["logLevel"])
	d.ComponentLogLevel = get(annotation.SidecarComponentLogLevel.Name, proxy["componentLogLevel"])
	d.AgentLogLevel = get(annotation.SidecarAgentLogLevel.Name, lookup(values, "global", "logging", "level"))
	clusterName, _ := lookup(values, "global", "multiCluster", "clusterName").(string)
	d.ClusterID = firstNonEmpty(clusterName, "Kubernetes")
	trustDomain, _ := d.MeshConfig["trustDomain"].(string)
	d.TrustDomain = firstNonEmpty(trustDomain, "cluster.local")
	meshID, _ := lookup(values, "global", "meshID").(string)
	d.MeshID = firstNonEmpty(meshID, d.TrustDomain)
	if d.TypeMeta.APIVersion != "" && d.DeploymentMeta.Name != "" {
		d.Owner = fmt.Sprintf("kubernetes://apis/%s/namespaces/%s/%ss/%s", d.TypeMeta.APIVersion,
			firstNonEmpty(d.DeploymentMeta.Namespace, "default"), strings.ToLower(d.TypeMeta.Kind), d.DeploymentMeta.Name)
	}
	return d.checkValues()
}

// checkValues validates what came from the values rather than from the pod's annotations (which were
// checked already), so that templates may write these settings without quoting.
func (d *templateData) checkValues() error {
	for _, f := range []struct {
		annotation, value string
	}{
		{annotation.SidecarStatusPort.Name, d.StatusPort},
		{annotation.SidecarInterceptionMode.Name, d.InterceptionMode},
		{annotation.SidecarTrafficIncludeOutboundIPRanges.Name, d.Capture.IncludeOutboundIPRanges},
		{annotation.SidecarTrafficExcludeOutboundIPRanges.Name, d.Capture.ExcludeOutboundIPRanges},
		{annotation.SidecarTrafficIncludeInboundPorts.Name, d.Capture.IncludeInboundPorts},
		{annotation.SidecarTrafficExcludeInboundPorts.Name, d.Capture.ExcludeInboundPorts},
		{annotation.SidecarTrafficIncludeOutboundPorts.Name, d.Capture.IncludeOutboundPorts},
		{annotation.SidecarTrafficExcludeOutboundPorts.Name, d.Capture.ExcludeOutboundPorts},
		{annotation.SidecarStatusReadinessInitialDelaySeconds.Name, d.Readiness.InitialDelaySeconds},
		{annotation.SidecarStatusReadinessPeriodSeconds.Name, d.Readiness.PeriodSeconds},
		{annotation.SidecarStatusReadinessFailureThreshold.Name, d.Readiness.FailureThreshold},
	} {
		if _, set := d.ObjectMeta.Annotations[f.annotation]; set {
			continue
		}
		if err := meshapi.ValidateAnnotation(f.annotation, f.value); err != nil {
			return fmt.Errorf("the values' default for %s: %w", f.annotation, err)
		}
	}
	return nil
}

// proxyResources are the sidecar.istio.io/proxyCPU|proxyMemory|proxyCPULimit|proxyMemoryLimit
// annotations when the pod sets any of them (then they alone decide, as in Istio), else the values'.
func proxyResources(meta *metav1.ObjectMeta, fromValues any) map[string]any {
	requests, limits := map[string]any{}, map[string]any{}
	for key, set := range map[string]struct {
		m        map[string]any
		resource string
	}{
		annotation.SidecarProxyCPU.Name:         {requests, "cpu"},
		annotation.SidecarProxyMemory.Name:      {requests, "memory"},
		annotation.SidecarProxyCPULimit.Name:    {limits, "cpu"},
		annotation.SidecarProxyMemoryLimit.Name: {limits, "memory"},
	} {
		if v, ok := meta.Annotations[key]; ok {
			set.m[set.resource] = v
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		m, _ := fromValues.(map[string]any)
		return m
	}
	out := map[string]any{}
	if len(requests) > 0 {
		out["requests"] = requests
	}
	if len(limits) > 0 {
		out["limits"] = limits
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// labelName trims a value to a valid label value's length.
func labelName(s string) string {
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.TrimRight(s, "-_.")
}
