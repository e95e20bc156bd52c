package profiles

import "k8s.io/apimachinery/pkg/runtime"

// keyedLists are the lists whose elements merge by name, as Istio merges gateways: a file that sets
// ingressGateways[name=istio-ingressgateway].enabled changes that gateway instead of replacing the list.
var keyedLists = map[string]bool{
	"spec.components.ingressGateways": true,
	"spec.components.egressGateways":  true,
}

// merge overlays src onto dst (both IstioOperator trees) and returns dst. Maps merge key by key, keyed
// lists by name, other lists and scalars are replaced. src is not modified; dst may be. Both hold only
// JSON values (kubeyaml's and --set's), which is what runtime.DeepCopyJSON copies.
func merge(dst, src map[string]any, path string) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, sv := range src {
		p := joinKey(path, k)
		switch sv := sv.(type) {
		case map[string]any:
			dv, _ := dst[k].(map[string]any)
			dst[k] = merge(dv, sv, p)
		case []any:
			if dl, ok := dst[k].([]any); ok && keyedLists[p] {
				dst[k] = mergeByName(dl, sv, p)
			} else {
				dst[k] = runtime.DeepCopyJSONValue(sv)
			}
		default:
			dst[k] = sv
		}
	}
	return dst
}

// mergeByName merges elements with the same "name"; an element without a name merges by position.
func mergeByName(dst, src []any, path string) []any {
	out := make([]any, len(dst))
	copy(out, dst)
	for i, s := range src {
		sm, ok := s.(map[string]any)
		if !ok {
			return runtime.DeepCopyJSONValue(src).([]any)
		}
		at := -1
		if name, _ := sm["name"].(string); name != "" {
			for j, d := range out {
				if dm, ok := d.(map[string]any); ok && dm["name"] == name {
					at = j
					break
				}
			}
		} else if i < len(out) {
			at = i
		}
		if at < 0 {
			out = append(out, runtime.DeepCopyJSON(sm))
			continue
		}
		dm, _ := out[at].(map[string]any)
		out[at] = merge(runtime.DeepCopyJSON(dm), sm, path)
	}
	return out
}
