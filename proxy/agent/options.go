// Package agent is mesh-proxy's process: it reads the bootstrap the injection template passes
// (flags, PROXY_CONFIG, POD_NAME, ISTIO_META_* ...), runs the listeners, the admin and status servers
// and the configuration source (meshd over ADS, or a static file), and drains on shutdown.
package agent

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/proxy/admin"
)

// Options are the proxy's bootstrap. Flags fill the first group (cmd/mesh-proxy); Complete fills the
// rest from the environment.
type Options struct {
	Role              meshapi.ProxyType // sidecar or router: `mesh-proxy proxy sidecar|router`
	Domain            string            // --domain, "$(POD_NAMESPACE).svc.cluster.local"
	ProxyLogLevel     string            // --proxyLogLevel
	ComponentLogLevel string            // --proxyComponentLogLevel (accepted; one level for all)
	LogOutputLevel    string            // --log_output_level, "default:info"
	LogAsJSON         bool              // --log_as_json
	DiscoveryAddress  string            // --discoveryAddress: overrides PROXY_CONFIG's
	ConfigPath        string            // --config-path: a static Envoy bootstrap instead of meshd
	AccessLogFile     string            // --accessLogFile: "/dev/stdout" logs requests there

	// Listen addresses of the proxy's own servers; Complete sets Istio's ports.
	AdminAddr, HealthAddr, PrometheusAddr, StatusAddr string

	// The workload identity: the CA (CA_ADDR, else the discovery address) and the mounted root and
	// token (Istio's paths; tests replace them). Without the root file the proxy has no identity.
	CAAddr, RootCertFile, TokenFile string

	// From the environment.
	PodName, PodNamespace, ServiceAccount, ClusterDomain string
	InstanceIP                                           netip.Addr
	Metadata                                             meshapi.NodeMetadata
	ProxyConfig                                          ProxyConfig
	Probers                                              map[string]*admin.Prober
	AppMetrics                                           *admin.AppMetrics
}

// ProxyConfig is the part of Istio's ProxyConfig (PROXY_CONFIG, JSON) the proxy uses; other fields
// are accepted and ignored, as they configure Envoy-only features.
type ProxyConfig struct {
	DiscoveryAddress         string            `json:"discoveryAddress"`
	TerminationDrainDuration Duration          `json:"terminationDrainDuration"`
	StatusPort               int               `json:"statusPort"`
	Concurrency              *int              `json:"concurrency"`
	ProxyMetadata            map[string]string `json:"proxyMetadata"`
	ClusterName              string            `json:"clusterName"`
}

// Duration is a protobuf JSON duration ("5s", "1.5s").
type Duration time.Duration

// UnmarshalJSON reads "5s" and the like.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"5s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("want a duration such as \"5s\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// Istio's defaults.
const (
	DefaultTerminationDrain = 5 * time.Second
	defaultClusterDomain    = "cluster.local"
)

// EnvError is a bad environment variable.
type EnvError struct {
	Name, Value string
	Err         error
}

func (e *EnvError) Error() string {
	return fmt.Sprintf("environment %s=%q: %v", e.Name, e.Value, e.Err)
}

// Complete reads the environment (getenv, environ as os.Getenv and os.Environ) and fills defaults.
func (o *Options) Complete(getenv func(string) string, environ []string) error {
	o.PodName = getenv("POD_NAME")
	o.PodNamespace = getenv("POD_NAMESPACE")
	o.ServiceAccount = getenv("SERVICE_ACCOUNT")
	if v := getenv("INSTANCE_IP"); v != "" {
		ip, err := netip.ParseAddr(v)
		if err != nil {
			return &EnvError{"INSTANCE_IP", v, fmt.Errorf("not an IP address")}
		}
		o.InstanceIP = ip
	}
	if v := getenv("PROXY_CONFIG"); strings.TrimSpace(v) != "" {
		if err := json.Unmarshal([]byte(v), &o.ProxyConfig); err != nil {
			return &EnvError{"PROXY_CONFIG", abbreviate(v), err}
		}
	}
	if err := o.metadata(getenv, environ); err != nil {
		return err
	}
	var err error
	if o.Probers, err = admin.ParseProbers(getenv("ISTIO_KUBE_APP_PROBERS")); err != nil {
		return err
	}
	if o.AppMetrics, err = admin.ParseAppMetrics(getenv("ISTIO_PROMETHEUS_ANNOTATIONS")); err != nil {
		return err
	}
	o.ClusterDomain = defaultClusterDomain
	if ns, domain, ok := strings.Cut(o.Domain, ".svc."); ok && domain != "" && ns != "" {
		o.ClusterDomain = domain
	}
	if o.DiscoveryAddress == "" {
		o.DiscoveryAddress = o.ProxyConfig.DiscoveryAddress
	}
	if o.DiscoveryAddress == "" {
		o.DiscoveryAddress = meshapi.DiscoveryAddress("", meshapi.DefaultNamespace)
	}
	o.CAAddr = firstNonEmpty(o.CAAddr, getenv("CA_ADDR"), o.DiscoveryAddress)
	o.RootCertFile = firstNonEmpty(o.RootCertFile, meshapi.ProxyRootCertFile)
	o.TokenFile = firstNonEmpty(o.TokenFile, meshapi.ProxyTokenFile)
	if o.ProxyConfig.TerminationDrainDuration == 0 {
		o.ProxyConfig.TerminationDrainDuration = Duration(DefaultTerminationDrain)
	}
	status := meshapi.ProxyStatusPort.String()
	if o.ProxyConfig.StatusPort != 0 {
		status = strconv.Itoa(o.ProxyConfig.StatusPort)
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.AdminAddr, net.JoinHostPort("127.0.0.1", meshapi.ProxyAdminPort.String()))
	def(&o.HealthAddr, ":"+meshapi.ProxyHealthPort.String())
	def(&o.PrometheusAddr, ":"+meshapi.ProxyPrometheusPort.String())
	def(&o.StatusAddr, ":"+status)
	return nil
}

// metadata builds the node metadata as Istio's agent does: ISTIO_META_* variables (proxyMetadata's
// too), then what the proxy knows itself.
func (o *Options) metadata(getenv func(string) string, environ []string) error {
	m := map[string]any{}
	keys := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if name, ok := strings.CutPrefix(k, "ISTIO_META_"); ok && name != "" {
			m[name] = getenv(k)
		}
	}
	for k, v := range o.ProxyConfig.ProxyMetadata {
		if name, ok := strings.CutPrefix(k, "ISTIO_META_"); ok && name != "" {
			m[name] = v
		}
	}
	md, err := meshapi.ParseNodeMetadata(m)
	if err != nil {
		return &EnvError{"ISTIO_META_*", "", err}
	}
	md.Namespace = firstNonEmpty(md.Namespace, o.PodNamespace)
	md.Name = firstNonEmpty(md.Name, o.PodName)
	md.ServiceAccount = firstNonEmpty(md.ServiceAccount, o.ServiceAccount)
	if md.InstanceIPs == "" && o.InstanceIP.IsValid() {
		md.InstanceIPs = o.InstanceIP.String()
	}
	md.ClusterID = firstNonEmpty(md.ClusterID, o.ProxyConfig.ClusterName, "Kubernetes")
	md.EnvoyStatusPort = meshapi.FlexInt(meshapi.ProxyHealthPort)
	md.EnvoyPrometheusPort = meshapi.FlexInt(meshapi.ProxyPrometheusPort)
	if md.Labels == nil {
		md.Labels = podLabels()
	}
	o.Metadata = md
	return nil
}

// podLabels reads the downward API's labels file, as Istio's agent does when ISTIO_META_LABELS is
// not given: lines of key="value".
func podLabels() map[string]string {
	b, err := os.ReadFile("/etc/istio/pod/labels")
	if err != nil {
		return nil
	}
	labels := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		labels[k] = v
	}
	return labels
}

// NodeID is the proxy's xDS node id.
func (o *Options) NodeID() meshapi.NodeID {
	ip := o.InstanceIP
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	return meshapi.NewNodeID(o.Role, ip, o.PodName, o.PodNamespace, o.ClusterDomain)
}

// Validate checks what the flags and environment must give.
func (o *Options) Validate() error {
	switch o.Role {
	case meshapi.Sidecar, meshapi.Router:
	default:
		return fmt.Errorf("proxy type %q: want sidecar or router", o.Role)
	}
	if o.ConfigPath == "" && (o.PodName == "" || o.PodNamespace == "") {
		return fmt.Errorf("POD_NAME and POD_NAMESPACE must be set (the injection template sets them from the downward API)")
	}
	for flag, v := range map[string]string{"--proxyLogLevel": o.ProxyLogLevel} {
		if v != "" {
			if _, ok := admin.ParseLevel(v); !ok {
				return fmt.Errorf("%s %q: want trace, debug, info, warning, error, critical or off", flag, v)
			}
		}
	}
	if v := o.LogOutputLevel; v != "" {
		for _, part := range strings.Split(v, ",") {
			_, level, ok := strings.Cut(part, ":")
			if _, known := admin.ParseLevel(level); !ok || !known {
				return fmt.Errorf("--log_output_level %q: want scope:level pairs such as default:info", v)
			}
		}
	}
	if _, _, err := net.SplitHostPort(o.DiscoveryAddress); err != nil && o.ConfigPath == "" {
		return fmt.Errorf("--discoveryAddress %q: want host:port", o.DiscoveryAddress)
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
