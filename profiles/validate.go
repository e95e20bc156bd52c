package profiles

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshctl/meshctl/meshapi/validation"
)

// fieldError is one problem at a dotted path of the input.
type fieldError struct {
	path string
	msg  string
}

var (
	meshConfigShape = sync.OnceValue(func() *shape {
		s := shapeOfMessage((&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor(), map[protoreflect.FullName]*shape{})
		s.check = func(v any, path string) validation.FieldErrors {
			_, errs := validation.DecodeMeshConfig(v, path)
			return errs
		}
		return s
	})
	// meshNetworksShape is values.global.meshNetworks, the networks of ConfigMap istio's meshNetworks.
	meshNetworksShape = sync.OnceValue(func() *shape {
		networks := (&meshv1alpha1.MeshNetworks{}).ProtoReflect().Descriptor().Fields().ByName("networks")
		s := shapeOfField(networks, map[protoreflect.FullName]*shape{})
		s.check = func(v any, path string) validation.FieldErrors { return validation.DecodeField(networks, v, path) }
		return s
	})
	wellKnownValues = sync.OnceValue(func() map[string]*shape {
		strMap := &shape{kind: mapShape, elem: &shape{kind: stringShape}}
		tolerations := shapeOfType(reflect.TypeOf([]corev1.Toleration{}))
		return map[string]*shape{
			"resources":           shapeOfType(reflect.TypeOf(corev1.ResourceRequirements{})),
			"affinity":            shapeOfType(reflect.TypeOf(corev1.Affinity{})),
			"tolerations":         tolerations,
			"defaultTolerations":  tolerations,
			"extraEnv":            shapeOfType(reflect.TypeOf([]corev1.EnvVar{})),
			"nodeSelector":        strMap,
			"defaultNodeSelector": strMap,
			"podAnnotations":      strMap,
			"podLabels":           strMap,
			"serviceAnnotations":  strMap,
			"labels":              strMap,
			"env":                 strMap, // container environment: NAME: value, always text
			"meshConfig":          meshConfigShape(),
			"meshNetworks":        meshNetworksShape(),
		}
	})
)

func wellKnownValue(key string) *shape { return wellKnownValues()[key] }

// validate checks v against s and appends what is wrong, with the path of each problem.
func (s *shape) validate(v any, path string, errs *[]fieldError) {
	s = s.resolved()
	if v == nil || s.kind == anyShape {
		return // null resets a field to its default, which is always allowed
	}
	if s.check != nil {
		for _, e := range s.check(v, path) {
			*errs = append(*errs, fieldError{path: e.Field, msg: e.Message})
		}
		return
	}
	bad := func(format string, args ...any) {
		*errs = append(*errs, fieldError{path: path, msg: fmt.Sprintf(format, args...)})
	}
	switch s.kind {
	case objectShape, mapShape:
		m, ok := v.(map[string]any)
		if !ok {
			bad("want %s, got %s", s.kind, validation.Describe(v))
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			child := s.elem
			if s.kind == objectShape {
				if child = s.fieldMap()[k]; child == nil {
					*errs = append(*errs, fieldError{path: joinKey(path, k), msg: unknownFieldMessage(path, k, s.fieldNames())})
					continue
				}
			}
			child.validate(m[k], joinKey(path, k), errs)
		}
	case listShape:
		l, ok := v.([]any)
		if !ok {
			bad("want %s, got %s", s.kind, validation.Describe(v))
			return
		}
		for i, e := range l {
			s.elem.validate(e, path+"["+strconv.Itoa(i)+"]", errs)
		}
	case stringShape:
		switch v := v.(type) {
		case string:
			if len(s.enum) > 0 && !slices.Contains(s.enum, v) {
				bad("%q is not one of %s", v, strings.Join(s.enum, ", "))
			}
		case int64, float64:
			if len(s.enum) > 0 {
				bad("want one of %s, got %s", strings.Join(s.enum, ", "), validation.Describe(v))
			}
		default:
			bad("want %s, got %s", s.kind, validation.Describe(v))
		}
	case boolShape:
		if _, ok := v.(bool); !ok {
			bad("want %s, got %s", s.kind, validation.Describe(v))
		}
	case intShape:
		if !isWhole(v) {
			bad("want %s, got %s", s.kind, validation.Describe(v))
		}
	case numberShape:
		switch v.(type) {
		case int64, float64:
		default:
			bad("want %s, got %s", s.kind, validation.Describe(v))
		}
	case quantityShape, intOrStringShape:
		switch v.(type) {
		case string, int64, float64:
		default:
			bad("want %s, got %s", s.kind, validation.Describe(v))
		}
	}
}

func isWhole(v any) bool {
	switch v := v.(type) {
	case int64:
		return true
	case float64:
		return v == math.Trunc(v)
	}
	return false
}

func joinKey(path, key string) string {
	if strings.ContainsAny(key, ".[]") {
		key = `["` + key + `"]`
		return path + key
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// unknownFieldMessage names the unknown key and suggests the closest known one by its full path.
func unknownFieldMessage(parent, key string, known []string) string {
	msg := fmt.Sprintf("unknown field %q", key)
	if s := suggest(key, known); s != "" {
		return msg + fmt.Sprintf(" (did you mean %s?)", joinKey(parent, s))
	}
	if len(known) <= 12 {
		return msg + " (known fields: " + strings.Join(known, ", ") + ")"
	}
	return msg
}

// suggest returns the known name closest to key, if it is close enough to be a typo.
func suggest(key string, known []string) string {
	best, bestDist := "", math.MaxInt
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k
		}
		if d := levenshtein(strings.ToLower(key), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist <= max(2, len(key)/3) {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
