package meshapi

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"istio.io/api/annotation"
)

// validators check the values of the annotations whose syntax is known, with what Istio's injector
// accepts (pkg/kube/inject/validate.go) where it checks a value, and where it does not, with what the
// consumer of the value (the capture rules, the pod's resources) would accept. kube-inject refuses a pod
// whose annotation fails here, analyze reports it (IST0125), meshd's webhook will refuse it.
var validators = map[string]func(string) error{
	annotation.SidecarInject.Name:                             checkInjectValue,
	annotation.SidecarProxyCPU.Name:                           CheckQuantity,
	annotation.SidecarProxyMemory.Name:                        CheckQuantity,
	annotation.SidecarProxyCPULimit.Name:                      CheckQuantity,
	annotation.SidecarProxyMemoryLimit.Name:                   CheckQuantity,
	annotation.SidecarNativeSidecar.Name:                      checkBool,
	annotation.SidecarRewriteAppHTTPProbers.Name:              checkBool,
	annotation.PrometheusMergeMetrics.Name:                    checkBool,
	annotation.SidecarProxyImage.Name:                         checkNonEmpty,
	annotation.SidecarInterceptionMode.Name:                   checkInterceptionMode,
	annotation.SidecarStatusPort.Name:                         checkStatusPort,
	annotation.SidecarStatusReadinessInitialDelaySeconds.Name: checkCount,
	annotation.SidecarStatusReadinessPeriodSeconds.Name:       checkCount,
	annotation.SidecarStatusReadinessFailureThreshold.Name:    checkCount,
	// "*" (everything) where Istio's documentation and injector accept it: the include lists of inbound
	// ports and outbound ranges. An exclude list of "*" is refused, as Istio refuses it: to capture no
	// inbound traffic, include nothing (includeInboundPorts: "").
	annotation.SidecarTrafficIncludeInboundPorts.Name:     checkPortList(true),
	annotation.SidecarTrafficExcludeInboundPorts.Name:     checkPortList(false),
	annotation.SidecarTrafficIncludeOutboundPorts.Name:    checkPortList(false),
	annotation.SidecarTrafficExcludeOutboundPorts.Name:    checkPortList(false),
	annotation.SidecarTrafficIncludeOutboundIPRanges.Name: checkCIDRList(true),
	annotation.SidecarTrafficExcludeOutboundIPRanges.Name: checkCIDRList(false),
}

// ValidateAnnotation checks an annotation's value; it returns nil for an annotation whose values it does
// not know. The error says what is wrong without naming the annotation, for the caller to place.
func ValidateAnnotation(name, value string) error {
	if check, ok := validators[name]; ok {
		return check(value)
	}
	return nil
}

// checkInjectValue accepts what InjectValue reads as yes or no: anything else also means no, but is far
// more likely a mistake ("enabled", "1") than a wish.
func checkInjectValue(v string) error {
	if _, known := InjectValue(v); !known {
		return fmt.Errorf("want true or false (or yes, no, y, n, on, off), got %q, which means false", v)
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

func checkInterceptionMode(v string) error {
	switch v {
	case "REDIRECT", "TPROXY", "NONE":
		return nil
	}
	return fmt.Errorf("want REDIRECT, TPROXY or NONE, got %q", v)
}

// checkStatusPort accepts a port, or 0: no status port.
func checkStatusPort(v string) error {
	if _, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16); err != nil {
		return fmt.Errorf("%q is not a port number", v)
	}
	return nil
}

// checkCount accepts what Istio's injector does for the readiness probe's numbers: an unsigned 32-bit one.
func checkCount(v string) error {
	if _, err := strconv.ParseUint(v, 10, 32); err != nil {
		return fmt.Errorf("want a non-negative integer, got %q", v)
	}
	return nil
}

// checkPortList accepts a comma-separated list of ports (1-65535; spaces around them are fine), the empty
// list, and "*" (all ports) where starOK. An empty item ("80,,90") is refused, as Istio refuses it.
func checkPortList(starOK bool) func(string) error {
	return func(v string) error {
		return checkList(v, starOK, "port list (like 8080,9090)", func(p string) error {
			if n, err := strconv.ParseUint(p, 10, 64); err != nil || !IsValidPort(n) {
				return fmt.Errorf("%q is not a port number", p)
			}
			return nil
		})
	}
}

// checkCIDRList accepts a comma-separated list of CIDRs, the empty list, and "*" (everything) where starOK.
func checkCIDRList(starOK bool) func(string) error {
	return func(v string) error {
		return checkList(v, starOK, "CIDR list (like 10.0.0.0/8,fd00::/8)", func(c string) error {
			if _, err := netip.ParsePrefix(c); err != nil {
				return fmt.Errorf("%q is not a CIDR (like 10.0.0.0/8)", c)
			}
			return nil
		})
	}
}

func checkList(v string, starOK bool, what string, item func(string) error) error {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return nil
	case v == "*" && starOK:
		return nil
	case v == "*":
		return fmt.Errorf(`want a %s; "*" is not accepted here`, what)
	}
	for x := range strings.SplitSeq(v, ",") {
		x = strings.TrimSpace(x)
		if x == "" {
			return fmt.Errorf("want a %s, got an empty item in %q", what, v)
		}
		if err := item(x); err != nil {
			return err
		}
	}
	return nil
}
