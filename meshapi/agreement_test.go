package meshapi_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"istio.io/api/annotation"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/analyze/analyzers"
	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/profiles"
)

// agreementCase is a pod, its namespace and what every caller of the contract must conclude about it.
type agreementCase struct {
	name                string
	namespace           string            // "app" when empty
	nsLabels            map[string]string // istio-injection=enabled when nil
	labels, annotations map[string]string
	hostNetwork         bool

	// want is the injection webhook's verdict, which analyze's IST0103 must agree with (it fires for a pod
	// without the proxy unless want is Skip).
	want meshapi.Verdict
	// kubeInject is kube-inject's verdict when it differs from want: it injects whatever the namespace's
	// labels say, as istioctl kube-inject does.
	kubeInject *meshapi.Verdict
	// invalid is the annotation whose value is invalid, "" for none: meshapi refuses it, analyze reports
	// IST0125, and kube-inject refuses to inject the pod (unless it is sidecar.istio.io/inject, which the
	// decision reads and never refuses: an odd value means no).
	invalid string
}

var (
	injectKey = annotation.SidecarInject.Name
	inject_   = meshapi.Inject
)

func kv(pairs ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

var agreementCases = func() []agreementCase {
	cs := []agreementCase{
		{name: "nothing said", want: meshapi.Inject},
		{name: "label wins: true over false", labels: kv(injectKey, "true"), annotations: kv(injectKey, "false"), want: meshapi.Inject},
		{name: "label wins: false over true", labels: kv(injectKey, "false"), annotations: kv(injectKey, "true"), want: meshapi.Skip},
		{name: "label No", labels: kv(injectKey, "No"), want: meshapi.Skip},
		{name: "annotation enabled (a typo)", annotations: kv(injectKey, "enabled"), want: meshapi.Skip, invalid: injectKey},
		{name: "label true, annotation enabled", labels: kv(injectKey, "true"), annotations: kv(injectKey, "enabled"), want: meshapi.Inject, invalid: injectKey},
		{name: "already injected", annotations: kv(annotation.SidecarStatus.Name, "{}"), want: meshapi.AlreadyInjected},
		{name: "hostNetwork", hostNetwork: true, want: meshapi.Skip},
		{name: "kube-system", namespace: "kube-system", want: meshapi.Skip},
		{name: "kube-node-lease", namespace: "kube-node-lease", want: meshapi.Skip},
		{name: "local-path-storage", namespace: "local-path-storage", want: meshapi.Skip},

		// The namespace's labels select the webhook; kube-inject does not read them.
		{name: "namespace unlabelled", nsLabels: kv(), want: meshapi.Skip, kubeInject: &inject_},
		{name: "namespace disabled", nsLabels: kv(meshapi.LabelInjection, "disabled"), want: meshapi.Skip, kubeInject: &inject_},
		{name: "namespace disabled, pod label true", nsLabels: kv(meshapi.LabelInjection, "disabled"), labels: kv(injectKey, "true"), want: meshapi.Skip, kubeInject: &inject_},
		{name: "namespace revision", nsLabels: kv(meshapi.LabelRevision, "canary"), want: meshapi.Inject},
		{name: "namespace unlabelled, pod label true", nsLabels: kv(), labels: kv(injectKey, "true"), want: meshapi.Inject},
		{name: "namespace unlabelled, pod label yes", nsLabels: kv(), labels: kv(injectKey, "yes"), want: meshapi.Skip, kubeInject: &inject_},
		{name: "namespace unlabelled, pod revision", nsLabels: kv(), labels: kv(meshapi.LabelRevision, "canary"), want: meshapi.Inject},
	}
	// Every value sidecar.istio.io/inject may have, on the annotation and on the label.
	for _, v := range []string{"no", "No", "false", "FALSE", "n", "off", "", "yes", "Yes", "true", "y", "on", "ON"} {
		want := meshapi.Skip
		if yes, _ := meshapi.InjectValue(v); yes || v == "" {
			want = meshapi.Inject
		}
		cs = append(cs,
			agreementCase{name: "annotation " + strconv.Quote(v), annotations: kv(injectKey, v), want: want},
			agreementCase{name: "label " + strconv.Quote(v), labels: kv(injectKey, v), want: want})
	}
	// Annotation values: "" for valid.
	for _, a := range []struct{ name, value, invalid string }{
		{annotation.SidecarTrafficExcludeInboundPorts.Name, "*", "invalid"},
		{annotation.SidecarTrafficExcludeInboundPorts.Name, "15020,8080", ""},
		{annotation.SidecarTrafficExcludeInboundPorts.Name, "abc", "invalid"},
		{annotation.SidecarTrafficExcludeInboundPorts.Name, "", ""},
		{annotation.SidecarTrafficExcludeInboundPorts.Name, "8080,,9090", "invalid"},
		{annotation.SidecarTrafficIncludeInboundPorts.Name, "*", ""},
		{annotation.SidecarTrafficIncludeInboundPorts.Name, "", ""},
		{annotation.SidecarTrafficIncludeInboundPorts.Name, "0", "invalid"},
		{annotation.SidecarTrafficIncludeOutboundPorts.Name, "*", "invalid"},
		{annotation.SidecarTrafficExcludeOutboundPorts.Name, "443, 8443", ""},
		{annotation.SidecarTrafficIncludeOutboundIPRanges.Name, "*", ""},
		{annotation.SidecarTrafficIncludeOutboundIPRanges.Name, "10.0.0.0/8,fd00::/8", ""},
		{annotation.SidecarTrafficIncludeOutboundIPRanges.Name, "10.0.0.0/33", "invalid"},
		{annotation.SidecarTrafficExcludeOutboundIPRanges.Name, "*", "invalid"},
		{annotation.SidecarTrafficExcludeOutboundIPRanges.Name, "10.96.0.1", "invalid"},
		{annotation.SidecarProxyCPU.Name, "100m", ""},
		{annotation.SidecarProxyMemory.Name, "128Mi", ""},
		{annotation.SidecarProxyMemory.Name, "lots", "invalid"},
		{annotation.SidecarProxyCPULimit.Name, "1 cpu", "invalid"},
		{annotation.SidecarStatusPort.Name, "99999", "invalid"},
		{annotation.SidecarStatusReadinessPeriodSeconds.Name, "-1", "invalid"},
		{annotation.SidecarInterceptionMode.Name, "redirect", "invalid"},
		{annotation.SidecarNativeSidecar.Name, "maybe", "invalid"},
		{annotation.SidecarRewriteAppHTTPProbers.Name, "false", ""},
	} {
		c := agreementCase{name: a.name + "=" + strconv.Quote(a.value), annotations: kv(a.name, a.value), want: meshapi.Inject}
		if a.invalid != "" {
			c.invalid = a.name
		}
		cs = append(cs, c)
	}
	return cs
}()

// observation is what one caller concluded about a case.
type observation struct {
	verdict meshapi.Verdict // analyze can only tell Skip from the rest: it reports Inject for both
	invalid []string        // annotations refused
}

// TestCallersAgree runs every case through every caller of the contract — meshapi itself (as meshd's
// webhook calls it), kube-inject's stream and analyze's injection and annotation analyzers — and
// holds them to one answer.
func TestCallersAgree(t *testing.T) {
	config := injectConfig(t)
	for _, tc := range agreementCases {
		t.Run(tc.name, func(t *testing.T) {
			pod, ns := tc.objects()
			wantInvalid := []string{}
			if tc.invalid != "" {
				wantInvalid = []string{tc.invalid}
			}
			kubeWant := tc.want
			if tc.kubeInject != nil {
				kubeWant = *tc.kubeInject
			}
			kubeInvalid := []string{}
			if kubeWant == meshapi.Inject && tc.invalid != injectKey {
				kubeInvalid = wantInvalid
			}
			analyzeWant := tc.want
			if analyzeWant == meshapi.AlreadyInjected {
				analyzeWant = meshapi.Inject
			}
			for _, c := range []struct {
				caller string
				got    observation
				want   observation
			}{
				{"meshapi", byMeshapi(tc), observation{tc.want, wantInvalid}},
				{"kube-inject", byKubeInject(t, config, pod), observation{kubeWant, kubeInvalid}},
				{"analyze", byAnalyze(t, pod, ns), observation{analyzeWant, wantInvalid}},
			} {
				if c.got.verdict != c.want.verdict || !slices.Equal(c.got.invalid, c.want.invalid) {
					t.Errorf("%s: %v, refused %q; want %v, refused %q", c.caller, c.got.verdict, c.got.invalid, c.want.verdict, c.want.invalid)
				}
			}
		})
	}
}

func (tc agreementCase) objects() (pod, ns map[string]any) {
	namespace := tc.namespace
	if namespace == "" {
		namespace = "app"
	}
	nsLabels := tc.nsLabels
	if nsLabels == nil {
		nsLabels = kv(meshapi.LabelInjection, meshapi.InjectionEnabled)
	}
	meta := map[string]any{"name": "p", "namespace": namespace}
	if tc.labels != nil {
		meta["labels"] = tc.labels
	}
	if tc.annotations != nil {
		meta["annotations"] = tc.annotations
	}
	spec := map[string]any{"containers": []any{map[string]any{"name": "app", "image": "app"}}}
	if tc.hostNetwork {
		spec["hostNetwork"] = true
	}
	pod = map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
	ns = map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": namespace, "labels": nsLabels}}
	return pod, ns
}

// byMeshapi is the webhook's view: the decision with the namespace's labels, for whichever revision
// they select, and the validators.
func byMeshapi(tc agreementCase) observation {
	pod, ns := tc.objects()
	meta := pod["metadata"].(map[string]any)
	nsLabels := ns["metadata"].(map[string]any)["labels"].(map[string]string)
	d := meshapi.Decide(meshapi.InjectionRequest{
		Pod:             meshapi.Metadata{Labels: tc.labels, Annotations: tc.annotations},
		HostNetwork:     tc.hostNetwork,
		Namespace:       meta["namespace"].(string),
		NamespaceLabels: nsLabels,
		Revision:        meshapi.AnyRevision,
	})
	invalid := []string{}
	for name, value := range tc.annotations {
		if meshapi.ValidateAnnotation(name, value) != nil {
			invalid = append(invalid, name)
		}
	}
	slices.Sort(invalid)
	return observation{d.Verdict, invalid}
}

// byKubeInject injects the pod with meshctl's built-in defaults, as `meshctl kube-inject --offline` does.
func byKubeInject(t *testing.T, config *inject.Config, pod map[string]any) observation {
	in, err := yaml.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	var outcome inject.Outcome = -1
	opts := inject.StreamOptions{Report: func(r inject.Result) { outcome = r.Outcome }}
	err = inject.NewStream(config, &bytes.Buffer{}, opts).Inject(context.Background(), kubeyaml.NewReader(bytes.NewReader(in), "pod.yaml"))
	var ke *kubeyaml.Error
	switch {
	case errors.As(err, &ke):
		name, ok := strings.CutPrefix(ke.Field, `metadata.annotations["`)
		if !ok {
			t.Fatalf("kube-inject: %v", err)
		}
		return observation{meshapi.Inject, []string{strings.TrimSuffix(name, `"]`)}}
	case err != nil:
		t.Fatalf("kube-inject: %v", err)
	}
	verdicts := map[inject.Outcome]meshapi.Verdict{inject.Injected: meshapi.Inject, inject.Skipped: meshapi.Skip, inject.AlreadyInjected: meshapi.AlreadyInjected}
	v, ok := verdicts[outcome]
	if !ok {
		t.Fatalf("kube-inject reported %v", outcome)
	}
	return observation{v, []string{}}
}

// byAnalyze runs the injection and annotation analyzers over the pod (which has no proxy) and its
// namespace: IST0103 says the pod should have been injected, IST0125 names an invalid annotation.
func byAnalyze(t *testing.T, pod, ns map[string]any) observation {
	var in bytes.Buffer
	for _, o := range []map[string]any{ns, pod} {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		in.WriteString("---\n")
		in.Write(b)
	}
	sel, err := analyzers.Select([]string{"injection", "annotations"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := analyze.Run(context.Background(), analyze.Options{Paths: []string{kubeyaml.Stdin}, Stdin: &in, AllNamespaces: true, RootNamespace: meshapi.DefaultNamespace, Analyzers: sel})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.InputErrors) > 0 {
		t.Fatalf("analyze could not read the input: %v", res.InputErrors)
	}
	got := observation{verdict: meshapi.Skip, invalid: []string{}}
	for _, f := range res.Findings {
		if f.Resource.Kind != "Pod" {
			continue
		}
		switch f.Code {
		case "IST0103":
			got.verdict = meshapi.Inject
		case "IST0125":
			name := strings.TrimSuffix(strings.TrimPrefix(f.Field, `metadata.annotations["`), `"]`)
			got.invalid = append(got.invalid, name)
		}
	}
	slices.Sort(got.invalid)
	return got
}

var defaults = sync.OnceValues(func() (*inject.Config, error) {
	in, err := render.InjectionDefaults(profiles.Input{Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0"})
	if err != nil {
		return nil, err
	}
	return inject.ParseConfig(in.Config, in.Values, in.Mesh)
})

func injectConfig(t *testing.T) *inject.Config {
	t.Helper()
	c, err := defaults()
	if err != nil {
		t.Fatalf("the built-in injection defaults: %v", err)
	}
	return c
}
