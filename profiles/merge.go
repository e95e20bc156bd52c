package profiles

// keyedLists are the lists whose elements merge by name, as Istio merges gateways: a file that sets
// ingressGateways[name=istio-ingressgateway].enabled changes that gateway instead of replacing the list.
var keyedLists = map[string]bool{
	"spec.components.ingressGateways": true,
	"spec.components.egressGateways":  true,
}

// merge overlays src onto dst (both IstioOperator trees) and returns dst. Maps merge key by key, keyed
// lists by name, other lists and scalars are replaced. src is not modified; dst may be.
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
				dst[k] = deepCopy(sv)
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
			return deepCopy(src).([]any)
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
			out = append(out, deepCopy(sm))
			continue
		}
		dm, _ := out[at].(map[string]any)
		out[at] = merge(deepCopy(dm).(map[string]any), sm, path)
	}
	return out
}

// deepCopy copies a tree of maps and lists.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return map[string]any{}
		}
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
