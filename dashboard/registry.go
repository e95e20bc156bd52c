package dashboard

import "github.com/meshctl/meshctl/meshapi"

// Where says in which namespace a dashboard's pod is looked for when the user names none.
type Where int

const (
	// InMeshNamespace: add-ons and the control plane live in the mesh's namespace (istio-system).
	InMeshNamespace Where = iota
	// InUserNamespace: sidecars live with the user's workloads (the kubeconfig's namespace).
	InUserNamespace
)

// Dashboard describes one web UI that can be forwarded.
type Dashboard struct {
	// Name is the subcommand: "kiali", "proxy".
	Name string
	// Aliases are other names for the subcommand ("envoy" for "proxy").
	Aliases []string
	// Title names the UI in messages: "Kiali", "the sidecar's admin page".
	Title string
	// Selectors are label selectors tried in order until one matches a pod; the first is the one our samples
	// use, the others match the upstream charts' labels. Empty when the pod must be named (proxy).
	Selectors []string
	// Where is the namespace looked in by default.
	Where Where
	// PodArg says the subcommand takes a POD argument (controlz, proxy).
	PodArg bool
	// RemotePort is the container port of the UI.
	RemotePort int
	// Path is appended to the local URL: Kiali serves under /kiali.
	Path string
	// InstallHint is the command that installs the add-on, shown when no pod matches.
	InstallHint string
	// SidecarContainer, when set, is a container the pod must have (the proxy's admin page needs a sidecar).
	SidecarContainer string
}

// ProxyContainer is the sidecar container's name, the one Istio's tools and YAML key on.
const ProxyContainer = meshapi.ProxyContainer

// Registry returns every dashboard meshctl knows, in the order `meshctl dashboard --help` lists them.
// It returns a fresh slice: callers may change what they get.
func Registry() []Dashboard {
	return []Dashboard{
		{
			Name: "kiali", Title: "Kiali",
			Selectors:  []string{"app=kiali", "app.kubernetes.io/name=kiali"},
			RemotePort: 20001, Path: "/kiali",
			InstallHint: "kubectl apply -f samples/addons/kiali.yaml",
		},
		{
			Name: "prometheus", Title: "Prometheus",
			Selectors:   []string{"app=prometheus", "app.kubernetes.io/name=prometheus"},
			RemotePort:  9090,
			InstallHint: "kubectl apply -f samples/addons/prometheus.yaml",
		},
		{
			Name: "grafana", Title: "Grafana",
			Selectors:   []string{"app=grafana", "app.kubernetes.io/name=grafana"},
			RemotePort:  3000,
			InstallHint: "kubectl apply -f samples/addons/grafana.yaml",
		},
		{
			Name: "jaeger", Title: "Jaeger",
			Selectors:   []string{"app=jaeger", "app.kubernetes.io/name=jaeger"},
			RemotePort:  16686,
			InstallHint: "kubectl apply -f samples/addons/jaeger.yaml",
		},
		{
			Name: "zipkin", Title: "Zipkin",
			Selectors:   []string{"app=zipkin"},
			RemotePort:  9411,
			InstallHint: "kubectl apply -f samples/addons/extras/zipkin.yaml",
		},
		{
			Name: "skywalking", Title: "SkyWalking",
			Selectors:   []string{"app=skywalking-ui"},
			RemotePort:  8080,
			InstallHint: "kubectl apply -f samples/addons/extras/skywalking.yaml",
		},
		{
			Name: "controlz", Title: "meshd's ControlZ page",
			Selectors:   []string{"app=" + meshapi.ControlPlane},
			PodArg:      true,
			RemotePort:  9876,
			InstallHint: "meshctl install",
		},
		{
			Name: "proxy", Aliases: []string{"envoy"}, Title: "the sidecar's admin page",
			Where:            InUserNamespace,
			PodArg:           true,
			RemotePort:       int(meshapi.ProxyAdminPort),
			SidecarContainer: ProxyContainer,
		},
		{
			Name: "istiod-debug", Title: "meshd's debug page",
			Selectors:  []string{"app=" + meshapi.ControlPlane},
			RemotePort: int(meshapi.ControlPlaneMonitoringPort), Path: "/debug",
			InstallHint: "meshctl install",
		},
	}
}

// Lookup finds a dashboard by name or alias.
func Lookup(name string) (Dashboard, bool) {
	for _, d := range Registry() {
		if d.Name == name {
			return d, true
		}
		for _, a := range d.Aliases {
			if a == name {
				return d, true
			}
		}
	}
	return Dashboard{}, false
}
