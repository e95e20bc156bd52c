package validation

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	meshconfig "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func vsWithWeight(w any) map[string]any {
	return map[string]any{"hosts": []any{"a"}, "http": []any{map[string]any{"route": []any{
		map[string]any{"destination": map[string]any{"host": "a"}, "weight": w}}}}}
}

// TestNumbersOfEveryDecoder: YAML gives int64, encoding/json float64 or json.Number; all decode alike.
func TestNumbersOfEveryDecoder(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want int32
		err  string
	}{
		{"int64", int64(50), 50, ""},
		{"float64", float64(50), 50, ""},
		{"json.Number", json.Number("50"), 50, ""},
		{"json.Number exponent", json.Number("1e2"), 100, ""},
		{"string", "50", 50, ""},
		{"float64 fraction", 50.5, 0, "want an integer, got 50.5"},
		{"json.Number fraction", json.Number("50.5"), 0, "want an integer, got 50.5"},
		{"json.Number out of range", json.Number("3000000000"), 0, "3000000000 is out of range [-2147483648, 2147483647]"},
		{"float64 out of range", 3e9, 0, "3000000000 is out of range [-2147483648, 2147483647]"},
		{"boolean", true, 0, "want an integer, got the boolean true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, errs := DecodeSpec(KindVirtualService.WithVersion("v1"), vsWithWeight(tc.in))
			if tc.err != "" {
				want := "spec.http[0].route[0].weight: " + tc.err
				if len(errs) != 1 || errs[0].Error() != want || errs[0].Rule != RuleSchema || errs[0].Severity != Error {
					t.Fatalf("got %#v, want one error %q", errs, want)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if got := msg.(*networking.VirtualService).Http[0].Route[0].Weight; got != tc.want {
				t.Errorf("weight %d, want %d", got, tc.want)
			}
		})
	}
}

func TestDecodeScalarsAndWellKnownTypes(t *testing.T) {
	spec := map[string]any{
		"host": "a",
		"trafficPolicy": map[string]any{
			"loadBalancer":     map[string]any{"simple": "ROUND_ROBIN"},
			"tls":              map[string]any{"mode": json.Number("2")}, // MUTUAL by number
			"connectionPool":   map[string]any{"tcp": map[string]any{"connectTimeout": "1m30s"}},
			"outlierDetection": map[string]any{"consecutive5xxErrors": float64(7), "split_external_local_origin_errors": true},
		},
	}
	msg, errs := DecodeSpec(KindDestinationRule.WithVersion("v1"), spec)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	dr := msg.(*networking.DestinationRule)
	tp := dr.TrafficPolicy
	if tp.GetLoadBalancer().GetSimple() != networking.LoadBalancerSettings_ROUND_ROBIN || tp.Tls.Mode != networking.ClientTLSSettings_MUTUAL ||
		tp.ConnectionPool.Tcp.ConnectTimeout.AsDuration() != 90*time.Second || tp.OutlierDetection.Consecutive_5XxErrors.GetValue() != 7 ||
		!tp.OutlierDetection.SplitExternalLocalOriginErrors {
		t.Errorf("decoded wrongly: %v", dr)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind schema.GroupKind
		spec any
		want []string
	}{
		{"unknown field with hint", KindVirtualService, map[string]any{"host": []any{"a"}}, []string{`spec.host: unknown field "host" (did you mean "hosts"?)`}},
		{"unknown field", KindVirtualService, map[string]any{"nope": 1}, []string{`spec.nope: unknown field "nope"`}},
		{"proto name", KindVirtualService, map[string]any{"export_to": []any{"."}, "http": []any{map[string]any{"route": []any{map[string]any{"destination": map[string]any{"host": "a"}}}}}}, nil},
		{"not an object", KindVirtualService, []any{1}, []string{"spec: want an object, got a list"}},
		{"not a list", KindVirtualService, map[string]any{"hosts": "a"}, []string{`spec.hosts: want a list, got the string "a"`}},
		{"oneof", KindVirtualService, map[string]any{"http": []any{map[string]any{"match": []any{map[string]any{"uri": map[string]any{"prefix": "/a", "exact": "/b"}}}}}},
			[]string{"spec.http[0].match[0].uri.prefix: only one of exact, prefix, regex may be set, and exact is too"}},
		{"enum", KindDestinationRule, map[string]any{"trafficPolicy": map[string]any{"tls": map[string]any{"mode": "SOMETIMES"}}},
			[]string{`spec.trafficPolicy.tls.mode: unknown value "SOMETIMES": want one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL`}},
		{"enum number", KindDestinationRule, map[string]any{"trafficPolicy": map[string]any{"tls": map[string]any{"mode": float64(9)}}},
			[]string{`spec.trafficPolicy.tls.mode: unknown value 9: want one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL`}},
		{"duration", KindVirtualService, map[string]any{"http": []any{map[string]any{"timeout": "10 seconds"}}}, []string{`spec.http[0].timeout: invalid duration "10 seconds"`}},
		{"duration type", KindVirtualService, map[string]any{"http": []any{map[string]any{"timeout": json.Number("10")}}}, []string{`spec.http[0].timeout: want a duration such as "1.5s" or "1m", got the number 10`}},
		{"wrapper", KindDestinationRule, map[string]any{"trafficPolicy": map[string]any{"outlierDetection": map[string]any{"consecutive5xxErrors": "many"}}},
			[]string{`spec.trafficPolicy.outlierDetection.consecutive5xxErrors: want an integer, got "many"`}},
		{"map key", KindPeerAuthentication, map[string]any{"portLevelMtls": map[string]any{"http": map[string]any{}}}, []string{`spec.portLevelMtls: invalid map key "http"`}},
		{"map value", KindWorkloadEntry, map[string]any{"ports": map[string]any{"http": json.Number("-1")}}, []string{`spec.ports["http"]: -1 is out of range [0, 4294967295]`}},
		{"struct", KindEnvoyFilter, map[string]any{"configPatches": []any{map[string]any{"patch": map[string]any{"value": map[string]any{"n": json.Number("1")}}}}}, nil},
		{"struct type", KindEnvoyFilter, map[string]any{"configPatches": []any{map[string]any{"patch": map[string]any{"value": "x"}}}}, []string{`spec.configPatches[0].patch.value: want an object, got the string "x"`}},
		{"null resets", KindVirtualService, map[string]any{"hosts": nil, "http": nil}, nil},
		{"sorted by field", KindVirtualService, map[string]any{"z": 1, "a": 1, "m": 1}, []string{`spec.a: unknown field "a"`, `spec.m: unknown field "m"`, `spec.z: unknown field "z"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := DecodeSpec(tc.kind.WithVersion(""), tc.spec)
			var got []string
			for _, e := range errs {
				if e.Field != "apiVersion" {
					got = append(got, e.Error())
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}

func TestDecodeSpecKindAndVersion(t *testing.T) {
	if _, errs := DecodeSpec(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, nil); len(errs) != 1 || errs[0].Field != "kind" {
		t.Errorf("unknown kind: %v", errs)
	}
	msg, errs := DecodeSpec(KindGateway.WithVersion("v1alpha2"), nil)
	if msg == nil || errs.Error() != `apiVersion: networking.istio.io does not serve Gateway at version "v1alpha2" (served: [v1alpha3 v1beta1 v1])` {
		t.Errorf("unserved version: %v", errs)
	}
	for _, k := range Kinds() {
		for _, v := range k.Versions {
			if msg, errs := DecodeSpec(k.GroupKind.WithVersion(v), map[string]any{}); msg == nil || len(errs) > 0 {
				t.Errorf("%s %s: %v", k.Kind, v, errs)
			}
		}
	}
}

// TestObjectRunsRulesOnlyOnDecodedSpecs: semantic rules on a half-decoded spec would repeat its errors.
func TestObjectRunsRulesOnlyOnDecodedSpecs(t *testing.T) {
	gvk := KindVirtualService.WithVersion("v1")
	if _, errs := Object(gvk, map[string]any{"hosts": []any{"a"}, "http": []any{map[string]any{"timeout": "soon"}}}); problems(errs)[0] != "spec.http[0].timeout schema" || len(errs) != 1 {
		t.Errorf("decoding errors: %v", errs)
	}
	_, errs := Object(gvk, map[string]any{"hosts": []any{"a"}, "http": []any{map[string]any{"timeout": "0s"}}})
	if got := problems(errs); !slices.Equal(got, []string{"spec.http[0] required", "spec.http[0].timeout duration"}) {
		t.Errorf("semantic errors: %v", got)
	}
	if _, errs := Object(gvk, map[string]any{"hosts": []any{"a"}, "http": []any{map[string]any{"route": []any{map[string]any{"destination": map[string]any{"host": "a"}}}}}}); len(errs) > 0 {
		t.Errorf("valid: %v", errs)
	}
}

// TestPathPrefix: callers get paths from their own document.
func TestPathPrefix(t *testing.T) {
	in := map[string]any{"defaultConfig": map[string]any{"concurrency": "two", "proxyMetadata": map[string]any{"X": true}}}
	for _, prefix := range []string{"", "spec.meshConfig"} {
		_, errs := DecodeMeshConfig(in, prefix)
		want := []string{
			strings.TrimPrefix(prefix+".defaultConfig.concurrency", ".") + `: want an integer, got "two"`,
			strings.TrimPrefix(prefix+".defaultConfig.proxyMetadata", ".") + `["X"]: want a string, got the boolean true`,
		}
		if got := strings.Split(errs.Error(), "\n"); !slices.Equal(got, want) {
			t.Errorf("prefix %q:\n got: %q\nwant: %q", prefix, got, want)
		}
	}
	pc, errs := DecodeProxyConfig(map[string]any{"concurrency": json.Number("2"), "drainDuration": "45s"}, "x")
	if len(errs) > 0 || pc.Concurrency.GetValue() != 2 || pc.DrainDuration.AsDuration() != 45*time.Second {
		t.Errorf("proxy config: %v %v", pc, errs)
	}
	if got := problems(Validate(&networking.Gateway{}, "")); !slices.Equal(got, []string{"servers required"}) {
		t.Errorf("Validate at the root: %v", got)
	}
}

func TestDecodeFieldAndValue(t *testing.T) {
	md := (&meshconfig.MeshConfig{}).ProtoReflect().Descriptor()
	aliases := md.Fields().ByName("trust_domain_aliases")
	if got := DecodeField(aliases, []any{"a", int64(1)}, "m.trustDomainAliases").Error(); got != "m.trustDomainAliases[1]: want a string, got the number 1" {
		t.Errorf("DecodeField list: %s", got)
	}
	if got := DecodeValue(aliases, int64(1), "m.trustDomainAliases[3]").Error(); got != "m.trustDomainAliases[3]: want a string, got the number 1" {
		t.Errorf("DecodeValue element: %s", got)
	}
	enc := md.Fields().ByName("access_log_encoding")
	if got := DecodeValue(enc, "XML", "m.accessLogEncoding").Error(); got != `m.accessLogEncoding: unknown value "XML": want one of TEXT, JSON` {
		t.Errorf("DecodeValue enum: %s", got)
	}
	pc := (&meshconfig.ProxyConfig{}).ProtoReflect().Descriptor()
	if errs := DecodeValue(pc.Fields().ByName("drain_duration"), "5s", "d"); len(errs) > 0 {
		t.Errorf("DecodeValue duration: %v", errs)
	}
	if got := DecodeValue(pc.Fields().ByName("proxy_metadata"), false, `m["X"]`).Error(); got != `m["X"]: want a string, got the boolean false` {
		t.Errorf("DecodeValue map value: %s", got)
	}
	if got := DecodeValue(md.Fields().ByName("default_config"), map[string]any{"nope": 1}, "m.defaultConfig").Error(); got != `m.defaultConfig.nope: unknown field "nope"` {
		t.Errorf("DecodeValue message: %s", got)
	}
}

func TestFieldErrors(t *testing.T) {
	warn := FieldErrors{{Field: "a", Message: "careful", Severity: Warning}}
	if warn.HasErrors() || warn.Err() != nil || warn.Error() != "warning: a: careful" {
		t.Errorf("warnings only: %v %v %q", warn.HasErrors(), warn.Err(), warn.Error())
	}
	both := append(warn, FieldError{Message: "bad"})
	var err error = both.Err()
	var fe FieldErrors
	if !both.HasErrors() || !errors.As(err, &fe) || len(fe.Warnings()) != 1 || both.Error() != "warning: a: careful\nbad" {
		t.Errorf("errors: %v", both)
	}
}
