package validation

import (
	"strconv"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// replacements says what to use instead of a deprecated field, by the field's full name. A deprecated
// field missing here is still reported, without advice.
var replacements = map[protoreflect.FullName]string{
	"istio.networking.v1alpha3.HTTPRoute.mirror_percent":                                "mirrorPercentage",
	"istio.networking.v1alpha3.CorsPolicy.allow_origin":                                 "allowOrigins",
	"istio.networking.v1alpha3.OutlierDetection.consecutive_errors":                     "consecutive5xxErrors or consecutiveGatewayErrors",
	"istio.networking.v1alpha3.HTTPFaultInjection.Delay.percent":                        "percentage",
	"istio.networking.v1alpha3.LoadBalancerSettings.ConsistentHashLB.minimum_ring_size": "ringHash.minimumRingSize",
	"istio.networking.v1alpha3.Port.target_port":                                        "the port of each endpoint (endpoints[].ports)",
	"istio.networking.v1alpha3.SidecarPort.target_port":                                 "defaultEndpoint",
}

// deprecatedFields reports every field set in msg that istio.io/api marks deprecated, as a Warning with
// RuleDeprecated: the API's own annotations are the list, so a field Istio deprecates is reported as soon
// as istio.io/api says so. Only the parts of a message that can hold a deprecated field are walked.
func (v *validator) deprecatedFields(msg protoreflect.Message, path string) {
	if !mayHoldDeprecated(msg.Descriptor()) {
		return
	}
	msg.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		p := path + "." + fd.JSONName()
		if isDeprecated(fd) {
			if use, ok := replacements[fd.FullName()]; ok {
				v.warnf(RuleDeprecated, p, "%s is deprecated: use %s", fd.JSONName(), use)
			} else {
				v.warnf(RuleDeprecated, p, "%s is deprecated", fd.JSONName())
			}
		}
		if fd.Message() == nil || !mayHoldDeprecated(fd.Message()) {
			return true
		}
		switch {
		case fd.IsList():
			l := val.List()
			for i := range l.Len() {
				v.deprecatedFields(l.Get(i).Message(), p+"["+strconv.Itoa(i)+"]")
			}
		case fd.IsMap():
			val.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				v.deprecatedFields(mv.Message(), key(p, k.String()))
				return true
			})
		default:
			v.deprecatedFields(val.Message(), p)
		}
		return true
	})
}

func isDeprecated(fd protoreflect.FieldDescriptor) bool {
	o, ok := fd.Options().(*descriptorpb.FieldOptions)
	return ok && o.GetDeprecated()
}

// reachesDeprecated caches, per message type, whether a deprecated field can be set anywhere below it.
var reachesDeprecated sync.Map // protoreflect.FullName -> bool

func mayHoldDeprecated(md protoreflect.MessageDescriptor) bool {
	if v, ok := reachesDeprecated.Load(md.FullName()); ok {
		return v.(bool)
	}
	r := computeReach(md, map[protoreflect.FullName]bool{})
	reachesDeprecated.Store(md.FullName(), r)
	return r
}

// computeReach walks the message graph; visiting marks types on the current path so that recursive
// types (Struct, Value) end.
func computeReach(md protoreflect.MessageDescriptor, visiting map[protoreflect.FullName]bool) bool {
	if v, ok := reachesDeprecated.Load(md.FullName()); ok {
		return v.(bool)
	}
	if visiting[md.FullName()] {
		return false
	}
	visiting[md.FullName()] = true
	defer delete(visiting, md.FullName())
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if isDeprecated(fd) {
			return true
		}
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if fd.Message() != nil && computeReach(fd.Message(), visiting) {
			return true
		}
	}
	return false
}
