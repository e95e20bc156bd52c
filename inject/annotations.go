package inject

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Labels and annotations injection reads or writes; the names are Istio's, which users and tools key on.
const (
	AnnotationInject          = "sidecar.istio.io/inject" // also a label, which wins
	AnnotationStatus          = "sidecar.istio.io/status"
	AnnotationTemplates       = "inject.istio.io/templates"
	AnnotationProxyConfig     = "proxy.istio.io/config"
	AnnotationProxyImage      = "sidecar.istio.io/proxyImage"
	AnnotationProxyCPU        = "sidecar.istio.io/proxyCPU"
	AnnotationProxyMemory     = "sidecar.istio.io/proxyMemory"
	AnnotationProxyCPULimit   = "sidecar.istio.io/proxyCPULimit"
	AnnotationProxyMemLimit   = "sidecar.istio.io/proxyMemoryLimit"
	AnnotationNativeSidecar   = "sidecar.istio.io/nativeSidecar"
	AnnotationRewriteProbes   = "sidecar.istio.io/rewriteAppHTTPProbers"
	AnnotationInterception    = "sidecar.istio.io/interceptionMode"
	AnnotationStatusPort      = "status.sidecar.istio.io/port"
	AnnotationIncludeOutCIDRs = "traffic.sidecar.istio.io/includeOutboundIPRanges"
	AnnotationExcludeOutCIDRs = "traffic.sidecar.istio.io/excludeOutboundIPRanges"
	AnnotationIncludeInPorts  = "traffic.sidecar.istio.io/includeInboundPorts"
	AnnotationExcludeInPorts  = "traffic.sidecar.istio.io/excludeInboundPorts"
	AnnotationIncludeOutPorts = "traffic.sidecar.istio.io/includeOutboundPorts"
	AnnotationExcludeOutPorts = "traffic.sidecar.istio.io/excludeOutboundPorts"
	// AnnotationOriginalProbes keeps the application's probes as they were before they were pointed at the
	// proxy (JSON: container name -> probe field -> probe), so that they can be restored.
	AnnotationOriginalProbes = "sidecar.meshctl.io/originalProbes"

	LabelTLSMode           = "security.istio.io/tlsMode"
	LabelCanonicalName     = "service.istio.io/canonical-name"
	LabelCanonicalRevision = "service.istio.io/canonical-revision"

	// ProxyContainer is the sidecar's container name, which tools look for.
	ProxyContainer = "istio-proxy"
)

// annotationCheck validates the value of an annotation injection reads.
type annotationCheck func(string) error

var annotationChecks = map[string]annotationCheck{
	AnnotationProxyCPU:      checkQuantity,
	AnnotationProxyMemory:   checkQuantity,
	AnnotationProxyCPULimit: checkQuantity,
	AnnotationProxyMemLimit: checkQuantity,
	AnnotationNativeSidecar: checkBool,
	AnnotationRewriteProbes: checkBool,
	AnnotationProxyImage:    checkNonEmpty,
	AnnotationInterception: func(v string) error {
		switch v {
		case "REDIRECT", "TPROXY", "NONE":
			return nil
		}
		return fmt.Errorf("want REDIRECT, TPROXY or NONE, got %q", v)
	},
	AnnotationStatusPort:                                    checkPort(true),
	AnnotationIncludeOutCIDRs:                               checkCIDRs(true),
	AnnotationExcludeOutCIDRs:                               checkCIDRs(false),
	AnnotationIncludeInPorts:                                checkPorts(true),
	AnnotationExcludeInPorts:                                checkPorts(false),
	AnnotationIncludeOutPorts:                               checkPorts(false),
	AnnotationExcludeOutPorts:                               checkPorts(false),
	"readiness.status.sidecar.istio.io/initialDelaySeconds": checkCount,
	"readiness.status.sidecar.istio.io/periodSeconds":       checkCount,
	"readiness.status.sidecar.istio.io/failureThreshold":    checkCount,
}

func checkQuantity(v string) error {
	if _, err := resource.ParseQuantity(v); err != nil {
		return fmt.Errorf("%q is not a quantity (like 100m or 128Mi)", v)
	}
	return nil
}

func checkBool(v string) error {
	if _, err := strconv.ParseBool(v); err != nil {
		return fmt.Errorf("want true or false, got %q", v)
	}
	return nil
}

func checkNonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("must not be empty")
	}
	return nil
}

func checkCount(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 0 {
		return fmt.Errorf("want a non-negative integer, got %q", v)
	}
	return nil
}

func checkPort(zeroOK bool) annotationCheck {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 65535 || n == 0 && !zeroOK {
			return fmt.Errorf("%q is not a port number", v)
		}
		return nil
	}
}

// checkPorts accepts a comma-separated port list, and "*" (all ports) where allowed.
func checkPorts(starOK bool) annotationCheck {
	return func(v string) error {
		if strings.TrimSpace(v) == "*" && starOK {
			return nil
		}
		for p := range strings.SplitSeq(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if err := checkPort(false)(p); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkCIDRs accepts a comma-separated list of CIDRs, and "*" (everything) where allowed.
func checkCIDRs(starOK bool) annotationCheck {
	return func(v string) error {
		if strings.TrimSpace(v) == "*" && starOK {
			return nil
		}
		for c := range strings.SplitSeq(v, ",") {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			if _, err := netip.ParsePrefix(c); err != nil {
				return fmt.Errorf("%q is not a CIDR (like 10.0.0.0/8)", c)
			}
		}
		return nil
	}
}

// boolAnnotation reads a validated boolean annotation; ok is false when the pod does not set it.
func boolAnnotation(annotations map[string]string, key string) (value, ok bool) {
	s, set := annotations[key]
	if !set {
		return false, false
	}
	b, err := strconv.ParseBool(s)
	return b, err == nil
}
