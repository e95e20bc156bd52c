package meshapi_test

import (
	"strings"
	"testing"

	"istio.io/api/annotation"

	"github.com/meshctl/meshctl/meshapi"
)

func TestValidateAnnotation(t *testing.T) {
	ports, cidrs := annotation.SidecarTrafficExcludeInboundPorts.Name, annotation.SidecarTrafficExcludeOutboundIPRanges.Name
	for _, tc := range []struct {
		name, value string
		problem     string // "" for a valid value, else part of the error
	}{
		{annotation.SidecarInject.Name, "true", ""},
		{annotation.SidecarInject.Name, "No", ""},
		{annotation.SidecarInject.Name, "OFF", ""},
		{annotation.SidecarInject.Name, "", ""},
		{annotation.SidecarInject.Name, "enabled", `got "enabled", which means false`},
		{annotation.SidecarInject.Name, "1", "which means false"},
		{annotation.SidecarProxyCPU.Name, "100m", ""},
		{annotation.SidecarProxyMemoryLimit.Name, "1.5Gi", ""},
		{annotation.SidecarProxyMemory.Name, "128MB", "not a quantity"},
		{annotation.SidecarProxyCPULimit.Name, "", "not a quantity"},
		{annotation.SidecarNativeSidecar.Name, "true", ""},
		{annotation.SidecarNativeSidecar.Name, "yes", "want true or false"},
		{annotation.PrometheusMergeMetrics.Name, "maybe", "want true or false"},
		{annotation.SidecarRewriteAppHTTPProbers.Name, "F", ""},
		{annotation.SidecarProxyImage.Name, " ", "must not be empty"},
		{annotation.SidecarInterceptionMode.Name, "TPROXY", ""},
		{annotation.SidecarInterceptionMode.Name, "redirect", "want REDIRECT, TPROXY or NONE"},
		{annotation.SidecarStatusPort.Name, "0", ""},
		{annotation.SidecarStatusPort.Name, "15020", ""},
		{annotation.SidecarStatusPort.Name, "65536", "not a port number"},
		{annotation.SidecarStatusPort.Name, "-1", "not a port number"},
		{annotation.SidecarStatusReadinessPeriodSeconds.Name, "0", ""},
		{annotation.SidecarStatusReadinessFailureThreshold.Name, "-3", "non-negative integer"},
		{annotation.SidecarStatusReadinessInitialDelaySeconds.Name, "4294967296", "non-negative integer"},
		{ports, "", ""},
		{ports, "15020, 8080", ""},
		{ports, "*", `"*" is not accepted here`},
		{ports, "abc", `"abc" is not a port number`},
		{ports, "0", `"0" is not a port number`},
		{ports, "8080,,9090", "empty item"},
		{ports, "8080,", "empty item"},
		{annotation.SidecarTrafficIncludeInboundPorts.Name, "*", ""},
		{annotation.SidecarTrafficIncludeInboundPorts.Name, "", ""},
		{annotation.SidecarTrafficIncludeInboundPorts.Name, "80,*", `"*" is not a port number`},
		{annotation.SidecarTrafficIncludeOutboundPorts.Name, "*", `"*" is not accepted here`},
		{annotation.SidecarTrafficExcludeOutboundPorts.Name, "65535", ""},
		{annotation.SidecarTrafficIncludeOutboundIPRanges.Name, "*", ""},
		{annotation.SidecarTrafficIncludeOutboundIPRanges.Name, "10.0.0.0/8, fd00::/8", ""},
		{cidrs, "*", `"*" is not accepted here`},
		{cidrs, "10.0.0.1", `"10.0.0.1" is not a CIDR`},
		{cidrs, "10.0.0.0/33", "is not a CIDR"},
		{cidrs, "", ""},
		{"sidecar.istio.io/unknown", "anything", ""},
	} {
		err := meshapi.ValidateAnnotation(tc.name, tc.value)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%s=%q: unexpected error %v", tc.name, tc.value, err)
		case tc.problem != "" && err == nil:
			t.Errorf("%s=%q: accepted, want an error about %q", tc.name, tc.value, tc.problem)
		case tc.problem != "" && !strings.Contains(err.Error(), tc.problem):
			t.Errorf("%s=%q: error %q, want one about %q", tc.name, tc.value, err, tc.problem)
		}
	}
}
