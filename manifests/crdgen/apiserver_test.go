package crdgen

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// renderedCRDs returns the CRDs of the rendered chart: the artifact users apply, labels included.
func renderedCRDs(tb testing.TB) []*apiextv1.CustomResourceDefinition {
	tb.Helper()
	var crds []*apiextv1.CustomResourceDefinition
	for _, obj := range objects(tb, renderChart(tb, nil)) {
		if obj["kind"] != "CustomResourceDefinition" {
			continue
		}
		raw, err := yaml.Marshal(obj)
		if err != nil {
			tb.Fatal(err)
		}
		crd := &apiextv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(raw, crd); err != nil {
			tb.Fatalf("decode CRD: %v", err)
		}
		crds = append(crds, crd)
	}
	return crds
}

// toInternal defaults and converts a CRD as the API server does before validating it.
func toInternal(tb testing.TB, crd *apiextv1.CustomResourceDefinition) *apiextensions.CustomResourceDefinition {
	tb.Helper()
	crd = crd.DeepCopy()
	apiextv1.SetObjectDefaults_CustomResourceDefinition(crd)
	internal := &apiextensions.CustomResourceDefinition{}
	if err := apiextv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, internal, nil); err != nil {
		tb.Fatalf("convert %s: %v", crd.Name, err)
	}
	return internal
}

// internalSchema converts one version's schema as the API server's CR handler does. (Converting
// the whole CRD would move schemas that are identical in every version to spec.validation.)
func internalSchema(tb testing.TB, v *apiextv1.CustomResourceValidation) *apiextensions.JSONSchemaProps {
	tb.Helper()
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v, internal, nil); err != nil {
		tb.Fatal(err)
	}
	return internal.OpenAPIV3Schema
}

// TestCRDsPassAPIServerValidation runs the API server's own CRD validation: structural schema,
// names, versions, printer columns and (were there any) CEL rules and their estimated cost.
func TestCRDsPassAPIServerValidation(t *testing.T) {
	crds := renderedCRDs(t)
	if len(crds) != len(Kinds()) {
		t.Fatalf("rendered %d CRDs, want %d", len(crds), len(Kinds()))
	}
	for _, crd := range crds {
		t.Run(crd.Name, func(t *testing.T) {
			internal := toInternal(t, crd)
			for _, err := range crdvalidation.ValidateCustomResourceDefinition(context.Background(), internal) {
				t.Error(err)
			}
			for _, v := range crd.Spec.Versions {
				s, err := structuralschema.NewStructural(internalSchema(t, v.Schema))
				if err != nil {
					t.Fatalf("%s: not structural: %v", v.Name, err)
				}
				// No CEL at all keeps every CRD far below the cost limits of any API server version.
				if n := countCEL(s); n != 0 {
					t.Errorf("%s: %d x-kubernetes-validations rules, want none", v.Name, n)
				}
			}
		})
	}
}

func countCEL(s *structuralschema.Structural) int {
	if s == nil {
		return 0
	}
	n := len(s.XValidations)
	for _, p := range s.Properties {
		n += countCEL(&p)
	}
	n += countCEL(s.Items)
	if s.AdditionalProperties != nil {
		n += countCEL(s.AdditionalProperties.Structural)
	}
	return n
}

// apiServer validates custom resources the way kube-apiserver does on create: prune unknown fields,
// drop nulls, then run the OpenAPI schema validator, embedded-metadata, list-type and CEL checks.
type apiServer struct {
	versions map[string]*servedVersion // "group/version/Kind"
}

type servedVersion struct {
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
	cel        *cel.Validator
}

func newAPIServer(tb testing.TB) *apiServer {
	tb.Helper()
	srv := &apiServer{versions: map[string]*servedVersion{}}
	for _, crd := range renderedCRDs(tb) {
		for _, v := range crd.Spec.Versions {
			schema := internalSchema(tb, v.Schema)
			s, err := structuralschema.NewStructural(schema)
			if err != nil {
				tb.Fatalf("%s %s: %v", crd.Name, v.Name, err)
			}
			validator, _, err := validation.NewSchemaValidator(schema)
			if err != nil {
				tb.Fatalf("%s %s: %v", crd.Name, v.Name, err)
			}
			key := crd.Spec.Group + "/" + v.Name + "/" + crd.Spec.Names.Kind
			srv.versions[key] = &servedVersion{
				structural: s,
				validator:  validator,
				cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
			}
		}
	}
	return srv
}

// create returns the paths of the fields the server prunes (rejected with fieldValidation=Strict)
// and the validation errors that make it reject the object.
func (srv *apiServer) create(manifest string) (pruned []string, errs field.ErrorList, err error) {
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(manifest), &obj); err != nil {
		return nil, nil, err
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	v, ok := srv.versions[apiVersion+"/"+kind]
	if !ok {
		return nil, nil, fmt.Errorf("no CRD serves %s %s", apiVersion, kind)
	}
	pruned = structuralpruning.PruneWithOptions(obj, v.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, v.structural)
	structuraldefaulting.Default(obj, v.structural)

	errs = append(errs, validation.ValidateCustomResource(nil, obj, v.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, obj, v.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	if v.cel != nil && len(errs) == 0 {
		celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return pruned, errs, nil
}

func TestAPIServerValidatesIstioObjects(t *testing.T) {
	srv := newAPIServer(t)
	tests := []struct {
		name     string
		manifest string
		// wantErr is a substring of the joined validation errors; "" means the object is accepted.
		wantErr string
		// wantPruned lists the fields the server drops (a Strict field validation rejects them).
		wantPruned []string
	}{
		{
			name: "VirtualService with weights",
			manifest: `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers:
        end-user: {exact: jason}
      uri: {prefix: /reviews}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
    - destination: {host: reviews, subset: v3, port: {number: 9080}}
      weight: 50
    timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure"}
    fault:
      delay: {fixedDelay: 7s, percentage: {value: 0.1}}
    mirror: {host: reviews, subset: v4}
    mirror_percent: 10
`,
		},
		{
			name: "VirtualService served as v1alpha3 and v1beta1",
			manifest: `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
`,
		},
		{
			name: "weight as a string",
			manifest: `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: "50"
`,
			wantErr: `spec.http[0].route[0].weight: Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer`,
		},
		{
			name: "weight out of int32 range",
			manifest: `
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  http:
  - route:
    - destination: {host: reviews}
      weight: 2147483648
`,
			wantErr: "value must be of type integer with format int32 in spec.http[0].route[0].weight",
		},
		{
			name: "two members of a oneof",
			manifest: `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  http:
  - match:
    - uri: {exact: /a, prefix: /b}
    route:
    - destination: {host: reviews}
`,
			wantErr: `"spec.http[0].match[0].uri" must validate one and only one schema (oneOf). Found 2 valid alternatives`,
		},
		{
			name: "duration with a bad unit",
			manifest: `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  http:
  - route:
    - destination: {host: reviews}
    timeout: 5x
`,
			wantErr: `spec.http[0].timeout: Invalid value: "5x": spec.http[0].timeout in body should match`,
		},
		{
			name: "unknown fields are pruned",
			manifest: `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  htpp: []
  http:
  - route:
    - destination: {host: reviews}
      wieght: 50
status:
  anything: goes
`,
			wantPruned: []string{"spec.htpp", "spec.http[0].route[0].wieght"},
		},
		{
			name: "DestinationRule with traffic policy",
			manifest: `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 30ms}
      http: {http2MaxRequests: 1000, maxRequestsPerConnection: 10, idleTimeout: 1h30m}
    outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m, maxEjectionPercent: 100}
    loadBalancer:
      consistentHash: {httpCookie: {name: user, ttl: 0s}}
    tls: {mode: ISTIO_MUTUAL}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      loadBalancer: {simple: ROUND_ROBIN}
`,
		},
		{
			name: "unknown enum value",
			manifest: `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    tls: {mode: SOMETHING}
`,
			wantErr: `spec.trafficPolicy.tls.mode: Unsupported value: "SOMETHING": supported values: "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"`,
		},
		{
			name: "enum given as its number",
			manifest: `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: 3}
`,
			wantErr: "spec.mtls.mode in body must be of type string",
		},
		{
			name: "missing required field",
			manifest: `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  subsets:
  - name: v1
`,
			wantErr: "spec.host: Required value",
		},
		{
			name: "oneof across a message: simple and consistentHash",
			manifest: `
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST, consistentHash: {useSourceIp: true}}
`,
			wantErr: `"spec.trafficPolicy.loadBalancer" must validate one and only one schema (oneOf)`,
		},
		{
			name: "second oneof of a message: ringHash and maglev",
			manifest: `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 1024}, maglev: {tableSize: 65537}}
`,
			wantErr: `"spec.trafficPolicy.loadBalancer.consistentHash" must validate one and only one schema (oneOf)`,
		},
		{
			name: "Gateway",
			manifest: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [bookinfo.example.com]
    tls: {mode: SIMPLE, credentialName: bookinfo-secret, minProtocolVersion: TLSV1_2}
`,
		},
		{
			name: "Gateway server without port name",
			manifest: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  servers:
  - port: {number: 80, protocol: HTTP}
    hosts: ["*"]
`,
			wantErr: "spec.servers[0].port.name: Required value",
		},
		{
			name: "ServiceEntry",
			manifest: `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext, namespace: default}
spec:
  hosts: [httpbin.org]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  resolution: DNS
  location: MESH_EXTERNAL
`,
		},
		{
			name: "ServiceEntry without spec",
			manifest: `
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: empty, namespace: default}
`,
			wantErr: "spec: Required value",
		},
		{
			name: "Sidecar",
			manifest: `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`,
		},
		{
			name: "WorkloadEntry with a negative weight",
			manifest: `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm1, namespace: default}
spec:
  address: 10.0.0.1
  labels: {app: vm}
  ports: {http: 8080}
  weight: -1
`,
			wantErr: "spec.weight: Invalid value: -1: spec.weight in body should be greater than or equal to 0",
		},
		{
			name: "WorkloadGroup probe with two handlers",
			manifest: `
apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: vm, namespace: default}
spec:
  template: {serviceAccount: vm}
  probe:
    httpGet: {port: 8080, path: /ready}
    tcpSocket: {port: 8080}
`,
			wantErr: `"spec.probe" must validate one and only one schema (oneOf)`,
		},
		{
			name: "EnvoyFilter patch value is kept as written",
			manifest: `
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua, namespace: default}
spec:
  workloadSelector: {labels: {app: reviews}}
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
      listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.lua
        typed_config: {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua", inlineCode: "x"}
`,
		},
		{
			name: "ProxyConfig concurrency is an integer",
			manifest: `
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: pc, namespace: default}
spec:
  concurrency: "2"
`,
			wantErr: "spec.concurrency: Invalid value: \"string\"",
		},
		{
			name: "AuthorizationPolicy",
			manifest: `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: ALLOW
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/default/sa/sleep"]}
    to:
    - operation: {methods: [GET], paths: ["/info*"]}
    when:
    - {key: "request.auth.claims[iss]", values: ["https://accounts.google.com"]}
`,
		},
		{
			name: "AuthorizationPolicy with an unknown action",
			manifest: `
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: deny, namespace: foo}
spec:
  action: DENYALL
`,
			wantErr: `spec.action: Unsupported value: "DENYALL"`,
		},
		{
			name: "RequestAuthentication accepts jwks_uri like Istio",
			manifest: `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: testing@secure.istio.io
    jwks_uri: https://example.com/jwks.json
    forwardOriginalToken: true
`,
		},
		{
			name: "Telemetry",
			manifest: `
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  accessLogging:
  - providers: [{name: envoy}]
  tracing:
  - randomSamplingPercentage: 10.5
    customTags:
      my-tag: {literal: {value: x}}
`,
		},
		{
			name: "Telemetry custom tag with two sources",
			manifest: `
apiVersion: telemetry.istio.io/v1alpha1
kind: Telemetry
metadata: {name: t, namespace: default}
spec:
  tracing:
  - customTags:
      my-tag: {literal: {value: x}, header: {name: x-id}}
`,
			wantErr: `"spec.tracing[0].customTags.my-tag" must validate one and only one schema (oneOf)`,
		},
		{
			name: "WasmPlugin",
			manifest: `
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: openid-connect, namespace: istio-ingress}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  url: oci://private-registry:5000/openid-connect/openid:latest
  imagePullPolicy: IfNotPresent
  phase: AUTHN
  pluginConfig:
    openid_server: authn
    openid_realm: ingress
    nested: {list: [1, "two", {three: 3}]}
`,
		},
		{
			name: "WasmPlugin without url",
			manifest: `
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: w, namespace: default}
spec:
  phase: AUTHN
`,
			wantErr: "spec.url: Required value",
		},
		{
			name: "IstioOperator is not validated by the server",
			manifest: `
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: installed-state, namespace: istio-system}
spec:
  profile: demo
  components: {pilot: {k8s: {replicaCount: "two"}}}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pruned, errs, err := srv.create(tt.manifest)
			if err != nil {
				t.Fatal(err)
			}
			got := errs.ToAggregate()
			switch {
			case tt.wantErr == "" && got != nil:
				t.Errorf("rejected: %v", got)
			case tt.wantErr != "" && got == nil:
				t.Errorf("accepted, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(got.Error(), tt.wantErr):
				t.Errorf("error = %v\nwant it to contain %q", got, tt.wantErr)
			}
			if strings.Join(pruned, ",") != strings.Join(tt.wantPruned, ",") {
				t.Errorf("pruned = %q, want %q", pruned, tt.wantPruned)
			}
		})
	}
}
