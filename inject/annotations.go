package inject

import (
	"strconv"

	"istio.io/api/annotation"
)

// AnnotationProxyConfig is the pod's proxy.istio.io/config, read by proxyconfig.go. The names injection reads
// are istio.io/api's (annotation, label) and meshapi's; their values are checked by meshapi.ValidateAnnotation.
var AnnotationProxyConfig = annotation.ProxyConfig.Name

// boolAnnotation reads a validated boolean annotation; ok is false when the pod does not set it.
func boolAnnotation(annotations map[string]string, key string) (value, ok bool) {
	s, set := annotations[key]
	if !set {
		return false, false
	}
	b, err := strconv.ParseBool(s)
	return b, err == nil
}
