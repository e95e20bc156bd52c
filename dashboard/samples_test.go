package dashboard

// The samples under manifests/samples are checked here because `meshctl dashboard` is what reads their
// labels and ports: the add-ons must be where the registry looks. The same file checks the sample
// applications, offline (strict decoding against the Kubernetes and Istio APIs) and, in
// samples_cluster_test.go, with a server-side dry run.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/manifests"
)

// sampleFile is one YAML file of manifests/samples with its objects.
type sampleFile struct {
	path    string // "samples/addons/kiali.yaml"
	objects []kubeyaml.Object
}

func loadSamples(t testing.TB) []sampleFile {
	t.Helper()
	var files []sampleFile
	err := fs.WalkDir(manifests.FS, "samples", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !kubeyaml.IsYAMLFile(p) {
			return err
		}
		data, err := fs.ReadFile(manifests.FS, p)
		if err != nil {
			return err
		}
		sf := sampleFile{path: p}
		r := kubeyaml.NewReader(bytes.NewReader(data), p)
		for {
			doc, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			objs, err := doc.Objects()
			if err != nil {
				return err
			}
			sf.objects = append(sf.objects, objs...)
		}
		files = append(files, sf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found %d sample files; the embedded samples are missing", len(files))
	}
	return files
}

func (sf sampleFile) find(kind, name string) *kubeyaml.Object {
	for i, o := range sf.objects {
		if o.Value["kind"] == kind && nested(o.Value, "metadata", "name") == name {
			return &sf.objects[i]
		}
	}
	return nil
}

func nested(v map[string]any, keys ...string) string {
	var cur any = v
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	s, _ := cur.(string)
	return s
}

// decode decodes obj strictly into its typed Go form: an unknown or misspelt field is an error.
func decode(o kubeyaml.Object) (runtime.Object, error) {
	data, err := json.Marshal(o.Value)
	if err != nil {
		return nil, err
	}
	s := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme, kjson.SerializerOptions{Strict: true})
	obj, _, err := s.Decode(data, nil, nil)
	return obj, err
}

// istioSpec returns an empty message for the spec of an Istio networking kind, nil for other kinds.
func istioSpec(apiVersion, kind string) proto.Message {
	if !strings.HasPrefix(apiVersion, "networking.istio.io/") {
		return nil
	}
	switch kind {
	case "Gateway":
		return &networking.Gateway{}
	case "VirtualService":
		return &networking.VirtualService{}
	case "DestinationRule":
		return &networking.DestinationRule{}
	case "ServiceEntry":
		return &networking.ServiceEntry{}
	case "Sidecar":
		return &networking.Sidecar{}
	}
	return nil
}

// TestSamplesDecodeStrictly: every object of every sample is a known kind whose fields all exist, and every
// routing rule's spec is valid for Istio's networking API (what the CRDs' schemas are generated from).
func TestSamplesDecodeStrictly(t *testing.T) {
	for _, sf := range loadSamples(t) {
		t.Run(sf.path, func(t *testing.T) {
			if len(sf.objects) == 0 {
				t.Fatal("no objects")
			}
			for _, o := range sf.objects {
				apiVersion, _ := o.Value["apiVersion"].(string)
				kind, _ := o.Value["kind"].(string)
				if msg := istioSpec(apiVersion, kind); msg != nil {
					if apiVersion != "networking.istio.io/v1" {
						t.Errorf("%s: %s: use networking.istio.io/v1, as the current tutorials do", o.Position(), apiVersion)
					}
					spec, err := json.Marshal(o.Value["spec"])
					if err != nil {
						t.Fatal(err)
					}
					if err := (protojson.UnmarshalOptions{}).Unmarshal(spec, msg); err != nil {
						t.Errorf("%s: %s %s: spec: %v", o.Position(), kind, nested(o.Value, "metadata", "name"), err)
					}
					continue
				}
				if _, err := decode(o); err != nil {
					t.Errorf("%s: %s: %v", o.Position(), kind, err)
				}
			}
		})
	}
}

// TestAddonsMatchRegistry: `kubectl apply -f samples/addons/X.yaml` makes a pod that `meshctl dashboard X`
// finds (the first selector, the default namespace) and can reach (the remote port, the URL path).
func TestAddonsMatchRegistry(t *testing.T) {
	files := map[string]sampleFile{}
	for _, sf := range loadSamples(t) {
		files[sf.path] = sf
	}
	checked := 0
	for _, d := range Registry() {
		file, ok := strings.CutPrefix(d.InstallHint, "kubectl apply -f ")
		if !ok {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			sf, ok := files[file]
			if !ok {
				t.Fatalf("install hint names %s, which is not in manifests/samples", file)
			}
			sel, err := labels.Parse(d.Selectors[0])
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, o := range sf.objects {
				if o.Value["kind"] != "Deployment" {
					continue
				}
				obj, err := decode(o)
				if err != nil {
					t.Fatal(err)
				}
				dep := obj.(*appsv1.Deployment)
				if !sel.Matches(labels.Set(dep.Spec.Template.Labels)) {
					continue
				}
				found = true
				if dep.Namespace != "istio-system" {
					t.Errorf("%s: deployment %s in namespace %q; the dashboard looks in istio-system", o.Position(), dep.Name, dep.Namespace)
				}
				if dep.Spec.Template.Labels["sidecar.istio.io/inject"] != "false" {
					t.Errorf("%s: add-on pods stay out of the mesh: label sidecar.istio.io/inject: \"false\"", o.Position())
				}
				c := dep.Spec.Template.Spec.Containers[0]
				if !hasPort(c, d.RemotePort) {
					t.Errorf("%s: container %s does not declare port %d", o.Position(), c.Name, d.RemotePort)
				}
				if d.Path != "" && (c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil ||
					!strings.HasPrefix(c.ReadinessProbe.HTTPGet.Path, d.Path+"/")) {
					t.Errorf("%s: the UI should serve under %s (readiness probe path)", o.Position(), d.Path)
				}
			}
			if !found {
				t.Errorf("%s: no Deployment whose pods match %q", file, d.Selectors[0])
			}
		})
		checked++
	}
	if checked < 6 {
		t.Fatalf("checked %d add-ons; want the six with sample YAML", checked)
	}
}

func hasPort(c corev1.Container, port int) bool {
	for _, p := range c.Ports {
		if int(p.ContainerPort) == port {
			return true
		}
	}
	return false
}

// services indexes the Services of all samples by "name.namespace".
func services(t *testing.T, files []sampleFile) map[string]*corev1.Service {
	out := map[string]*corev1.Service{}
	for _, sf := range files {
		for _, o := range sf.objects {
			if o.Value["kind"] != "Service" {
				continue
			}
			obj, err := decode(o)
			if err != nil {
				t.Fatal(err)
			}
			svc := obj.(*corev1.Service)
			out[svc.Name+"."+svc.Namespace] = svc
		}
	}
	return out
}

// reachable says whether rawURL ("http://prometheus.istio-system:9090") names a sample Service and one of its ports.
func reachable(svcs map[string]*corev1.Service, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	host, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, portText = u.Host, "80"
	}
	port, _ := strconv.Atoi(portText)
	svc, ok := svcs[host]
	if !ok {
		return fmt.Errorf("%s: no sample Service %s", rawURL, host)
	}
	for _, p := range svc.Spec.Ports {
		if int(p.Port) == port {
			return nil
		}
	}
	return fmt.Errorf("%s: Service %s has no port %d", rawURL, host, port)
}

// TestAddonsPointAtEachOther: the URLs in Kiali's and Grafana's configuration are Services of the samples.
func TestAddonsPointAtEachOther(t *testing.T) {
	files := loadSamples(t)
	svcs := services(t, files)
	byPath := map[string]sampleFile{}
	for _, sf := range files {
		byPath[sf.path] = sf
	}

	kiali := byPath["samples/addons/kiali.yaml"].find("ConfigMap", "kiali")
	if kiali == nil {
		t.Fatal("kiali.yaml has no ConfigMap kiali")
	}
	var cfg struct {
		IstioNamespace string `json:"istio_namespace"`
		External       struct {
			Istio struct {
				RootNamespace string `json:"root_namespace"`
				Istiod        string `json:"istiod_deployment_name"`
				ConfigMap     string `json:"config_map_name"`
				Injector      string `json:"istio_sidecar_injector_config_map_name"`
			} `json:"istio"`
			Prometheus struct {
				URL string `json:"url"`
			} `json:"prometheus"`
			Tracing struct {
				InternalURL string `json:"internal_url"`
			} `json:"tracing"`
			Grafana struct {
				InternalURL string `json:"internal_url"`
			} `json:"grafana"`
		} `json:"external_services"`
		Server struct {
			Port    int    `json:"port"`
			WebRoot string `json:"web_root"`
		} `json:"server"`
	}
	if err := yaml.Unmarshal([]byte(nested(kiali.Value, "data", "config.yaml")), &cfg); err != nil {
		t.Fatalf("%s: config.yaml: %v", kiali.Position(), err)
	}
	ext := cfg.External
	kialiDash, _ := Lookup("kiali")
	if cfg.IstioNamespace != "istio-system" || ext.Istio.RootNamespace != "istio-system" || ext.Istio.Istiod != "istiod" ||
		ext.Istio.ConfigMap != "istio" || ext.Istio.Injector != "istio-sidecar-injector" {
		t.Errorf("kiali: mesh settings %+v, namespace %q", ext.Istio, cfg.IstioNamespace)
	}
	if cfg.Server.Port != kialiDash.RemotePort || cfg.Server.WebRoot != kialiDash.Path {
		t.Errorf("kiali serves on %d under %q; the dashboard expects %d under %q", cfg.Server.Port, cfg.Server.WebRoot, kialiDash.RemotePort, kialiDash.Path)
	}
	if ext.Prometheus.URL != "http://prometheus.istio-system:9090" {
		t.Errorf("kiali: prometheus url %q", ext.Prometheus.URL)
	}
	for _, u := range []string{ext.Prometheus.URL, ext.Tracing.InternalURL, ext.Grafana.InternalURL} {
		if err := reachable(svcs, u); err != nil {
			t.Errorf("kiali: %v", err)
		}
	}

	grafana := byPath["samples/addons/grafana.yaml"]
	var ds struct {
		Datasources []struct {
			UID, URL string
		}
	}
	gcm := grafana.find("ConfigMap", "grafana")
	if gcm == nil {
		t.Fatal("grafana.yaml has no ConfigMap grafana")
	}
	if err := yaml.Unmarshal([]byte(nested(gcm.Value, "data", "datasources.yaml")), &ds); err != nil || len(ds.Datasources) != 1 {
		t.Fatalf("grafana datasources: %v %+v", err, ds)
	}
	if err := reachable(svcs, ds.Datasources[0].URL); err != nil {
		t.Errorf("grafana: %v", err)
	}
	dcm := grafana.find("ConfigMap", "grafana-mesh-dashboards")
	if dcm == nil {
		t.Fatal("grafana.yaml has no ConfigMap grafana-mesh-dashboards")
	}
	var dash struct {
		Title  string
		Panels []struct {
			Title      string
			Datasource struct{ UID string }
			Targets    []struct{ Expr string }
		}
	}
	raw := nested(dcm.Value, "data", "mesh.json")
	if err := json.Unmarshal([]byte(raw), &dash); err != nil {
		t.Fatalf("mesh.json: %v", err)
	}
	if dash.Title != "Mesh" || len(dash.Panels) == 0 || len(raw) > 32<<10 {
		t.Errorf("mesh dashboard: title %q, %d panels, %d bytes", dash.Title, len(dash.Panels), len(raw))
	}
	for _, p := range dash.Panels {
		if p.Datasource.UID != ds.Datasources[0].UID || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %q, %d queries", p.Title, p.Datasource.UID, len(p.Targets))
		}
	}
}

// TestPrometheusScrapesTheMesh: the scrape configuration covers meshd's monitoring port and the proxies.
func TestPrometheusScrapesTheMesh(t *testing.T) {
	var prom sampleFile
	for _, sf := range loadSamples(t) {
		if sf.path == "samples/addons/prometheus.yaml" {
			prom = sf
		}
	}
	cm := prom.find("ConfigMap", "prometheus")
	if cm == nil {
		t.Fatal("prometheus.yaml has no ConfigMap prometheus")
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName        string `json:"job_name"`
			MetricsPath    string `json:"metrics_path"`
			RelabelConfigs []struct {
				SourceLabels []string `json:"source_labels"`
				Action       string   `json:"action"`
				Regex        string   `json:"regex"`
				Replacement  string   `json:"replacement"`
			} `json:"relabel_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(nested(cm.Value, "data", "prometheus.yml")), &cfg); err != nil {
		t.Fatalf("%s: prometheus.yml: %v", cm.Position(), err)
	}
	jobs := map[string]string{}
	for _, sc := range cfg.ScrapeConfigs {
		var b strings.Builder
		for _, rc := range sc.RelabelConfigs {
			fmt.Fprintf(&b, "%s %s %s %s|", strings.Join(rc.SourceLabels, ","), rc.Action, rc.Regex, rc.Replacement)
		}
		jobs[sc.JobName] = path.Join("/", sc.MetricsPath) + " " + b.String()
	}
	wants := map[string][]string{
		"meshd":           {"__meta_kubernetes_service_name,__meta_kubernetes_endpointslice_port_name keep istiod;http-monitoring"},
		"mesh-proxies":    {"/stats/prometheus ", "__meta_kubernetes_pod_container_name keep istio-proxy", ":15090"},
		"kubernetes-pods": {"__meta_kubernetes_pod_annotation_prometheus_io_scrape keep true"},
	}
	for job, want := range wants {
		got, ok := jobs[job]
		if !ok {
			t.Errorf("no scrape job %q", job)
			continue
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("job %s: want %q in %q", job, w, got)
			}
		}
	}
}
